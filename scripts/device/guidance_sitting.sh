#!/usr/bin/env bash
# One GPU sitting for issues #28/#26/#27/#23 in three device calls that follow each other while the
# machine is warm (each call ends well inside its 10 minutes; everything long runs detached under
# runs/ with setsid, so it outlives the call that starts it). Run from the repo root on the GPU machine:
#   guidance_sitting.sh start OUT   build (CUDA, GUI and tests on); the preview/throughput bench while
#                                   the GPU is still quiet; then, detached: the grader trained alone for
#                                   CLF_MIN minutes, the per-concept guidance sweep of the single
#                                   cases (size, colour, shape at guidance 2/3/4/the file's 6) and the
#                                   walk sweep (#26: final vs draft vs 24 top + 8 Heun steps, 40 evaluations); then the gpu-labelled
#                                   tests, and what is finished by then
#   guidance_sitting.sh middle OUT  per concept, the guidance with the most samples meeting every target
#                                   (ties: objects found) is written into copies of the shipped files
#                                   (runs/tuned); the composition cases graded with them, prior each vs
#                                   shared (three sweeps side by side); #29's read accuracy on the GPU;
#                                   #24's gradient-checkpointing memory (checkpoint_memory.sh)
#   guidance_sitting.sh finish OUT  wait for the grader (at most GRADER_WAIT_S), grade the tuned files
#                                   with it on the held-out split, collect everything
#   guidance_sitting.sh rest OUT    middle and finish in one call (start with CLF_MIN=10): the held-out
#                                   split of the one- and two-concept cases only
# Settings through the environment: CLF_MIN (13), N (128), WAIT_S (a phase's wait bound, 480),
# GRADER_WAIT_S (200), HELD_WAIT_S (240).
set -uo pipefail
PHASE=${1:?usage: guidance_sitting.sh start|middle|finish|collect OUT}; OUT=${2:?OUT}
mkdir -p "$OUT" runs
export EBM=./build/app/ebm
N=${N:-128}
T0=$SECONDS
WAIT_S=${WAIT_S:-480}
left() { local l=$((${1:-560} - (SECONDS - T0))); echo $((l > 5 ? l : 5)); }  # seconds left of a call's budget (default 560)
SINGLES="size,color,shape"

source scripts/device/sitting_common.sh  # sweep, wait_for, archive, build_ebm, gpu_benches
collect() {
  for d in runs/guid runs/walk runs/comp_a runs/comp_b runs/comp_c runs/held_a runs/held_b runs/held_c runs/held_d; do
    [ -f "$d/sweep.txt" ] && { echo "== $d"; cat "$d/sweep.txt"; }
  done
  archive "$OUT/sweeps.tgz" runs/guid runs/walk runs/comp_* runs/held_* runs/*.log runs/read runs/tuned/choice.txt \
    runs/classifier.stdout runs/ckpt_mem/*.log runs/ckpt_mem/*/log.jsonl runs/opening*
  echo "== grader"; tail -2 runs/classifier.stdout 2> /dev/null
}

tune_and_compose() {  # per-concept guidance from runs/guid into runs/tuned; the composition sweeps
    mkdir -p runs/tuned
    cp assets/models/*.safetensors runs/tuned/
    # Per concept the guidance whose samples most often meet every target (ties: objects found).
    python3 - runs/guid <<'PY' > runs/tuned/choice.txt
import json, os, sys
d = sys.argv[1]
best = {}
for g in ("2", "3", "4", "6"):
    try:
        tables = json.load(open(os.path.join(d, f"g{g}.json")))["tables"]
    except (OSError, ValueError, KeyError):
        continue
    for t in tables:
        key = (t["all_met"], t["objects_found"])
        if t["case"] not in best or key > best[t["case"]][0]:
            best[t["case"]] = (key, g)
for case, (key, g) in sorted(best.items()):
    print(case, g, f"all {key[0]:.3f} found {key[1]:.3f}")
PY
    cat runs/tuned/choice.txt
    while read -r concept g _; do
      python3 scripts/models/set_guidance.py "runs/tuned/$concept.safetensors" "$g" > /dev/null
    done < runs/tuned/choice.txt
    for part in a b c; do
      case $part in
        a) cases="position+size,position+shape,position+color" ;;
        b) cases="shape+color,position+not color,shape+not color" ;;
        c) cases="position+size+shape,position+shape+color,position+size+shape+color" ;;
      esac
      sweep runs/comp_$part "$cases" "$N" "each|--prior each --labels 8 --models runs/tuned" \
        "shared|--prior shared --labels 8 --models runs/tuned"
    done
}
read_accuracy() {  # #29 on the GPU, detached
    mkdir -p runs/read
    (PYTHONUNBUFFERED=1 timeout 420 python3 scripts/models/infer_accuracy.py --ebm "$EBM" --n 256 --device cuda \
      --out runs/read/infer_n256.json > runs/read/infer.log 2>&1 &)
    (PYTHONUNBUFFERED=1 timeout 420 python3 scripts/models/edit_accuracy.py --ebm "$EBM" --device cuda \
      --out runs/read/edit_64.json > runs/read/edit.log 2>&1 &)
}
grader_and_heldout() {  # WAIT_UNTIL_S PARTS...: wait for the grader (until WAIT_UNTIL_S since T0), then
  # the held-out sweeps of the named parts (a: single concepts, b: two, c: two with a negation, d: three/four)
    local until=$1; shift
    while pgrep -f "train-classifier" > /dev/null && [ $((SECONDS - T0)) -lt "$until" ]; do sleep 3; done
    tail -3 runs/classifier.stdout
    # The held-out grades read the tuned files with the new grader from a folder of their own (the
    # composition sweeps may still be reading runs/tuned).
    mkdir -p runs/tuned_new
    cp runs/tuned/*.safetensors runs/tuned_new/
    if [ -f runs/classifier.safetensors ]; then
      cp runs/classifier.safetensors runs/tuned_new/classifier.safetensors
      cp runs/classifier.safetensors "$OUT/classifier.safetensors"
    fi
    # The held-out split (never tuned on) with the tuned files and the new grader, in four sweeps.
    for part in "$@"; do
      case $part in
        a) cases="position,size,shape,color" ;;
        b) cases="position+size,position+shape,position+color" ;;
        c) cases="shape+color,position+not color,shape+not color" ;;
        d) cases="position+size+shape,position+shape+color,position+size+shape+color" ;;
      esac
      sweep runs/held_$part "$cases" "$N" "each|--prior each --labels 8 --split heldout --models runs/tuned_new"
    done
}

tune_read_and_measure() {  # CKPT_LIMIT_S: the tuned files and their compositions, the read accuracy
  # (detached), then the checkpointing memory table within CKPT_LIMIT_S
    wait_for runs/guid/sweep.txt
    tune_and_compose
    read_accuracy
    timeout "$1" bash scripts/device/checkpoint_memory.sh runs/ckpt_mem > "$OUT/ckpt_mem.txt" 2>&1
    cat "$OUT/ckpt_mem.txt"
}
deliver() {  # the tuned files that differ from the shipped ones (guidance rewritten), then collect
    for m in color size shape; do
      cmp -s "runs/tuned/$m.safetensors" "assets/models/$m.safetensors" ||
        cp "runs/tuned/$m.safetensors" "$OUT/tuned_$m.safetensors"
    done
    collect
}

case $PHASE in
  start)
    source .devdeps/device-env.sh
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
    build_ebm "$OUT" ON
    echo "ebm built in $((SECONDS - T0)) s"
    gpu_benches "$OUT"  # first, while nothing else is on the GPU
    # #26: the opening composition at batch 64, the final and the draft walk (process start to PNG).
    for spec in "final|" "draft|--walk euler --euler-steps 10 --churn 20 --euler-top-steps 40"; do
      name=${spec%%|*}; t=$SECONDS
      # shellcheck disable=SC2086  # a list of flags
      timeout 60 $EBM sample --recipe assets/recipes/color_and_position.json --batch 64 --device cuda ${spec#*|} \
        --out "runs/opening_$name.png" > "runs/opening_$name.log" 2>&1
      echo "opening composition, $name walk, batch 64: $((SECONDS - t)) s from process start; $(grep -o '[0-9.]* ms/step' "runs/opening_$name.log" | tail -1)"
    done | tee runs/opening.txt
    echo "bench done at $((SECONDS - T0)) s"
    setsid nohup $EBM train-classifier --out runs/classifier.safetensors --device cuda --iters 1000000 \
      --batch 256 --filters 64 --time-limit "${CLF_MIN:-13}" --no-progress > runs/classifier.stdout 2>&1 < /dev/null &
    sweep runs/guid "$SINGLES" "$N" "g2|--guidance 2 --labels 8" "g3|--guidance 3 --labels 8" \
      "g4|--guidance 4 --labels 8" "g6|--labels 8"
    sweep runs/walk "position,color,position+size,position+color,shape+color" "$N" "final|--labels 8" \
      "draft|--walk euler --euler-steps 10 --churn 20 --euler-top-steps 40 --labels 8" \
      "heun|--walk euler --heun --euler-steps 8 --churn 20 --euler-top-steps 24 --labels 8"
    timeout "$(left 420)" ninja -C build > "$OUT/build_all.log" 2>&1 || grep -E "error|FAILED" "$OUT/build_all.log" | head -20
    echo "all built at $((SECONDS - T0)) s"
    (cd build && timeout "$(left 520)" ctest -L gpu --output-on-failure > "$OUT/ctest_gpu.log" 2>&1)
    grep -E "tests passed|tests failed|Failed|Not Run|Skipped" "$OUT/ctest_gpu.log" | head -20
    grep -E "returned after|handed out" "$OUT/ctest_gpu.log"
    echo "gpu tests done at $((SECONDS - T0)) s"
    WAIT_S=$((WAIT_S < 540 ? WAIT_S : 540))
    wait_for runs/guid/sweep.txt
    collect
    ;;
  middle)
    source .devdeps/device-env.sh
    tune_read_and_measure 300
    wait_for runs/comp_a/sweep.txt runs/comp_b/sweep.txt runs/comp_c/sweep.txt
    collect
    ;;
  finish)
    source .devdeps/device-env.sh
    grader_and_heldout "${GRADER_WAIT_S:-200}" a b c d
    T0=$SECONDS; WAIT_S=${HELD_WAIT_S:-240}
    wait_for runs/held_a/sweep.txt runs/held_b/sweep.txt runs/held_c/sweep.txt runs/held_d/sweep.txt
    deliver
    ;;
  rest)  # middle and finish in one call, for a sitting with less device time: everything stops
    # waiting at REST_S (540) seconds; what has not finished by then is not collected
    source .devdeps/device-env.sh
    tune_read_and_measure 200
    grader_and_heldout 330 a b
    WAIT_S=${REST_S:-540}
    wait_for runs/comp_a/sweep.txt runs/comp_b/sweep.txt runs/comp_c/sweep.txt runs/held_a/sweep.txt \
      runs/held_b/sweep.txt
    deliver
    ;;
  collect) collect ;;
  *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
