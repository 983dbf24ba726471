#!/usr/bin/env bash
# Task l2l through the CLI: a tiny learning-to-learn model trains, reports the metric mse, and
# `lsnn eval --curve` writes the squared error of each example index (its mean over the indices
# equals the reported mse, since every episode has the same examples); --curve refuses a
# classification model. `lsnn l2l` (the analysis with the baselines) agrees with eval on the LSNN's
# MSE of the same test episodes, writes its CSVs and figures, and refuses bad options and models.
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
if "$LSNN" eval "$WORK/m/model.safetensors" --test > "$WORK/evt.out" 2>&1 &&
   "$LSNN" l2l "$WORK/m/model.safetensors" --episodes 5 --ridge-fit 9 --probe-points 7 \
     --out "$WORK/an" > "$WORK/l2l.out" 2>&1; then
  v=$(result_value "$WORK/evt.out"); a=$(result_value "$WORK/l2l.out")
  awk -v a="$a" -v v="$v" 'BEGIN { d = a - v; if (d < 0) d = -d; exit !(d <= 1e-5 * (v > 1 ? v : 1)) }' \
    && pass "l2l analysis MSE equals eval --test ($a)" || fail "l2l analysis $a vs eval $v"
  for f in l2l_curve.csv l2l_episodes.csv l2l_probe.csv l2l_curves.svg l2l_internal.svg; do
    [ -s "$WORK/an/$f" ] || fail "l2l analysis did not write $f"
  done
  [ "$(($(wc -l < "$WORK/an/l2l_curve.csv") - 1))" -eq 12 ] && pass "analysis curve: 12 rows" || fail "analysis curve rows"
  # probes after 1, 2, 5 and 10 examples (20 is past the 12 examples) x 7 points x 5 episodes
  [ "$(($(wc -l < "$WORK/an/l2l_probe.csv") - 1))" -eq 140 ] && pass "probe rows (5 x 4 x 7)" || fail "probe rows: $(wc -l < "$WORK/an/l2l_probe.csv")"
  grep -q "ridge regression, 9 fitted / 3 tested" "$WORK/l2l.out" && pass "ridge split printed" || fail "no ridge line: $(cat "$WORK/l2l.out")"
else
  fail "l2l analysis: $(tail -2 "$WORK/l2l.out" "$WORK/evt.out" 2>/dev/null)"
fi
expect_error "l2l ridge split too large" "the 12 examples of an episode" "$LSNN" l2l "$WORK/m/model.safetensors" --ridge-fit 12
expect_error "l2l one probe point" "at least 2" "$LSNN" l2l "$WORK/m/model.safetensors" --probe-points 1
expect_error "l2l bad format" "not svg, png or pdf" "$LSNN" l2l "$WORK/m/model.safetensors" --format gif
"$LSNN" train "$SRC/configs/store_recall.json" --set iterations=1 --set batch_size=2 \
  --set store_recall.n_symbols=3 --set store_recall.val_size=2 --out "$WORK/c" --quiet > /dev/null 2>&1 || fail "setup"
expect_error "curve of a classifier" "has no per-example squared error" "$LSNN" eval "$WORK/c/model.safetensors" --curve "$WORK/x.csv"
[ -e "$WORK/x.csv" ] && fail "a refused curve left a file" || pass "no file for a refused curve"
expect_error "l2l analysis of another task" "trained on 'store_recall'" "$LSNN" l2l "$WORK/c/model.safetensors"
expect_error "l2l with e-prop" "task \"l2l\"" "$LSNN" train "$SRC/configs/l2l_sine.json" --set learning=eprop --set loss.rate_reg=0 --set chunk=0
finish
