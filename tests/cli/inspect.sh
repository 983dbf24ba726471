#!/usr/bin/env bash
# lsnn inspect: sub-populations, parameter counts "active (full)", connection probabilities and
# sign statistics of a sparse, sign-constrained DEEP R model; no Dale's-law violations.
. "$(dirname "$0")/lib.sh"
CFG="$SRC/configs/store_recall_sparse.json"
"$LSNN" train "$CFG" --set iterations=5 --set batch_size=16 --set store_recall.n_symbols=4 \
  --set store_recall.val_size=16 --out "$WORK/m" > "$WORK/train.out" 2>&1 || fail "train exited $?"
"$LSNN" inspect "$WORK/m/model.safetensors" > "$WORK/i.out" 2>&1 || fail "inspect exited $?"
grep -q '^sub-populations: X_E 75, X_I 25,' "$WORK/i.out" && pass "input signs 75/25" || fail "sub-populations: $(grep sub-pop "$WORK/i.out")"
grep -q '^parameters: [0-9]* active (full 5682)' "$WORK/i.out" && pass "parameter counts" || fail "no parameter line"
grep -q '^connection probability' "$WORK/i.out" && pass "connection table" || fail "no connection table"
grep -q "^Dale's law violations: 0$" "$WORK/i.out" && pass "no Dale violations" || fail "Dale violations"
"$LSNN" inspect --help | grep -q 'usage: lsnn inspect' && pass "inspect --help" || fail "inspect --help"
"$LSNN" inspect > /dev/null 2>&1 && fail "inspect without a model succeeded" || pass "missing model is an error"
"$LSNN" inspect "$WORK/nonexistent.safetensors" 2>&1 | grep -q '^lsnn: ' && pass "bad path error" || fail "bad path"
finish
