#!/usr/bin/env bash
# Spiking modules of seed 003: short real trainings of the softmax and K-winner-take-all RSNNs
# reach accuracies far above chance, and their tools (eval, plot, inspect) work on them; the
# fixed rate readout of a checkpoint is checked on load.
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
expect_error "output groups too large" "network.rate_group: 4 outputs x 30 neurons" \
  "$LSNN" train "$SRC/configs/softmax.json" --set network.rate_group=30 --out "$WORK/x"

# K-winner-take-all, K = 1 of 5 (hinge loss): all five outputs must lie on the right side of
# 20 Hz. Shorter sequences than the config's (200 steps, window from step 50) keep it quick.
"$LSNN" train "$SRC/configs/kwta.json" --set iterations=$NKW --set module.val_size=$VAL \
  --set module.steps=200 --set module.t_init=50 --set eval_every=0 --out "$WORK/kw" > "$WORK/kw.log" 2>&1 ||
  { fail "train kwta"; cat "$WORK/kw.log"; }
at_least "kwta accuracy" "$(result_value "$WORK/kw.log")" 0.7
finish
