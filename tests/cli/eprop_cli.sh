#!/usr/bin/env bash
# e-prop from the command line: lsnn demo synapse (CSV traces and the STDP signs of seed 004),
# and a short e-prop training run with train/eval/resume (same model after resuming).
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
"$LSNN" demo synapse --neuron hodgkin --out "$WORK/demo" 2>&1 | grep -q "unknown neuron model 'hodgkin'" \
  && pass "unknown model error" || fail "unknown model"
"$LSNN" demo --help | grep -q 'usage: lsnn demo synapse' && pass "demo --help" || fail "demo --help"

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
cmp -s "$WORK/a/model.safetensors" "$WORK/f/model.safetensors" && fail "adaptive == symmetric" || pass "adaptive differs from symmetric"
"$LSNN" eval "$WORK/a/model.safetensors" > "$WORK/e.out" 2>&1 || fail "eval exited"
[ "$(result_value "$WORK/e.out")" = "$(result_value "$WORK/a.out")" ] && pass "eval reproduces the e-prop run" \
  || fail "eval $(result_value "$WORK/e.out") vs train $(result_value "$WORK/a.out")"
"$LSNN" train "$CFG" $SET --set iterations=2 --set model=lstm --out "$WORK/d" 2>&1 | grep -q "e-prop trains the spiking network" \
  && pass "e-prop with an LSTM is refused" || fail "lstm + eprop"
finish
