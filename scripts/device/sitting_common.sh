# Shared by the sitting scripts (sourced; run from the repo root on the GPU machine). The caller sets
# T0=$SECONDS and WAIT_S before using wait_for.

sweep() {  # dir cases n variants... : eval_sweep.sh detached (outlives the device call)
  setsid nohup bash scripts/device/eval_sweep.sh "$@" > "$1.log" 2>&1 < /dev/null &
}

wait_for() {  # files...: until each exists or WAIT_S seconds since T0 have passed
  for f in "$@"; do
    while [ ! -f "$f" ] && [ $((SECONDS - T0)) -lt "$WAIT_S" ]; do sleep 5; done
  done
}

# tar of what a sitting returns: text and JSON only (a file over 16 MiB does not come back from the
# device, and model files, sample grids and rendered data sets make an archive that size).
archive() {  # out.tgz paths...
  local out=$1; shift
  tar czf "$out" --exclude='*.safetensors' --exclude='*.png' --exclude='*.jpg' --exclude='*.bin' "$@" 2> /dev/null || true  # a path not made this sitting is skipped
}
