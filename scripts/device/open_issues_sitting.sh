#!/usr/bin/env bash
# The GPU work the open issues wait for (assets/models/MODEL_CARD.md "Next sittings" 16), in three
# chained calls; everything long runs detached (setsid), so it outlives a call while the machine stays
# warm. From the repo root on the GPU machine:
#   open_issues_sitting.sh start OUT    one CUDA build with the GUI on (ebm first); detached at once:
#                                       (a) issue #26's short walks for the summed cases — the seven cases
#                                       the 400-step ladder is the default of, both splits, the ladder
#                                       beside five walks of 39 evaluations with more top steps of a
#                                       smaller step than the quick walk (the direction the seventh
#                                       sitting's mend2 found); (b) 16(a): position ∧ colour, position ∧
#                                       size ∧ shape and the four concepts on their default sampler with
#                                       the grader's worst-value arithmetic, both splits; (c) issue #27's
#                                       bf16 CD loss curve beside fp32, MINUTES each (cd_precision.sh,
#                                       SPEED=0: the curves compare by iteration); then everything built
#                                       and the `gpu`-labelled tests detached; collects what is done by UNTIL_S
#   open_issues_sitting.sh collect OUT  waits for the sweeps; once they are done, issue #29's read of 256
#                                       renders starts detached (alone on the GPU but for the curves: the
#                                       read beside a sweep ran out of time before); collects what is done
#   open_issues_sitting.sh finish OUT   waits for the read and the curves, collects them; then, the GPU to
#                                       itself, issue #27's preview and session benches beside the reference
#                                       port's (gpu_suite.sh --no-tests, no checkpoint table)
# Settings: N (256), MINUTES (10), UNTIL_S (570).
set -uo pipefail
source scripts/device/sitting_common.sh  # SUMMED, stamp, sweep, collect_sweep, archive, alive, start_detached, wait_while_alive
sitting_begin "usage: open_issues_sitting.sh start|collect|finish OUT" "$@"
N=${N:-256}
UNTIL=${UNTIL_S:-570}
S="--place --split both --batch 256"
E="$S --walk euler --churn 20"

report_tests() {
  if [ -f runs/ctest_gpu.log ]; then
    cp runs/ctest_gpu.log "$OUT/ctest_gpu.log"
    grep -E "tests passed|tests failed|Failed|Not Run|\*\*\*Skipped|Timeout|Total Test time" runs/ctest_gpu.log | head -30
  fi
  alive runs/ctest_gpu.pid && echo "gpu tests still running"
}

collect_sweeps() {  # UNTIL_S: waits for both sweeps until then, archives what is done
  collect_sweep runs/summed_walks "$OUT/summed_walks.tgz" "$1"
  collect_sweep runs/regrade "$OUT/regrade_worst_value.tgz" "$((SECONDS - T0 + 5))"
}

collect_curves() {
  if [ -f runs/curves.log ]; then
    tail -n 40 runs/curves.log
    cp runs/curves.log "$OUT/curves_call.log"
    [ -f runs/cd_out/curves.txt ] && cp runs/cd_out/curves.txt runs/cd_out/cd_precision.tgz "$OUT/" 2> /dev/null
  fi
  alive runs/curves.pid && echo "curves still training"
}

case $PHASE in
  start)
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
    git rev-parse --short HEAD 2> /dev/null | tee -a "$OUT/gpu.txt"
    build_ebm "$OUT" ON
    stamp "ebm built"
    [ -f runs/summed_walks.log ] || sweep runs/summed_walks "$SUMMED" "$N" "ladder|$S" \
      "t24r6e14|$E --euler-top-steps 24 --corrector-r 0.6 --euler-steps 14" \
      "t24r5e14|$E --euler-top-steps 24 --corrector-r 0.5 --euler-steps 14" \
      "t28r5e10|$E --euler-top-steps 28 --corrector-r 0.5 --euler-steps 10" \
      "t30r4e8|$E --euler-top-steps 30 --corrector-r 0.4 --euler-steps 8" \
      "t32r45e6|$E --euler-top-steps 32 --corrector-r 0.45 --euler-steps 6"
    [ -f runs/regrade.log ] || sweep runs/regrade "position+color,position+size+shape,position+size+shape+color" "$N" \
      "default|$S"
    [ -f runs/curves.pid ] || SPEED=0 start_detached curves bash scripts/device/cd_precision.sh runs/cd_out "${MINUTES:-10}"
    ninja -C build > "$OUT/build_all.log" 2>&1 || grep -E "error|FAILED" "$OUT/build_all.log" | head -20
    stamp "everything built"
    [ -f runs/ctest_gpu.pid ] || start_detached ctest_gpu bash -c "cd build && ctest -L gpu --output-on-failure > ../runs/ctest_gpu.log 2>&1"
    wait_while_alive runs/ctest_gpu.pid $((UNTIL - 30))
    report_tests
    collect_sweeps "$((SECONDS - T0 + 5))"
    collect_curves
    ;;
  collect)
    wait_while_alive runs/ctest_gpu.pid 300
    report_tests
    collect_sweeps "$((UNTIL - 150))"
    if [ -f runs/summed_walks/sweep.txt ] && [ -f runs/regrade/sweep.txt ] && [ ! -f runs/read.pid ]; then
      start_detached read python3 scripts/models/infer_accuracy.py --n "$N" --device cuda --per-call 64 \
        --time-limit 400 --out runs/read.json -- --chunk 2048
      stamp "read started"
    fi
    wait_while_alive runs/read.pid "$UNTIL"
    [ -f runs/read.log ] && tail -n 30 runs/read.log
    collect_curves
    ;;
  finish)
    while { alive runs/read.pid || alive runs/curves.pid; } && [ $((SECONDS - T0)) -lt 330 ]; do sleep 5; done
    [ -f runs/read.log ] && { tail -n 30 runs/read.log; cp runs/read.log "$OUT/read.log"; }
    [ -f runs/read.json ] && cp runs/read.json "$OUT/read.json"
    collect_curves
    report_tests
    # The benches only with the GPU to itself: no `ebm` process left (the sweeps are `ebm eval`s; the
    # first run of this sitting, 2026-12-07, benched beside the still-running sweeps — not a timing).
    if pgrep -x ebm > /dev/null; then
      echo "ebm still running on the GPU (a sweep): no benches this call"
    elif ! alive runs/curves.pid && ! alive runs/read.pid && [ $((UNTIL - (SECONDS - T0))) -ge 150 ]; then
      REBUILD=0 CKPT=0 BUILD=build UNTIL_S=$((UNTIL - (SECONDS - T0) - 10)) bash scripts/device/gpu_suite.sh "$OUT/suite" --no-tests
    fi
    ;;
  *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
stamp "done"
