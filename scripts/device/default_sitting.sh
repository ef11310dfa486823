#!/usr/bin/env bash
# The suite on its default sampler (MODEL_CARD.md "2026-12-07 (eighth session)"): each case on the rule
# and walk `ebm eval --suite` now picks unasked (--prior auto, --quality auto), and position ∧ size ∧
# shape's large objects (the size term's weight and guidance inside it). Chained calls from the repo
# root; the sweeps run detached (setsid), so they outlive a call:
#   default_sitting.sh start OUT    ebm built; detached: the negations of colour held out on the
#                                   shipped files (their held-out rows predate the colour file),
#                                   one case per process, and position ∧ size ∧ shape on the tune split
#                                   with the size term at weight 1, 1.5 and 2 and at guidance 9 (summed:
#                                   its misses are empty floors, most on spheres), and at weight 1.5 and
#                                   guidance 9 around one prior (on its default, the quick walk: there
#                                   the misses are large objects, often two); then
#                                   everything built and the `gpu`-labelled tests (TESTS=0 skips);
#                                   collects what is done by UNTIL_S (570)
#   default_sitting.sh collect OUT  waits for the sweeps (until UNTIL_S) and collects them
#   default_sitting.sh heldout OUT  position ∧ size ∧ shape held out with the size settings named in
#                                   VARIANTS ("w15|--concept-weight size=1.5" …), the base beside them
#   default_sitting.sh suite OUT    the whole suite on the default sampler, both splits (~20 minutes
#                                   on one H200: run it detached and collect in later calls)
#   default_sitting.sh confirm OUT  the confirmation of MODEL_CARD.md "Next sittings" 15 in one call
#                                   and its collects: ebm built; detached: the whole suite on the
#                                   default sampler, held-out and tune split side by side, and the
#                                   recipes whose walk changed since their last grade (the colour
#                                   recipes and the four concepts: the quick walk around one prior),
#                                   one at a time; then everything built and the `gpu`-labelled tests
#                                   (TESTS=0 skips); collects what is done by UNTIL_S (570)
#   default_sitting.sh confirm_collect OUT   waits (until UNTIL_S) and collects the three; when they
#                                   are done and 200 s are left, issue #24's CD ResNet128 batch-256 row
# Settings: N (256), BATCH (256), UNTIL_S (570), TESTS (1).
set -uo pipefail
source scripts/device/sitting_common.sh  # stamp, sweep, collect_sweep, build_ebm, build_and_gpu_tests, archive
sitting_begin "usage: default_sitting.sh start|collect|heldout|suite|confirm|confirm_collect OUT" "$@"
N=${N:-256}
B="--batch ${BATCH:-256}"
UNTIL=${UNTIL_S:-570}
collect_all() {
  for d in runs/neg_pnc runs/neg_snc runs/pss_tune; do
    [ -f "$d.log" ] && collect_sweep "$d" "$OUT/$(basename "$d").tgz" "$UNTIL"
  done
}
# the recipes around one prior (they AND colour), so on the quick walk since 2026-12-07
QUICK_WALK_RECIPES="assets/recipes/color.json assets/recipes/color_and_position.json assets/recipes/color_placed.json \
assets/recipes/masked_color_and_position.json assets/recipes/position_size_shape_color.json \
assets/recipes/shape_and_color.json assets/recipes/shape_and_color_placed.json"
collect_confirm() {
  collect_sweep runs/suite_heldout "$OUT/suite_heldout.tgz" "$UNTIL"
  collect_sweep runs/suite_tune "$OUT/suite_tune.tgz" "$((SECONDS - T0 + 5))"  # done or partial: no more waiting
  if [ -f runs/recipes/recipes.txt ]; then cat runs/recipes/recipes.txt; else python3 scripts/device/recipe_table.py runs/recipes; fi
  archive "$OUT/recipes.tgz" runs/recipes runs/recipes.log
  # all three done with 200 s or more of the call left: issue #24's missing row (CD, ResNet128 at
  # batch 256, with and without checkpointing), the GPU to itself
  if [ -f runs/suite_heldout/sweep.txt ] && [ -f runs/suite_tune/sweep.txt ] && [ -f runs/recipes/recipes.txt ] \
     && [ ! -f runs/ckpt_cd256.done ] && [ $((UNTIL - (SECONDS - T0))) -ge 200 ]; then
    PRECISION=fp32 OBJECTIVES=cd CONFIGS="resnet128 256 128" timeout $((UNTIL - (SECONDS - T0) - 10)) \
      bash scripts/device/checkpoint_memory.sh runs/ckpt_cd256 15 > "$OUT/ckpt_cd256.txt" 2>&1 && touch runs/ckpt_cd256.done
    cat "$OUT/ckpt_cd256.txt"
    stamp "checkpoint row done"
  fi
}
case $PHASE in
  start)
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
    build_ebm "$OUT" OFF
    stamp "ebm built"
    [ -f runs/neg_pnc.log ] || sweep runs/neg_pnc "position+not color" "$N" "default|--place --split heldout $B"
    [ -f runs/neg_snc.log ] || sweep runs/neg_snc "shape+not color" "$N" "default|--place --split heldout $B"
    [ -f runs/pss_tune.log ] || sweep runs/pss_tune "position+size+shape" "$N" "base|$B" \
      "w15|--concept-weight size=1.5 $B" "w2|--concept-weight size=2 $B" "g9|--concept-guidance size=9 $B" \
      "s_w15|--prior shared --concept-weight size=1.5 $B" "s_g9|--prior shared --concept-guidance size=9 $B"
    build_and_gpu_tests $((UNTIL - 60 - (SECONDS - T0)))
    collect_all
    ;;
  collect) collect_all ;;
  heldout)
    [ -f runs/pss_heldout.log ] || {
      # shellcheck disable=SC2086  # VARIANTS is a list of NAME|FLAGS words
      eval "set -- ${VARIANTS:-}"
      sweep runs/pss_heldout "position+size+shape" "$N" "base|--split heldout $B" "${@/%/ --split heldout $B}"
    }
    collect_sweep runs/pss_heldout "$OUT/pss_heldout.tgz" "$UNTIL"
    ;;
  suite)
    [ -f runs/default_suite.log ] || sweep runs/default_suite all "$N" "default|--place --split both $B"
    collect_sweep runs/default_suite "$OUT/default_suite.tgz" "$UNTIL"
    ;;
  confirm)
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
    build_ebm "$OUT" OFF
    stamp "ebm built"
    [ -f runs/suite_heldout.log ] || sweep runs/suite_heldout all "$N" "default|--place --split heldout $B"
    [ -f runs/suite_tune.log ] || sweep runs/suite_tune all "$N" "default|--place --split tune $B"
    [ -f runs/recipes.log ] || {
      RECIPES="$QUICK_WALK_RECIPES" PAR=1 setsid nohup bash scripts/device/regrade_recipes.sh runs/recipes "$N" \
        > runs/recipes.log 2>&1 < /dev/null &
    }
    build_and_gpu_tests $((UNTIL - 60 - (SECONDS - T0)))
    collect_confirm
    ;;
  confirm_collect) collect_confirm ;;
  *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
stamp "done"
