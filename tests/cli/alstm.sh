#!/usr/bin/env bash
# Model "alstm" (seed 002's adaptive LSTM) through `lsnn train`: a run writes its log, model and
# result; a network that meets an easy criterion is converted to spikes and tested, and the
# spiking outputs follow the analog ones; the T-maze runs the RL-LSTM; the run's options and
# other commands refuse what does not apply, with one line.
. "$(dirname "$0")/lib.sh"

field() { sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" "$1"; }

if "$LSNN" train "$SRC/configs/alstm_seq.json" --set alstm.p=5 --set alstm.sequential=false \
     --set alstm.seq_threshold=10 --out "$WORK/seq" > "$WORK/seq.out" 2>&1; then
  r="$WORK/seq/result.json"
  [ "$(field "$r" converged)" = 1 ] && [ "$(field "$r" iterations)" = 100 ] && pass "converges at the window (100 trials)" || fail "result: $(cat "$r")"
  [ "$(field "$r" spiking_tested)" = 1 ] && pass "converted and tested" || fail "not tested: $(cat "$r")"
  a=$(field "$r" analog_score); s=$(field "$r" spiking_score)
  awk -v a="$a" -v s="$s" 'BEGIN { d = a - s; if (d < 0) d = -d; exit !(d < 0.1) }' && pass "spiking worst error $s near analog $a" || fail "spiking $s vs analog $a"
  rate=$(field "$r" rate_hz)
  awk -v r="$rate" 'BEGIN { exit !(r > 1 && r < 500) }' && pass "rate $rate Hz" || fail "rate '$rate'"
  [ -s "$WORK/seq/model.safetensors" ] && [ "$(head -1 "$WORK/seq/log.csv")" = "iteration,mean_error,cells_on" ] && pass "model and log" || fail "files"
else
  fail "seq: $(tail -3 "$WORK/seq.out")"
fi
if "$LSNN" train "$SRC/configs/alstm_tmaze.json" --set alstm.budget=3000 --set alstm.tmaze_threshold=-1000 \
     --set alstm.test_trials=3 --set alstm.episode_cap=30 --out "$WORK/tm" > "$WORK/tm.out" 2>&1; then
  r="$WORK/tm/result.json"
  [ "$(field "$r" spiking_tested)" = 1 ] && [ "$(field "$r" counted_asns)" = 27 ] && pass "T-maze: 27 counted ASNs" || fail "tmaze result: $(cat "$r")"
  grep -q '^result: {"task":"alstm_tmaze"' "$WORK/tm.out" && pass "result line" || fail "no result line"
else
  fail "tmaze: $(tail -3 "$WORK/tm.out")"
fi
"$LSNN" train "$SRC/configs/alstm_seq.json" --set alstm.budget=300 --out "$WORK/nc" > "$WORK/nc.out" 2>&1
grep -q "not converged after 300 trials" "$WORK/nc.out" && grep -q "not tested" "$WORK/nc.out" && pass "an unconverged network is not converted" || fail "budget: $(cat "$WORK/nc.out")"
expect_error "resume" "has no --resume" "$LSNN" train "$SRC/configs/alstm_seq.json" --resume --out "$WORK/r"
expect_error "bad task" "must be one of: seq_prediction, tmaze" "$LSNN" train "$SRC/configs/alstm_seq.json" --set alstm.task=foo
expect_error "eval of an alstm model" "not an lsnn checkpoint" "$LSNN" eval "$WORK/seq/model.safetensors"
finish
