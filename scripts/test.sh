#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through ctest (GUI tests under Xvfb); then
# the reliability runs: the test suite under ASan+UBSan and TSan (scripts/ci-sanitize.sh) and each
# fuzz harness for a bounded time (scripts/ci-fuzz.sh). RELIABILITY.md gives what each costs.
#   EBM_SANITIZE_RUNS=1 / EBM_FUZZ_RUNS=1   turn those runs on. They are off by default until their
#   cost on the 2-core CI machine has been measured on a quiet machine (issue 7, RELIABILITY.md):
#   CI must finish well inside its time limit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh "$@"
export QT_QPA_PLATFORM=offscreen
(cd build && ctest --output-on-failure --timeout 1200 -j "${EBM_TEST_JOBS:-2}" -LE soak)
[ "${EBM_SANITIZE_RUNS:-0}" = 1 ] && bash scripts/ci-sanitize.sh
[ "${EBM_FUZZ_RUNS:-0}" = 1 ] && bash scripts/ci-fuzz.sh
exit 0
