#!/usr/bin/env bash
# Acceptance: the embedded default (store-recall, 2 values) reaches >= 0.95 validation accuracy.
. "$(dirname "$0")/lib.sh"
start=$(date +%s)
"$LSNN" train "$SRC/configs/store_recall.json" --out "$WORK/run" > "$WORK/out" 2>&1 || fail "train exited $?"
tail -3 "$WORK/out"
v=$(result_value "$WORK/out")
echo "store-recall 2 values: validation accuracy $v in $(( $(date +%s) - start )) s"
awk -v v="$v" 'BEGIN { exit !(v >= 0.95) }' && pass "accuracy $v >= 0.95" || fail "accuracy $v < 0.95"
finish
