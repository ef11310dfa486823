#!/usr/bin/env bash
# Issue #28, item 4: every recipe the project ships (assets/recipes: the model card's compositions and
# the studio's File > Open example) graded as it is — its own labels, composition rule and guidance,
# the 400-step walk — at N samples on the GPU, two recipes at a time; then one table of them all
# (DIR/recipes.txt, scripts/device/recipe_table.py). From the repo root after `ninja -C build ebm`:
#   bash scripts/device/regrade_recipes.sh DIR [N]      (N: samples per recipe, default 256)
# RECIPES (a space-separated list of recipe paths; default every file in assets/recipes) grades a few;
# PAR (2): recipes graded at once (1 beside other GPU work);
# FLAGS (e.g. "--quality quick") go to every `ebm eval`: the recipes on another walk than the default
# ladder (MODEL_CARD.md "Next sittings" 12(b): the colour recipes on the quick walk).
set -uo pipefail
DIR=${1:?usage: regrade_recipes.sh DIR [N]}
N=${2:-256}
EBM=${EBM:-./build/app/ebm}
mkdir -p "$DIR"
FLAGS=${FLAGS:-}
export EBM DIR N FLAGS
grade() {  # recipe path: its JSON and printed table in DIR
  local name
  name=$(basename "$1" .json)
  # shellcheck disable=SC2086  # FLAGS is a list of words
  "$EBM" eval --recipe "$1" --device cuda --n "$N" --batch "$N" --quiet $FLAGS --json-out "$DIR/$name.json" > "$DIR/$name.txt" 2>&1
}
export -f grade
# shellcheck disable=SC2086  # RECIPES is a list of paths (or a glob) on purpose
printf '%s\n' ${RECIPES:-assets/recipes/*.json} | xargs -P "${PAR:-2}" -I{} bash -c 'grade {}'
python3 scripts/device/recipe_table.py "$DIR" | tee "$DIR/recipes.txt"
