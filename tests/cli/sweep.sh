#!/usr/bin/env bash
# lsnn sweep: seeds as parallel runs with statistics over their result.json; a second call skips
# the finished runs; a grid over a key with one Markdown row per value; a run killed after a
# checkpoint is reported as failed, resumed by the next call, and ends byte-identical to a run
# that was never interrupted; bad options are refused with one line.
. "$(dirname "$0")/lib.sh"

A=(--set alstm.p=5 --set alstm.sequential=false --set alstm.seq_threshold=10)
if "$LSNN" sweep "$SRC/configs/alstm_seq.json" --seeds 3 --jobs 2 "${A[@]}" --out "$WORK/s" > "$WORK/s.out" 2> "$WORK/s.err"; then
  grep -q '^| converged | 3 | 1 | 0 | 1 | 1 | 1 |$' "$WORK/s.out" && pass "3 runs, all converged" || fail "table: $(cat "$WORK/s.out")"
  grep -q '^| seed | 3 | 2 | 1 | 1 | 3 | 2 |$' "$WORK/s.out" && pass "seeds 1..3: mean 2, std 1, median 2" || fail "seed row"
  [ "$(grep -c '^sweep: started' "$WORK/s.err")" -eq 3 ] && pass "3 started" || fail "started: $(cat "$WORK/s.err")"
  grep -q '"groups": \[{"value": "", "stats": {"converged": {"n": 3' "$WORK/s/sweep.json" && pass "sweep.json" || fail "json: $(head -c 300 "$WORK/s/sweep.json")"
else
  fail "sweep: $(tail -3 "$WORK/s.err")"
fi
"$LSNN" sweep "$SRC/configs/alstm_seq.json" --seeds 3 "${A[@]}" --out "$WORK/s" > "$WORK/s2.out" 2> "$WORK/s2.err"
! grep -q '^sweep: started' "$WORK/s2.err" && grep -q "3 skipped as finished" "$WORK/s2.err" && pass "finished runs are skipped" || fail "rerun: $(cat "$WORK/s2.err")"
cmp -s "$WORK/s.out" "$WORK/s2.out" && pass "the same summary" || fail "summary changed"

# a grid, one row per value of the metric
"$LSNN" sweep "$SRC/configs/alstm_seq.json" --seeds 2 "${A[@]}" --grid alstm.p=4,6 --metric counted_asns --out "$WORK/g" > "$WORK/g.out" 2> "$WORK/g.err" \
  && grep -q '^| 4 | 5 +- 0 | 5 | 5 | 2 |$' "$WORK/g.out" && [ -s "$WORK/g/alstm.p=6/seed_2/result.json" ] \
  && pass "grid rows" || fail "grid: $(cat "$WORK/g.out" "$WORK/g.err")"

# killed after a checkpoint, then resumed
S=(--set iterations=4 --set batch_size=4 --set store_recall.n_symbols=3 --set store_recall.val_size=4 --set eval_every=2)
"$LSNN" train "$SRC/configs/store_recall.json" "${S[@]}" --set seed=1 --out "$WORK/ref" --quiet > /dev/null 2>&1 || fail "reference run"
LSNN_TEST_KILL_AFTER_CHECKPOINT=2 "$LSNN" sweep "$SRC/configs/store_recall.json" --seeds 1 "${S[@]}" --out "$WORK/k" > "$WORK/k.out" 2> "$WORK/k.err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "seed_1 failed" "$WORK/k.err" && pass "a killed run is reported (exit 1)" || fail "killed: rc $rc $(cat "$WORK/k.err")"
"$LSNN" sweep "$SRC/configs/store_recall.json" --seeds 1 "${S[@]}" --metric value --out "$WORK/k" > "$WORK/k2.out" 2> "$WORK/k2.err" \
  && grep -q "(resuming)" "$WORK/k2.err" && pass "resumed" || fail "resume: $(cat "$WORK/k2.err")"
cmp -s "$WORK/ref/model.safetensors" "$WORK/k/seed_1/model.safetensors" && pass "resumed run byte-identical" || fail "resumed model differs"

expect_error "no seeds" "--seeds N is required" "$LSNN" sweep "$SRC/configs/store_recall.json"
expect_error "bad grid" "expected KEY=V1,V2" "$LSNN" sweep "$SRC/configs/store_recall.json" --seeds 1 --grid lr
expect_error "bad grid value" "lr" "$LSNN" sweep "$SRC/configs/store_recall.json" --seeds 1 --grid lr=0.1,-1
expect_error "bad set" "no_such_key" "$LSNN" sweep "$SRC/configs/store_recall.json" --seeds 1 --set no_such_key=1
finish
