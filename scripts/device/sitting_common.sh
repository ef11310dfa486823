# Shared by the sitting scripts (sourced; run from the repo root on the GPU machine). The caller sets
# T0=$SECONDS before using stamp, wait_for and ckpt_table, WAIT_S before wait_for, EBM before
# gpu_benches and OUT before gpu_tests and ckpt_table (T0 before collect_sweep too).

stamp() { echo "$1 at $((SECONDS - T0)) s"; }  # "what at N s" since the call began

# The suite's seven cases composed by the summed rule (their default walk is the 400-step ladder):
# the cases issue #26's short walks are screened on.
SUMMED="position,position+size,position+shape,position+not color,size,shape,shape+not color"

sitting_begin() {  # USAGE PHASE OUT: a phased sitting's start — PHASE, OUT (made), runs/, EBM, T0, the device kit
  PHASE=${2:?$1}
  OUT=${3:?$1}
  mkdir -p "$OUT" runs
  export EBM=./build/app/ebm
  T0=$SECONDS
  # Without the kit nothing builds (cmake finds no Torch) and a later phase waits out its whole limit
  # for a sweep that never started (2026-12-07, thirteenth session: a checkout without .devdeps).
  [ -f .devdeps/device-env.sh ] || { echo "no .devdeps/device-env.sh: make it here with ../shared/device/fetch-debs.sh and carry .devdeps" >&2; exit 2; }
  source .devdeps/device-env.sh
}

gpu_tests() {  # LIMIT_S: every `gpu`-labelled test, its log in $OUT (an absolute path on the device)
  local log
  log=$(cd "$OUT" && pwd)/ctest_gpu.log
  (cd build && timeout "$1" ctest -L gpu --output-on-failure > "$log" 2>&1)
  grep -E "tests passed|tests failed|Failed|Not Run|\*\*\*Skipped|Timeout" "$log" | head -30
}

build_and_gpu_tests() {  # LIMIT_S: everything built, then the `gpu`-labelled tests for at most LIMIT_S
  # (TESTS=0 skips both: a sitting whose call has no room for the full build)
  [ "${TESTS:-1}" = 1 ] || return 0
  ninja -C build > "$OUT/build_all.log" 2>&1 || grep -E "error|FAILED" "$OUT/build_all.log" | head -20
  stamp "tests built"
  gpu_tests "$1"
  stamp "gpu tests done"
}

ckpt_table() {  # UNTIL_S ITERS: #24's checkpointing table (checkpoint_memory.sh) until UNTIL_S of the call
  timeout $(($1 - (SECONDS - T0))) bash scripts/device/checkpoint_memory.sh runs/ckpt_mem "$2" > "$OUT/ckpt_mem.txt" 2>&1
  cat "$OUT/ckpt_mem.txt"
  stamp "checkpoint table done"
}

sweep() {  # dir cases n variants... : eval_sweep.sh detached (outlives the device call)
  setsid nohup bash scripts/device/eval_sweep.sh "$@" > "$1.log" 2>&1 < /dev/null &
}

collect_sweep() {  # DIR OUT.tgz [UNTIL_S]: waits (until UNTIL_S, default 570 s, of the call) for a sweep's table,
  # prints it — or, if the sweep is still running, the table of the cases finished so far (every
  # variant's JSON is rewritten after each case) — and archives DIR and its log
  while [ ! -f "$1/sweep.txt" ] && [ $((SECONDS - T0)) -lt "${3:-570}" ]; do sleep 5; done
  if [ -f "$1/sweep.txt" ]; then
    stamp "sweep done"
    cat "$1/sweep.txt"
  else
    stamp "sweep still running; the cases finished so far"
    python3 scripts/device/sweep_table.py "$1" | tee "$1/sweep_partial.txt"
  fi
  archive "$2" "$1" "$1.log"
}

# Whether the process whose pid FILE holds still runs. Prefer it to `pgrep -f PATTERN`: that also
# matches the device call's own `bash -c` line whenever the command typed there contains PATTERN
# (2026-12-06, fifth sitting: a call that waited on `pgrep -f "ebm train --concept color"` waited on
# itself until its time limit).
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2> /dev/null; }

start_detached() {  # NAME COMMAND...: COMMAND in its own session (it outlives the device call), its pid in
  # runs/NAME.pid for alive(), its output in runs/NAME.log
  local name=$1; shift
  setsid nohup "$@" > "runs/$name.log" 2>&1 < /dev/null &
  echo $! > "runs/$name.pid"
}

wait_while_alive() {  # PIDFILE UNTIL_S: while that process runs, until UNTIL_S seconds since T0
  while alive "$1" && [ $((SECONDS - T0)) -lt "$2" ]; do sleep 5; done
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

time_opening() {  # OUT "NAME|FLAGS"...: the studio's opening composition at batch 64, process start to
  # PNG, twice per walk, and its first step (the CUDA graph's capture) and running mean — issue #26's
  # ≤ 0.3 s (on an H200) is the steps after the first; OUT/timing.txt
  local R=scripts/device/recipes/opening_shape_and_position.json spec name flags run s0 rc
  for spec in "${@:2}"; do
    name=${spec%%|*}; flags=${spec#*|}
    for run in 1 2; do
      s0=$(date +%s%N)
      # shellcheck disable=SC2086  # FLAGS is a list of words
      $EBM sample --recipe "$R" --device cuda --batch 64 $flags --out "/tmp/opening_$name.png" > "runs/timing_${name}_$run.txt" 2>&1
      rc=$?
      echo "$name run $run: $(( ($(date +%s%N) - s0) / 1000000 )) ms process start to PNG, rc $rc"
      grep "^step" "runs/timing_${name}_$run.txt" | sed -n '1p;$p'  # the first step (capture) and the running mean
    done
  done | tee "$1/timing.txt"
}

pack() {  # DIR: DIR's files as one DIR.tgz, DIR removed — at most 8 files come back from a call (the
  # thirteenth session lost four of gpu_suite.sh's outputs, the preview parts among them, to that limit)
  archive "$1.tgz" "$1"
  [ -s "$1.tgz" ] && tar tzf "$1.tgz" > /dev/null 2>&1 && rm -rf "$1"  # only when the archive reads back
}

build_ebm() {  # OUT GUI(ON|OFF): configure the CUDA build and build the ebm binary; exits on failure
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DEBM_WITH_GUI="$2" > "$1/cmake.log" 2>&1 \
    && ninja -C build ebm > "$1/build_ebm.log" 2>&1 || { tail -n 30 "$1/cmake.log" "$1/build_ebm.log"; exit 1; }
}

gpu_benches() {  # OUT: throughput and preview cost while nothing else is on the GPU (#27)
  timeout 100 $EBM bench --device cuda --model cubesnet --batch 64,256 --terms 1 --modes graph+bf16 \
    --preview 1,4,16 --steps 48 > "$1/bench_preview.txt" 2>&1
  timeout 40 $EBM bench --device cuda --model cubesnet --batch 16,64,256 --terms 1,2 --json \
    > "$1/bench_ebm.json" 2> "$1/bench_ebm.err"
  cat "$1/bench_preview.txt"
}
