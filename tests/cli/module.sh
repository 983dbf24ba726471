#!/usr/bin/env bash
# Spiking modules of seed 003: short real trainings of the softmax and K-winner-take-all RSNNs
# reach accuracies far above chance, and their tools (eval, plot, inspect) work on them; the
# fixed rate readout of a checkpoint is checked on load; a trained module embedded in an LSNN
# stays frozen through training and resume.
. "$(dirname "$0")/lib.sh"
# Under the sanitizers (CI's second build) the runs are cut short and only have to work: the
# accuracy thresholds are checked in the Release build.
SAN=${LSNN_SANITIZE:-0}
[ "$SAN" = 1 ] && { NSM=10; NKW=5; VAL=20; } || { NSM=300; NKW=250; VAL=200; }
# at_least NAME VALUE MIN: VALUE >= MIN (Release build only).
at_least() {
  if [ "$SAN" = 1 ]; then pass "$1 $2 (threshold not checked under the sanitizers)"
  elif awk -v a="$2" -v m="$3" 'BEGIN { exit !(a >= m) }'; then pass "$1 $2 >= $3"
  else fail "$1 $2 < $3"; fi
}

# softmax of 4 inputs: chance (arg-max right) is 0.25; 300 iterations give about 0.95.
"$LSNN" train "$SRC/configs/softmax.json" --set iterations=$NSM --set module.val_size=$VAL \
  --set eval_every=0 --out "$WORK/sm" > "$WORK/sm.log" 2>&1 || { fail "train softmax"; cat "$WORK/sm.log"; }
at_least "softmax accuracy" "$(result_value "$WORK/sm.log")" 0.85
M="$WORK/sm/model.safetensors"
"$LSNN" eval "$M" --test > "$WORK/ev.log" 2>&1 && grep -q '"split":"test"' "$WORK/ev.log" &&
  pass "eval --test of a softmax module" || { fail "eval --test"; cat "$WORK/ev.log"; }
# The hidden rate of the result (seed 003 Table 4.3) counted again from the spikes of
# `lsnn simulate` on the same validation sequence: neurons 0-49 over 300 steps of 1 ms.
"$LSNN" eval "$M" --set module.val_size=1 > "$WORK/ev1.log" 2>&1 &&
  "$LSNN" simulate "$M" --out "$WORK/sim1" > /dev/null 2>&1 || { fail "eval/simulate of one sequence"; cat "$WORK/ev1.log"; }
HID=$(result_field "$WORK/ev1.log" rate_hz_hidden)
CNT=$(awk -F, 'NR > 1 && $2 < 50 { h++ } END { printf "%.4g", h / (50 * 300) * 1000 }' "$WORK/sim1/spikes.csv")
awk -v a="$HID" -v b="$CNT" 'BEGIN { exit !(a != "" && (a - b) ^ 2 < 1e-6) }' &&
  pass "rate_hz_hidden $HID = the hidden spikes of lsnn simulate $CNT" ||
  fail "rate_hz_hidden '$HID' != the hidden spikes of lsnn simulate $CNT"
grep -q '"rate_hz_hidden":' "$WORK/sm/result.json" && pass "result.json has rate_hz_hidden" ||
  fail "result.json lacks rate_hz_hidden: $(cat "$WORK/sm/result.json")"
"$LSNN" inspect "$M" > "$WORK/in.log" 2>&1 && grep -q "readout: rates of 4 groups of 10 neurons (neurons 50 to 89)" "$WORK/in.log" &&
  pass "inspect names the rate readout" || { fail "inspect"; cat "$WORK/in.log"; }
"$LSNN" plot dynamics "$M" --out "$WORK/dyn.png" > /dev/null 2>&1 && [ -s "$WORK/dyn.png" ] &&
  pass "plot dynamics of a rate readout" || fail "plot dynamics"

# The rate readout is part of the structure: a checkpoint whose w_out or b_out differs is refused.
mutate "$M" "$WORK/wout.safetensors" 'put("w_out", 4 * 60 + 2, 100.0)'
expect_error "altered rate readout" "tensor 'w_out': entry (60, 2) = 100 is not the fixed rate readout" "$LSNN" eval "$WORK/wout.safetensors"
mutate "$M" "$WORK/bout.safetensors" 'put("b_out", 2, 0.5)'
expect_error "rate readout with a bias" "tensor 'b_out': entry 2 = 0.5" "$LSNN" eval "$WORK/bout.safetensors"
expect_error "softmax task without the rate readout" "network.readout: task \"softmax\"" \
  "$LSNN" train "$SRC/configs/softmax.json" --set network.readout=linear --out "$WORK/x"
expect_error "rate readout under e-prop" "network.readout: the losses on window-averaged rates need BPTT" \
  "$LSNN" train "$SRC/configs/softmax.json" --set learning=eprop --out "$WORK/x"
expect_error "rate readout on an LSTM" "the rate readout counts spikes" \
  "$LSNN" train "$SRC/configs/softmax.json" --set model=lstm --out "$WORK/x"
expect_error "output groups too large" "network.rate_group: 4 outputs x 30 neurons" \
  "$LSNN" train "$SRC/configs/softmax.json" --set network.rate_group=30 --out "$WORK/x"

# The module embedded, frozen, in an LSNN on store-recall with 4 values (seed 003 section 4.2.2).
E=(--set network.module="$M" --set batch_size=8 --set store_recall.n_symbols=4 --set store_recall.symbol_ms=50
   --set store_recall.val_size=8 --set eval_every=0)
"$LSNN" train "$SRC/configs/store_recall_softmax.json" "${E[@]}" --set iterations=3 --out "$WORK/e3" > "$WORK/e3.log" 2>&1 &&
  grep -q '^result: ' "$WORK/e3.log" && pass "store-recall with an embedded softmax module" ||
  { fail "train with an embedded module"; cat "$WORK/e3.log"; }
# After training, the module's weights in the run are still exactly the module's.
tensor() { # tensor FILE NAME: the bytes of one tensor, hex
  python3 - "$1" "$2" <<'PY'
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
o = json.loads(b[8:8 + n])[sys.argv[2]]["data_offsets"]
print(b[8 + n + o[0]:8 + n + o[1]].hex())
PY
}
[ "$(tensor "$WORK/e3/model.safetensors" w_m_in)" = "$(tensor "$M" w_in)" ] &&
  [ "$(tensor "$WORK/e3/model.safetensors" w_m_rec)" = "$(tensor "$M" w_rec)" ] &&
  [ "$(tensor "$WORK/e3/model.safetensors" w_pm)" != "" ] &&
  pass "the embedded module's weights are unchanged by training" ||
  fail "the embedded module's weights changed"
"$LSNN" train "$SRC/configs/store_recall_softmax.json" "${E[@]}" --set iterations=2 --out "$WORK/e2" > /dev/null 2>&1 &&
  "$LSNN" train "$SRC/configs/store_recall_softmax.json" "${E[@]}" --set iterations=3 --out "$WORK/e2" --resume > /dev/null 2>&1 &&
  cmp -s "$WORK/e2/model.safetensors" "$WORK/e3/model.safetensors" &&
  pass "stop and resume with an embedded module: byte-identical" || fail "resume with an embedded module"
"$LSNN" inspect "$WORK/e3/model.safetensors" > "$WORK/ie.log" 2>&1 &&
  grep -q "w_m_rec .*frozen" "$WORK/ie.log" && grep -q "sub-populations: X 150, R 20, A 20, M_in 40, M 90, Y 4" "$WORK/ie.log" &&
  pass "inspect shows the embedded module" || { fail "inspect of an embedded module"; cat "$WORK/ie.log"; }
expect_error "missing module file" "network.module: .*nothing.safetensors" \
  "$LSNN" train "$SRC/configs/store_recall_softmax.json" "${E[@]}" --set network.module="$WORK/nothing.safetensors" --out "$WORK/x"
expect_error "module with 4 outputs for 2 values" "has 4 outputs, but task 'store_recall' needs 2" \
  "$LSNN" train "$SRC/configs/store_recall_softmax.json" "${E[@]}" --set store_recall.n_values=2 --out "$WORK/x"
expect_error "a store-recall model as the module" "holds a model of task 'store_recall'; a module is" \
  "$LSNN" train "$SRC/configs/store_recall_softmax.json" "${E[@]}" --set network.module="$WORK/e3/model.safetensors" --out "$WORK/x"

# The module inside a sparse, signed network trained with DEEP R (seed 003 section 4.2.3): the
# module's populations stay unsigned, its weights frozen, DEEP R rewires the pool (w_in, w_rec)
# and keeps the synapse counts, and leaves w_pm (into the module's input neurons) dense.
S=(--set network.init=signed --set network.connectivity=0.3 --set deepr.enabled=true)
"$LSNN" train "$SRC/configs/store_recall_softmax.json" "${E[@]}" "${S[@]}" --set iterations=4 --out "$WORK/s4" > "$WORK/s4.log" 2>&1 &&
  grep -q '^result: ' "$WORK/s4.log" && pass "an embedded module in a signed DEEP R network trains" ||
  { fail "train with a module under DEEP R"; cat "$WORK/s4.log"; }
[ "$(tensor "$WORK/s4/model.safetensors" w_m_in)" = "$(tensor "$M" w_in)" ] &&
  [ "$(tensor "$WORK/s4/model.safetensors" w_m_rec)" = "$(tensor "$M" w_rec)" ] &&
  pass "under DEEP R the module's weights are unchanged" || fail "the module's weights changed under DEEP R"
"$LSNN" inspect "$WORK/s4/model.safetensors" > "$WORK/is.log" 2>&1
grep -qE "^  M_in +alif +40 neurons .*sign none" "$WORK/is.log" && grep -qE "^  M +alif +90 neurons .*sign none" "$WORK/is.log" &&
  grep -q "sub-populations: X_E [0-9]*, X_I [0-9]*, R_E [0-9]*, R_I [0-9]*, A_E [0-9]*, A_I [0-9]*, M_in 40, M 90, Y 4" "$WORK/is.log" &&
  pass "the module's populations stay unsigned in a signed network" || { fail "module populations signed"; cat "$WORK/is.log"; }
grep -qE "^  w_pm .*density 1.000, not rewired by DEEP R" "$WORK/is.log" &&
  grep -qE "^  w_in +1800 \(6000\)" "$WORK/is.log" && grep -qE "^  w_rec +468 \(1600\)" "$WORK/is.log" &&
  pass "DEEP R keeps the pool's synapse counts and leaves w_pm dense" || { fail "synapse counts under DEEP R"; cat "$WORK/is.log"; }
"$LSNN" train "$SRC/configs/store_recall_softmax.json" "${E[@]}" "${S[@]}" --set iterations=2 --out "$WORK/s2" > /dev/null 2>&1 &&
  "$LSNN" train "$SRC/configs/store_recall_softmax.json" "${E[@]}" "${S[@]}" --set iterations=4 --out "$WORK/s2" --resume > /dev/null 2>&1 &&
  cmp -s "$WORK/s2/model.safetensors" "$WORK/s4/model.safetensors" &&
  pass "stop and resume under DEEP R with a module: byte-identical" || fail "resume under DEEP R with a module"

# K-winner-take-all, K = 1 of 5 (hinge loss): all five outputs must lie on the right side of
# 20 Hz. Shorter sequences than the config's (200 steps, window from step 50) keep it quick.
"$LSNN" train "$SRC/configs/kwta.json" --set iterations=$NKW --set module.val_size=$VAL \
  --set module.steps=200 --set module.t_init=50 --set eval_every=0 --out "$WORK/kw" > "$WORK/kw.log" 2>&1 ||
  { fail "train kwta"; cat "$WORK/kw.log"; }
at_least "kwta accuracy" "$(result_value "$WORK/kw.log")" 0.7
finish
