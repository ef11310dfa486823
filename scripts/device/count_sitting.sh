#!/usr/bin/env bash
# The count concept's sitting (issue #28: compositions that hold exactly one object), in device calls
# that follow each other while the machine is warm. Everything long runs detached (setsid), so it
# outlives the call that starts it. Run from the repo root on the GPU machine:
#   count_sitting.sh start OUT   the CUDA build (GUI on), the benches while the GPU is quiet, then the
#                                count model trained for COUNT_MIN minutes (warm start from the shipped
#                                shape model: same label length), the rest of the build and every
#                                `gpu`-labelled test beside it
#   count_sitting.sh grade OUT   waits for the count model, then grades compositions with and without
#                                its "one object" term (ebm eval --one-object) side by side, then the
#                                gradient-checkpointing table (#24) with what is left of the call
#   count_sitting.sh tests OUT   the gpu-labelled tests alone, within TESTS_S (300) seconds
#   count_sitting.sh carried OUT grade a count model carried with the call (COUNT_FILE), 3 variants
#   count_sitting.sh ckpt OUT    the gradient-checkpointing table alone (#24)
#   count_sitting.sh quick OUT   all in one call for a short sitting (a 4-minute count model, 3 variants)
#   count_sitting.sh finish OUT  the gradient-checkpointing table (#24) with the GPU to itself, then
#                                collects whatever has finished
# Settings through the environment: COUNT_MIN (9), N (128), GRADE_WAIT_S (540).
set -uo pipefail
PHASE=${1:?usage: count_sitting.sh start|grade|finish|tests|carried|ckpt|quick OUT}; OUT=${2:?OUT}
mkdir -p "$OUT" runs
export EBM=./build/app/ebm
N=${N:-128}
T0=$SECONDS
source .devdeps/device-env.sh
source scripts/device/sitting_common.sh  # stamp, sweep, archive, build_ebm, gpu_benches, gpu_tests, ckpt_table
CASES="size,color,position+size,position+color,shape+color,position+shape+color"

collect() {
  for d in runs/count_eval; do [ -f "$d/sweep.txt" ] && { echo "== $d"; cat "$d/sweep.txt"; }; done
  echo "== count training"; tail -2 runs/count.stdout 2> /dev/null
  archive "$OUT/runs.tgz" runs/count_eval runs/*.log runs/count.stdout runs/count/log.jsonl runs/count/options.json \
    runs/ckpt_mem/*.log runs/ckpt_mem/*/log.jsonl
  local grid
  grid=$(ls runs/count/samples/iter_*.png 2> /dev/null | tail -1)
  [ -n "$grid" ] && cp "$grid" "$OUT/count_grid.png"
  [ -f runs/count/model.safetensors ] && cp runs/count/model.safetensors "$OUT/count.safetensors"
}

models_with_count() {  # the shipped models and the count model (COUNT_FILE, default the new run's), in runs/withcount
  mkdir -p runs/withcount
  cp assets/models/*.safetensors runs/withcount/
  cp "${COUNT_FILE:-runs/count/model.safetensors}" runs/withcount/count.safetensors
}

case $PHASE in
  start)
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
    build_ebm "$OUT" ON
    stamp "ebm built"
    gpu_benches "$OUT"
    stamp "benches done"
    setsid nohup $EBM train --concept count --objective dsm --dsm-weighting edm --batch 128 --lr 2e-4 \
      --init-from assets/models/shape.safetensors --init-across-concepts --pool 40000 --iters 1000000 \
      --time-limit "${COUNT_MIN:-9}" --sample-every 2000 --sample-guidance 4 --device cuda --no-progress \
      --out runs/count > runs/count.stdout 2>&1 < /dev/null &
    ninja -C build -j 14 -k 0 > "$OUT/build_all.log" 2>&1 || grep -E "error|FAILED" "$OUT/build_all.log" | head -20
    stamp "all built"
    gpu_tests 240
    stamp "gpu tests done"
    tail -3 runs/count.stdout; tail -2 runs/count/log.jsonl 2> /dev/null
    collect
    ;;
  grade)
    while pgrep -f "concept count" > /dev/null && [ $((SECONDS - T0)) -lt 300 ]; do sleep 3; done
    tail -3 runs/count.stdout
    stamp "count model done"
    models_with_count
    M="--labels 8 --models runs/withcount"
    # Three variants: on 2026-12-05 five variants of six cases at n = 128 took longer than the 120 s
    # that call had left, and on the CPU guidance 8 emptied floors (MODEL_CARD.md, the count concept).
    sweep runs/count_eval "$CASES" "$N" "shared|--prior shared $M" "one2|--prior shared $M --one-object --count-guidance 2" \
      "one4|--prior shared $M --one-object --count-guidance 4"
    while [ ! -f runs/count_eval/sweep.txt ] && [ $((SECONDS - T0)) -lt "${GRADE_WAIT_S:-540}" ]; do sleep 3; done
    stamp "sweep done"
    collect  # now, in case the call is cut short below
    # #24's table with what is left of the call, once the sweep has the GPU no more.
    [ -f runs/count_eval/sweep.txt ] && ckpt_table 575 15
    collect
    ;;
  finish)
    while [ ! -f runs/count_eval/sweep.txt ] && [ $((SECONDS - T0)) -lt 240 ]; do sleep 3; done
    ckpt_table 560 30
    collect
    ;;
  tests)  # the gpu-labelled tests alone (a sitting whose start call could not run them)
    gpu_tests "${TESTS_S:-300}"  # on the build the start call made (no rebuild: a copied tree may look newer)
    stamp "gpu tests done"
    ;;
  carried)  # grade a count model that travelled with the call (COUNT_FILE, e.g. .count/count.safetensors):
    # ebm alone, then the sweep of CASES_CARRIED with three variants until 570 s
    build_ebm "$OUT" OFF
    stamp "ebm built"
    models_with_count
    M="--labels 8 --models runs/withcount"
    sweep runs/count_eval "${CASES_CARRIED:-position+color,shape+color,size}" "$N" "shared|--prior shared $M" \
      "one4|--prior shared $M --one-object --count-guidance 4" "one8|--prior shared $M --one-object --count-guidance 8"
    while [ ! -f runs/count_eval/sweep.txt ] && [ $((SECONDS - T0)) -lt 570 ]; do sleep 3; done
    stamp "sweep done"
    collect
    ;;
  ckpt)  # #24's gradient-checkpointing table alone: ebm, then checkpoint_memory.sh until 575 s
    build_ebm "$OUT" OFF
    stamp "ebm built"
    ckpt_table 575 15
    archive "$OUT/runs.tgz" runs/ckpt_mem/*.log runs/ckpt_mem/*/log.jsonl
    ;;
  quick)  # everything in one call, for a sitting with little device time: ebm alone, the count
    # model for COUNT_MIN (4) minutes, then three variants of the sweep; no tests, no benches
    build_ebm "$OUT" OFF
    stamp "ebm built"
    $EBM train --concept count --objective dsm --dsm-weighting edm --batch 128 --lr 2e-4 \
      --init-from assets/models/shape.safetensors --init-across-concepts --pool 30000 --iters 1000000 \
      --time-limit "${COUNT_MIN:-4}" --sample-every 2000 --sample-guidance 4 --device cuda --no-progress \
      --out runs/count > runs/count.stdout 2>&1 < /dev/null
    tail -3 runs/count.stdout
    stamp "count model done"
    models_with_count
    M="--labels 8 --models runs/withcount"
    sweep runs/count_eval "${QUICK_CASES:-size,color,position+color,shape+color,position+shape+color}" "$N" \
      "shared|--prior shared $M" "one4|--prior shared $M --one-object --count-guidance 4" \
      "one8|--prior shared $M --one-object --count-guidance 8"
    while [ ! -f runs/count_eval/sweep.txt ] && [ $((SECONDS - T0)) -lt 575 ]; do sleep 3; done
    stamp "sweep done"
    collect
    ;;
  *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
