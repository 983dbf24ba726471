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
expect_error "final targets with BPTT" 'alstm.seq_targets "final" trains with alstm.update "rtrl" only' "$LSNN" train "$SRC/configs/alstm_seq_noisy_final.json" --set alstm.update=bptt --set alstm.sequential=false --out "$WORK/fb"
expect_error "eval of an alstm model" "an adaptive-LSTM model: see lsnn alstm --help" "$LSNN" eval "$WORK/seq/model.safetensors"

# lsnn alstm eval: the run's test again, the same numbers; other conversion settings change them
if "$LSNN" alstm eval "$WORK/seq/model.safetensors" > "$WORK/ev.out" 2>&1; then
  e="$WORK/ev.out"; r="$WORK/seq/result.json"
  [ "$(field "$e" spiking_score)" = "$(field "$r" spiking_score)" ] && [ "$(field "$e" analog_score)" = "$(field "$r" analog_score)" ] && [ "$(field "$e" spikes)" = "$(field "$r" spikes)" ] && pass "alstm eval repeats the run's test" || fail "eval $(cat "$e") vs run $(cat "$r")"
  "$LSNN" alstm eval "$WORK/seq/model.safetensors" --set alstm.window_ms=100 > "$WORK/ev2.out" 2>&1
  [ "$(field "$WORK/ev2.out" window_ms)" = 100 ] && [ "$(field "$WORK/ev2.out" spiking_score)" != "$(field "$e" spiking_score)" ] && [ "$(field "$WORK/ev2.out" analog_score)" = "$(field "$e" analog_score)" ] && pass "--set alstm.window_ms=100 changes the spiking score only" || fail "window 100: $(cat "$WORK/ev2.out")"
  "$LSNN" alstm eval "$WORK/seq/model.safetensors" --spike-seeds 3 > "$WORK/ev3.out" 2> "$WORK/ev3.err"
  pr=$(field "$WORK/ev3.out" spiking_pass_rate)
  [ "$(field "$WORK/ev3.out" spiking_score)" = "$(field "$r" spiking_score)" ] && [ "$(grep -c '^spike seed [012]: \(pass\|fail\), worst error' "$WORK/ev3.err")" = 3 ] &&
    awk -v p="$pr" 'BEGIN { exit !(p == 0 || (p - 1/3) ^ 2 < 1e-9 || (p - 2/3) ^ 2 < 1e-9 || p == 1) }' &&
    pass "--spike-seeds 3: the run's seed first, a pass rate in thirds ($pr)" || fail "spike seeds: $(cat "$WORK/ev3.out" "$WORK/ev3.err")"
else
  fail "alstm eval: $(cat "$WORK/ev.out")"
fi
# lsnn alstm trace: the traced sequence's scores are the test's, the CSVs have their rows
if "$LSNN" alstm trace "$WORK/seq/model.safetensors" --out "$WORK/trace" --index 1 --last 3 > "$WORK/trace.out" 2>&1; then
  t="$WORK/trace.out"
  [ "$(field "$t" steps)" = 5 ] && [ "$(field "$t" target)" = 5 ] && pass "trace: 5 steps, target y" || fail "trace: $(cat "$t")"
  [ "$(wc -l < "$WORK/trace/alstm_trace_analog.csv")" = 6 ] && [ "$(wc -l < "$WORK/trace/alstm_trace_spiking.csv")" = 1001 ] && pass "trace CSVs: 5 steps, 1000 ms" || fail "trace CSV rows"
  head -1 "$WORK/trace/alstm_trace_analog.csv" | grep -q '^step,input,o_0,o_1,o_2,o_3,o_4,o_5,s_0$' && pass "analog CSV header" || fail "header: $(head -1 "$WORK/trace/alstm_trace_analog.csv")"
  [ -s "$WORK/trace/alstm_outputs.svg" ] && [ -s "$WORK/trace/alstm_cec.svg" ] && pass "Figs. 4 and 6 written" || fail "figures"
  # the worse of the two sequences' scores is the test's
  "$LSNN" alstm trace "$WORK/seq/model.safetensors" --out "$WORK/trace0" > "$WORK/trace0.out" 2>&1
  w=$(awk -v a="$(field "$t" spiking_score)" -v b="$(field "$WORK/trace0.out" spiking_score)" 'BEGIN { print (a > b ? a : b) }')
  awk -v a="$w" -v b="$(field "$WORK/seq/result.json" spiking_score)" 'BEGIN { d = a - b; exit !(d < 1e-5 && d > -1e-5) }' && pass "traces' worst spiking error $w is the test's" || fail "traces $w vs result $(field "$WORK/seq/result.json" spiking_score)"
else
  fail "alstm trace: $(cat "$WORK/trace.out")"
fi
if "$LSNN" alstm trace "$WORK/tm/model.safetensors" --out "$WORK/tmtrace" --format png > "$WORK/tmtrace.out" 2>&1; then
  head -1 "$WORK/tmtrace/alstm_trace_spiking.csv" | grep -q '^t_ms,window,action,o_0,o_1,o_2,o_3,cec_0,cec_1,cec_2$' && [ -s "$WORK/tmtrace/alstm_outputs.png" ] && pass "T-maze trace: four Q-values, three carousels" || fail "tmaze trace: $(head -1 "$WORK/tmtrace/alstm_trace_spiking.csv")"
else
  fail "alstm trace tmaze: $(cat "$WORK/tmtrace.out")"
fi
# the three test episodes' returns, analog and spiking, average to the run's scores
sa=0; ss=0
for i in 0 1 2; do
  "$LSNN" alstm trace "$WORK/tm/model.safetensors" --out "$WORK/tmt$i" --index $i > "$WORK/tmt$i.out" 2>&1 || fail "trace episode $i"
  sa=$(awk -v s="$sa" -v v="$(field "$WORK/tmt$i.out" analog_score)" 'BEGIN { print s + v / 3 }')
  ss=$(awk -v s="$ss" -v v="$(field "$WORK/tmt$i.out" spiking_score)" 'BEGIN { print s + v / 3 }')
done
r="$WORK/tm/result.json"
awk -v a="$sa" -v b="$(field "$r" analog_score)" -v c="$ss" -v d="$(field "$r" spiking_score)" \
  'BEGIN { exit !((a - b) ^ 2 < 1e-8 && (c - d) ^ 2 < 1e-8) }' && pass "T-maze traces' mean returns $sa, $ss are the test's" || fail "traces $sa $ss vs $(cat "$r")"
expect_error "trace index" "index 2 is out of range: the task has 2 test sequences" "$LSNN" alstm trace "$WORK/seq/model.safetensors" --out "$WORK/t2" --index 2
"$LSNN" train "$SRC/configs/store_recall.json" --set iterations=0 --set store_recall.val_size=4 --out "$WORK/sr" > /dev/null 2>&1 || fail "store-recall model"
expect_error "eval of a spiking checkpoint" "not an adaptive-LSTM model" "$LSNN" alstm eval "$WORK/sr/model.safetensors"
expect_error "spike seeds of a trace" "--spike-seeds is for eval" "$LSNN" alstm trace "$WORK/seq/model.safetensors" --out "$WORK/t3" --spike-seeds 2
expect_error "trace needs --out" "--out DIR is required" "$LSNN" alstm trace "$WORK/seq/model.safetensors"
expect_error "shape change" "tensor 'params'" "$LSNN" alstm eval "$WORK/seq/model.safetensors" --set alstm.n_cells=2
finish
