#!/usr/bin/env bash
# Configures and builds into ./build (Ninja when present). Extra arguments go to cmake's configure.
# EBM_BUILD_TYPE=RelWithDebInfo for debug info (Release is the default: it builds much faster).
set -euo pipefail
cd "$(dirname "$0")/.."
GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
if [ -f build/CMakeCache.txt ] && ! grep -q "CMAKE_GENERATOR:INTERNAL=${GEN[1]:-Unix Makefiles}" build/CMakeCache.txt; then
  GEN=()  # keep the generator the build tree was made with
fi
cmake -S . -B build "${GEN[@]}" -DCMAKE_BUILD_TYPE=${EBM_BUILD_TYPE:-Release} "$@"
cmake --build build --parallel "${EBM_JOBS:-$(nproc)}"
