#!/usr/bin/env bash
# One GPU sitting for every shipped model at once (run on the GPU machine from the repo root, after
# `ninja -C build ebm`). The trainers are launch-bound (one eager CubesNet step uses a fraction of an
# H200), so several run side by side on one GPU at nearly their solo speed each.
#
#   train_fleet.sh launch MINUTES      start every job detached (setsid): they outlive the device call
#   train_fleet.sh status OUTDIR       last log lines of every job + its newest sample grid -> OUTDIR
#   train_fleet.sh wait                until every job has exited
#   train_fleet.sh ship OUTDIR         pick the best position run, gather runs/ship/*.safetensors,
#                                      grade them with `ebm eval --suite`, draw the model card's grids
#
# A run directory that already holds a checkpoint is resumed (--resume), so a later sitting that
# carries runs/ back continues the same trajectories.
set -uo pipefail
EBM=./build/app/ebm
DEVICE=${EBM_FLEET_DEVICE:-cuda}     # cpu: a local smoke run of this script
EVAL_N=${EBM_FLEET_EVAL_N:-256}
CMD=${1:?usage: train_fleet.sh launch MINUTES | status OUTDIR | wait | ship OUTDIR}
mkdir -p runs

# name | ebm train arguments (dsm: the objective that learns in minutes; see docs/training.md)
JOBS=(
  "position|--concept position --batch 128"
  "position_lr1e-3|--concept position --batch 256 --lr 1e-3"
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
    setsid nohup $EBM train --objective dsm --out "$dir" --iters 1000000 --time-limit "$min" --device "$DEVICE" \
      --no-progress --sample-every 1000 "$@" > "runs/$name.stdout" 2>&1 < /dev/null &
  fi
  echo "$name pid $!"
}

case $CMD in
  launch)
    MIN=${2:?minutes}
    for j in "${JOBS[@]}"; do launch_job "${j%%|*}" "$MIN" ${j#*|}; done
    # The grading classifier is cheap (forward passes only): it finishes well inside the sitting.
    setsid nohup $EBM train-classifier --out runs/classifier.safetensors --device "$DEVICE" --iters 6000 \
      --time-limit "$MIN" --no-progress > runs/classifier.stdout 2>&1 < /dev/null &
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
    # The position run with the lower last quick-graded position error ships.
    best=position; best_err=9
    for n in position position_lr1e-3; do
      e=$(grep sample_position_error runs/$n/log.jsonl 2>/dev/null | tail -1 |
          sed -E 's/.*"sample_position_error":([0-9.eE+-]+).*/\1/')
      echo "$n last position error: ${e:-none}"
      if [ -n "$e" ] && awk "BEGIN{exit !($e < $best_err)}"; then best=$n; best_err=$e; fi
    done
    echo "shipping position from runs/$best"
    cp "runs/$best/model.safetensors" runs/ship/position.safetensors
    for n in size shape color; do cp "runs/$n/model.safetensors" "runs/ship/$n.safetensors"; done
    cp runs/classifier.safetensors runs/ship/classifier.safetensors
    $EBM eval --suite --models runs/ship --n "$EVAL_N" --device "$DEVICE" --json-out "$OUT/eval_suite.json" \
      > "$OUT/eval_suite.txt" 2> "$OUT/eval_suite.err"
    cat "$OUT/eval_suite.txt"
    ;;
  *) echo "unknown command $CMD" >&2; exit 2 ;;
esac
