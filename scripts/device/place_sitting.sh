#!/usr/bin/env bash
# Placement and step size on a GPU (issue #28), with the GPU tests (#27) and the checkpointing table
# (#24) in the gaps. Chained calls, from the repo root:
#   place_sitting.sh run OUT      ebm built; two sweeps started detached (they outlive the call):
#                                 place: the cases without position, `--place`, held-out (each, shared)
#                                 and tune (shared); step: position ∧ size, position ∧ colour and the
#                                 three- and four-concept cases summed (--prior each) with the
#                                 corrector's r halved and quartered, and around one prior at
#                                 temperature 0.5 (the summed rule's extra priors sharpen it); then the
#                                 whole build and `ctest -L gpu` while they run
#   place_sitting.sh collect OUT  waits for both sweeps (until 570 s), archives them; with time left,
#                                 the placed colour and sphere ∧ blue recipes at 400 steps on the GPU
#   place_sitting.sh ckpt OUT     the checkpointing table (OBJECTIVES, default "cd dsm")
#   place_sitting.sh bench OUT    throughput and preview cost, the GPU to itself
# Settings: N (256), BATCH (128: results do not depend on it; fewer launches than 64).
set -uo pipefail
PHASE=${1:?usage: place_sitting.sh run|collect|ckpt|bench OUT}; OUT=${2:?OUT}
mkdir -p "$OUT" runs
export EBM=./build/app/ebm
T0=$SECONDS
source .devdeps/device-env.sh
source scripts/device/sitting_common.sh  # stamp, sweep, collect_sweep, build_ebm, gpu_tests, ckpt_table
N=${N:-256}; B="--batch ${BATCH:-128}"
UNPLACED="size,shape,color,shape+color,shape+not color"
case $PHASE in
  run)
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
    build_ebm "$OUT" OFF
    stamp "ebm built"
    sweep runs/place "$UNPLACED" "$N" "place_each|--place --split heldout $B" \
      "place_shared|--place --prior shared --split heldout $B" "place_shared_tune|--place --prior shared --split tune $B"
    sweep runs/step "position+size,position+color,position+size+shape,position+size+shape+color" "$N" \
      "each_r05|--split heldout --corrector-r 0.05 $B" "each_r025|--split heldout --corrector-r 0.025 $B" \
      "shared_t05|--split heldout --prior shared --temperature 0.5 $B"
    timeout $((400 - (SECONDS - T0))) ninja -C build > "$OUT/build_all.log" 2>&1; tail -n 3 "$OUT/build_all.log"
    stamp "whole build"
    gpu_tests $((560 - (SECONDS - T0)))
    stamp "gpu tests"
    nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader | tee "$OUT/gpu_apps.txt"
    ;;
  collect)
    collect_sweep runs/place "$OUT/place.tgz"
    collect_sweep runs/step "$OUT/step.tgz"
    if [ $((SECONDS - T0)) -lt 420 ]; then
      for r in color_placed shape_and_color_placed; do
        timeout $((580 - (SECONDS - T0))) $EBM sample --recipe docs/model_card/recipes/$r.json --device cuda \
          --out "$OUT/$r.png" 2>&1 | tail -n 2
        stamp "$r grid"
      done
    fi
    ;;
  ckpt) ckpt_table 570 "${ITERS:-15}" ;;
  bench) gpu_benches "$OUT" ;;
  *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
