#!/usr/bin/env bash
# Issue #27 item 3 (the studio at >= 60 fps in a real window on the GPU, and its screenshot): that call
# needs the device kit fetched with --xvfb (~48 MB), and a device call carries at most 64 MiB of working
# tree and carried paths together — the tracked tree alone is ~59 MB, 47 MB of it the model files. This
# script makes a working tree that fits for that one call and puts it back afterwards. Run HERE (not on
# the device), from the repo root, with nothing else using the working tree meanwhile:
#   bash scripts/device/studio_fps_tree.sh prepare   fp16 copies of the opening composition's two models
#                                                    in .fps_models/ (ignored), then the model files,
#                                                    the PNGs under docs/ and docs/measurements/ moved
#                                                    to $STASH; prints what the call would carry
#   (the device call: carry [".devdeps", ".fps_models"], command
#    source .devdeps/device-env.sh && devkit_xvfb && cmake -S . -B build-gui -G Ninja -DCMAKE_BUILD_TYPE=Release
#    -DEBM_WITH_GUI=ON && cmake --build build-gui --target ebm-studio && BUILD=build-gui bash
#    scripts/device/studio_gpu.sh $OUT .fps_models/shape.safetensors .fps_models/position.safetensors)
#   bash scripts/device/studio_fps_tree.sh restore   everything moved back; fails unless the tree is clean
# STASH: /tmp/ebm_fps_stash.
set -euo pipefail
STASH=${STASH:-/tmp/ebm_fps_stash}
case ${1:?usage: studio_fps_tree.sh prepare|restore} in
  prepare)
    [ -z "$(git status --porcelain --untracked-files=no)" ] || { echo "commit or stash your changes first" >&2; exit 1; }
    [ ! -e "$STASH" ] || { echo "$STASH exists: restore first" >&2; exit 1; }
    grep -qx '/.fps_models/' .git/info/exclude || echo '/.fps_models/' >> .git/info/exclude
    mkdir -p .fps_models
    for m in shape position; do python3 scripts/models/to_fp16.py "assets/models/$m.safetensors" ".fps_models/$m.safetensors"; done
    mkdir -p "$STASH"
    # The model files, the raw measurements and every PNG under docs/ (the studio script's JSON stays).
    git ls-files -z -- 'assets/models/*.safetensors' docs/measurements 'docs/*.png' | while IFS= read -r -d '' f; do
      mkdir -p "$STASH/$(dirname "$f")"
      mv "$f" "$STASH/$f"
    done
    # What a call copies: the tracked files still here, the untracked ones git does not ignore, the carry.
    git ls-files -z --cached --others --exclude-standard | python3 -c '
import os, sys
tree = sum(os.path.getsize(f) for f in sys.stdin.buffer.read().decode().split("\0") if f and os.path.isfile(f))
carry = sum(os.path.getsize(os.path.join(d, f)) for top in (".devdeps", ".fps_models") for d, _, fs in os.walk(top) for f in fs)
limit = 64 * 1024 * 1024
print(f"working tree {tree} bytes + carried {carry} = {tree + carry} of {limit}" + ("" if tree + carry <= limit else ": OVER"))'

    ;;
  restore)
    [ -d "$STASH" ] || { echo "nothing stashed at $STASH" >&2; exit 1; }
    (cd "$STASH" && find . -type f -print0) | while IFS= read -r -d '' f; do
      mkdir -p "$(dirname "$f")"
      mv "$STASH/$f" "$f"
    done
    rm -rf "$STASH"
    [ -z "$(git status --porcelain --untracked-files=no)" ] || { echo "the tree differs from HEAD after the restore:" >&2; git status --short >&2; exit 1; }
    echo "restored"
    ;;
  *) echo "usage: studio_fps_tree.sh prepare|restore" >&2; exit 2 ;;
esac
