#!/usr/bin/env bash
# Installs the Debian packages ebm-studio builds and tests with. Idempotent: installs only what is
# missing, and needs no network when everything is present.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev                                   # LibTorch 1.13 (CPU) on bookworm
  libgloo-dev                                    # Gloo headers: c10d data-parallel groups on the CPU (--gpus)
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libleveldb-dev libsnappy-dev                   # TensorFlow checkpoint index (LevelDB table format)
  libstb-dev libpng-dev zlib1g-dev               # PNG read/write (+ recipe text chunks)
  libgtest-dev
  libimgui-dev libglfw3-dev libgl-dev libegl-dev # the studio: Dear ImGui + GLFW + OpenGL 3.3
  xvfb xauth libgl1-mesa-dri                     # GUI tests under Xvfb with Mesa llvmpipe
  fonts-dejavu-core                              # the studio's UI font (ImGui's built-in one is the fallback)
  clang libclang-rt-14-dev                       # libFuzzer harnesses and sanitizers
  dpkg-dev desktop-file-utils lintian           # the Debian package: dpkg-shlibdeps, its desktop entry and package checks
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run this as root (or: sudo $0), or install them yourself with apt-get." >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
