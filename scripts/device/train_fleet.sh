#!/usr/bin/env bash
# Training sittings on the GPU machine (run from the repo root, after `ninja -C build ebm`).
# Jobs run detached (setsid), so they outlive the device call that starts them; later calls watch
# and collect. Measured on an H200 (MODEL_CARD.md): the DSM step is compute-bound there, so jobs side
# by side share the GPU's throughput (five at batch 128: 4.6-4.9 it/s each, one alone at batch 256:
# 12.5 it/s) — name one job to give it the whole GPU.
#
#   train_fleet.sh launch MINUTES [JOB...]  start the named jobs (default: all) and the classifier
#                                           (only when no job is named, or when "classifier" is)
#   train_fleet.sh status OUTDIR            last log lines of every job + its newest sample grid -> OUTDIR
#   train_fleet.sh wait                     until every job has exited
#   train_fleet.sh ship OUTDIR              gather runs/ship/*.safetensors (per concept the run with the
#                                           lowest last loss), grade them with `ebm eval --suite`
#
# A run directory that already holds a checkpoint is resumed (--resume), so a later sitting that
# carries runs/ back continues the same trajectories. Checkpoints (~35 MB each) rarely travel, so
# with EBM_FLEET_INIT_DIR=DIR a new run of concept C starts from DIR/C.safetensors (an earlier
# sitting's model file, `ebm train --init-from`) when that file exists. EBM_FLEET_DEVICE=cuda:1
# puts a launch's jobs on the second GPU of a two-GPU machine.
set -uo pipefail
EBM=${EBM:-./build/app/ebm}
DEVICE=${EBM_FLEET_DEVICE:-cuda}     # cpu: a local smoke run of this script
EVAL_N=${EBM_FLEET_EVAL_N:-256}
CMD=${1:?usage: train_fleet.sh launch MINUTES | status OUTDIR | wait | ship OUTDIR}
mkdir -p runs

# name | ebm train arguments (dsm: the objective that learns in minutes; see docs/training.md)
JOBS=(
  "position|--concept position --batch 128"
  "position_b256|--concept position --batch 256"
  "position_edm|--concept position --batch 128 --dsm-weighting edm"
  "color_edm|--concept color --batch 128 --dsm-weighting edm --sample-guidance 12"
  "size_edm|--concept size --batch 128 --dsm-weighting edm --sample-guidance 12"
  "shape_edm|--concept shape --batch 128 --dsm-weighting edm --sample-guidance 12"
  "position_more|--concept position --batch 128 --dsm-weighting edm --sample-guidance 12 --lr 2e-4"
  "color_more|--concept color --batch 128 --dsm-weighting edm --sample-guidance 12 --lr 2e-4"
  "shape_more|--concept shape --batch 128 --dsm-weighting edm --sample-guidance 12 --lr 2e-4"
  "size_more|--concept size --batch 128 --dsm-weighting edm --sample-guidance 12 --lr 2e-4"
  "size|--concept size --batch 128"
  "shape|--concept shape --batch 128"
  "color|--concept color --batch 128"
)

launch_job() {  # name minutes args...
  local name=$1 min=$2; shift 2
  local dir=runs/$name
  if [ -f "$dir/checkpoint.safetensors" ]; then
    setsid nohup $EBM train --out "$dir" --resume --time-limit "$min" --device "$DEVICE" --no-progress \
      > "runs/$name.stdout" 2>&1 < /dev/null &
  else
    local init=() concept
    concept=$(sed -E 's/.*--concept ([a-z]+).*/\1/' <<< "$*")
    if [ -n "${EBM_FLEET_INIT_DIR:-}" ] && [ -f "$EBM_FLEET_INIT_DIR/$concept.safetensors" ]; then
      init=(--init-from "$EBM_FLEET_INIT_DIR/$concept.safetensors")
    fi
    setsid nohup $EBM train --objective dsm --out "$dir" "${init[@]}" --iters 1000000 --time-limit "$min" --device "$DEVICE" \
      --no-progress --sample-every 1000 "$@" > "runs/$name.stdout" 2>&1 < /dev/null &
  fi
  echo "$name pid $!"
}

case $CMD in
  launch)
    MIN=${2:?minutes}; shift 2
    WANT=" $* "
    for j in "${JOBS[@]}"; do
      if [ $# -eq 0 ] || [[ $WANT == *" ${j%%|*} "* ]]; then launch_job "${j%%|*}" "$MIN" ${j#*|}; fi
    done
    if [ $# -gt 0 ] && [[ $WANT != *" classifier "* ]]; then exit 0; fi
    # The grading classifier takes a small share of the GPU. EBM_FLEET_CLASSIFIER_MIN gives it a time
    # limit of its own, EBM_FLEET_CLASSIFIER_ARGS its flags (default: the "coord" grader, 64 filters).
    # shellcheck disable=SC2086  # a list of flags
    setsid nohup $EBM train-classifier --out runs/classifier.safetensors --device "$DEVICE" \
      ${EBM_FLEET_CLASSIFIER_ARGS:---iters 20000 --batch 256} --time-limit "${EBM_FLEET_CLASSIFIER_MIN:-$MIN}" \
      --no-progress > runs/classifier.stdout 2>&1 < /dev/null &
    echo "classifier pid $!"
    ;;
  status)
    OUT=${2:?outdir}; mkdir -p "$OUT"
    nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
    for j in "${JOBS[@]}"; do
      n=${j%%|*}
      echo "== $n: $(grep -c . runs/$n/log.jsonl 2>/dev/null) log lines"
      grep -v sample_ runs/$n/log.jsonl 2>/dev/null | tail -1 | cut -c1-300
      grep sample_ runs/$n/log.jsonl 2>/dev/null | tail -2
      tail -2 runs/$n.stdout
      last=$(ls runs/$n/samples/iter_*.png 2>/dev/null | tail -1)
      [ -n "$last" ] && cp "$last" "$OUT/${n}_$(basename "$last")"
    done
    echo "== classifier"; tail -3 runs/classifier.stdout
    ;;
  wait)
    while pgrep -f "$EBM train" > /dev/null; do sleep 5; done
    ;;
  ship)
    OUT=${2:?outdir}; mkdir -p "$OUT" runs/ship
    # Per concept, the run with the lowest last logged loss ships (the quick grade's "found" can be
    # fooled by faint texture, and a collapsed run has a loss 10-30x its best).
    for c in position size shape color; do
      best=; best_loss=1e30
      for j in "${JOBS[@]}"; do
        n=${j%%|*}; [[ $n == "$c" || $n == "$c"_* ]] || continue
        l=$(grep -v sample_ runs/$n/log.jsonl 2>/dev/null | tail -1 | sed -E 's/.*"loss":([0-9.eE+-]+).*/\1/')
        [ -n "$l" ] || continue
        echo "$n last loss: $l"
        if awk "BEGIN{exit !($l < $best_loss)}"; then best=$n; best_loss=$l; fi
      done
      [ -n "$best" ] && { echo "$c: shipping runs/$best"; cp "runs/$best/model.safetensors" "runs/ship/$c.safetensors"; }
    done
    # A classifier trained this sitting grades; otherwise the shipped one does.
    if [ -f runs/classifier.safetensors ]; then cp runs/classifier.safetensors runs/ship/classifier.safetensors
    else cp assets/models/classifier.safetensors runs/ship/classifier.safetensors; fi
    $EBM eval --suite --models runs/ship --n "$EVAL_N" --device "$DEVICE" --json-out "$OUT/eval_suite.json" \
      > "$OUT/eval_suite.txt" 2> "$OUT/eval_suite.err"
    cat "$OUT/eval_suite.txt"
    ;;
  *) echo "unknown command $CMD" >&2; exit 2 ;;
esac
