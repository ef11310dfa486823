#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through ctest (GUI tests under Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh "$@"
export QT_QPA_PLATFORM=offscreen
cd build
ctest --output-on-failure --timeout 1200 -j "${EBM_TEST_JOBS:-2}"
