#!/usr/bin/env bash
# install.tree: `cmake --install BUILD --prefix DIR/prefix`, then the prefix moved to DIR/moved (the
# installed binaries must find their files relative to themselves, not where they were installed);
# checks the layout of the moved tree. Later install.* tests run what is in it.
#   install_tree.sh CMAKE BUILD_DIR DIR WITH_GUI(ON|OFF)
set -euo pipefail
cmake=$1 build=$2 dir=$3 gui=$4
src=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "install.tree: $*" >&2; exit 1; }

rm -rf "$dir"
mkdir -p "$dir"
"$cmake" --install "$build" --prefix "$dir/prefix" > "$dir/install.log" || { cat "$dir/install.log"; fail "cmake --install failed"; }
mv "$dir/prefix" "$dir/moved"
P=$dir/moved
need() { [ -f "$P/$1" ] || fail "$1 is missing from the installed tree"; }

[ -x "$P/bin/ebm" ] || fail "bin/ebm is missing or not executable"
# Installed binaries carry no run path into the build tree (CMake rewrites it at install).
if readelf -d "$P/bin/ebm" | grep -E 'R(UN)?PATH' | grep -qF "$build"; then fail "bin/ebm has a run path into $build"; fi
for f in "$src"/assets/models/*.safetensors; do need "share/ebm-studio/models/$(basename "$f")"; done
n=0
for f in "$src"/assets/recipes/*.json; do need "share/ebm-studio/recipes/$(basename "$f")"; n=$((n + 1)); done
[ "$n" -ge 9 ] || fail "only $n example recipes in assets/recipes"
doc=share/doc/ebm-studio
for f in README.md MODEL_CARD.md recipe.md studio.md copyright changelog.Debian.gz images/studio.png; do need "$doc/$f"; done
for f in "$src"/docs/*.md; do need "$doc/$(basename "$f")"; done
# Every image the installed model card and README show is there.
for img in $(grep -ohE '(src="|\]\()images/[^")]+\.png' "$P/$doc/MODEL_CARD.md" "$P/$doc/README.md" | sed -E 's/^(src="|\]\()//'); do
  need "$doc/$img"
done
gzip -t "$P/$doc/changelog.Debian.gz" || fail "$doc/changelog.Debian.gz is not gzip"
need share/man/man1/ebm.1.gz

if [ "$gui" = ON ]; then
  [ -x "$P/bin/ebm-studio" ] || fail "bin/ebm-studio is missing or not executable"
  need share/applications/ebm-studio.desktop
  need share/man/man1/ebm-studio.1.gz
  need share/icons/hicolor/scalable/apps/ebm-studio.svg
  for s in 16 22 24 32 48 64 128 256; do need "share/icons/hicolor/${s}x${s}/apps/ebm-studio.png"; done
  # The entry starts the installed binary and names the installed icon.
  grep -qx 'Exec=ebm-studio' "$P/share/applications/ebm-studio.desktop" || fail "the desktop entry's Exec is not ebm-studio"
  grep -qx 'Icon=ebm-studio' "$P/share/applications/ebm-studio.desktop" || fail "the desktop entry's Icon is not ebm-studio"
fi
echo "install.tree: installed and moved to $P ($(du -sh "$P" | cut -f1))"
