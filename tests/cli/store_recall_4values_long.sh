#!/usr/bin/env bash
# Acceptance: store-recall with 4 values reaches >= 0.90 validation accuracy. The first 250 of the
# config's 400 iterations (measured: 0.845 at 100, 0.977 at 150, 0.948 at 200, 0.987 at 250), to
# keep the suite short.
. "$(dirname "$0")/lib.sh"
start=$(date +%s)
"$LSNN" train "$SRC/configs/store_recall_4values.json" --set iterations=250 --out "$WORK/run" > "$WORK/out" 2>&1 || fail "train exited $?"
tail -3 "$WORK/out"
v=$(result_value "$WORK/out")
echo "store-recall 4 values: validation accuracy $v in $(( $(date +%s) - start )) s"
awk -v v="$v" 'BEGIN { exit !(v >= 0.90) }' && pass "accuracy $v >= 0.90" || fail "accuracy $v < 0.90"
finish
