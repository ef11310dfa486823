#!/usr/bin/env bash
# assets/models/MODEL_CARD.md "Next sittings" 19: what needs the GPU to itself first, then what may
# share it. Three chained calls on one warm machine (the detached work outlives a call only while the
# machine stays warm, 30 s idle at most). From the repo root on the GPU machine:
#   alone_sitting.sh bench OUT    the CUDA build with the GUI on (ebm first); then, the GPU to itself,
#                                 issue #27's benches beside the reference port's (gpu_suite.sh
#                                 --no-tests: the session rows, the preview cost and its two parts
#                                 alone, `ebm bench --preview 4 --preview-parts`, the modes, the
#                                 reference's graph_bench.py in the same run; packed into suite.tgz),
#                                 and issue #26's ≤ 0.3 s: the opening composition at batch 64 on its
#                                 default walk (the 400-step ladder), the 40-evaluation ladder and that
#                                 ladder in bf16 (time_opening); then, detached, the sweep below, and
#                                 the rest of the build (the tests) on the CPU beside it
#   alone_sitting.sh share OUT    the `gpu`-labelled tests, then the rest of the suite (-LE soak|gpu),
#                                 beside the sweep (pass/fail, not timings); the sweep's cases so far
#   alone_sitting.sh summed OUT   one call when the budget has room for no more (fourteenth session:
#                                 refused starts left 1,079 s): ebm alone (no GUI), the opening
#                                 composition on the 40-evaluation ladder timed, then the sweep below
#                                 on the seven summed cases only (the gate's: walk_gate.py), in the
#                                 call itself, its cases so far archived at UNTIL_S
#   alone_sitting.sh collect OUT  waits (until UNTIL_S) for the sweep and archives it (no sweep on the
#                                 machine: the bench phase); with time left after it, the preview's
#                                 parts again (`ebm bench --preview 4 --preview-parts`, batch 64)
# The sweep: every suite case (the summed phase: the seven summed ones), --place, n = N, both splits,
# on corrector ladders of 40 evaluations (WALKS below): 12 top steps of r 0.6 + 14 levels × 2 at
# several temperatures. CPU screens, held out, n = 256, all met against the 400-step ladder's: at T 1
# it kept position ∧ size (98.0 / 98.8), position ∧ shape, size and position ∧ ¬colour within 2
# points but not shape ∧ ¬colour (89.1 / 97.3, shape accuracy 93.8 %); hotter walks below. The default
# walks' column is the tenth session's run of the same seeds (deterministic: the twelfth reproduced
# its ladder and quick columns to the digit), docs/measurements/2026-12-07_a54f796_h100_default_suite_
# {heldout,tune}.tgz; scripts/device/walk_gate.py compares the two. If one 40-evaluation walk is within
# 2 points of it on every summed case and split, it can be the summed rule's default (issue #26).
# Settings: N (256), UNTIL_S (570).
set -uo pipefail
source scripts/device/sitting_common.sh  # stamp, sweep, collect_sweep, pack, time_opening, build_ebm
sitting_begin "usage: alone_sitting.sh bench|share|collect|summed OUT" "$@"
N=${N:-256}
UNTIL=${UNTIL_S:-570}
C="--place --split both --batch 256"
L40="--walk corrector --top-steps 12 --corrector-r 0.6 --levels 14 --steps-per-level 2"
# The sweep's walks: 12 + 14 × 2 (r 0.6) at the temperature 1 and hotter (the fourteenth session's CPU
# screen, held out, n = 256, all met against the ladder's — shape ∧ ¬colour (97.3): T 0.7 80.1, T 1
# 89.1, T 1.3 95.7, the top steps alone at 1.5 94.1; position ∧ size (98.8): T 1 98.0, T 1.3 96.1, the
# top at 1.5 98.0 — more noise at the top keeps the shapes and costs nothing where the levels settle
# position). So: T 1, T 1.3, and the top alone at 1.5, 2 and 2.5.
WALKS=("t12l14k2|$C $L40" "t12l14k2T13|$C $L40 --temperature 1.3" "t12l14k2top15|$C $L40 --top-temperature 1.5"
       "t12l14k2top20|$C $L40 --top-temperature 2" "t12l14k2top25|$C $L40 --top-temperature 2.5")

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
    time_opening "$OUT" "default|" "t12l14k2|$L40" "t12l14k2bf|$L40 --precision bf16"
    stamp "opening composition timed"
    [ -f runs/lad40.log ] || sweep runs/lad40 all "$N" "${WALKS[@]}"
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
    collect_sweep runs/lad40 "$OUT/suite_lad40_both.tgz" "$UNTIL"
    ;;
  summed)
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
    build_ebm "$OUT" OFF
    stamp "ebm built"
    time_opening "$OUT" "t12l14k2|$L40"  # the temperatures cost nothing: the same 40 steps
    stamp "opening composition timed"
    timeout $((UNTIL - 25 - (SECONDS - T0))) bash scripts/device/eval_sweep.sh runs/lad40 "$SUMMED" "$N" \
      "${WALKS[@]}" > runs/lad40.log 2>&1
    stamp "sweep ended (rc $?)"
    [ -f runs/lad40/sweep.txt ] || python3 scripts/device/sweep_table.py runs/lad40 > runs/lad40/sweep_partial.txt
    archive "$OUT/suite_lad40_summed.tgz" runs/lad40 runs/lad40.log runs/timing_*
    tail -n 40 runs/lad40/sweep*.txt
    ;;
  collect)
    collect_sweep runs/lad40 "$OUT/suite_lad40_both.tgz" "$UNTIL"
    # The sweep done and time left: the preview's parts again, on the ebm the share phase rebuilt
    # from its tree (the parts 'map-nowait' and 'interop-copy' are newer than the bench phase's).
    if [ -f runs/lad40/sweep.txt ] && ! pgrep -x ebm > /dev/null && [ $((UNTIL - (SECONDS - T0))) -gt 120 ]; then
      ninja -C build ebm > "$OUT/build_parts.log" 2>&1 || tail -n 5 "$OUT/build_parts.log"
      timeout $((UNTIL - 30 - (SECONDS - T0))) build/app/ebm bench --device cuda --models cubesnet --batch 64 \
        --terms 1 --modes graph+tf32 --preview 4 --preview-parts --steps 96 2> "$OUT/bench_parts.err" |
        tee "$OUT/bench_preview_parts.txt"
      stamp "preview parts measured"
    fi
    ;;
  *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
stamp "done"
