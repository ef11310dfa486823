#!/usr/bin/env bash
# assets/models/MODEL_CARD.md "Next sittings" 17: what needs the GPU to itself first, then what may
# share it. Three chained calls on one warm machine (the detached work outlives a call only while the
# machine stays warm, 30 s idle at most). From the repo root on the GPU machine:
#   alone_sitting.sh bench OUT    the CUDA build with the GUI on (ebm only); then, the GPU to itself,
#                                 issue #27's benches beside the reference port's (gpu_suite.sh
#                                 --no-tests: the session rows, the preview cost, the modes, the
#                                 reference's graph_bench.py in the same run); then issue #29's read of
#                                 256 fresh renders detached, alone (infer_accuracy.py, runs of 64 that
#                                 keep what they read)
#   alone_sitting.sh share OUT    waits for the read (until UNTIL_S) and collects it; once it is done,
#                                 detached and side by side: issue #26's longer walks for the summed cases
#                                 (held-out split, where the short walks lose: about 80 evaluations —
#                                 48 top steps of r 0.3 and 28 Euler steps, 40 of r 0.4 and 38, a ladder
#                                 of 40 top steps and 20 levels × 2 of r 0.5 — beside the quick walk and
#                                 the 400-step ladder. Heun's steps were screened out on the CPU first:
#                                 position ∧ size, tune, n = 64 — quick 98 %, Heun t24 e8 64 %, t16 e12 95 %)
#                                 and issue #29's edit target on the GPU at n = 256 (64 renders × 4 edits,
#                                 in a box at σ 1, the colour file's guidance, the quick walk)
#   alone_sitting.sh collect OUT  waits (until UNTIL_S) for the two and archives them
# Settings: N (256), UNTIL_S (570).
set -uo pipefail
source scripts/device/sitting_common.sh  # stamp, sweep, collect_sweep, archive, alive, build_ebm, start_detached, wait_while_alive
sitting_begin "usage: alone_sitting.sh bench|share|collect OUT" "$@"
N=${N:-256}
UNTIL=${UNTIL_S:-570}
SUMMED="position,position+size,position+shape,position+not color,size,shape,shape+not color"
T="--place --split heldout --batch 256"
E="$T --walk euler --churn 20"

report_read() {
  [ -f runs/read.log ] && tail -n 20 runs/read.log
  [ -f runs/read.json ] && cp runs/read.json "$OUT/read.json"
  alive runs/read.pid && echo "the read is still running"
}

collect_shared() {  # UNTIL_S
  collect_sweep runs/walk80 "$OUT/summed_walk80_heldout.tgz" "$1"
  wait_while_alive runs/edit.pid "$1"
  [ -f runs/edit.json ] && { cp runs/edit.json "$OUT/edit_accuracy_box_sigma10.json"; tail -n 12 runs/edit.json; }
  alive runs/edit.pid && { echo "the edits are still running"; tail -n 3 runs/edit.log; }
}

case $PHASE in
  bench)
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
    build_ebm "$OUT" ON
    stamp "ebm built"
    if pgrep -x ebm > /dev/null; then
      echo "an ebm already runs on the GPU: no benches this call"
    else
      REBUILD=0 CKPT=0 BUILD=build UNTIL_S=$((UNTIL - 200 - (SECONDS - T0))) bash scripts/device/gpu_suite.sh "$OUT/suite" --no-tests
      stamp "benches done"
    fi
    [ -f runs/read.pid ] || start_detached read python3 scripts/models/infer_accuracy.py --n "$N" --device cuda \
      --per-call 64 --time-limit 900 --out runs/read.json -- --chunk 2048
    wait_while_alive runs/read.pid "$UNTIL"
    report_read
    ;;
  share)
    wait_while_alive runs/read.pid $((UNTIL - 200))
    report_read
    if ! alive runs/read.pid; then
      [ -f runs/walk80.log ] || sweep runs/walk80 "$SUMMED" "$N" "ladder|$T" \
        "t24r6e14|$E --euler-top-steps 24 --corrector-r 0.6 --euler-steps 14" \
        "t48r3e28|$E --euler-top-steps 48 --corrector-r 0.3 --euler-steps 28" \
        "t40r4e38|$E --euler-top-steps 40 --corrector-r 0.4 --euler-steps 38" \
        "lad80|$T --walk corrector --top-steps 40 --corrector-r 0.5 --levels 20 --steps-per-level 2"
      [ -f runs/edit.pid ] || start_detached edit python3 scripts/models/edit_accuracy.py --scenes 64 --per-scene 4 \
        --sigma 1.0 --region --device cuda --out runs/edit.json -- --quality quick
      stamp "the shared work started"
      collect_shared "$UNTIL"
    fi
    ;;
  collect) collect_shared "$UNTIL" ;;
  *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
stamp "done"
