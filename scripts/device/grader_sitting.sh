#!/usr/bin/env bash
# The grader's sitting (issue #28, "the ruler first"): grading classifiers trained with the GPU to
# themselves for GRADER_MIN minutes, two widths side by side, in device calls that follow each other
# while the machine is warm. Training runs detached (setsid), so it outlives the call that starts it.
# Run from the repo root on the GPU machine:
#   grader_sitting.sh start OUT   ebm (GUI on), the graders started, the rest of the build, every
#                                 `gpu`-labelled test beside them (#27)
#   grader_sitting.sh wait OUT    waits for the graders (until WAIT_S), prints their held-out figures,
#                                 returns the files; then #24's checkpointing table with what is left
#   grader_sitting.sh ckpt OUT    #24's table alone (the graders done), then collects
# Settings through the environment: GRADER_MIN (13), WIDTHS ("64 128"), WAIT_S (560).
set -uo pipefail
PHASE=${1:?usage: grader_sitting.sh start|wait|ckpt OUT}; OUT=${2:?OUT}
mkdir -p "$OUT" runs
export EBM=./build/app/ebm
T0=$SECONDS
source .devdeps/device-env.sh
source scripts/device/sitting_common.sh  # stamp, archive, build_ebm, gpu_tests, ckpt_table
WIDTHS=${WIDTHS:-64 128}

collect() {
  for w in $WIDTHS; do
    echo "== grader f$w"; tail -4 runs/grader_f$w.stdout 2> /dev/null
    [ -f runs/grader_f$w.safetensors ] && cp runs/grader_f$w.safetensors "$OUT/"
  done
  archive "$OUT/runs.tgz" runs/grader_f*.stdout runs/ckpt_mem/*.log runs/ckpt_mem/*/log.jsonl
}

# A second `start` on a machine where the graders already run (two drivers of one sitting) waits
# for them instead of starting them again.
if [ "$PHASE" = start ] && [ -f runs/grader_f${WIDTHS%% *}.stdout ]; then
  echo "graders already started on this machine: waiting for them instead"
  PHASE=wait
fi

case $PHASE in
  start)
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
    build_ebm "$OUT" ON
    stamp "ebm built"
    for w in $WIDTHS; do
      setsid nohup $EBM train-classifier --out runs/grader_f$w.safetensors --device cuda --batch 256 \
        --filters "$w" --iters 10000000 --time-limit "${GRADER_MIN:-13}" --log-every 200 --no-progress \
        > runs/grader_f$w.stdout 2>&1 < /dev/null &
    done
    ninja -C build -j 12 -k 0 > "$OUT/build_all.log" 2>&1 || grep -E "error|FAILED" "$OUT/build_all.log" | head -20
    stamp "all built"
    gpu_tests $((570 - (SECONDS - T0)))
    stamp "gpu tests done"
    for w in $WIDTHS; do echo "== f$w"; tail -2 runs/grader_f$w.stdout; done
    nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
    ;;
  wait)
    while pgrep -f "train-classifier" > /dev/null && [ $((SECONDS - T0)) -lt "${WAIT_S:-560}" ]; do sleep 5; done
    stamp "graders done"
    collect
    pgrep -f "train-classifier" > /dev/null || ckpt_table 575 15
    collect
    ;;
  ckpt)
    pkill -INT -f "train-classifier"; while pgrep -f "train-classifier" > /dev/null; do sleep 2; done
    ckpt_table 575 15
    collect
    ;;
  *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
