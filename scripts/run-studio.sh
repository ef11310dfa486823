#!/usr/bin/env bash
# Installs what is missing, builds, and starts the studio on the shipped models.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
if [ -x build/app/ebm-studio ]; then
  exec build/app/ebm-studio "$@"
fi
# Until the studio is built (EBM_WITH_GUI=OFF), run the command-line demo instead.
exec build/app/ebm demo "$@"
