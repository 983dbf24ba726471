#!/usr/bin/env bash
# Task l2l through the CLI: a tiny learning-to-learn model trains, reports the metric mse, and
# `lsnn eval --curve` writes the squared error of each example index (its mean over the indices
# equals the reported mse, since every episode has the same examples); --curve refuses a
# classification model.
. "$(dirname "$0")/lib.sh"

S=(--set iterations=2 --set batch_size=3 --set l2l.steps=12 --set l2l.val_size=5 --set eval_every=0
   --set network.w0=3)
if "$LSNN" train "$SRC/configs/l2l_sine.json" "${S[@]}" --out "$WORK/m" > "$WORK/train.out" 2>&1; then
  grep -q '"metric":"mse"' "$WORK/train.out" && pass "l2l trains and reports mse" || fail "l2l metric: $(tail -1 "$WORK/train.out")"
else
  fail "l2l train: $(tail -1 "$WORK/train.out")"
fi
if "$LSNN" eval "$WORK/m/model.safetensors" --curve "$WORK/curve.csv" > "$WORK/eval.out" 2>&1; then
  v=$(result_value "$WORK/eval.out")
  rows=$(($(wc -l < "$WORK/curve.csv") - 1))
  [ "$rows" -eq 12 ] && pass "curve has one row per example (12)" || fail "curve rows: $rows"
  awk -F, -v v="$v" 'NR > 1 { s += $2; n++; if ($4 != 5) bad = 1 }
      END { m = s / n; d = m - v; if (d < 0) d = -d; exit !(n == 12 && !bad && d <= 1e-6 * (v > 1 ? v : 1)) }' \
    "$WORK/curve.csv" && pass "curve mean equals the metric ($v)" || fail "curve mean vs metric $v: $(head -3 "$WORK/curve.csv" | tr '\n' ' ')"
  grep -q "+- .* over 5 sequences" "$WORK/eval.out" && pass "mean +- std over episodes printed" || fail "no per-sequence summary"
else
  fail "l2l eval: $(tail -1 "$WORK/eval.out")"
fi
"$LSNN" train "$SRC/configs/store_recall.json" --set iterations=1 --set batch_size=2 \
  --set store_recall.n_symbols=3 --set store_recall.val_size=2 --out "$WORK/c" --quiet > /dev/null 2>&1 || fail "setup"
expect_error "curve of a classifier" "has no per-example squared error" "$LSNN" eval "$WORK/c/model.safetensors" --curve "$WORK/x.csv"
[ -e "$WORK/x.csv" ] && fail "a refused curve left a file" || pass "no file for a refused curve"
expect_error "l2l with e-prop" "task \"l2l\"" "$LSNN" train "$SRC/configs/l2l_sine.json" --set learning=eprop --set loss.rate_reg=0
finish
