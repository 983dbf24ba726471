#!/usr/bin/env bash
# Bad input gives one clear error line naming the file or key, and a non-zero exit (no crash).
. "$(dirname "$0")/lib.sh"
CFG="$SRC/configs/store_recall.json"

S=(--set iterations=2 --set batch_size=4 --set store_recall.n_symbols=3 --set store_recall.val_size=4)
"$LSNN" train "$CFG" "${S[@]}" --out "$WORK/m" --quiet > /dev/null 2>&1 || fail "setup train"
M="$WORK/m/model.safetensors"
size=$(stat -c %s "$M")

head -c $((size / 2)) "$M" > "$WORK/trunc.safetensors"
expect_error "truncated checkpoint" "trunc.safetensors" "$LSNN" eval "$WORK/trunc.safetensors"
head -c 5 "$M" > "$WORK/tiny.safetensors"
expect_error "5-byte checkpoint" "tiny.safetensors" "$LSNN" eval "$WORK/tiny.safetensors"
cp "$M" "$WORK/garbled.safetensors"
printf '\xff\xff\xff\xff\xff\xff\x00\x00' | dd of="$WORK/garbled.safetensors" conv=notrunc status=none
expect_error "lying header length" "garbled.safetensors" "$LSNN" eval "$WORK/garbled.safetensors"
cp "$M" "$WORK/json.safetensors"
printf '[' | dd of="$WORK/json.safetensors" bs=1 seek=8 conv=notrunc status=none
expect_error "garbled header JSON" "json.safetensors" "$LSNN" eval "$WORK/json.safetensors"
expect_error "missing checkpoint" "nope.safetensors" "$LSNN" eval "$WORK/nope.safetensors"
expect_error "shape change on load" "w_in" "$LSNN" eval "$M" --set network.n_regular=7

printf '{"iterations": "many"}' > "$WORK/type.json"
expect_error "wrong type" "type.json: iterations" "$LSNN" train "$WORK/type.json"
printf '{"network": {"tau_mm": 20}}' > "$WORK/unknown.json"
expect_error "unknown key" "unknown.json: network.tau_mm" "$LSNN" train "$WORK/unknown.json"
printf '{"network": {"n_regular": 0, "n_adaptive": 0}}' > "$WORK/zero.json"
expect_error "zero neurons" "zero.json" "$LSNN" train "$WORK/zero.json"
printf '{"store_recall": {"rate_hz": 1e999}}' > "$WORK/inf.json"
expect_error "infinite rate" "inf.json: store_recall.rate_hz" "$LSNN" train "$WORK/inf.json"
printf '{"lr": 0.01,' > "$WORK/syntax.json"
expect_error "JSON syntax error" "syntax.json" "$LSNN" train "$WORK/syntax.json"
expect_error "NaN rate via --set" "store_recall.rate_hz" "$LSNN" train "$CFG" --set store_recall.rate_hz=nan
expect_error "NaN lr via --set" "lr" "$LSNN" train "$CFG" --set lr=NaN
expect_error "absurd size" "network.n_regular" "$LSNN" train "$CFG" --set network.n_regular=2000000000
expect_error "negative batch" "batch_size" "$LSNN" train "$CFG" --set batch_size=-3
expect_error "missing config" "missing.json" "$LSNN" train "$WORK/missing.json"
expect_error "unknown option" "unknown option" "$LSNN" train "$CFG" --frobnicate
expect_error "unknown command" "unknown command" "$LSNN" frobnicate
expect_error "bad thread count" "threads" "$LSNN" train "$CFG" --threads 0

# Checkpoints that parse but do not hold what lsnn wrote (mutate, lib.sh).
mutate "$M" "$WORK/transposed.safetensors" 'h["w_in"]["shape"] = h["w_in"]["shape"][::-1]'
expect_error "transposed tensor" "tensor 'w_in': expected shape \[" "$LSNN" eval "$WORK/transposed.safetensors"
mutate "$M" "$WORK/flat.safetensors" 's = h["w_rec"]["shape"]; h["w_rec"]["shape"] = [s[0] * s[1]]'
expect_error "flattened tensor" "tensor 'w_rec': expected shape" "$LSNN" eval "$WORK/flat.safetensors"
mutate "$M" "$WORK/beta.safetensors" 'put("A.beta", 0, float("nan"))'
expect_error "NaN adaptation strength" "A.beta.: neuron 0 has beta = nan" "$LSNN" eval "$WORK/beta.safetensors"
mutate "$M" "$WORK/taum.safetensors" 'put("R.tau_m", 3, float("inf"))'
expect_error "infinite tau_m" "R.tau_m.: neuron 3 has tau_m = inf" "$LSNN" simulate "$WORK/taum.safetensors" --out "$WORK/sim_taum"
[ -e "$WORK/sim_taum" ] && fail "simulate made its directory for a model it refused" || pass "no directory for a refused model"
mutate "$M" "$WORK/trailing.safetensors" 'd += bytes(16)'
expect_error "trailing bytes" "16 bytes after the last tensor's data" "$LSNN" inspect "$WORK/trailing.safetensors"
# Resume reads the optimizer state: Adam's second moment must be finite and >= 0.
mkdir -p "$WORK/rv"
mutate "$M" "$WORK/rv/model.safetensors" 'put("optim.v", 5, -1.0)'
expect_error "negative optim.v on resume" "tensor 'optim.v': entry 5 is -1" "$LSNN" train "$CFG" "${S[@]}" --set iterations=4 --out "$WORK/rv" --resume
mkdir -p "$WORK/ri"
mutate "$M" "$WORK/ri/model.safetensors" 'h["__metadata__"]["iteration"] = "9223372036854775807"'
expect_error "absurd iteration count" "more than 2147483647 iterations" "$LSNN" train "$CFG" "${S[@]}" --out "$WORK/ri" --resume

# A message that wraps another is not garbled (the error buffer is not its own argument).
expect_error "diverging lr" "iteration 2: loss: the cross-entropy is not finite (the weights diverged" "$LSNN" train "$CFG" "${S[@]}" --set lr=1e308 --out "$WORK/div"
expect_error "overflow before any update" "iteration 1: the gradient is not finite (before any update" "$LSNN" train "$CFG" "${S[@]}" --set network.tau_a=1.5 --out "$WORK/ovf"
# As many --set options as allowed, plus the one simulate adds itself.
SETS=(); for i in $(seq 64); do SETS+=(--set lr=0.01); done
"$LSNN" simulate "$M" --out "$WORK/sim64" "${SETS[@]}" > /dev/null 2>&1 && pass "simulate with 64 --set options" || fail "simulate with 64 --set options"
expect_error "model kind mismatch" "holds a 'lsnn' model but the config builds a 'lstm'" "$LSNN" eval "$M" --set model=lstm
expect_error "config file given as a model" "not a safetensors file" "$LSNN" eval "$CFG"
expect_error "--out names a file" "exists and is not a directory" "$LSNN" train "$CFG" "${S[@]}" --out "$CFG"
expect_error "--out empty" "directory name is empty" "$LSNN" train "$CFG" "${S[@]}" --out ""
expect_error "--seed not a number" "^lsnn: --seed: expected a whole number" "$LSNN" train "$CFG" --seed abc
expect_error "bench without batch sizes" "expected batch sizes" "$LSNN" bench --batch ",,"
expect_error "bench of an LSTM" "spiking network only" "$LSNN" bench --set model=lstm

# Data sets: a missing directory says how to get the data; a lying IDX header is named.
expect_error "missing MNIST" "lsnn data mnist" "$LSNN" train "$SRC/configs/smnist_lsnn.json" --set smnist.data_dir="$WORK/nomnist"
mkdir -p "$WORK/badmnist"
printf '\x00\x00\x08\x03\x00\x00\xea\x60\x00\x00\x00\x1c\x00\x00\x00\x1c' > "$WORK/badmnist/train-images-idx3-ubyte"
printf '\x00\x00\x08\x01\x00\x00\xea\x60' > "$WORK/badmnist/train-labels-idx1-ubyte"
expect_error "truncated IDX" "train-images-idx3-ubyte" "$LSNN" train "$SRC/configs/smnist_lsnn.json" --set smnist.data_dir="$WORK/badmnist"
expect_error "data: unknown set" "frobnicate" "$LSNN" data frobnicate "$WORK/x"

# cJSON decodes \u0000 into a NUL that would cut the key or string short: refused, not truncated.
printf '{"task": "store_recall\\u0000garbage"}' > "$WORK/nul.json"
expect_error "NUL escape in a string" "nul.json: .*u0000" "$LSNN" train "$WORK/nul.json"
printf '{"network\\u0000zz": {"n_regular": 5}}' > "$WORK/nulkey.json"
expect_error "NUL escape in a key" "nulkey.json: .*u0000" "$LSNN" train "$WORK/nulkey.json"

# Learning curves of absurd logs end (found by fuzzing: a denormal loss gave a log axis from 0,
# an iteration of DBL_MAX an x tick loop that never ended).
for case in "denormal 1 5e-324" "huge 1.7976931348623157e308 1"; do
  set -- $case
  mkdir -p "$WORK/curves_$1"
  printf 'iteration,loss,reg,train_accuracy,val_loss,val_accuracy,rate_hz,grad_norm,lr,seconds\n%s,%s,0,0.5,nan,nan,10,1,0.01,0.1\n' "$2" "$3" > "$WORK/curves_$1/log.csv"
  timeout 60 "$LSNN" plot curves "$WORK/curves_$1" --out "$WORK/curves_$1/c.png" > /dev/null 2>&1
  rc=$?
  [ "$rc" -eq 0 ] && [ -s "$WORK/curves_$1/c.png" ] && pass "plot curves of a log with a $1 value" || fail "plot curves of a log with a $1 value: exit status $rc"
done
finish
