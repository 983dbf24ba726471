#!/usr/bin/env bash
# Acceptance (e-prop): store-recall with 2 values trained by e-prop (configs/store_recall_eprop.json,
# 200 iterations of 64 sequences) reaches >= 0.90 validation accuracy.
. "$(dirname "$0")/lib.sh"
start=$(date +%s)
"$LSNN" train "$SRC/configs/store_recall_eprop.json" --out "$WORK/run" > "$WORK/out" 2>&1 || fail "train exited $?"
tail -3 "$WORK/out"
v=$(result_value "$WORK/out")
echo "store-recall 2 values, e-prop: validation accuracy $v in $(( $(date +%s) - start )) s"
awk -v v="$v" 'BEGIN { exit !(v >= 0.90) }' && pass "accuracy $v >= 0.90" || fail "accuracy $v < 0.90"
finish
