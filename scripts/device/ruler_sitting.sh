#!/usr/bin/env bash
# The ruler's second sitting (issue #28): the shipped grader continued at a lower rate with the GPU
# shared only by the held-out regrade of the whole suite with it (both composition rules, n = 256),
# in device calls that follow each other while the machine is warm. Everything runs detached
# (setsid), so it outlives the call that starts it. Run from the repo root on the GPU machine:
#   ruler_sitting.sh start OUT    ebm built, the grader continuation and the sweep started, waited on
#   ruler_sitting.sh wait OUT     waits (until WAIT_S) for both, prints and returns what is done
#   ruler_sitting.sh extra OUT "NAME|FLAGS"...   one more held-out sweep (ebm rebuilt first: the
#                                 working tree may have changed since `start`), then waits for it
# Settings: GRADER_MIN (16), GRADER_LR (3e-4), N (256), WAIT_S (570).
set -uo pipefail
PHASE=${1:?usage: ruler_sitting.sh start|wait|extra OUT}; OUT=${2:?OUT}; shift 2
mkdir -p "$OUT" runs
export EBM=./build/app/ebm
T0=$SECONDS
WAIT_S=${WAIT_S:-570}
source .devdeps/device-env.sh
source scripts/device/sitting_common.sh  # stamp, sweep, archive, build_ebm

collect() {
  echo "== grader continuation"; tail -3 runs/grader_cont.stdout 2> /dev/null
  [ -f runs/grader_cont.safetensors ] && cp runs/grader_cont.safetensors "$OUT/"
  for d in runs/heldout runs/extra; do
    [ -f $d/sweep.txt ] && { echo "== $d"; cat $d/sweep.txt; }
  done
  archive "$OUT/ruler.tgz" runs/grader_cont.stdout runs/heldout runs/heldout.log runs/extra runs/extra.log
}

settle() {  # waits for the grader and every sweep started, until WAIT_S
  while { pgrep -f "train-classifier" || pgrep -f "eval_sweep.sh"; } > /dev/null \
    && [ $((SECONDS - T0)) -lt "$WAIT_S" ]; do sleep 5; done
  stamp "settled"
}

case $PHASE in
  start)
    if [ -f runs/grader_cont.stdout ]; then echo "already started on this machine: waiting"; settle; collect; exit 0; fi
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
    build_ebm "$OUT" OFF
    stamp "ebm built"
    setsid nohup $EBM train-classifier --out runs/grader_cont.safetensors --device cuda --batch 256 \
      --init-from assets/models/classifier.safetensors --lr "${GRADER_LR:-3e-4}" --iters 10000000 \
      --time-limit "${GRADER_MIN:-16}" --log-every 200 --no-progress > runs/grader_cont.stdout 2>&1 < /dev/null &
    sweep runs/heldout all "${N:-256}" "each|--split heldout" "shared|--prior shared --split heldout"
    settle
    collect
    ;;
  wait)
    settle
    collect
    ;;
  extra)
    ninja -C build ebm > "$OUT/build_ebm.log" 2>&1 || { tail -n 30 "$OUT/build_ebm.log"; exit 1; }
    stamp "ebm rebuilt"
    sweep runs/extra all "${N:-256}" "$@"
    settle
    collect
    ;;
  *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
