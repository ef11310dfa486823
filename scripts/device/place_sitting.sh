#!/usr/bin/env bash
# Placement on a GPU (issue #28), then the checkpointing table (#24) and the benches (#27). Chained
# calls, from the repo root; each sweep runs detached (it outlives a call) and every variant's JSON is
# rewritten after each case, so a phase cut short still prints the cases finished (collect_sweep):
#   place_sitting.sh run OUT      ebm built; the cases without position with `--place`, held-out split,
#                                 summed and around one prior; waits for it until 570 s
#   place_sitting.sh collect OUT  waits for the placement sweep (until 570 s) and archives it
#   place_sitting.sh tune OUT     the same on the tune split, both rules (the rule is chosen there),
#                                 and the studio's opening composition beside a candidate (recipes/)
#   place_sitting.sh step OUT     position ∧ size, position ∧ colour and the three- and four-concept
#                                 cases around one prior at temperature 0.5 and 0.7 (temperature 1 is
#                                 the 2026-12-05 held-out table: same labels and seeds). The summed
#                                 rule's extra priors sharpen it; on the CPU (n = 16) temperature 0.5
#                                 took position ∧ size from 75 to 100 % all-met around one prior
#   place_sitting.sh grids OUT    the placed colour and sphere ∧ blue recipes at 400 steps
#   place_sitting.sh recipes OUT  every recipe in assets/recipes graded as it is at N (regrade_recipes.sh;
#                                 RECIPES="assets/recipes/a.json …" grades only those);
#                                 18 recipes, ~50 s each alone: run it in three calls
#   place_sitting.sh ckpt OUT     the checkpointing table (OBJECTIVES, default "cd dsm")
#   place_sitting.sh bench OUT    throughput and preview cost, the GPU to itself
# Settings: N (256), BATCH (256: results do not depend on it; fewer launches), UNTIL_S (570: when the
# recipes phase stops waiting and archives what is done — below the call's limit when less is left).
# Sizing (2026-12-05/06, H100): one variant of the five unplaced cases placed is ~450 s of GPU work at
# two processes side by side (singles ~76 s, pairs ~115 s at n = 256); six processes at once beside a
# build and the GPU tests did not finish one variant in 17 min — keep it to two or three at once.
set -uo pipefail
source scripts/device/sitting_common.sh  # stamp, sweep, collect_sweep, build_ebm, ckpt_table, gpu_benches
sitting_begin "usage: place_sitting.sh run|collect|tune|step|grids|recipes|ckpt|bench OUT" "$@"
N=${N:-256}; B="--batch ${BATCH:-256}"
UNPLACED="size,shape,color,shape+color,shape+not color"
case $PHASE in
  run)
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
    build_ebm "$OUT" OFF  # incremental: a warm machine's older binary is brought up to this tree
    stamp "ebm built"
    sweep runs/place "$UNPLACED" "$N" "place_each|--place --split heldout $B" \
      "place_shared|--place --prior shared --split heldout $B"
    collect_sweep runs/place "$OUT/place.tgz"
    ;;
  collect) collect_sweep runs/place "$OUT/place.tgz" ;;
  tune)
    build_ebm "$OUT" OFF  # a machine started for this phase has no binary yet
    [ -f runs/place_tune.log ] || sweep runs/place_tune "$UNPLACED" "$N" "place_each_tune|--place --split tune $B" \
      "place_shared_tune|--place --prior shared --split tune $B"
    # The studio's opening composition and the candidate beside it, each with its default labels, at
    # the 400-step walk a GPU opens on (the draft's grades are the CPU's).
    for r in scripts/device/recipes/opening_*.json; do
      timeout $((560 - (SECONDS - T0))) $EBM eval --recipe "$r" --device cuda --n "$N" $B --quiet \
        --json-out "$OUT/$(basename "$r" .json).json" 2>&1 | tail -n 7
      stamp "$(basename "$r" .json)"
    done
    collect_sweep runs/place_tune "$OUT/place_tune.tgz"
    ;;
  step)
    [ -f runs/step.log ] || sweep runs/step "position+size,position+color,position+size+shape,position+size+shape+color" "$N" \
      "shared_t05|--split heldout --prior shared --temperature 0.5 $B" "shared_t07|--split heldout --prior shared --temperature 0.7 $B"
    collect_sweep runs/step "$OUT/step.tgz"
    ;;
  grids)
    for r in color_placed shape_and_color_placed; do
      timeout $((580 - (SECONDS - T0))) $EBM sample --recipe docs/model_card/recipes/$r.json --device cuda \
        --out "$OUT/$r.png" 2>&1 | tail -n 2
      stamp "$r grid"
    done
    ;;
  recipes)  # every shipped recipe graded as it is (regrade_recipes.sh), detached; re-run to collect
    build_ebm "$OUT" OFF
    [ -f runs/recipes.log ] || { setsid nohup bash scripts/device/regrade_recipes.sh runs/recipes "$N" > runs/recipes.log 2>&1 < /dev/null & }
    while [ ! -f runs/recipes/recipes.txt ] && [ $((SECONDS - T0)) -lt "${UNTIL_S:-570}" ]; do sleep 5; done
    if [ -f runs/recipes/recipes.txt ]; then cat runs/recipes/recipes.txt; else python3 scripts/device/recipe_table.py runs/recipes; fi
    archive "$OUT/recipes.tgz" runs/recipes runs/recipes.log
    ;;
  ckpt) ckpt_table 570 "${ITERS:-15}" ;;
  bench) gpu_benches "$OUT" ;;
  *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
