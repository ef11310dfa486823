#!/usr/bin/env bash
# install.sample: the moved install tree's `ebm sample` on an installed example recipe, run from
# another working directory with a short ladder (3 steps); then the grid it wrote, as a recipe, from
# a directory with no models beside it; the installed models win over the source tree's; and a recipe
# naming a model found nowhere says what to do.   installed_sample.sh DIR (install.tree's)
set -euo pipefail
dir=$1
P=$(cd "$dir/moved" && pwd -P)
work=$dir/work
fail() { echo "install.sample: $*" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
cd "$work"
unset EBM_STUDIO_MODELS
short=(--batch 2 --top-steps 0 --levels 3 --steps-per-level 1)

"$P/bin/ebm" sample --recipe "$P/share/ebm-studio/recipes/position.json" "${short[@]}" --out x.png > sample.log 2>&1 ||
  { cat sample.log; fail "ebm sample on the installed position.json failed"; }
cat sample.log
grep -q "wrote x.png (2 samples, 3 steps" sample.log || fail "ebm sample did not write a 2-sample, 3-step grid"
[ "$(head -c 8 x.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "x.png is not a PNG"

# The PNG carries its recipe, whose models are named by bare file name: from here (no models beside
# it) they are found in the moved tree.
"$P/bin/ebm" sample --recipe x.png "${short[@]}" --out again.png > again.log 2>&1 ||
  { cat again.log; fail "ebm sample --recipe x.png (the grid as a recipe) failed"; }

# The installed directory comes before the source tree compiled into the binary: a different file
# under the installed name is refused by the recipe's SHA-256 pin, naming the installed path.
models=$P/share/ebm-studio/models
cp "$models/position.safetensors" position.keep
cp "$models/size.safetensors" "$models/position.safetensors"
set +e
"$P/bin/ebm" sample --recipe "$P/share/ebm-studio/recipes/position.json" "${short[@]}" --out swapped.png > swapped.log 2>&1
rc=$?
set -e
cp position.keep "$models/position.safetensors"
[ "$rc" = 1 ] || { cat swapped.log; fail "a swapped installed model was not refused (exit $rc)"; }
grep -qF "$models/position.safetensors" swapped.log || { cat swapped.log; fail "the refusal does not name the installed file"; }

# A recipe naming a model that exists nowhere: exit 1, the message names the file and what to do.
sed 's/"position.safetensors"/"nowhere.safetensors"/' "$P/share/ebm-studio/recipes/position.json" > nowhere.json
set +e
"$P/bin/ebm" sample --recipe nowhere.json "${short[@]}" --out nowhere.png > nowhere.log 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || { cat nowhere.log; fail "a recipe naming a missing model exited $rc, not 1"; }
grep -q "nowhere.safetensors" nowhere.log && grep -qF "$models" nowhere.log && grep -q "set EBM_STUDIO_MODELS" nowhere.log ||
  { cat nowhere.log; fail "the missing-model message does not say where it looked and what to do"; }
echo "install.sample: ok"
