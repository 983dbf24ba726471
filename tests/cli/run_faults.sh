#!/usr/bin/env bash
# The run loop (lsnn/run.h) under faults: a kill right after a checkpoint, stale temporary files
# of dead processes, a deleted, truncated or overlong log.csv, write errors on log.csv (full disk,
# file size limit), and configs too large for the memory, refused before allocating.
. "$(dirname "$0")/lib.sh"
CFG="$SRC/configs/store_recall.json"
LOUD=(--set iterations=12 --set batch_size=16 --set store_recall.n_symbols=6 --set store_recall.val_size=48 --set eval_every=4)
SMALL=("${LOUD[@]}" --quiet)

# Columns 1..9 of every row (all but the timing column, seconds).
rows() { tail -n +2 "$1" | cut -d, -f1-9; }
# Every line has the header's number of cells, and the iterations are 1..N once each.
contiguous() { # LOG N
  awk -F, -v n="$2" 'NR == 1 { nf = NF; next } NF != nf { bad = 1 } $1 != NR - 1 { bad = 1 }
                     END { exit !(NR == n + 1 && !bad) }' "$1"
}

"$LSNN" train "$CFG" "${SMALL[@]}" --out "$WORK/ref" > "$WORK/ref.out" 2>&1 || fail "reference run exited $?"
contiguous "$WORK/ref/log.csv" 12 && pass "reference log: rows 1..12" || fail "reference log: $(cut -d, -f1 "$WORK/ref/log.csv" | tr '\n' ' ')"

# Killed right after the checkpoint of iteration 8 (test hook): row 8 is already in the log.
LSNN_TEST_KILL_AFTER_CHECKPOINT=8 "$LSNN" train "$CFG" "${SMALL[@]}" --out "$WORK/k" > "$WORK/k.out" 2>&1
rc=$?
[ $rc -eq 137 ] && pass "test hook kills after checkpoint 8" || fail "killed run exited $rc"
contiguous "$WORK/k/log.csv" 8 && pass "killed run's log has rows 1..8" || fail "killed log: $(cut -d, -f1 "$WORK/k/log.csv" | tr '\n' ' ')"
for d in del trunc partial long; do cp -r "$WORK/k" "$WORK/$d"; done

# Stale temporary files: those of dead processes go, the others stay.
sh -c 'exit 0' & dead=$!; wait $dead
sleep 30 & alive=$!
touch "$WORK/k/model.safetensors.tmp.$dead" "$WORK/k/log.csv.tmp.$dead" "$WORK/k/log.csv.tmp.$alive" \
      "$WORK/k/notes.tmp.txt" "$WORK/k/x.tmp.12ab"
ln -s /nonexistent "$WORK/k/result.json.tmp.$dead"
"$LSNN" train "$CFG" "${SMALL[@]}" --out "$WORK/k" --resume > "$WORK/k2.out" 2>&1 || fail "resume exited $?"
kill "$alive" 2>/dev/null
if [ ! -e "$WORK/k/model.safetensors.tmp.$dead" ] && [ ! -e "$WORK/k/log.csv.tmp.$dead" ] &&
   [ -e "$WORK/k/log.csv.tmp.$alive" ] && [ -e "$WORK/k/notes.tmp.txt" ] && [ -e "$WORK/k/x.tmp.12ab" ] &&
   [ -L "$WORK/k/result.json.tmp.$dead" ]; then
  pass "stale NAME.tmp.PID files of dead processes removed, others kept"
else
  fail "temporary files: $(ls "$WORK/k" | tr '\n' ' ')"
fi
contiguous "$WORK/k/log.csv" 12 && pass "resumed log: rows 1..12 once each" || fail "resumed log: $(cut -d, -f1 "$WORK/k/log.csv" | tr '\n' ' ')"
[ "$(rows "$WORK/k/log.csv")" = "$(rows "$WORK/ref/log.csv")" ] && [ "$(head -1 "$WORK/k/log.csv")" = "$(head -1 "$WORK/ref/log.csv")" ] &&
  pass "resumed log equals the uninterrupted run's (but for seconds)" || fail "resumed log differs: $(diff <(rows "$WORK/k/log.csv") <(rows "$WORK/ref/log.csv") | head -5)"
cmp -s "$WORK/k/model.safetensors" "$WORK/ref/model.safetensors" && pass "resumed model identical" || fail "resumed model differs"
# The timing column goes on from the last kept row (the time of the earlier piece included).
awk -F, 'NR > 1 && $10 < prev { bad = 1 } NR > 1 { prev = $10 } END { exit bad }' "$WORK/k/log.csv" &&
  pass "resumed log: seconds never fall" || fail "resumed log: seconds fall: $(cut -d, -f1,10 "$WORK/k/log.csv" | tr '\n' ' ')"

# log.csv deleted before the resume: a header, then the resumed rows, and a note.
rm "$WORK/del/log.csv"
"$LSNN" train "$CFG" "${LOUD[@]}" --out "$WORK/del" --resume > "$WORK/del.out" 2>&1 || fail "resume without log exited $?"
if [ "$(head -1 "$WORK/del/log.csv")" = "$(head -1 "$WORK/ref/log.csv")" ] &&
   [ "$(rows "$WORK/del/log.csv")" = "$(rows "$WORK/ref/log.csv" | tail -n 4)" ]; then
  pass "deleted log: header and rows 9..12"
else
  fail "deleted log: $(cat "$WORK/del/log.csv")"
fi
grep -q "^note: .*log.csv kept rows for 0 of the checkpoint's 8 iterations" "$WORK/del.out" &&
  pass "deleted log: noted" || fail "no note for the lost rows: $(cat "$WORK/del.out")"

# An interrupted write after the checkpoint: a last row without its newline is dropped.
printf '9,0.69' >> "$WORK/partial/log.csv"
"$LSNN" train "$CFG" "${SMALL[@]}" --out "$WORK/partial" --resume > "$WORK/partial.out" 2>&1 || fail "resume after a partial row exited $?"
contiguous "$WORK/partial/log.csv" 12 && [ "$(rows "$WORK/partial/log.csv")" = "$(rows "$WORK/ref/log.csv")" ] &&
  pass "unterminated last row dropped, rows 1..12 as uninterrupted" || fail "partial row: $(cat "$WORK/partial/log.csv")"

# Truncated inside row 8 (the checkpoint's): the row is lost, but nothing is glued together.
size=$(stat -c %s "$WORK/trunc/log.csv")
truncate -s $((size - 5)) "$WORK/trunc/log.csv"
"$LSNN" train "$CFG" "${SMALL[@]}" --out "$WORK/trunc" --resume > "$WORK/trunc.out" 2>&1 || fail "resume after truncation exited $?"
if [ "$(cut -d, -f1 "$WORK/trunc/log.csv" | tail -n +2 | tr '\n' ' ')" = "1 2 3 4 5 6 7 9 10 11 12 " ] &&
   awk -F, 'NF != 10 { exit 1 }' "$WORK/trunc/log.csv"; then
  pass "truncated log: rows 1..7 kept, 9..12 appended, every line whole"
else
  fail "truncated log: $(cat "$WORK/trunc/log.csv")"
fi

# A row over 8 KiB (a loss written with 9000 digits) is read whole, not split into two rows.
zeros=$(printf '%09000d' 0)
awk -F, -v OFS=, -v z="$zeros" 'NR == 4 { $2 = "0.5" z } { print }' "$WORK/long/log.csv" > "$WORK/long.csv" &&
  mv "$WORK/long.csv" "$WORK/long/log.csv"
"$LSNN" train "$CFG" "${SMALL[@]}" --out "$WORK/long" --resume > "$WORK/long.out" 2>&1 || fail "resume with a long row exited $?"
contiguous "$WORK/long/log.csv" 12 && [ "$(sed -n 4p "$WORK/long/log.csv" | cut -d, -f2)" = 0.5 ] &&
  pass "a row over 8 KiB stays one row" || fail "long row: $(cut -c1-80 "$WORK/long/log.csv")"

# Write errors on log.csv: a full disk (log.csv -> /dev/full), and the file size limit (EFBIG).
mkdir -p "$WORK/full" && ln -s /dev/full "$WORK/full/log.csv"
expect_error "log.csv on a full disk" "full/log.csv: cannot write: No space left on device" \
  "$LSNN" train "$CFG" "${SMALL[@]}" --out "$WORK/full"
expect_error "log.csv over the file size limit" "big/log.csv: cannot write: File too large" \
  bash -c 'trap "" XFSZ; ulimit -f 2; exec "$@"' _ "$LSNN" train "$CFG" "${SMALL[@]}" \
  --set iterations=60 --set eval_every=0 --out "$WORK/big"

# Too large for the memory: refused at once with the estimate and the limit, nothing written.
t0=$(date +%s%N)
expect_error "n_regular 30000 over --max-memory 1G" "needs about .* GB .*more than the limit of 1.1 GB" \
  "$LSNN" train "$CFG" --set network.n_regular=30000 --max-memory 1G --out "$WORK/huge"
expect_error "n_regular 30000 x batch 65536 over 80% of the memory" "needs about .*physical memory" \
  "$LSNN" train "$CFG" --set network.n_regular=30000 --set batch_size=65536 --out "$WORK/huge"
t1=$(date +%s%N)
[ $(( (t1 - t0) / 1000000 )) -lt 2000 ] && pass "both refused in $(( (t1 - t0) / 1000000 )) ms" || fail "refusals took $(( (t1 - t0) / 1000000 )) ms"
[ ! -e "$WORK/huge" ] && pass "no directory for a refused config" || fail "a refused config made $WORK/huge"
expect_error "--max-memory needs a size" "max-memory: expected a size" "$LSNN" train "$CFG" --max-memory 12X
# The estimate follows the allocations: the peak RSS of a run lies between 70% and 120% of it
# (pages allocated but never touched are not resident; not under
# the sanitizers, whose shadow memory inflates the RSS).
if [ "${LSNN_SANITIZE:-0}" != 1 ] && [ "${LSNN_SANITIZE:-0}" != ON ]; then
  for set in "network.n_regular=300" "network.n_regular=300,learning=eprop,store_recall.n_symbols=2"; do
    args=()
    for kv in ${set//,/ }; do args+=(--set "$kv"); done
    est=$("$LSNN" train "$CFG" "${args[@]}" --max-memory 1K 2>&1 | sed -n 's/.*needs about \([0-9.]*\) MB.*/\1/p')
    rss=$(python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1000)' \
      "$LSNN" train "$CFG" "${args[@]}" --set iterations=1 --set eval_every=0 --set store_recall.val_size=16 --quiet --out "$WORK/rss")
    if [ -n "$est" ] && [ -n "$rss" ] && awk -v e="$est" -v r="$rss" 'BEGIN { exit !(r < 1.2 * e && r > 0.7 * e) }'; then
      pass "$set: estimate $est MB, peak RSS $rss MB"
    else
      fail "$set: estimate '$est' MB, peak RSS '$rss' MB"
    fi
  done
fi
finish
