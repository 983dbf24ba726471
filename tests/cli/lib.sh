# Helpers for the CLI tests (sourced). $LSNN is the binary under test.
set -u
LSNN=${1:?usage: $0 path/to/lsnn}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lsnn-cli.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SRC=${LSNN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
FAILS=0
PASSES=0

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; PASSES=$((PASSES + 1)); }

# result_value FILE: the "value" of the 'result: {...}' line in FILE.
result_value() {
  grep '^result: ' "$1" | tail -1 | sed 's/.*"value":\([^,}]*\).*/\1/'
}

# result_field FILE KEY: the numeric KEY of the 'result: {...}' line in FILE.
result_field() {
  grep '^result: ' "$1" | tail -1 | sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p"
}

# loss_falls NAME LOG_CSV K RATIO: the mean training loss of the last K rows of a run's log.csv
# is below RATIO times the mean of its first K rows.
loss_falls() {
  local name=$1 csv=$2 k=$3 ratio=$4 r rc
  r=$(awk -F, -v k="$k" -v q="$ratio" '
    NR == 1 { if ($2 != "loss") { print "column 2 is " $2 ", not loss"; bad = 1; exit } next }
    { l[++n] = $2 }
    END {
      if (bad) exit 1
      if (n < 2 * k) { print "only " n " rows"; exit 1 }
      for (i = 1; i <= k; i++) { a += l[i]; b += l[n - k + i] }
      printf "mean loss of the first %d rows %.4f, of the last %d %.4f (%.2fx)", k, a / k, k, b / k, b / a
      exit !(b < q * a)
    }' "$csv")
  rc=$?
  if [ "$rc" -eq 0 ]; then pass "$name: $r"; else fail "$name: loss not below ${ratio}x: $r"; fi
}

# val_loss_falls NAME BEFORE AFTER RATIO: the val_loss of the result line of output AFTER is below
# RATIO times that of output BEFORE (e.g. the untrained network's, from a run of 0 iterations).
val_loss_falls() {
  local name=$1 v0 v1
  v0=$(result_field "$2" val_loss)
  v1=$(result_field "$3" val_loss)
  if awk -v a="$v0" -v b="$v1" -v q="$4" 'BEGIN { exit !(a != "" && b != "" && b + 0 < q * a) }'; then
    pass "$name: validation loss $v0 -> $v1"
  else
    fail "$name: validation loss '$v0' -> '$v1', not below $4x"
  fi
}

finish() {
  echo "$PASSES passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
}

# expect_error NAME PATTERN CMD...: exit status 1 (not a signal), stderr one line matching PATTERN.
expect_error() {
  local name=$1 pattern=$2
  shift 2
  "$@" > "$WORK/out" 2> "$WORK/err"
  local rc=$?
  local n
  n=$(wc -l < "$WORK/err")
  if [ "$rc" -ne 1 ]; then
    fail "$name: exit status $rc (expected 1)"; cat "$WORK/err"
  elif [ "$n" -ne 1 ]; then
    fail "$name: $n stderr lines (expected 1)"; cat "$WORK/err"
  elif ! grep -q -- "$pattern" "$WORK/err"; then
    fail "$name: message does not match '$pattern': $(cat "$WORK/err")"
  else
    pass "$name: $(cat "$WORK/err")"
  fi
}

# expect_ok NAME PATTERN CMD...: exit status 0 and the output (stdout and stderr) matches PATTERN.
expect_ok() {
  local name=$1 pattern=$2
  shift 2
  "$@" > "$WORK/out" 2>&1
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    fail "$name: exit status $rc (expected 0)"; tail -3 "$WORK/out"
  elif ! grep -q -- "$pattern" "$WORK/out"; then
    fail "$name: output does not match '$pattern': $(head -3 "$WORK/out")"
  else
    pass "$name"
  fi
}

# mutate SRC DST PYTHON: rewrites the safetensors file SRC into DST with PYTHON, in which h is
# the header dict, d the data bytearray, and put(name, index, value) writes one float32 entry.
mutate() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, struct, sys
src, dst, code = sys.argv[1:]
b = open(src, "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n]); d = bytearray(b[8 + n:])
def put(name, i, v):
    struct.pack_into("<f", d, h[name]["data_offsets"][0] + 4 * i, v)
exec(code)
hb = json.dumps(h).encode(); hb += b" " * (-len(hb) % 8)
open(dst, "wb").write(struct.pack("<Q", len(hb)) + hb + bytes(d))
PY
}
