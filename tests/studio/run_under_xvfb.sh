#!/usr/bin/env bash
# Runs a GUI test command with a display: a private Xvfb server (1280x800x24, Mesa llvmpipe when there
# is no GPU) when Xvfb is installed, so GUI tests run from plain `ctest` and in parallel (-displayfd
# lets the server pick a free display number itself, which avoids the race xvfb-run -a has between
# parallel starts); else the session's $DISPLAY. With neither, the command is not run: this prints why
# and exits 77, which ctest reports as Skipped (SKIP_RETURN_CODE, cmake/EbmTestDiscovery.cmake), so a
# machine without a display loses its GUI tests and nothing else.
#
#   --gtest_list_tests  (ctest's test discovery) needs no display: the command runs as it is. A
#                       discovery failure would abort the whole ctest run.
#   EBM_REQUIRE_DISPLAY=1  no display is a failure (exit 1) instead of a skip: for CI, which installs
#                       Xvfb and must not lose its GUI tests silently (scripts/test.sh sets it).
set -euo pipefail
readonly SKIP=77

for a in "$@"; do
  if [ "$a" = --gtest_list_tests ]; then exec "$@"; fi
done

no_display() {  # reason
  if [ "${EBM_REQUIRE_DISPLAY:-0}" = 1 ]; then
    echo "run_under_xvfb: FAILED: no display for this GUI test: $1 (EBM_REQUIRE_DISPLAY=1)" >&2
    exit 1
  fi
  echo "run_under_xvfb: SKIPPED: no display for this GUI test: $1"
  exit "$SKIP"
}

if ! command -v Xvfb >/dev/null; then
  if [ -n "${DISPLAY:-}" ]; then
    echo "run_under_xvfb: Xvfb is not installed; using DISPLAY=$DISPLAY" >&2
    exec "$@"
  fi
  no_display "Xvfb is not installed and DISPLAY is unset (install the 'xvfb' package: scripts/install-deps.sh)"
fi
fifo_dir=$(mktemp -d)
trap 'rm -rf "$fifo_dir"' EXIT
mkfifo "$fifo_dir/fd"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3>"$fifo_dir/fd" 2>"$fifo_dir/xvfb.log" &
xvfb_pid=$!
trap 'kill "$xvfb_pid" 2>/dev/null; wait "$xvfb_pid" 2>/dev/null; rm -rf "$fifo_dir"' EXIT
display=""
if ! read -r -t 20 display <"$fifo_dir/fd" || [ -z "$display" ]; then
  log=$(tr '\n' ' ' <"$fifo_dir/xvfb.log" 2>/dev/null | cut -c1-600 || true)
  if [ -n "${DISPLAY:-}" ]; then
    echo "run_under_xvfb: Xvfb did not start ($log); using DISPLAY=$DISPLAY" >&2
    "$@"
    exit $?
  fi
  no_display "Xvfb did not start: $log"
fi
export DISPLAY=":$display"
"$@"
