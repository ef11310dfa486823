#!/usr/bin/env bash
# Configures and builds into ./build (Ninja when present). Extra arguments go to cmake's configure.
# EBM_BUILD_TYPE=RelWithDebInfo for debug info (Release is the default: it builds much faster).
# A new build tree is compiled with clang when it is installed (scripts/install-deps.sh installs it
# for the sanitizers): the same Release build in less than half gcc's CPU time (RELIABILITY.md,
# "CI time budget"). EBM_CXX=g++ (and EBM_CC=gcc) to choose; an existing tree keeps its compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
if [ -f build/CMakeCache.txt ] && ! grep -q "CMAKE_GENERATOR:INTERNAL=${GEN[1]:-Unix Makefiles}" build/CMakeCache.txt; then
  GEN=()  # keep the generator the build tree was made with
fi
COMPILER=()
if [ ! -f build/CMakeCache.txt ]; then
  CXX_PICK=${EBM_CXX:-$(command -v clang++ || true)}
  CC_PICK=${EBM_CC:-$(command -v clang || true)}
  if [ -n "$CXX_PICK" ]; then COMPILER+=(-DCMAKE_CXX_COMPILER="$CXX_PICK"); fi
  if [ -n "$CC_PICK" ]; then COMPILER+=(-DCMAKE_C_COMPILER="$CC_PICK"); fi
fi
cmake -S . -B build "${GEN[@]}" "${COMPILER[@]}" -DCMAKE_BUILD_TYPE=${EBM_BUILD_TYPE:-Release} "$@"
cmake --build build --parallel "${EBM_JOBS:-$(nproc)}"
