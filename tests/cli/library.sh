#!/usr/bin/env bash
# The library as a user outside the project sees it (README "Using the library"):
# - examples/train (built with the project) writes the same checkpoint bytes as `lsnn train` with
#   the same config and overrides, and reports bad overrides with lsnn's message;
# - examples/rate_compare (networks, batches and BPTT by hand) learns its task;
# - `cmake --install` into a fresh prefix gives headers, liblsnn.a, liblsnn.so.0 (SONAME), the man
#   page and lsnn.pc with which the example compiles outside the build tree (-Wall -Wextra
#   -Werror -std=c11), against the shared library and statically, and runs.
. "$(dirname "$0")/lib.sh"
BIN=${LSNN_BINARY_DIR:?LSNN_BINARY_DIR must name the build directory}
EX=$BIN/examples
cd "$SRC"

# lsnn.h includes every module header (examples/train.c compiles with it alone).
for h in include/lsnn/*.h; do
  b=$(basename "$h")
  [ "$b" = lsnn.h ] || grep -q "^#include \"lsnn/$b\"" include/lsnn/lsnn.h || fail "lsnn.h misses $b"
done

# examples/train against lsnn train: byte-identical checkpoints, the same log.csv rows (but for
# the timing column) through the library's run loop.
"$EX/train" configs/store_recall.json "$WORK/ex" iterations=12 batch_size=8 \
  store_recall.val_size=16 eval_every=5 > "$WORK/ex.log" 2>&1 || fail "examples/train failed: $(tail -1 "$WORK/ex.log")"
"$LSNN" train configs/store_recall.json --set iterations=12 --set batch_size=8 \
  --set store_recall.val_size=16 --set eval_every=5 --out "$WORK/cli" --quiet > "$WORK/cli.log" 2>&1 ||
  fail "lsnn train failed: $(tail -1 "$WORK/cli.log")"
if cmp -s "$WORK/ex/model.safetensors" "$WORK/cli/model.safetensors"; then
  pass "examples/train writes the same checkpoint as lsnn train"
else
  fail "examples/train and lsnn train disagree"
fi
if [ "$(cut -d, -f1-9 "$WORK/ex/log.csv")" = "$(cut -d, -f1-9 "$WORK/cli/log.csv")" ] &&
   [ "$(wc -l < "$WORK/ex/log.csv")" -eq 13 ] && [ -s "$WORK/ex/result.json" ]; then
  pass "examples/train writes the same log.csv rows and a result.json"
else
  fail "examples/train log.csv: $(head -3 "$WORK/ex/log.csv")"
fi
grep -q "^validation (16 sequences)" "$WORK/ex.log" && pass "examples/train evaluates" ||
  fail "examples/train printed no validation line"

# Bad input through the library: a message naming the key, exit 1; usage errors exit 2.
"$EX/train" configs/store_recall.json "$WORK/x" network.tau_m=-3 > "$WORK/bad.log" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "tau_m" "$WORK/bad.log" && [ ! -e "$WORK/x" ]; then
  pass "a bad override is refused with its key named"
else
  fail "bad override: exit $rc, $(cat "$WORK/bad.log")"
fi
"$EX/train" > /dev/null 2>&1
[ $? -eq 2 ] && pass "usage error exits 2" || fail "examples/train without arguments did not exit 2"
"$EX/rate_compare" 12x > /dev/null 2>&1
[ $? -eq 2 ] && pass "rate_compare refuses a non-number" || fail "rate_compare 12x did not exit 2"

# examples/rate_compare learns: validation loss falls below a quarter, accuracy >= 0.9.
check_rate_compare() { # LOG LABEL
  local before after acc
  before=$(sed -n 's/^before: validation loss \([0-9.]*\).*/\1/p' "$1")
  after=$(sed -n 's/^after:  validation loss \([0-9.]*\).*/\1/p' "$1")
  acc=$(sed -n 's/^after: .*accuracy \([0-9.]*\)/\1/p' "$1")
  if [ -n "$before" ] && [ -n "$after" ] && [ -n "$acc" ] &&
     awk -v b="$before" -v a="$after" -v c="$acc" 'BEGIN { exit !(a < b / 4 && c >= 0.9) }'; then
    pass "$2 learns (loss $before -> $after, accuracy $acc)"
  else
    fail "$2 did not learn: $(tr '\n' ' ' < "$1")"
  fi
}
"$EX/rate_compare" 60 > "$WORK/rc.log" 2>&1 || fail "rate_compare failed: $(tail -1 "$WORK/rc.log")"
check_rate_compare "$WORK/rc.log" "examples/rate_compare"

# Installed tree: headers, library, pkg-config file; an outside program builds against it.
PREFIX=$WORK/prefix
if cmake --install "$BIN" --prefix "$PREFIX" > "$WORK/install.log" 2>&1; then
  pass "cmake --install"
else
  fail "cmake --install: $(tail -3 "$WORK/install.log")"
fi
for f in bin/lsnn include/lsnn/train.h include/lsnn/sim.h; do
  [ -e "$PREFIX/$f" ] || fail "not installed: $f"
done
# lib/ or lib/<multiarch>/, as GNUInstallDirs chose.
PCDIR=$(dirname "$(find "$PREFIX" -name lsnn.pc | head -1)")
[ -e "$PCDIR/lsnn.pc" ] && [ -e "$PCDIR/../liblsnn.a" ] || fail "lsnn.pc or liblsnn.a not installed"
"$PREFIX/bin/lsnn" help > /dev/null 2>&1 || fail "the installed lsnn does not run"
CFLAGS_EXTRA=()
[ "${LSNN_SANITIZE:-0}" = 1 ] && CFLAGS_EXTRA=(-fsanitize=address,undefined -g)
mkdir -p "$WORK/outside"
cp examples/rate_compare.c "$WORK/outside/"
LIBDIR=$(cd "$PCDIR/.." && pwd)
# the shared library: versioned, with its SONAME
[ -L "$LIBDIR/liblsnn.so" ] && [ -e "$LIBDIR/liblsnn.so.0" ] && [ -e "$LIBDIR/liblsnn.so.0.1.0" ] &&
  readelf -d "$LIBDIR/liblsnn.so.0.1.0" | grep -q 'Library soname: \[liblsnn.so.0\]' &&
  pass "liblsnn.so.0.1.0 installed, SONAME liblsnn.so.0" || fail "shared library: $(ls -l "$LIBDIR" | head)"
[ -s "$PREFIX/share/man/man1/lsnn.1" ] && pass "man page installed" || fail "no share/man/man1/lsnn.1"
# every command of `lsnn help` has its entry in the man page
for c in $("$LSNN" help | sed -n 's/^  \([a-z][a-z0-9-]*\) .*/\1/p' | grep -v '^help$'); do
  grep -q "^\.BI\? \"\?$c" "$SRC/docs/lsnn.1" || fail "lsnn.1 has no entry for '$c'"
done
pass "lsnn.1 covers the commands of lsnn help"
# dynamic (pkg-config --libs: liblsnn.so) and with the archive (its dependencies, from the .pc's
# Requires.private, linked dynamically)
if (cd "$WORK/outside" &&
    cc -std=c11 -O2 -Wall -Wextra -Werror "${CFLAGS_EXTRA[@]}" rate_compare.c \
      $(PKG_CONFIG_PATH="$PCDIR" pkg-config --cflags --libs lsnn) \
      -o rate_compare) > "$WORK/cc.log" 2>&1; then
  pass "an outside program compiles with pkg-config --cflags --libs lsnn"
  readelf -d "$WORK/outside/rate_compare" | grep -q 'NEEDED.*\[liblsnn.so.0\]' && pass "it loads liblsnn.so.0" || fail "not linked to liblsnn.so.0"
  LD_LIBRARY_PATH="$LIBDIR" "$WORK/outside/rate_compare" 60 > "$WORK/rc2.log" 2>&1 || fail "installed rate_compare failed"
  check_rate_compare "$WORK/rc2.log" "rate_compare against the installed shared library"
  cmp -s "$WORK/rc.log" "$WORK/rc2.log" && pass "same output as the in-tree build" ||
    fail "installed and in-tree rate_compare differ"
else
  fail "compiling against the installed library: $(head -5 "$WORK/cc.log")"
fi
if (cd "$WORK/outside" &&
    cc -std=c11 -O2 -Wall -Wextra -Werror "${CFLAGS_EXTRA[@]}" rate_compare.c \
      $(PKG_CONFIG_PATH="$PCDIR" pkg-config --cflags lsnn) "$LIBDIR/liblsnn.a" \
      $(pkg-config --libs $(PKG_CONFIG_PATH="$PCDIR" pkg-config --print-requires-private lsnn)) -fopenmp -lm \
      -o rate_compare_static) > "$WORK/ccs.log" 2>&1; then
  ! readelf -d "$WORK/outside/rate_compare_static" | grep -q 'liblsnn' && "$WORK/outside/rate_compare_static" 60 > "$WORK/rc4.log" 2>&1 &&
    cmp -s "$WORK/rc.log" "$WORK/rc4.log" && pass "linked with the static archive (its dependencies from Requires.private): same output" || fail "static rate_compare: $(head -3 "$WORK/rc4.log")"
else
  fail "static link against the installed archive: $(head -5 "$WORK/ccs.log")"
fi

# The same from a CMake project, through pkg_check_modules(... IMPORTED_TARGET lsnn).
mkdir -p "$WORK/cmk"
cp examples/rate_compare.c "$WORK/cmk/"
cat > "$WORK/cmk/CMakeLists.txt" <<'EOF_CMAKE'
cmake_minimum_required(VERSION 3.18)
project(user C)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LSNN REQUIRED IMPORTED_TARGET lsnn)
add_executable(rate_compare rate_compare.c)
target_link_libraries(rate_compare PRIVATE PkgConfig::LSNN)
EOF_CMAKE
if (PKG_CONFIG_PATH="$PCDIR" cmake -S "$WORK/cmk" -B "$WORK/cmk/b" -DCMAKE_C_FLAGS="${CFLAGS_EXTRA[*]}" &&
    cmake --build "$WORK/cmk/b") > "$WORK/cmk.log" 2>&1 &&
   "$WORK/cmk/b/rate_compare" 60 > "$WORK/rc3.log" 2>&1 && cmp -s "$WORK/rc.log" "$WORK/rc3.log"; then
  pass "a CMake project links PkgConfig::LSNN, same output"
else
  fail "CMake project against the installed library: $(tail -5 "$WORK/cmk.log")"
fi
finish
