#!/usr/bin/env bash
# lsnn plot dynamics|curves|connectivity and lsnn report on a tiny store-recall run: the files
# exist, PNGs have the requested size (read from the IHDR chunk), SVG and PDF are well-formed,
# report.html refers to its figures and has no external resources; train --report writes the
# report and command.txt; an LSTM baseline gets an input+readout dynamics figure and a clear
# error for connectivity; bad arguments give one error line.
. "$(dirname "$0")/lib.sh"
CFG="$SRC/configs/store_recall.json"
TINY=(--set iterations=3 --set store_recall.n_symbols=3 --set batch_size=4 --set store_recall.val_size=4)

# png_size FILE: "WIDTH HEIGHT" from the IHDR chunk (big-endian 32-bit at bytes 16 and 20).
png_size() {
  local b
  b=($(od -An -tu1 -j16 -N8 "$1"))
  [ "${#b[@]}" -eq 8 ] || { echo "? ?"; return; }
  echo "$(( (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3] )) $(( (b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7] ))"
}

# check_png FILE W H
check_png() {
  if [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" != "89504e470d0a1a0a" ]; then
    fail "$1 is not a PNG"
    return
  fi
  local s
  s=$(png_size "$1")
  [ "$s" = "$2 $3" ] && pass "$(basename "$1") is a $2 x $3 PNG" || fail "$(basename "$1") is '$s', expected '$2 $3'"
}

"$LSNN" train "$CFG" "${TINY[@]}" --out "$WORK/run" --quiet > "$WORK/train.out" 2>&1 || fail "train exited $?"
[ -s "$WORK/run/model.safetensors" ] || { fail "no model"; finish; exit 1; }
grep -q "^lsnn train .*--out $WORK/run" "$WORK/run/command.txt" && pass "train wrote command.txt" || fail "command.txt: $(cat "$WORK/run/command.txt" 2>&1)"

M="$WORK/run/model.safetensors"
"$LSNN" plot dynamics "$M" --out "$WORK/dyn.png" > "$WORK/p1.out" 2>&1 || fail "plot dynamics exited $? ($(cat "$WORK/p1.out"))"
check_png "$WORK/dyn.png" 1200 1000
"$LSNN" plot dynamics "$M" --out "$WORK/dyn_small.png" --sample 2 --neurons 5 --width 700 --height 560 > /dev/null 2>&1 || fail "plot dynamics with options exited $?"
check_png "$WORK/dyn_small.png" 700 560
"$LSNN" plot dynamics "$M" --out "$WORK/dyn.svg" --width 800 --height 600 > /dev/null 2>&1 || fail "plot dynamics svg exited $?"
head -c 200 "$WORK/dyn.svg" | grep -q -e '<?xml' -e '<svg' && pass "dynamics SVG" || fail "dynamics SVG header"
grep -q 'width="800' "$WORK/dyn.svg" && pass "SVG width 800" || fail "SVG width: $(grep -o 'width="[^"]*"' "$WORK/dyn.svg" | head -1)"
"$LSNN" plot dynamics "$M" --out "$WORK/dyn.pdf" > /dev/null 2>&1 || fail "plot dynamics pdf exited $?"
[ "$(head -c 4 "$WORK/dyn.pdf")" = "%PDF" ] && pass "dynamics PDF" || fail "dynamics PDF header"

"$LSNN" plot curves "$WORK/run" --out "$WORK/curves.png" > /dev/null 2>&1 || fail "plot curves exited $?"
check_png "$WORK/curves.png" 1200 420
"$LSNN" plot curves "$WORK/run" "$WORK/run" --out "$WORK/curves2.png" --width 900 --height 300 > /dev/null 2>&1 || fail "plot curves (two runs) exited $?"
check_png "$WORK/curves2.png" 900 300

"$LSNN" plot connectivity "$M" --out "$WORK/conn.png" > /dev/null 2>&1 || fail "plot connectivity exited $?"
check_png "$WORK/conn.png" 1200 560
"$LSNN" plot connectivity "$M" --out "$WORK/conn.svg" > /dev/null 2>&1 || fail "plot connectivity svg exited $?"
head -c 200 "$WORK/conn.svg" | grep -q -e '<?xml' -e '<svg' && pass "connectivity SVG" || fail "connectivity SVG header"

"$LSNN" report "$WORK/run" > "$WORK/report.out" 2>&1 || fail "report exited $? ($(cat "$WORK/report.out"))"
R="$WORK/run/report.html"
[ -s "$R" ] && pass "report.html written" || fail "no report.html"
for f in dynamics curves connectivity; do
  grep -q "<img src=\"$f.png\"" "$R" && pass "report shows $f.png" || fail "report does not show $f.png"
  [ -s "$WORK/run/$f.png" ] || fail "report did not write $f.png"
done
check_png "$WORK/run/dynamics.png" 1200 1000
grep -Eq '"task":[[:space:]]*"store_recall"' "$R" && pass "report has the config" || fail "report has no config"
grep -q '<th>commit</th>' "$R" && grep -q '<th>machine</th>' "$R" && pass "report has commit and machine" || fail "report lacks commit or machine"
grep -q 'lsnn train' "$R" && pass "report has the command line" || fail "report has no command line"
if grep -Eiq '(src|href)="(https?:)?//' "$R" || grep -qi '<script' "$R"; then fail "report has external resources or scripts"; else pass "report is self-contained"; fi

# A bad log.csv: the report still comes, and its metrics paragraph says why, naming file and line.
mkdir -p "$WORK/badlog"
cp "$WORK/run/model.safetensors" "$WORK/run/log.csv" "$WORK/badlog/"
printf '4,0.5\n' >> "$WORK/badlog/log.csv"
"$LSNN" report "$WORK/badlog" > /dev/null 2>&1 || fail "report of a run with a bad log exited $?"
grep -q "No readable <code>log.csv</code> in the run directory: .*badlog/log.csv:5: 2 cells, but the header names 10" "$WORK/badlog/report.html" && pass "report names the bad line of log.csv" || fail "report of a bad log: $(grep -A1 'Final metrics' "$WORK/badlog/report.html" | tail -1)"

# train --report: the report is written at the end of training.
"$LSNN" train "$CFG" "${TINY[@]}" --out "$WORK/run2" --quiet --report > "$WORK/train2.out" 2>&1 || fail "train --report exited $?"
[ -s "$WORK/run2/report.html" ] && [ -s "$WORK/run2/curves.png" ] && pass "train --report wrote the report" || fail "train --report: no report"

# A non-spiking baseline: dynamics has input and readout only, connectivity is refused.
"$LSNN" train "$CFG" "${TINY[@]}" --set model=lstm --set network.n_hidden=8 --set iterations=1 --out "$WORK/lstm" --quiet > "$WORK/lstm.out" 2>&1 || fail "lstm train exited $? ($(tail -1 "$WORK/lstm.out"))"
"$LSNN" plot dynamics "$WORK/lstm/model.safetensors" --out "$WORK/lstm.png" > /dev/null 2>&1 && pass "dynamics of an LSTM" || fail "dynamics of an LSTM exited $?"
check_png "$WORK/lstm.png" 1200 1000
"$LSNN" plot connectivity "$WORK/lstm/model.safetensors" --out "$WORK/lstmc.png" > /dev/null 2> "$WORK/lstmc.err"
rc=$?
[ $rc -eq 1 ] && grep -q "non-spiking 'lstm'" "$WORK/lstmc.err" && pass "connectivity of an LSTM refused" || fail "connectivity of an LSTM: rc $rc, $(cat "$WORK/lstmc.err")"
"$LSNN" report "$WORK/lstm" > /dev/null 2> "$WORK/lstmr.err" && grep -q "Figure not drawn" "$WORK/lstm/report.html" && pass "report of an LSTM run" || fail "report of an LSTM run"

# Errors: one line, exit status 1, naming the problem.
expect_error() { # expect_error PATTERN ARGS...
  local pat=$1
  shift
  "$LSNN" "$@" > /dev/null 2> "$WORK/err"
  local rc=$?
  if [ $rc -eq 1 ] && [ "$(wc -l < "$WORK/err")" -eq 1 ] && grep -q -- "$pat" "$WORK/err"; then
    pass "error: $*"
  else
    fail "$* -> rc $rc: $(cat "$WORK/err")"
  fi
}
expect_error "unknown image format" plot dynamics "$M" --out "$WORK/x.jpg"
expect_error "no_such_dir/log.csv" plot curves "$WORK/no_such_dir" --out "$WORK/x.png"
expect_error "nope.safetensors" plot connectivity "$WORK/nope.safetensors" --out "$WORK/x.png"
expect_error "unknown kind" plot histogram "$M" --out "$WORK/x.png"
expect_error "need MODEL" plot dynamics --out "$WORK/x.png"
expect_error "expected an integer" plot dynamics "$M" --out "$WORK/x.png" --width 10
expect_error "not a run directory" report "$WORK/no_such_dir"
[ ! -e "$WORK/x.jpg" ] && [ ! -e "$WORK/x.png" ] && pass "no file written on error" || fail "a file was written on error"

for k in dynamics curves connectivity; do
  expect_ok "plot $k --help" "usage: lsnn plot $k" "$LSNN" plot "$k" --help
done
expect_ok "plot --help" "usage: lsnn plot" "$LSNN" plot --help
expect_ok "report --help" "usage: lsnn report" "$LSNN" report --help
expect_ok "help lists report" "report RUN_DIR" "$LSNN" help
finish
