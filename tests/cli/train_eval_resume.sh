#!/usr/bin/env bash
# train -> eval reproduces the final value; the loss falls; resume == uninterrupted run
# (byte-identical model); simulate writes its CSV files; --help works for every subcommand.
. "$(dirname "$0")/lib.sh"
CFG="$SRC/configs/store_recall.json"
SMALL=(--set iterations=12 --set batch_size=16 --set store_recall.n_symbols=6 --set store_recall.val_size=48 --set eval_every=5)

"$LSNN" train "$CFG" "${SMALL[@]}" --out "$WORK/a" > "$WORK/a.out" 2>&1 || fail "train exited $?"
grep -q '^iter ' "$WORK/a.out" && pass "progress lines" || fail "no progress lines"
v_train=$(result_value "$WORK/a.out")
[ -n "$v_train" ] && pass "result line: $v_train" || fail "no result line"
[ -s "$WORK/a/model.safetensors" ] && pass "model written" || fail "no model"
lines=$(wc -l < "$WORK/a/log.csv")
[ "$lines" -eq 13 ] && pass "log.csv has header + 12 rows" || fail "log.csv has $lines lines"
# The loss falls, even in 12 iterations: the mean training loss of the last 4 rows is below 0.99
# times that of the first 4 (seen 0.689 -> 0.666), and the validation loss below 0.97 times the
# untrained network's (a run of 0 iterations; seen 0.699 -> 0.654).
loss_falls "training loss falls" "$WORK/a/log.csv" 4 0.99
"$LSNN" train "$CFG" "${SMALL[@]}" --set iterations=0 --out "$WORK/a0" > "$WORK/a0.out" 2>&1 || fail "0 iterations: exit $?"
val_loss_falls "validation loss falls" "$WORK/a0.out" "$WORK/a.out" 0.97

"$LSNN" eval "$WORK/a/model.safetensors" > "$WORK/eval.out" 2>&1 || fail "eval exited $?"
v_eval=$(result_value "$WORK/eval.out")
[ "$v_eval" = "$v_train" ] && pass "eval reproduces $v_train" || fail "eval gave '$v_eval', train '$v_train'"
grep -q 'confusion matrix' "$WORK/eval.out" && pass "confusion matrix" || fail "no confusion matrix"

# Interrupted after 7 iterations, then resumed to 12: same bytes as the uninterrupted run. Run b's
# first 7 iterations go without BPTT's records (each segment re-simulated); its resumed
# iterations and run a use them. The gradients are the same either way, and the setting is no
# change worth a note.
grep -q '^bptt: records of the forward pass' "$WORK/a.out" && pass "BPTT records by default" || fail "no records line: $(head -4 "$WORK/a.out")"
"$LSNN" train "$CFG" "${SMALL[@]}" --set iterations=7 --set bptt_records_mb=0 --out "$WORK/b" > "$WORK/b1.out" 2>&1 || fail "train b exited $?"
grep -q '^bptt: the backward pass re-simulates each segment (records would take' "$WORK/b1.out" && pass "bptt_records_mb=0 re-simulates" || fail "records line: $(head -4 "$WORK/b1.out")"
# Pretend the run went on to iteration 9 after its checkpoint at 7 and then died.
echo "8,0,0,0,nan,nan,0,0,0,0" >> "$WORK/b/log.csv"
echo "9,0,0,0,nan,nan,0,0,0,0" >> "$WORK/b/log.csv"
"$LSNN" train "$CFG" "${SMALL[@]}" --out "$WORK/b" --resume > "$WORK/b2.out" 2>&1 || fail "resume exited $?"
grep -q 'resuming' "$WORK/b2.out" && pass "resume message" || fail "no resume message"
! grep -q '^note:' "$WORK/b2.out" && pass "no note for bptt_records_mb" || fail "notes: $(grep note "$WORK/b2.out")"
cmp -s "$WORK/a/model.safetensors" "$WORK/b/model.safetensors" && pass "resumed model identical" || fail "resumed model differs"
[ "$(result_value "$WORK/b2.out")" = "$v_train" ] && pass "resumed result identical" || fail "resumed result differs"
[ "$(wc -l < "$WORK/b/log.csv")" -eq 13 ] && pass "resumed log.csv continues" || fail "resumed log.csv wrong length"
[ "$(cut -d, -f1 "$WORK/b/log.csv" | tail -n +2 | tr '\n' ' ')" = "1 2 3 4 5 6 7 8 9 10 11 12 " ] && pass "log rows 1..12 once each" || fail "log rows: $(cut -d, -f1 "$WORK/b/log.csv" | tr '\n' ' ')"

# The run directory: a resume keeps the earlier commands, names changed config keys, and refuses
# a checkpoint past the requested length; a resume without a checkpoint makes no directory.
[ "$(grep -c '^lsnn train' "$WORK/b/command.txt")" -eq 2 ] && pass "command.txt keeps both commands" || fail "command.txt: $(cat "$WORK/b/command.txt")"
"$LSNN" train "$CFG" "${SMALL[@]}" --set iterations=14 --set lr=0.02 --out "$WORK/b" --resume > "$WORK/b3.out" 2>&1 || fail "resume b3 exited $?"
grep -q '^note: lr differs from the checkpoint' "$WORK/b3.out" && ! grep -q '^note: iterations' "$WORK/b3.out" &&
  pass "resume names the changed key (lr), not iterations" || fail "resume notes: $(grep note "$WORK/b3.out")"
"$LSNN" train "$CFG" "${SMALL[@]}" --set iterations=3 --out "$WORK/b" --resume > "$WORK/b4.out" 2>&1
[ $? -eq 1 ] && grep -q "at iteration 14, past iterations = 3" "$WORK/b4.out" && pass "resume past the length refused" || fail "resume past the length: $(cat "$WORK/b4.out")"
"$LSNN" train "$CFG" "${SMALL[@]}" --out "$WORK/none" --resume > /dev/null 2>&1
[ $? -eq 1 ] && [ ! -e "$WORK/none" ] && pass "resume without a checkpoint makes no directory" || fail "resume without a checkpoint"
# A fresh run into a used directory replaces the earlier run, even when it fails at once.
cp -r "$WORK/a" "$WORK/d"
"$LSNN" train "$CFG" "${SMALL[@]}" --set network.tau_a=1.5 --out "$WORK/d" > /dev/null 2>&1
[ $? -eq 1 ] && [ ! -e "$WORK/d/model.safetensors" ] && [ ! -e "$WORK/d/result.json" ] && [ "$(wc -l < "$WORK/d/log.csv")" -eq 1 ] &&
  pass "a failed fresh run leaves no earlier model beside its log" || fail "failed fresh run: $(ls "$WORK/d")"
# result.json is JSON whatever the directory's name.
Q="$WORK/q\"x\\y"
"$LSNN" train "$CFG" "${SMALL[@]}" --set iterations=1 --set eval_every=0 --out "$Q" --quiet > /dev/null 2>&1 || fail "train into $Q"
python3 -c 'import json, sys; assert json.load(open(sys.argv[1] + "/result.json"))["out"] == sys.argv[1]' "$Q" &&
  pass "result.json escapes the directory name" || fail "result.json of $Q is not JSON with its name"

# Thread count does not change the result.
"$LSNN" train "$CFG" "${SMALL[@]}" --threads 1 --out "$WORK/c" > "$WORK/c.out" 2>&1 || fail "train c exited $?"
cmp -s "$WORK/a/model.safetensors" "$WORK/c/model.safetensors" && pass "1 thread == 2 threads" || fail "thread count changed the model"

"$LSNN" simulate "$WORK/a/model.safetensors" --out "$WORK/sim" > "$WORK/sim.out" 2>&1 || fail "simulate exited $?"
for f in input spikes v threshold readout windows; do
  [ -s "$WORK/sim/$f.csv" ] && pass "simulate wrote $f.csv" || fail "simulate did not write $f.csv"
done
T=$((6 * 200))
rows=$(($(wc -l < "$WORK/sim/v.csv") - 1))
[ "$rows" -eq "$T" ] && pass "v.csv has $T rows" || fail "v.csv has $rows rows"

for c in train eval simulate bench; do
  expect_ok "$c --help" "usage: lsnn $c" "$LSNN" "$c" --help
done
expect_ok "help" 'commands:' "$LSNN" help
finish
