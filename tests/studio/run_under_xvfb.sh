#!/usr/bin/env bash
# Runs a command under a private Xvfb server (1280x800x24, Mesa llvmpipe when there is no GPU), so
# GUI tests run from plain `ctest` and in parallel: -displayfd lets the server pick a free display
# number itself, which avoids the race xvfb-run -a has between parallel starts.
set -euo pipefail
if ! command -v Xvfb >/dev/null; then
  echo "run_under_xvfb: Xvfb is not installed; install the 'xvfb' package (scripts/install-deps.sh)" >&2
  exit 1
fi
fifo_dir=$(mktemp -d)
trap 'rm -rf "$fifo_dir"' EXIT
mkfifo "$fifo_dir/fd"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset 3>"$fifo_dir/fd" 2>"$fifo_dir/xvfb.log" &
xvfb_pid=$!
trap 'kill "$xvfb_pid" 2>/dev/null; wait "$xvfb_pid" 2>/dev/null; rm -rf "$fifo_dir"' EXIT
display=""
if ! read -r -t 20 display <"$fifo_dir/fd" || [ -z "$display" ]; then
  echo "run_under_xvfb: Xvfb did not start:" >&2
  cat "$fifo_dir/xvfb.log" >&2 || true
  exit 1
fi
export DISPLAY=":$display"
"$@"
