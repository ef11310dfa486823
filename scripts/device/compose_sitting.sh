#!/usr/bin/env bash
# One GPU sitting for issue #28 in three device calls. Everything long runs detached (setsid) under
# runs/, so it outlives the call that starts it and a later call collects it; the calls must follow
# each other while the machine is warm. Run from the repo root on the GPU machine:
#   compose_sitting.sh start OUT        build ebm (no GUI, no tests); start the size and colour
#                                       continuations from the shipped files and the "coord" grader
#                                       (train_fleet.sh); A/B the composition's prior (each vs shared)
#                                       on composition cases, graded by the shipped grader; and the
#                                       pipeline, detached: when the grader is done, the whole suite
#                                       with it, prior each vs shared (eval_sweep.sh, the cases in two
#                                       halves side by side); when training is done, the candidates
#                                       against the shipped files
#   compose_sitting.sh wait OUT         wait for the suite, stop the trainers (they save), collect
#   compose_sitting.sh collect OUT      copy whatever is finished into OUT
# A phase waits at most WAIT_S seconds (default 500).
# Settings through the environment: TRAIN_MIN (16), CLF_MIN (9), AB_N (64), SUITE_N (128).
set -uo pipefail
PHASE=${1:?usage: compose_sitting.sh start|grade|finish|collect OUT}; OUT=${2:?OUT}
mkdir -p "$OUT" runs
export EBM=./build/app/ebm
T0=$SECONDS
WAIT_S=${WAIT_S:-500}

source scripts/device/sitting_common.sh  # sweep, wait_for, archive
collect() {
  for d in runs/ab runs/suite_a runs/suite_b runs/cand; do
    [ -d "$d" ] || continue
    n=$(basename "$d")
    tar czf "$OUT/$n.tgz" "$d" "$d.log" 2> /dev/null
    [ -f "$d/sweep.txt" ] && { echo "== $n"; cat "$d/sweep.txt"; }
  done
  echo "== training"; bash scripts/device/train_fleet.sh status runs/grids 2>&1 | grep -v '^$' | tail -12
  tail -2 runs/classifier.stdout 2> /dev/null
}

case $PHASE in
  start)
    source .devdeps/device-env.sh
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DEBM_WITH_GUI=OFF -DEBM_BUILD_TESTS=OFF > "$OUT/cmake.log" 2>&1 \
      && ninja -C build ebm > "$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
    echo "built in $((SECONDS - T0)) s"
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
    EBM_FLEET_INIT_DIR=assets/models EBM_FLEET_CLASSIFIER_MIN=${CLF_MIN:-9} \
      EBM_FLEET_CLASSIFIER_ARGS="--iters 40000 --batch 256 --filters 64" \
      bash scripts/device/train_fleet.sh launch "${TRAIN_MIN:-16}" color_more size_more classifier
    sweep runs/ab "position+color,shape+color,position+size,position+shape+color,position+size+shape+color" \
      "${AB_N:-64}" "each|--prior each --labels 4" "shared|--prior shared --labels 4"
    setsid nohup bash "$0" pipeline "$OUT" > runs/pipeline.log 2>&1 < /dev/null &
    wait_for runs/ab/sweep.txt
    collect
    ;;
  pipeline)  # detached, started by `start`: each evaluation as soon as what it grades exists
    while pgrep -f "train-classifier" > /dev/null; do sleep 5; done
    echo "grader done at $((SECONDS - T0)) s"
    cp runs/classifier.safetensors assets/models/classifier.safetensors
    for half in a b; do
      if [ $half = a ]; then cases="position,size,shape,color,position+size,position+shape,position+color"
      else cases="shape+color,position+not color,shape+not color,position+size+shape,position+shape+color,position+size+shape+color"; fi
      sweep runs/suite_$half "$cases" "${SUITE_N:-128}" "each|--prior each --labels 8" "shared|--prior shared --labels 8"
    done
    while pgrep -f "ebm train " > /dev/null; do sleep 5; done
    echo "training done at $((SECONDS - T0)) s"
    mkdir -p runs/candm
    cp assets/models/*.safetensors runs/candm/
    cp runs/color_more/model.safetensors runs/candm/color.safetensors
    cp runs/size_more/model.safetensors runs/candm/size.safetensors
    sweep runs/cand "size,color,position+size,position+color,shape+color" "${SUITE_N:-128}" \
      "shipped|--prior shared --labels 8" "cand|--prior shared --labels 8 --models runs/candm"
    ;;
  wait)  # the sitting's device time allows one more full call: give the GPU to the suite. Stop the
    # trainers (they save) and the pipeline, start the suite when the grader is done, wait for it
    # (at most WAIT_S), collect everything.
    pkill -TERM -f "ebm train " 2> /dev/null
    pkill -f "compose_sitting.sh pipeline" 2> /dev/null
    for _ in $(seq 1 60); do pgrep -f "ebm train " > /dev/null || break; sleep 1; done
    while pgrep -f "train-classifier" > /dev/null && [ $((SECONDS - T0)) -lt "$WAIT_S" ]; do sleep 3; done
    echo "grader done at $((SECONDS - T0)) s into this call"; tail -3 runs/classifier.stdout
    cp runs/classifier.safetensors assets/models/classifier.safetensors
    if [ ! -f runs/suite_a.log ]; then
      for half in a b; do
        if [ $half = a ]; then cases="position,size,shape,color,position+size,position+shape,position+color"
        else cases="shape+color,position+not color,shape+not color,position+size+shape,position+shape+color,position+size+shape+color"; fi
        sweep runs/suite_$half "$cases" "${SUITE_N:-128}" "each|--prior each --labels 8" "shared|--prior shared --labels 8"
      done
    fi
    wait_for runs/suite_a/sweep.txt runs/suite_b/sweep.txt
    cp runs/classifier.safetensors "$OUT/classifier.safetensors" 2> /dev/null
    cp runs/color_more/model.safetensors "$OUT/color_more.safetensors" 2> /dev/null
    cp runs/size_more/model.safetensors "$OUT/size_more.safetensors" 2> /dev/null
    tar czf "$OUT/train_logs.tgz" runs/*.stdout runs/*/log.jsonl runs/*/samples runs/pipeline.log 2> /dev/null
    collect
    ;;
  collect) collect ;;
  *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
