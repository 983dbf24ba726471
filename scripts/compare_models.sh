#!/usr/bin/env bash
# Trains every config (or the ones named) for a few iterations with a fixed seed, once with the
# build of an earlier commit and once with this tree's build/lsnn, and compares the two
# model.safetensors files. A refactor that promises unchanged results must print IDENTICAL for
# every config it can run.
#
#   scripts/compare_models.sh REF [CONFIG.json ...]
#
# REF is any commit (sha, tag, branch). It is checked out into a git worktree under
# ${LSNN_COMPARE_DIR:-/tmp/lsnn-compare}/ref-<sha> and built there once (Release, as
# scripts/setup.sh builds); this tree must be built already (./scripts/setup.sh or cmake --build
# build). Each config runs with these overrides:
#   iterations=10 seed=1, eval_every=0, small validation sets (store_recall/module/smnist/timit)
# plus the words of $COMPARE_SETS (e.g. COMPARE_SETS="batch_size=16"), and
#   - configs that embed a module (network.module) get a module trained here for 10 iterations
#     by the reference build from the config named by the module path (runs/NAME/model.safetensors
#     -> configs/NAME.json); both builds load that same file;
#   - configs reading MNIST / Fashion-MNIST need data/mnist / data/fashion (lsnn data mnist|fashion);
#   - speech configs (timit.dir) run on data/synth-features (built from a small synthetic corpus
#     with `lsnn data synth-speech` and `lsnn data timit --mode generic` if festival is installed);
#     the TIMIT configs are pointed at the same features.
# A config whose data is missing is reported SKIPPED with the reason. The comparison is of the
# whole file (tensor names, values, metadata with the config and iteration count).
# Output: one line per config (IDENTICAL, DIFFERENT, FAILED, SKIPPED) and a summary; the exit
# status is 1 if any config is DIFFERENT or FAILED.
# With COMPARE_TENSORS=1, two files that differ only in their metadata (the config stored in the
# checkpoint, e.g. after a new config key) count as TENSORS-EQUAL when every tensor has the same
# name, dtype, shape and bytes; DIFFERENT then names the tensors that differ. The reference's
# file is first rewritten by the new build's `lsnn convert` (the current checkpoint format,
# e.g. lsnn-1's neuron.tau_a -> lsnn-2's A.tau_a), so renamed tensors are compared by value.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
REF=${1:?usage: scripts/compare_models.sh REF [CONFIG.json ...]}
shift
SHA=$(git rev-parse --verify "$REF^{commit}") || { echo "compare: unknown commit '$REF'" >&2; exit 2; }
BASE=${LSNN_COMPARE_DIR:-/tmp/lsnn-compare}
REFDIR=$BASE/ref-${SHA:0:12}
NEW=${LSNN_COMPARE_NEW:-$ROOT/build/lsnn} # another binary: LSNN_COMPARE_NEW
[ -x "$NEW" ] || { echo "compare: $NEW is missing: build this tree first (./scripts/setup.sh)" >&2; exit 2; }
mkdir -p "$BASE"

if [ ! -x "$REFDIR/build/lsnn" ]; then
  echo "compare: building ${SHA:0:12} in $REFDIR" >&2
  [ -d "$REFDIR" ] || git worktree add -q --detach "$REFDIR" "$SHA" || exit 2
  cmake -S "$REFDIR" -B "$REFDIR/build" -DCMAKE_BUILD_TYPE=Release -DLSNN_WERROR=ON >/dev/null &&
    cmake --build "$REFDIR/build" -j"$(nproc)" --target lsnn_cli >/dev/null ||
    { echo "compare: the build of ${SHA:0:12} failed" >&2; exit 2; }
fi
OLD=$REFDIR/build/lsnn

# Tensor-by-tensor comparison of two safetensors files (metadata ignored): prints nothing and
# exits 0 when every tensor is equal, else names the differences and exits 1.
tensors_equal() {
  python3 - "$1" "$2" <<'PY'
import json, struct, sys
def load(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    head = json.loads(b[8:8 + n])
    head.pop("__metadata__", None)
    base = 8 + n
    return {k: (v["dtype"], v["shape"], b[base + v["data_offsets"][0]:base + v["data_offsets"][1]])
            for k, v in head.items()}
a, b = load(sys.argv[1]), load(sys.argv[2])
diff = sorted(set(a) ^ set(b)) + sorted(k for k in set(a) & set(b) if a[k] != b[k])
if diff:
    print(" ".join(diff[:8]) + (" ..." if len(diff) > 8 else ""))
    sys.exit(1)
PY
}

WORK=$BASE/work-$$
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

# Speech features for the speech configs, built once and kept in data/synth-features.
speech_features() {
  [ -f data/synth-features/train.safetensors ] && return 0
  command -v festival >/dev/null 2>&1 || return 1
  echo "compare: building data/synth-features (small synthetic corpus)" >&2
  "$OLD" data synth-speech "$BASE/synth-corpus" --speakers 6 --sentences 6 >/dev/null 2>&1 ||
    [ -d "$BASE/synth-corpus" ] || return 1
  "$OLD" data timit "$BASE/synth-corpus" data/synth-features --mode generic --quiet >/dev/null 2>&1
}

SETS=(--set iterations=10 --set seed=1 --set eval_every=0 --set store_recall.val_size=16
      --set module.val_size=16 --set smnist.val_size=32 --set timit.val_size=4)
for s in ${COMPARE_SETS:-}; do SETS+=(--set "$s"); done

if [ $# -gt 0 ]; then CONFIGS=("$@"); else CONFIGS=(configs/*.json); fi
n_same=0 n_diff=0 n_fail=0 n_skip=0
for cfg in "${CONFIGS[@]}"; do
  name=$(basename "$cfg" .json)
  extra=()
  data=$(grep -o '"data_dir": *"[^"]*"' "$cfg" | sed 's/.*"\([^"]*\)"$/\1/')
  if [ -n "$data" ] && [ ! -d "$data" ]; then
    echo "SKIPPED    $name (no $data: lsnn data $(basename "$data") $data)"; n_skip=$((n_skip + 1)); continue
  fi
  if grep -q '"dir": *"data/[a-z]*-features"' "$cfg"; then
    if ! speech_features; then
      echo "SKIPPED    $name (no speech features and no festival to build them)"; n_skip=$((n_skip + 1)); continue
    fi
    extra+=(--set timit.dir=data/synth-features)
  fi
  module=$(grep -o '"module": *"[^"]*"' "$cfg" | sed 's/.*"\([^"]*\)"$/\1/')
  if [ -n "$module" ]; then
    mname=$(basename "$(dirname "$module")")
    mfile=$WORK/module-$mname/model.safetensors
    if [ ! -f "$mfile" ] && ! "$OLD" train "configs/$mname.json" "${SETS[@]}" --quiet \
          --out "$WORK/module-$mname" >/dev/null 2>"$WORK/module-$mname.err"; then
      echo "FAILED     $name (training its module configs/$mname.json: $(tail -1 "$WORK/module-$mname.err"))"
      n_fail=$((n_fail + 1)); continue
    fi
    extra+=(--set "network.module=$mfile")
  fi
  ok=1
  for side in old new; do
    bin=$OLD; [ $side = new ] && bin=$NEW
    if ! "$bin" train "$cfg" "${SETS[@]}" "${extra[@]}" --quiet --out "$WORK/$name-$side" \
         >"$WORK/$name-$side.out" 2>"$WORK/$name-$side.err"; then
      echo "FAILED     $name ($side build: $(tail -1 "$WORK/$name-$side.err"))"; ok=0; break
    fi
  done
  if [ $ok = 0 ]; then n_fail=$((n_fail + 1)); continue; fi
  a=$WORK/$name-old/model.safetensors b=$WORK/$name-new/model.safetensors which=""
  if cmp -s "$a" "$b"; then
    echo "IDENTICAL  $name"; n_same=$((n_same + 1))
  elif [ "${COMPARE_TENSORS:-0}" = 1 ] && "$NEW" convert "$a" "$a.conv" 2>"$WORK/$name-conv.err" &&
       which=$(tensors_equal "$a.conv" "$b"); then
    echo "TENSORS-EQUAL $name (metadata differs)"; n_same=$((n_same + 1))
  else
    echo "DIFFERENT  $name${which:+ (tensors: $which)}"; n_diff=$((n_diff + 1))
  fi
done
echo "compare ${SHA:0:12} -> $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src include tools || echo '+changes'): $n_same identical$([ "${COMPARE_TENSORS:-0}" = 1 ] && echo ' (or equal tensors)'), $n_diff different, $n_fail failed, $n_skip skipped"
[ $n_diff -eq 0 ] && [ $n_fail -eq 0 ]
