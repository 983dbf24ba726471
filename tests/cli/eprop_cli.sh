#!/usr/bin/env bash
# e-prop from the command line: lsnn demo synapse (CSV traces and the STDP signs of seed 004),
# a short e-prop training run with train/eval/resume (same model after resuming), and a longer
# one whose loss must fall.
. "$(dirname "$0")/lib.sh"

for m in alif stdp-alif izhikevich; do
  "$LSNN" demo synapse --neuron $m --out "$WORK/demo" > "$WORK/$m.out" 2>&1 || fail "demo $m exited $?"
done
"$LSNN" demo synapse --neuron izhikevich --clip --out "$WORK/demo" > "$WORK/izc.out" 2>&1 || fail "demo clip exited"
for f in synapse_alif synapse_stdp_alif synapse_izhikevich synapse_izhikevich_clipped; do
  [ "$(wc -l < "$WORK/demo/$f.csv")" -eq 401 ] && pass "$f.csv has 400 steps" || fail "$f.csv lines"
done
head -1 "$WORK/demo/synapse_alif.csv" | grep -qx 't,pre,post,v,a,eps_v,eps_a,e,dw' && pass "csv header" || fail "csv header"
grep -q 'weight change +[0-9.]* with post after pre.*, -[0-9.]* with pre after post' "$WORK/stdp-alif.out" \
  && pass "stdp-alif: potentiation then depression" || fail "stdp-alif signs: $(cat "$WORK/stdp-alif.out")"
grep -q 'weight change +[0-9.]* with post after pre.*, +[0-9.]* with pre after post' "$WORK/alif.out" \
  && pass "alif: potentiation for both orders" || fail "alif signs: $(cat "$WORK/alif.out")"
awk -F, 'NR > 1 && ($6 > 3 || $6 < -3 || $7 > 0.005 || $7 < -0.005) { bad = 1 } END { exit bad }' \
  "$WORK/demo/synapse_izhikevich_clipped.csv" && pass "clipped traces in range" || fail "clipped out of range"
expect_error "unknown model" "unknown neuron model 'hodgkin'" "$LSNN" demo synapse --neuron hodgkin --out "$WORK/demo"
expect_ok "demo --help" 'usage: lsnn demo synapse' "$LSNN" demo --help

# e-prop training: 6 iterations, then 3 + resume 3 must give the same model file.
CFG="$SRC/configs/store_recall_eprop.json"
SET="--set batch_size=16 --set store_recall.n_symbols=4 --set store_recall.symbol_ms=50 --set store_recall.group_size=4 --set store_recall.val_size=16 --set eval_every=0"
"$LSNN" train "$CFG" $SET --set iterations=6 --out "$WORK/a" > "$WORK/a.out" 2>&1 || fail "train exited $?"
grep -q '^result: ' "$WORK/a.out" && pass "e-prop train ran" || fail "no result: $(tail -3 "$WORK/a.out")"
"$LSNN" train "$CFG" $SET --set iterations=3 --out "$WORK/b" > /dev/null 2>&1 || fail "train 3 exited"
"$LSNN" train "$CFG" $SET --set iterations=6 --out "$WORK/b" --resume > /dev/null 2>&1 || fail "resume exited"
cmp -s "$WORK/a/model.safetensors" "$WORK/b/model.safetensors" && pass "resume is exact" || fail "resumed model differs"
# Adaptive feedback follows W_out's updates; a resumed run must recover it exactly too.
AD="--set eprop.feedback=adaptive"
"$LSNN" train "$CFG" $SET $AD --set iterations=6 --out "$WORK/f" > /dev/null 2>&1 || fail "adaptive train exited"
"$LSNN" train "$CFG" $SET $AD --set iterations=3 --out "$WORK/g" > /dev/null 2>&1 || fail "adaptive train 3 exited"
"$LSNN" train "$CFG" $SET $AD --set iterations=6 --out "$WORK/g" --resume > /dev/null 2>&1 || fail "adaptive resume exited"
cmp -s "$WORK/f/model.safetensors" "$WORK/g/model.safetensors" && pass "adaptive feedback: resume is exact" \
  || fail "adaptive resumed model differs"
# cmp: 1 = the files differ (2 = trouble, e.g. a missing file).
cmp -s "$WORK/a/model.safetensors" "$WORK/f/model.safetensors"
[ $? -eq 1 ] && pass "adaptive differs from symmetric" || fail "adaptive == symmetric (or a model is missing)"
"$LSNN" eval "$WORK/a/model.safetensors" > "$WORK/e.out" 2>&1 || fail "eval exited"
[ "$(result_value "$WORK/e.out")" = "$(result_value "$WORK/a.out")" ] && pass "eval reproduces the e-prop run" \
  || fail "eval $(result_value "$WORK/e.out") vs train $(result_value "$WORK/a.out")"
expect_error "e-prop with an LSTM is refused" "e-prop trains the spiking network" \
  "$LSNN" train "$CFG" $SET --set iterations=2 --set model=lstm --out "$WORK/d"

# e-prop learns: 30 iterations of 32 sequences. The mean loss of the last 8 rows of log.csv is
# below 0.9 times that of the first 8 (seen 0.78), and the validation loss below 0.9 times the
# untrained network's (a run of 0 iterations; seen 0.683 -> 0.421).
LEARN="--set batch_size=32 --set store_recall.n_symbols=4 --set store_recall.symbol_ms=50 --set store_recall.group_size=4 --set store_recall.val_size=32 --set eval_every=0"
"$LSNN" train "$CFG" $LEARN --set iterations=30 --out "$WORK/l" > "$WORK/l.out" 2>&1 || fail "30 iterations: exit $?"
"$LSNN" train "$CFG" $LEARN --set iterations=0 --out "$WORK/l0" > "$WORK/l0.out" 2>&1 || fail "0 iterations: exit $?"
loss_falls "e-prop training loss falls" "$WORK/l/log.csv" 8 0.9
val_loss_falls "e-prop validation loss falls" "$WORK/l0.out" "$WORK/l.out" 0.9
finish
