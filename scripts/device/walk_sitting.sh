#!/usr/bin/env bash
# Issue #26's walk on a GPU: the suite on the 400-step ladder beside walks of ≤ 40 evaluations per term
# whose top steps take more Langevin time per step (larger r: on the CPU suite 16 × 0.5 graded above
# 40 × 0.1, docs/engine.md "The draft walk"), held-out split, one prior as the studio composes. One
# call (the sweep runs detached and outlives it: `collect` in a second call if the first ran out).
# Run from the repo root on the GPU machine:
#   walk_sitting.sh run OUT       ebm built, the sweep started, waited for until 570 s, collected
#   walk_sitting.sh collect OUT   waits for a sweep already started (until 570 s), collects
#   walk_sitting.sh placed OUT    ebm built; the draft and the 37-step walk on the rules the suite's
#                                 cases use now (placement and the tune split's rule, MODEL_CARD.md
#                                 2026-12-06): position ∧ size, size, shape, shape ∧ ¬colour summed;
#                                 colour, shape ∧ colour, position ∧ colour around one prior — tune
#                                 split, where a walk is chosen; the 400-step columns are the
#                                 sittings' of 2026-12-05/06 (same labels and seeds). Short walks:
#                                 a few minutes for both sweeps side by side. R (0.5): the 37-step
#                                 walk's corrector r — 0.8 kept placed size and shape within 2 points
#                                 of the ladder (MODEL_CARD.md, 2026-12-06 fifth sitting), so
#                                 `R=0.8 walk_sitting.sh placed OUT` grades it on the colour cases.
#   walk_sitting.sh size OUT      ebm built; the summed, placed cases the short walks lose (size
#                                 94.5 % against the ladder's 100, MODEL_CARD.md 2026-12-06 fourth
#                                 sitting) and two beside them, tune split, on three ≤ 40-evaluation
#                                 walks with more Langevin time at the top: 20 top steps of r 0.7 and
#                                 18 Euler steps, 16 of r 0.8 and 20, 24 of r 0.5 and 14. ~1-2 minutes.
#   walk_sitting.sh default OUT   ebm built; the whole suite (13 cases, each on the rule and placement the
#                                 card chose for it) on the 400-step ladder beside the 37-step t16 r0.8
#                                 e20 walk, in one run — the choice of issue #26's quality default of
#                                 ≤ 40 evaluations (every case within 2 points of the ladder). Four
#                                 sweeps in three chains (three 400-step processes at once); waits until
#                                 UNTIL_S, then `default-collect OUT` in the next call. SPLIT (tune).
#   walk_sitting.sh default-collect OUT   waits (until UNTIL_S) for the four sweeps and archives them
#   walk_sitting.sh default-long OUT   the 400-step column for the cases `default` lacked in the sixth
#                                 sitting, and position ∧ size ∧ shape around one prior on both walks
#   walk_sitting.sh mend OUT      the cases the 37-step walk loses, on six walks of 37-39 evaluations (below)
#   walk_sitting.sh mend2 OUT     five walks of 39 evaluations around t20 r0.7 e18 on the summed cases it loses
#   walk_sitting.sh timing OUT    the studio's opening composition at batch 64, process start to PNG, twice
#                                 each on the draft, the 37-step walk and the 400-step ladder (issue #26's
#                                 ≤ 0.3 s on an H200: the steps after the first, which captures the graph)
# Settings: N (256), CASES (all), UNTIL_S (570: when `placed` / `size` / `default` stop waiting and archive what is done),
# R (0.5: `placed`'s second walk's corrector r).
set -uo pipefail
PHASE=${1:?usage: walk_sitting.sh run|collect|placed|size|default|default-collect|default-long|mend|mend2|timing OUT}; OUT=${2:?OUT}
mkdir -p "$OUT" runs
export EBM=./build/app/ebm
T0=$SECONDS
source .devdeps/device-env.sh
source scripts/device/sitting_common.sh  # stamp, sweep, collect_sweep, build_ebm
E="--walk euler --churn 20 --prior shared --split heldout"
# The 37-step walk (`--quality quick` until the seventh sitting of 2026-12-06; quick is t24 r0.6 e14
# since) and the 400-step ladder (`--quality final`) spelled out, so a
# column means its walk whatever the binary's default is (2026-12-06, sixth sitting: a tree whose
# default had become the 37-step walk ran it in both columns of `default`).
QUICK="--walk euler --churn 20 --euler-top-steps 16 --corrector-r 0.8 --euler-steps 20"
FINAL="--walk corrector --corrector-r 0.1 --top-steps 200 --levels 40 --steps-per-level 5"
case $PHASE in
  run)
    build_ebm "$OUT" OFF
    stamp "ebm built"
    sweep runs/walk "${CASES:-all}" "${N:-256}" "final|--prior shared --split heldout" "draft|--draft $E" \
      "t16r5e20|$E --euler-top-steps 16 --corrector-r 0.5 --euler-steps 20" \
      "t8r1e20|$E --euler-top-steps 8 --corrector-r 1.0 --euler-steps 20" \
      "t24r3e14|$E --euler-top-steps 24 --corrector-r 0.3 --euler-steps 14"
    collect_sweep runs/walk "$OUT/walk.tgz"
    ;;
  collect) collect_sweep runs/walk "$OUT/walk.tgz" ;;
  placed)
    build_ebm "$OUT" OFF
    stamp "ebm built"
    P="--place --split tune --batch 256"
    W="--walk euler --churn 20 --euler-top-steps 16 --corrector-r ${R:-0.5} --euler-steps 20"
    V=t16r$(echo "${R:-0.5}" | tr -d '.')e20  # t16r05e20, t16r08e20: the variant's name in the table
    [ -f runs/walk_placed_each.log ] || sweep runs/walk_placed_each "position+size,size,shape,shape+not color" "${N:-256}" \
      "draft|--draft $P" "$V|$W $P"
    [ -f runs/walk_placed_shared.log ] || sweep runs/walk_placed_shared "color,shape+color,position+color" "${N:-256}" \
      "draft|--draft --prior shared $P" "$V|$W --prior shared $P"
    collect_sweep runs/walk_placed_each "$OUT/walk_placed_each.tgz" "${UNTIL_S:-570}"
    collect_sweep runs/walk_placed_shared "$OUT/walk_placed_shared.tgz" "${UNTIL_S:-570}"
    ;;
  size)
    build_ebm "$OUT" OFF
    stamp "ebm built"
    P="--place --split tune --batch 256 --walk euler --churn 20"
    [ -f runs/walk_size.log ] || sweep runs/walk_size "size,position+size,shape" "${N:-256}" \
      "t20r7e18|$P --euler-top-steps 20 --corrector-r 0.7 --euler-steps 18" \
      "t16r8e20|$P --euler-top-steps 16 --corrector-r 0.8 --euler-steps 20" \
      "t24r5e14|$P --euler-top-steps 24 --corrector-r 0.5 --euler-steps 14"
    collect_sweep runs/walk_size "$OUT/walk_size.tgz" "${UNTIL_S:-570}"
    ;;
  default | default-collect)
    S="--split ${SPLIT:-tune} --batch 256"
    # The card's rules (MODEL_CARD.md, 2026-12-05/06): summed for the cases without colour, one prior
    # for the colour compositions; a position term of any label for the cases without position.
    SWEEPS=("default_each|position,position+size,position+shape,position+not color,position+size+shape|"
            "default_each_placed|size,shape,shape+not color|--place"
            "default_shared|position+color,position+shape+color,position+size+shape+color|--prior shared"
            "default_shared_placed|color,shape+color|--place --prior shared")
    if [ "$PHASE" = default ]; then
      build_ebm "$OUT" OFF
      stamp "ebm built"
      for chain in 0 "1 3" 2; do  # three chains of about equal work, each a 400-step and a short process
        cmd=""
        for g in $chain; do
          IFS='|' read -r name cases flags <<< "${SWEEPS[$g]}"
          cmd+="[ -f runs/$name/sweep.txt ] || bash scripts/device/eval_sweep.sh runs/$name '$cases' ${N:-256} 'long|$FINAL $flags $S' 't16r08e20|$QUICK $flags $S' > runs/$name.log 2>&1; "
        done
        setsid nohup bash -c "$cmd" > /dev/null 2>&1 < /dev/null &
      done
    fi
    for g in 0 1 2 3; do
      IFS='|' read -r name _ _ <<< "${SWEEPS[$g]}"
      collect_sweep "runs/$name" "$OUT/walk_$name.tgz" "${UNTIL_S:-570}"
    done
    ;;
  default-long)
    # The 400-step column of `default` for the cases the sixth sitting lacked (its run had the 37-step
    # walk in both columns; the placed and colour cases have 400-step grades of the same files, labels
    # and seeds in the card), and position ∧ size ∧ shape around one prior on both walks (summed, the
    # 37-step walk drew two or more objects in 98 % of its samples). Four 400-step processes at once.
    [ -x "$EBM" ] || { build_ebm "$OUT" OFF; stamp "ebm built"; }
    S="--split ${SPLIT:-tune} --batch 256"
    [ -f runs/long_a.log ] || sweep runs/long_a "position,position+size,position+shape" "${N:-256}" "long|$FINAL $S"
    [ -f runs/long_b.log ] || sweep runs/long_b "position+not color,position+size+shape" "${N:-256}" "long|$FINAL $S"
    [ -f runs/long_c.log ] || sweep runs/long_c "position+shape+color,position+size+shape+color" "${N:-256}" "long|$FINAL --prior shared $S"
    [ -f runs/long_d.log ] || sweep runs/long_d "position+size+shape" "${N:-256}" "long|$FINAL --prior shared $S" \
      "t16r08e20|$QUICK --prior shared $S"
    for d in long_a long_b long_c long_d; do collect_sweep "runs/$d" "$OUT/walk_$d.tgz" "${UNTIL_S:-570}"; done
    ;;
  mend)
    # Issue #26's ≤ 40-evaluation default: the cases the 37-step walk loses against the ladder (sixth
    # sitting: position ∧ size 99.2 → 95.3, position ∧ ¬colour 94.5 → 91.0 summed; two objects with
    # three or four concepts around one prior) on walks of 37-39 evaluations that change one thing
    # each — churn (0, 40: how much noise each Euler step re-injects), a larger top step (r 1.2), more
    # top steps (t20 r0.7 e18), Heun's steps (t16 + 10 Heun + 1) — beside the quick walk itself, tune
    # split, same labels and seeds. Two sweeps at once (summed; one prior), ~2-4 minutes.
    [ -x "$EBM" ] || { build_ebm "$OUT" OFF; stamp "ebm built"; }
    S="--split ${SPLIT:-tune} --batch 256"
    T="--walk euler --euler-top-steps 16 --corrector-r 0.8 --euler-steps 20"
    E="--walk euler --churn 20"
    V=("quick|$QUICK" "c0|$T --churn 0" "c40|$T --churn 40" "t16r12|$E --euler-top-steps 16 --corrector-r 1.2 --euler-steps 20"
       "t20r7e18|$E --euler-top-steps 20 --corrector-r 0.7 --euler-steps 18"
       "heun11|$E --euler-top-steps 16 --corrector-r 0.8 --heun --euler-steps 11")
    for rule in summed shared; do
      cases="position,position+size,position+not color"; flags=""
      [ $rule = shared ] && { cases="position+shape+color,position+size+shape,position+size+shape+color"; flags="--prior shared"; }
      specs=()
      for v in "${V[@]}"; do specs+=("${v%%|*}|$S $flags ${v#*|}"); done
      [ -f runs/mend_$rule.log ] || sweep runs/mend_$rule "$cases" "${N:-256}" "${specs[@]}"
    done
    for rule in summed shared; do collect_sweep runs/mend_$rule "$OUT/walk_mend_$rule.tgz" "${UNTIL_S:-570}"; done
    ;;
  mend2)
    # The seventh sitting's `mend`: t20 r0.7 e18 (39 evaluations) kept the one-prior cases (position ∧
    # size ∧ shape 90.6 against the ladder's 92.2; three and four concepts above it) but lost 2.7 on
    # position ∧ size and 3.9 on position ∧ ¬colour, and the fifth sitting saw it lose 6.6 on placed
    # size. Walks of 39 evaluations around it on those summed cases: the Karras spacing (rho 3: more
    # steps at high noise; 12: more at low), more top steps (t24 r0.6 e14), fewer and larger (t12 r1.0 e26).
    [ -x "$EBM" ] || { build_ebm "$OUT" OFF; stamp "ebm built"; }
    S="--split ${SPLIT:-tune} --batch 256 --walk euler --churn 20"
    W="--euler-top-steps 20 --corrector-r 0.7 --euler-steps 18"
    [ -f runs/mend2.log ] || sweep runs/mend2 "position+size,position+not color,size" "${N:-256}" \
      "t20r7e18|$S $W --place" "rho3|$S $W --rho 3 --place" "rho12|$S $W --rho 12 --place" \
      "t24r6e14|$S --euler-top-steps 24 --corrector-r 0.6 --euler-steps 14 --place" \
      "t12r10e26|$S --euler-top-steps 12 --corrector-r 1.0 --euler-steps 26 --place"
    collect_sweep runs/mend2 "$OUT/walk_mend2.tgz" "${UNTIL_S:-570}"
    ;;
  timing)
    [ -x "$EBM" ] || { build_ebm "$OUT" OFF; stamp "ebm built"; }
    time_opening "$OUT" "draft|--draft" "t16r08e20|$QUICK" "long|$FINAL"
    ;;
  *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
