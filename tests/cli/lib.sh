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

finish() {
  echo "$PASSES passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
}
