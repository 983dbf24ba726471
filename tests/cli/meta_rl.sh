#!/usr/bin/env bash
# Task meta_rl with learning ppo through the CLI: a tiny agent trains and reports goals per
# episode; `lsnn meta-rl` compares it with a random walk and writes its CSVs; mismatched task and
# rule, and models of other tasks, are refused with a message.
. "$(dirname "$0")/lib.sh"

S=(--set iterations=2 --set batch_size=2 --set meta_rl.steps=200 --set meta_rl.val_size=2
   --set eval_every=0 --set deepr.enabled=false --set network.connectivity=1)
if "$LSNN" train "$SRC/configs/meta_rl.json" "${S[@]}" --out "$WORK/m" > "$WORK/train.out" 2>&1; then
  grep -q '"metric":"goals"' "$WORK/train.out" && pass "meta_rl trains and reports goals" || fail "metric: $(tail -1 "$WORK/train.out")"
else
  fail "meta_rl train: $(tail -3 "$WORK/train.out")"
fi
if "$LSNN" meta-rl "$WORK/m/model.safetensors" --episodes 3 --out "$WORK/an" > "$WORK/an.out" 2>&1; then
  grep -q "goals per episode" "$WORK/an.out" && pass "agent vs random walk printed" || fail "no summary: $(cat "$WORK/an.out")"
  [ "$(($(wc -l < "$WORK/an/meta_rl_episodes.csv") - 1))" -eq 3 ] && pass "one row per episode" || fail "episodes.csv rows"
  # paths: 3 episodes x 2 agents x 200 steps
  [ "$(($(wc -l < "$WORK/an/meta_rl_paths.csv") - 1))" -eq 1200 ] && pass "paths of both agents" || fail "paths rows: $(wc -l < "$WORK/an/meta_rl_paths.csv")"
  grep -q '"walk_goals":' "$WORK/an.out" && pass "result line" || fail "no result line"
  [ -s "$WORK/an/meta_rl_paths.svg" ] && pass "paths figure" || fail "no paths figure"
else
  fail "meta-rl analysis: $(tail -3 "$WORK/an.out")"
fi
expect_error "meta_rl with bptt" "set learning to \"ppo\"" "$LSNN" train "$SRC/configs/meta_rl.json" --set learning=bptt
expect_error "ppo without an environment" "set task to \"meta_rl\"" "$LSNN" train "$SRC/configs/store_recall.json" --set learning=ppo
expect_error "goal ring outside" "goal_ring" "$LSNN" train "$SRC/configs/meta_rl.json" --set meta_rl.goal_ring=1.5
"$LSNN" train "$SRC/configs/store_recall.json" --set iterations=1 --set batch_size=2 \
  --set store_recall.n_symbols=3 --set store_recall.val_size=2 --out "$WORK/c" --quiet > /dev/null 2>&1 || fail "setup"
expect_error "meta-rl of another task" "trained on 'store_recall'" "$LSNN" meta-rl "$WORK/c/model.safetensors"
finish
