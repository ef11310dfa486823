#!/usr/bin/env bash
# install.package_deb: the Debian package, built with CPack from the build tree into OUT (never the
# build tree's own _CPack_Packages), lists the binaries, models, recipes, docs, desktop entry and icon;
# its runtime dependencies came from dpkg-shlibdeps; its binaries are stripped.
#   package_deb.sh CPACK BUILD_DIR OUT WITH_GUI(ON|OFF)
set -euo pipefail
cpack=$1 build=$2 out=$3 gui=$4
src=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "install.package_deb: $*" >&2; exit 1; }
command -v dpkg-shlibdeps >/dev/null || fail "dpkg-shlibdeps is missing: install dpkg-dev (scripts/install-deps.sh)"
rm -rf "$out"
mkdir -p "$out"
"$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$out" > "$out/cpack.log" 2>&1 || { cat "$out/cpack.log"; fail "cpack failed"; }
debs=("$out"/*.deb)
[ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ] || { cat "$out/cpack.log"; fail "cpack wrote no single .deb in $out"; }
deb=${debs[0]}
echo "install.package_deb: $(basename "$deb") ($(du -h "$deb" | cut -f1))"

dpkg-deb -c "$deb" > "$out/contents.txt"
has() { grep -qE " \./$1\$" "$out/contents.txt" || { cat "$out/contents.txt"; fail "the package lacks /$1"; }; }
has usr/bin/ebm
for f in "$src"/assets/models/*.safetensors; do has "usr/share/ebm-studio/models/$(basename "$f")"; done
for f in "$src"/assets/recipes/*.json; do has "usr/share/ebm-studio/recipes/$(basename "$f")"; done
for f in copyright changelog.Debian.gz MODEL_CARD.md README.md recipe.md; do has "usr/share/doc/ebm-studio/$f"; done
has usr/share/man/man1/ebm.1.gz
if [ "$gui" = ON ]; then
  has usr/bin/ebm-studio
  has usr/share/applications/ebm-studio.desktop
  has usr/share/icons/hicolor/scalable/apps/ebm-studio.svg
  has usr/share/icons/hicolor/48x48/apps/ebm-studio.png
fi
# Every directory 0755, every file 0644 but the binaries (0755), owned by root.
if grep -vE '^(drwxr-xr-x|-rw-r--r--|-rwxr-xr-x) root/root ' "$out/contents.txt"; then fail "entries with other modes or owners (above)"; fi

# Depends: what dpkg-shlibdeps derived from the linked libraries (no hand list): the C library and
# LibTorch at least, GLFW for the studio.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
echo "$depends" | grep -q 'libc6 (>=' || fail "Depends lacks libc6: dpkg-shlibdeps did not run"
echo "$depends" | grep -q 'libtorch' || fail "Depends lacks LibTorch"
if [ "$gui" = ON ]; then echo "$depends" | grep -q 'libglfw3' || fail "Depends lacks libglfw3"; fi
[ "$(dpkg-deb -f "$deb" Package)" = ebm-studio ] || fail "the package is not named ebm-studio"

# Stripped binaries: no symbol table left.
dpkg-deb -x "$deb" "$out/root"
if readelf -S "$out/root/usr/bin/ebm" | grep -q '\.symtab'; then fail "usr/bin/ebm is not stripped"; fi
echo "install.package_deb: ok"
