#!/usr/bin/env bash
# Placement on a GPU (issue #28): the whole suite with `--place` (a position term with any label in
# every case without position) beside the plain suite, both splits, n = 256, both composition rules,
# and the GPU test of the graph-pool fix (device_memory.h) first. One call; the sweep runs detached
# and outlives it (`collect` in a second call if the first ran out). Run from the repo root:
#   place_sitting.sh run OUT       ebm built, StepGraphGpu run, the sweep started, waited for until 570 s
#   place_sitting.sh collect OUT   waits for a sweep already started (until 570 s), collects
# Settings: N (256), CASES (all), SPLIT (heldout).
set -uo pipefail
PHASE=${1:?usage: place_sitting.sh run|collect OUT}; OUT=${2:?OUT}
mkdir -p "$OUT" runs
export EBM=./build/app/ebm
T0=$SECONDS
source .devdeps/device-env.sh
source scripts/device/sitting_common.sh  # stamp, sweep, collect_sweep, build_ebm
S="--split ${SPLIT:-heldout}"
case $PHASE in
  run)
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
    build_ebm "$OUT" OFF
    ninja -C build tests/engine/engine_gpu_tests > "$OUT/build_gpu_tests.log" 2>&1 \
      && ./build/tests/engine/engine_gpu_tests --gtest_filter='StepGraphGpu*' 2>&1 | tail -5
    stamp "ebm and the graph test built and run"
    sweep runs/place "${CASES:-all}" "${N:-256}" "each|$S" "shared|--prior shared $S" \
      "place_each|--place $S" "place_shared|--place --prior shared $S"
    collect_sweep runs/place "$OUT/place.tgz"
    ;;
  collect) collect_sweep runs/place "$OUT/place.tgz" ;;
  *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
