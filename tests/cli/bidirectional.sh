#!/usr/bin/env bash
# network.bidirectional through the CLI: train, resume, eval, simulate and inspect a bidirectional
# network, and the clear error for e-prop.
. "$(dirname "$0")/lib.sh"
CFG="$SRC/configs/store_recall.json"
S=(--set network.bidirectional=true --set batch_size=4 --set store_recall.n_symbols=3
   --set store_recall.val_size=8 --set eval_every=0)

if "$LSNN" train "$CFG" "${S[@]}" --set iterations=4 --out "$WORK/full" > "$WORK/full.log" 2>&1 &&
   grep -q "in each of two directions (bidirectional)" "$WORK/full.log"; then
  pass "bidirectional training run"
else
  fail "bidirectional training run"; cat "$WORK/full.log"
fi
# Resuming from iteration 2 gives the uninterrupted run's model, byte for byte.
"$LSNN" train "$CFG" "${S[@]}" --set iterations=2 --out "$WORK/half" > /dev/null 2>&1 &&
  "$LSNN" train "$CFG" "${S[@]}" --set iterations=4 --out "$WORK/half" --resume > /dev/null 2>&1
if cmp -s "$WORK/full/model.safetensors" "$WORK/half/model.safetensors"; then
  pass "resumed bidirectional run equals the uninterrupted one"
else
  fail "resumed bidirectional run differs"
fi
if "$LSNN" eval "$WORK/full/model.safetensors" > "$WORK/eval.log" 2>&1 &&
   grep -q "accuracy" "$WORK/eval.log"; then
  pass "eval of a bidirectional model"
else
  fail "eval"; cat "$WORK/eval.log"
fi
# simulate: the task's 2 readouts (the two directions summed), the neurons of both directions.
if "$LSNN" simulate "$WORK/full/model.safetensors" --out "$WORK/sim" > "$WORK/sim.log" 2>&1 &&
   [ "$(head -1 "$WORK/sim/readout.csv")" = "t,y0,y1" ] &&
   head -1 "$WORK/sim/v.csv" | grep -q ",v79$"; then
  pass "simulate writes the summed readout and both directions' neurons"
else
  fail "simulate"; cat "$WORK/sim.log"; head -1 "$WORK/sim/readout.csv" "$WORK/sim/v.csv"
fi
"$LSNN" inspect "$WORK/full/model.safetensors" > "$WORK/inspect.log" 2>&1
if grep -q "R_bw" "$WORK/inspect.log" && grep -q "w_rec_bw" "$WORK/inspect.log"; then
  pass "inspect shows the backward direction"
else
  fail "inspect"; cat "$WORK/inspect.log"
fi
expect_error "e-prop refused" "network.bidirectional" \
  "$LSNN" train "$CFG" "${S[@]}" --set learning=eprop --out "$WORK/ep"
# A checkpoint and a config that disagree on the direction count: one clear line, exit 1.
"$LSNN" eval "$WORK/full/model.safetensors" --set network.bidirectional=false > /dev/null 2> "$WORK/mm.err"
rc=$?
if [ "$rc" -eq 1 ] && [ "$(wc -l < "$WORK/mm.err")" -eq 1 ] &&
   grep -q "model is bidirectional.*network.bidirectional = false" "$WORK/mm.err"; then
  pass "bidirectional model with a one-directional config: $(cat "$WORK/mm.err")"
else
  fail "mismatch not reported clearly (exit $rc): $(cat "$WORK/mm.err")"
fi
finish
