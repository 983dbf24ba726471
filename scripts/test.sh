#!/usr/bin/env bash
# Builds lsnn twice and runs the whole test suite on both builds:
#   build/       Release, -O2 -Wall -Wextra -Werror
#   build-asan/  the same with -fsanitize=address,undefined
# Tests labelled "long" (training runs with an accuracy threshold) run only in the first build:
# under the sanitizers they would take several times longer and test nothing new.
#   ./scripts/test.sh            both builds
#   ./scripts/test.sh --fast     Release build only
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --deps
jobs=$(nproc)

echo "== Release build (-Werror) =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DLSNN_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

[ "${1:-}" = "--fast" ] && exit 0

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DLSNN_WERROR=ON -DLSNN_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   ctest --output-on-failure -j"$jobs" -LE long)
