#!/usr/bin/env bash
# lsnn inspect: sub-populations, parameter counts "active (full)", connection probabilities and
# sign statistics of a sparse, sign-constrained DEEP R model; no Dale's-law violations. The
# printed probabilities of untrained networks of known connectivity: 0.2 per matrix (the
# probabilities of each matrix's blocks, weighted by their possible synapses, give 0.2 within the
# printed rounding) and 1 (every block 1.000).
. "$(dirname "$0")/lib.sh"
CFG="$SRC/configs/store_recall_sparse.json"
"$LSNN" train "$CFG" --set iterations=5 --set batch_size=16 --set store_recall.n_symbols=4 \
  --set store_recall.val_size=16 --out "$WORK/m" > "$WORK/train.out" 2>&1 || fail "train exited $?"
"$LSNN" inspect "$WORK/m/model.safetensors" > "$WORK/i.out" 2>&1 || fail "inspect exited $?"
grep -q '^sub-populations: X_E 75, X_I 25,' "$WORK/i.out" && pass "input signs 75/25" || fail "sub-populations: $(grep sub-pop "$WORK/i.out")"
grep -q '^parameters: [0-9]* active (full 5682)' "$WORK/i.out" && pass "parameter counts" || fail "no parameter line"
grep -q '^connection probability' "$WORK/i.out" && pass "connection table" || fail "no connection table"
grep -q "^Dale's law violations: 0$" "$WORK/i.out" && pass "no Dale violations" || fail "Dale violations"

# check_probabilities FILE P: the table of FILE against connectivity P per matrix. Prints the
# weighted probability of each matrix; fails when one is off by more than the rounding of the
# printed values (0.0005) or, for P = 1, when a block is not 1.000.
check_probabilities() {
  python3 - "$1" "$2" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
p = float(sys.argv[2])
size = {}
for l in lines:
    if l.startswith("sub-populations: "):
        for part in l[len("sub-populations: "):].split(", "):
            name, n = part.split()
            size[name] = int(n)
i = next(k for k, l in enumerate(lines) if l.startswith("connection probability"))
cols = lines[i + 1].split()
agg = {}  # matrix -> [sum p * possible, possible]
bad = []
for l in lines[i + 2:]:
    if not l.strip():
        break
    row, *vals = l.split()
    assert len(vals) == len(cols), l
    for col, v in zip(cols, vals):
        possible = size[row] * size[col] - (size[row] if row == col else 0)
        if v == "-":
            if possible != 0 and not (row.startswith("X") and col == "Y"):
                bad.append(f"{row}->{col}: '-' for {possible} possible synapses")
            continue
        m = "w_out" if col == "Y" else "w_in" if row.startswith("X") else "w_rec"
        a = agg.setdefault(m, [0.0, 0])
        a[0] += float(v) * possible
        a[1] += possible
        if p == 1 and v != "1.000":
            bad.append(f"{row}->{col}: {v}, expected 1.000")
for m in ("w_in", "w_rec", "w_out"):
    s, n = agg.get(m, [0.0, 0])
    q = s / n if n else float("nan")
    print(f"{m}: {q:.5f} over {n} possible synapses")
    if not abs(q - p) <= 0.0005 + 1e-9:
        bad.append(f"{m}: weighted probability {q:.5f}, expected {p} (+-0.0005)")
for b in bad:
    print("bad:", b)
sys.exit(1 if bad else 0)
PY
}
for c in 0.2 1; do
  "$LSNN" train "$CFG" --set iterations=0 --set store_recall.n_symbols=2 --set store_recall.val_size=4 \
    --set deepr.enabled=false --set network.global_connectivity=false --set network.connectivity=$c \
    --out "$WORK/c$c" > "$WORK/c$c.train" 2>&1 || fail "untrained model, connectivity $c: exit $?"
  "$LSNN" inspect "$WORK/c$c/model.safetensors" > "$WORK/c$c.out" 2>&1 || fail "inspect, connectivity $c: exit $?"
  if check_probabilities "$WORK/c$c.out" $c > "$WORK/c$c.check" 2>&1; then
    pass "connectivity $c: $(tr '\n' ' ' < "$WORK/c$c.check")"
  else
    fail "connectivity $c: $(cat "$WORK/c$c.check")"; sed -n '/^connection/,/^$/p' "$WORK/c$c.out"
  fi
done
# Per matrix, exactly round(0.2 x possible) synapses: 800 of 4000, 312 of 1560 (no diagonal), 16 of 80.
grep -Eq '^  w_in +800 \(4000\)$' "$WORK/c0.2.out" && grep -Eq '^  w_rec +312 \(1600\)$' "$WORK/c0.2.out" &&
  grep -Eq '^  w_out +16 \(80\)$' "$WORK/c0.2.out" && pass "connectivity 0.2: synapse counts per matrix" ||
  fail "connectivity 0.2: synapse counts: $(grep -E '^  w_' "$WORK/c0.2.out" | tr '\n' ' ')"

expect_ok "inspect --help" 'usage: lsnn inspect' "$LSNN" inspect --help
expect_error "inspect without a model" '^lsnn: ' "$LSNN" inspect
expect_error "inspect of a missing file" '^lsnn: .*nonexistent.safetensors' "$LSNN" inspect "$WORK/nonexistent.safetensors"
finish
