#!/usr/bin/env bash
# Issue #26's walk on a GPU: the suite on the 400-step ladder beside walks of ≤ 40 evaluations per term
# whose top steps take more Langevin time per step (larger r: on the CPU suite 16 × 0.5 graded above
# 40 × 0.1, docs/engine.md "The draft walk"), held-out split, one prior as the studio composes. One
# call (the sweep runs detached and outlives it: `collect` in a second call if the first ran out).
# Run from the repo root on the GPU machine:
#   walk_sitting.sh run OUT       ebm built, the sweep started, waited for until 570 s, collected
#   walk_sitting.sh collect OUT   waits for a sweep already started (until 570 s), collects
# Settings: N (256), CASES (all).
set -uo pipefail
PHASE=${1:?usage: walk_sitting.sh run|collect OUT}; OUT=${2:?OUT}
mkdir -p "$OUT" runs
export EBM=./build/app/ebm
T0=$SECONDS
source .devdeps/device-env.sh
source scripts/device/sitting_common.sh  # stamp, sweep, collect_sweep, build_ebm
E="--walk euler --churn 20 --prior shared --split heldout"
case $PHASE in
  run)
    build_ebm "$OUT" OFF
    stamp "ebm built"
    sweep runs/walk "${CASES:-all}" "${N:-256}" "final|--prior shared --split heldout" "draft|--draft $E" \
      "t16r5e20|$E --euler-top-steps 16 --corrector-r 0.5 --euler-steps 20" \
      "t8r1e20|$E --euler-top-steps 8 --corrector-r 1.0 --euler-steps 20" \
      "t24r3e14|$E --euler-top-steps 24 --corrector-r 0.3 --euler-steps 14"
    collect_sweep runs/walk "$OUT/walk.tgz"
    ;;
  collect) collect_sweep runs/walk "$OUT/walk.tgz" ;;
  *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
