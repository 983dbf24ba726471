#!/usr/bin/env bash
# Graph networks from configs (network.populations / network.projections): the mixed-model config
# trains with BPTT and with e-prop; `lsnn inspect` shows populations and parameter ranges of the
# seed-000 networks; bad graphs are refused naming the entry; a checkpoint of the earlier format
# (lsnn-1: neuron.<parameter> over all neurons) loads and converts to the same model.
. "$(dirname "$0")/lib.sh"

S=(--set iterations=2 --set batch_size=4 --set store_recall.n_symbols=3 --set store_recall.val_size=4
   --set eval_every=0)
for rule in bptt eprop; do
  if "$LSNN" train "$SRC/configs/network_mixed.json" "${S[@]}" --set learning=$rule \
       --out "$WORK/mixed-$rule" > "$WORK/mixed-$rule.out" 2>&1; then
    v=$(result_field "$WORK/mixed-$rule.out" val_loss)
    if awk -v v="$v" 'BEGIN { exit !(v != "" && v + 0 == v + 0 && v + 0 > 0 && v + 0 < 100) }'; then
      pass "mixed ALIF / STDP-ALIF / Izhikevich network trains with $rule (val_loss $v)"
    else
      fail "mixed network with $rule: val_loss '$v'"
    fi
  else
    fail "mixed network with $rule: $(tail -1 "$WORK/mixed-$rule.out")"
  fi
done
grep -q "network: 50 neurons in 3 populations (A 20 alif, S 20 stdp_alif, Z 10 izhikevich)" \
  "$WORK/mixed-bptt.out" && pass "train names the populations" || fail "train header: $(sed -n 2p "$WORK/mixed-bptt.out")"

"$LSNN" inspect "$SRC/configs/network_meta_rl.json" > "$WORK/meta.txt" 2>&1 || fail "inspect meta-RL: $(tail -1 "$WORK/meta.txt")"
for want in "E        alif          200 neurons" "I        alif           80 neurons" \
            "A        alif          120 neurons" "sign inh" "beta        1.7" "refractory  3 steps" \
            "delay 1..10" "density 0.2"; do
  grep -qF "$want" "$WORK/meta.txt" && pass "inspect meta-RL: $want" || fail "inspect meta-RL lacks '$want'"
done
# tau_m drawn per neuron from U[15, 30]: the printed range lies inside and spans most of it
awk '/tau_m/ && $3 == ".." { lo = $2; hi = $4; n++; if (!(lo >= 15 && lo < 16 && hi <= 30 && hi > 29)) bad = 1 }
     END { exit !(n == 3 && !bad) }' "$WORK/meta.txt" && pass "inspect meta-RL: tau_m ranges within [15, 30]" \
  || fail "inspect meta-RL: tau_m ranges: $(grep tau_m "$WORK/meta.txt" | tr -s ' ')"
# sign "unsigned": a population that init "signed" does not split (a "none" one is split)
cat > "$WORK/unsigned.json" <<'EOF2'
{"task": "store_recall", "network": {"init": "signed",
  "populations": [{"name": "P", "count": 20}, {"name": "U", "count": 10, "sign": "unsigned"}],
  "projections": [{"name": "w_in", "from": "input", "to": ["P", "U"]},
                  {"name": "w_rec", "from": ["P", "U"], "to": ["P", "U"]}]}}
EOF2
"$LSNN" inspect "$WORK/unsigned.json" > "$WORK/unsigned.txt" 2>&1 &&
  grep -qE "^  P_E +alif" "$WORK/unsigned.txt" && grep -qE "^  P_I +alif" "$WORK/unsigned.txt" &&
  grep -qE "^  U +alif +10 neurons .*sign none" "$WORK/unsigned.txt" &&
  pass "sign unsigned keeps a population whole under init signed" ||
  { fail "sign unsigned"; cat "$WORK/unsigned.txt"; }
"$LSNN" inspect "$SRC/configs/network_l2l.json" > "$WORK/l2l.txt" 2>&1 || fail "inspect l2l"
awk '/tau_a/ && $3 == ".." { if ($2 >= 1 && $2 < 20 && $4 <= 1000 && $4 > 980) ok = 1 } END { exit !ok }' \
  "$WORK/l2l.txt" && pass "inspect l2l: tau_a drawn within [1, 1000]" \
  || fail "inspect l2l: $(grep tau_a "$WORK/l2l.txt" | tr -s ' ')"

# Bad graphs: one line naming the list entry.
G='{"network": {"populations": [{"name": "E", "count": 10}, {"name": "E", "count": 5}]}}'
printf '%s' "$G" > "$WORK/dup.json"
expect_error "duplicate population" "network.populations\[1\]: population 'E': the name is taken" "$LSNN" train "$WORK/dup.json"
G='{"network": {"populations": [{"name": "E", "count": 10, "tau_m": {"uniform": [15, -1]}}]}}'
printf '%s' "$G" > "$WORK/range.json"
expect_error "parameter out of range" "network.populations\[0\]: population 'E': tau_m = -1" "$LSNN" train "$WORK/range.json"
G='{"network": {"populations": [{"name": "E", "count": 10}], "projections": [{"name": "w", "from": "input", "to": "X"}]}}'
printf '%s' "$G" > "$WORK/noto.json"
expect_error "unknown target" "network.projections\[0\]: projection 'w': to: no population 'X'" "$LSNN" train "$WORK/noto.json"
G='{"network": {"populations": [{"name": "E", "count": 10}], "projections": [{"name": "w", "from": "E", "to": "E", "delay": 0}]}}'
printf '%s' "$G" > "$WORK/d0.json"
expect_error "same-step recurrent delay" "delay-0 (same step) projection needs its targets after" "$LSNN" train "$WORK/d0.json"
G='{"network": {"layers": 2, "populations": [{"name": "E", "count": 10}]}}'
printf '%s' "$G" > "$WORK/layers.json"
expect_error "recipe key in a graph" "network.layers, bidirectional and module belong to the recipe" "$LSNN" train "$WORK/layers.json"

# A checkpoint of the earlier format: the per-population tensors of a recipe model written back
# as lsnn-1's neuron.<parameter> (refractory as int32) and format "lsnn-1".
"$LSNN" train "$SRC/configs/store_recall.json" "${S[@]}" --out "$WORK/m" --quiet > /dev/null 2>&1 || fail "setup train"
python3 - "$WORK/m/model.safetensors" "$WORK/old.safetensors" <<'PY'
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n]); data = b[8 + n:]
meta = h.pop("__metadata__")
def raw(k): o = h[k]["data_offsets"]; return data[o[0]:o[1]]
out = {}
for k in list(h):
    if k.split(".")[0] in ("R", "A"):
        continue
    out[k] = (h[k]["dtype"], h[k]["shape"], raw(k))
for p in ("tau_m", "tau_a", "beta", "b0", "refractory"):
    r, a = raw("R." + p), raw("A." + p)
    if p == "refractory":
        vals = struct.unpack("<%df" % ((len(r) + len(a)) // 4), r + a)
        out["neuron." + p] = ("I32", [len(vals)], struct.pack("<%di" % len(vals), *[int(v) for v in vals]))
    else:
        out["neuron." + p] = ("F32", [(len(r) + len(a)) // 4], r + a)
meta["format"] = "lsnn-1"
head = {"__metadata__": meta}; blob = b""
for k, (dt, shape, d) in out.items():
    head[k] = {"dtype": dt, "shape": shape, "data_offsets": [len(blob), len(blob) + len(d)]}
    blob += d
hb = json.dumps(head).encode(); hb += b" " * (-len(hb) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(hb)) + hb + blob)
PY
"$LSNN" eval "$WORK/m/model.safetensors" > "$WORK/eval-new.out" 2>&1 || fail "eval of the model"
if "$LSNN" eval "$WORK/old.safetensors" > "$WORK/eval-old.out" 2>&1; then
  a=$(result_field "$WORK/eval-new.out" loss) b=$(result_field "$WORK/eval-old.out" loss)
  [ -n "$a" ] && [ "$a" = "$b" ] && pass "an lsnn-1 checkpoint loads and evaluates the same (loss $a)" \
    || fail "lsnn-1 checkpoint: loss $b, the model's $a"
else
  fail "eval of an lsnn-1 checkpoint: $(tail -1 "$WORK/eval-old.out")"
fi
if "$LSNN" convert "$WORK/old.safetensors" "$WORK/conv.safetensors" 2> "$WORK/conv.err"; then
  python3 - "$WORK/m/model.safetensors" "$WORK/conv.safetensors" <<'PY' && pass "lsnn convert restores every tensor" || fail "lsnn convert: tensors differ"
import json, struct, sys
def load(p):
    b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n]); h.pop("__metadata__"); d = b[8 + n:]
    return {k: (v["dtype"], v["shape"], d[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in h.items()}
a, b = load(sys.argv[1]), load(sys.argv[2])
sys.exit(0 if a == b else 1)
PY
else
  fail "lsnn convert: $(cat "$WORK/conv.err")"
fi
finish
