#!/usr/bin/env bash
# assets/models/MODEL_CARD.md "Next sittings" 18: what needs the GPU to itself first, then what may
# share it. Three chained calls on one warm machine (the detached work outlives a call only while the
# machine stays warm, 30 s idle at most). From the repo root on the GPU machine:
#   alone_sitting.sh bench OUT    the CUDA build with the GUI on (ebm first); then, the GPU to itself,
#                                 issue #27's benches beside the reference port's (gpu_suite.sh
#                                 --no-tests: the session rows, the preview cost and — new — its two
#                                 parts alone, `ebm bench --preview 4 --preview-parts`, the modes, the
#                                 reference's graph_bench.py in the same run); then, detached, issue
#                                 #26's corrector ladders for the summed cases (both splits, beside the
#                                 400-step ladder: the sweep below), and the rest of the build (the
#                                 tests) on the CPU beside it
#   alone_sitting.sh share OUT    the `gpu`-labelled tests, then the rest of the suite (-LE soak|gpu),
#                                 beside the sweep (pass/fail, not timings); the sweep's cases so far
#   alone_sitting.sh collect OUT  waits (until UNTIL_S) for the sweep and archives it (no sweep on the
#                                 machine: the bench phase)
# The sweep (the seven summed cases, --place, n = N, both splits): the 400-step ladder; lad80, the
# twelfth session's corrector ladder of 80 evaluations (40 top steps, 20 levels × 2, r 0.5: within 2
# points of the ladder held out on six of the seven); and corrector ladders of 40 evaluations, the
# two best of a CPU screen (position ∧ size held out, n = 256, 2-core CPU: 20 top steps of r 0.6 + 10
# levels × 2 and 16 + 12 × 2 94.9 % all met, 18 of r 0.7 + 11 × 2 92.6, 24 + 8 × 2 91.0, with predictor
# moves 85.5; the quick walk 91.0 and the ladder 98.8 on the GPU; the thirteenth session's 12 + 14 × 2
# 98.0, so it replaces 20 + 10 × 2); and lad60 between them.
# Settings: N (256), UNTIL_S (570).
set -uo pipefail
source scripts/device/sitting_common.sh  # SUMMED, stamp, sweep, collect_sweep, archive, alive, build_ebm
sitting_begin "usage: alone_sitting.sh bench|share|collect OUT" "$@"
N=${N:-256}
UNTIL=${UNTIL_S:-570}
T="--place --split both --batch 256"
C="$T --walk corrector"

# A collect on a machine where no sweep was started (a fresh machine, or a bench phase that failed)
# has nothing to wait for: it runs the bench phase instead, so the call still measures something.
[ "$PHASE" = collect ] && [ ! -f runs/lad40.log ] && { echo "no sweep on this machine: the bench phase instead"; PHASE=bench; }
case $PHASE in
  bench)
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
    build_ebm "$OUT" ON
    stamp "ebm built"
    if pgrep -x ebm > /dev/null; then
      echo "an ebm already runs on the GPU: no benches this call"
    else
      REBUILD=0 CKPT=0 BUILD=build UNTIL_S=$((UNTIL - 120 - (SECONDS - T0))) bash scripts/device/gpu_suite.sh "$OUT/suite" --no-tests
      pack "$OUT/suite"
      stamp "benches done"
    fi
    [ -f runs/lad40.log ] || sweep runs/lad40 "$SUMMED" "$N" "ladder|$T" \
      "lad80|$C --top-steps 40 --corrector-r 0.5 --levels 20 --steps-per-level 2" \
      "lad60|$C --top-steps 30 --corrector-r 0.5 --levels 15 --steps-per-level 2" \
      "t16l12k2|$C --top-steps 16 --corrector-r 0.6 --levels 12 --steps-per-level 2" \
      "t12l14k2|$C --top-steps 12 --corrector-r 0.6 --levels 14 --steps-per-level 2"
    stamp "the sweep started"
    timeout $((UNTIL - (SECONDS - T0))) ninja -C build > "$OUT/build_all.log" 2>&1
    tail -n 2 "$OUT/build_all.log"
    ;;
  share)
    ninja -C build > "$OUT/build_all.log" 2>&1 || grep -E "error|FAILED" "$OUT/build_all.log" | head -20
    stamp "tests built"
    # gpu_suite.sh's test section: the `gpu` label (at most GPU_TESTS_S), then the rest (-LE soak|gpu).
    REBUILD=0 BUILD=build GPU_TESTS_S=300 UNTIL_S=$((UNTIL - 60 - (SECONDS - T0))) \
      bash scripts/device/gpu_suite.sh "$OUT/suite" --no-bench
    pack "$OUT/suite"
    stamp "suite done"
    collect_sweep runs/lad40 "$OUT/summed_lad40_both.tgz" "$UNTIL"
    ;;
  collect) collect_sweep runs/lad40 "$OUT/summed_lad40_both.tgz" "$UNTIL" ;;
  *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
stamp "done"
