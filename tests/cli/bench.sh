#!/usr/bin/env bash
# lsnn bench on tiny sizes: the synapse counts of masked networks against their closed forms, and
# no synaptic events when nothing spikes.
. "$(dirname "$0")/lib.sh"
B=(--batch 2 --steps 20 --repeat 1 --set network.init=signed --set network.connectivity=0.12)

# Per-matrix connectivity: round(0.12 x size) in each matrix (w_rec without its diagonal).
if "$LSNN" bench "${B[@]}" > "$WORK/per.log" 2>&1 &&
   grep -q "^synapses: w_in 2112, w_rec 5782, w_out 264; 8158 in all$" "$WORK/per.log"; then
  pass "synapses per matrix: 0.12 x 17600, 0.12 x 48180, 0.12 x 2200"
else
  fail "synapses per matrix"; cat "$WORK/per.log"
fi
# One global level: round(0.12 x 67980) = 8158 in all, however the matrices share them.
if "$LSNN" bench "${B[@]}" --kernels sparse --set network.global_connectivity=true \
     > "$WORK/glob.log" 2>&1 &&
   awk '/^synapses:/ { gsub(/[,;]/, ""); s = $3 + $5 + $7; ok = (s == $8 && $8 == 8158) }
        END { exit !ok }' "$WORK/glob.log"; then
  pass "global connectivity: the matrices' synapses add up to 8158"
else
  fail "global connectivity synapse count"; cat "$WORK/glob.log"
fi
# No input spikes: nothing spikes, and no synapse is reached.
if "$LSNN" bench "${B[@]}" --kernels sparse --input-rate 0 > "$WORK/zero.log" 2>&1 &&
   awk '$2 == "sparse" { ok = ($6 == 0 && $7 == 0) } END { exit !ok }' "$WORK/zero.log"; then
  pass "no input spikes: zero synaptic events and rate"
else
  fail "no input spikes"; cat "$WORK/zero.log"
fi
# e-prop: the iteration is an e-prop pass, on both kernels.
if "$LSNN" bench "${B[@]}" --set learning=eprop > "$WORK/eprop.log" 2>&1 &&
   grep -q ", e-prop$" "$WORK/eprop.log" &&
   awk '$2 == "dense" || $2 == "sparse" { n++; ok += ($4 > 0 && $7 > 0) } END { exit !(n == 2 && ok == 2) }' \
     "$WORK/eprop.log"; then
  pass "e-prop iterations timed on both kernels"
else
  fail "e-prop bench"; cat "$WORK/eprop.log"
fi
# A dense network prints no synapse line.
if "$LSNN" bench --batch 2 --steps 20 --repeat 1 > "$WORK/dense.log" 2>&1 &&
   ! grep -q "^synapses:" "$WORK/dense.log" && grep -q "dense" "$WORK/dense.log"; then
  pass "dense network: no synapse line"
else
  fail "dense network bench"; cat "$WORK/dense.log"
fi
finish
