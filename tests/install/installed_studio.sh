#!/usr/bin/env bash
# install.studio (under Xvfb): the moved install tree's ebm-studio, started by name from $PATH in
# another working directory as a desktop launcher would, loads the installed models, opens an
# example (File > Open example, by the script's open_example), and opens the grid `ebm sample` drew
# (install.sample's x.png) dropped on the window.   installed_studio.sh DIR (install.tree's)
set -euo pipefail
dir=$1
P=$(cd "$dir/moved" && pwd -P)
work=$dir/studio
fail() { echo "install.studio: $*" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"
cd "$work"
unset EBM_STUDIO_MODELS EBM_STUDIO_RECIPES
cat > script.json <<JSON
{"actions": [
  {"do": "open_example", "name": "color"},
  {"do": "wait", "until": "running"},
  {"do": "pause"},
  {"do": "save_preset", "path": "opened.json"},
  {"do": "drop", "paths": ["$dir/work/x.png"]},
  {"do": "wait", "until": "running"},
  {"do": "pause"},
  {"do": "screenshot", "path": "shot.png"},
  {"do": "quit"}
]}
JSON
set +e
PATH="$P/bin:$PATH" XDG_CONFIG_HOME="$work/config" ebm-studio --no-autostart --max-seconds 240 \
  --script script.json --screenshot-dir out > studio.log 2>&1
rc=$?
set -e
report=out/script_report.json
[ "$rc" = 0 ] || { cat studio.log; cat "$report" 2>/dev/null; fail "the installed ebm-studio exited $rc"; }
grep -q '"ok": true' "$report" || { cat "$report"; fail "the script did not finish"; }
grep -q '"errors": \[\]' "$report" || { cat "$report"; fail "the studio logged errors"; }
# At start-up it loaded the installed concept models (not the source tree's), the grader left out.
models=$P/share/ebm-studio/models
for m in color position shape size; do
  grep -qF "\"path\": \"$models/$m.safetensors\"" "$report" || { cat "$report"; fail "$m was not loaded from $models"; }
done
! grep -q '"name": "classifier"' "$report" || fail "the grading classifier was loaded as a concept"
# The example opened: its blue term (guidance 2) on the installed colour model.
grep -q '"name": "blue"' out/opened.json && grep -q '"guidance": 2.0' out/opened.json &&
  grep -qF "\"path\": \"$models/color.safetensors\"" out/opened.json || { cat out/opened.json; fail "the color example did not open"; }
# Then the dropped PNG's recipe: the position term it was drawn with.
grep -q '"model": "position"' "$report" && ! grep -q '"model": "color"' "$report" ||
  { cat "$report"; fail "the dropped grid's recipe did not open"; }
[ -s out/shot.png ] || fail "no screenshot"
echo "install.studio: ok"
