#!/usr/bin/env bash
# Installs what ulrseg needs to build and test from Debian's packages. Idempotent: a package that
# is already installed is left alone, so a second run does nothing and needs no network.
set -euo pipefail
need=()
# want PKG...: adds the packages that are not installed yet to $need.
want() {
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
  done
}
want cmake g++ make libeigen3-dev libxsimd-dev libstb-dev doctest-dev
# Open MPI: data-parallel training under mpirun (optional in CMake; CI tests it).
want libopenmpi-dev openmpi-bin
# HDF5 reads NYUv2's labelled .mat (`ulrseg data import --format nyuv2-mat`); optional to build.
want libhdf5-dev
# PyTorch is only for regenerating fixtures and the side-by-side benchmark: ULRSEG_WITH_TORCH=1.
if [ "${ULRSEG_WITH_TORCH:-0}" = 1 ]; then
  want python3-torch python3-numpy python3-skimage
fi
# clang with its sanitizer runtimes and libFuzzer is only for a clang build, `make test-asan`
# and `make fuzz`: ULRSEG_WITH_CLANG=1.
if [ "${ULRSEG_WITH_CLANG:-0}" = 1 ]; then
  want clang-14 libclang-rt-14-dev
fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "deps.sh: installing ${need[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
