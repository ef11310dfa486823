#!/usr/bin/env bash
# Runs on the GPU machine (see README "GPU build"; issue #27 item 5): builds with the CUDA LibTorch and
# the GUI on, runs every test (the `gpu`-labelled ones included; the GUI tests run under Xvfb where the
# kit was fetched with --xvfb and devkit_xvfb ran, and report themselves skipped without a display),
# then the benchmarks with the reference baseline in the same run. From the repo root, after
# `source .devdeps/device-env.sh`:
#   bash scripts/device/gpu_suite.sh OUTDIR [--no-tests] [--no-bench] [--build-only]
# Settings: BUILD (build-gui: its own tree, so a sitting's `build` — GUI off, maybe in use by a detached
# sweep — is left alone; a warm machine's tree is brought up to date incrementally), GUI (ON),
# CTEST_S (360: the whole suite's time limit; the `gpu` label runs again after it, alone on the GPU).
# Sizing (H100, 16 cores): the full build ~3.5 min, so --build-only in one call (beside other GPU work),
# the tests and benches in the next.
set -uo pipefail
OUT=${1:?usage: gpu_suite.sh OUTDIR [--no-tests] [--no-bench] [--build-only]}; shift
TESTS=1; BENCH=1
for a in "$@"; do case $a in --no-tests) TESTS=0 ;; --no-bench) BENCH=0 ;; --build-only) TESTS=0; BENCH=0 ;; esac; done
BUILD=${BUILD:-build-gui}
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt"
python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda)' >> "$OUT/gpu.txt" 2>&1
git rev-parse --short HEAD >> "$OUT/gpu.txt" 2>/dev/null
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEBM_WITH_GUI="${GUI:-ON}" > "$OUT/configure.log" 2>&1 \
  || { tail -30 "$OUT/configure.log"; exit 1; }
SECONDS=0
cmake --build "$BUILD" -- -k 0 > "$OUT/build.log" 2>&1 || { grep -E "error|FAILED" "$OUT/build.log" | head -30; }
echo "built in $SECONDS s (GUI ${GUI:-ON}, $BUILD)"
if [ $TESTS = 1 ]; then
  (cd "$BUILD" && timeout "${CTEST_S:-360}" ctest -j 8 --timeout 300 --output-on-failure -LE soak > "$OUT/ctest.log" 2>&1)
  grep -E "tests passed|tests failed|Total Test time" "$OUT/ctest.log"
  grep -E "^\s+[0-9]+ - .*(Failed|Not Run|Timeout)" "$OUT/ctest.log" | head -30
  echo "skipped: $(grep -c '\*\*\*Skipped' "$OUT/ctest.log")"
  (cd "$BUILD" && ctest -L gpu --output-on-failure > "$OUT/ctest_gpu.log" 2>&1)
  echo "gpu label: $(grep -E 'tests passed|tests failed' "$OUT/ctest_gpu.log")"
fi
if [ $BENCH = 1 ]; then
  EBM="./$BUILD/app/ebm"
  $EBM bench --device cuda --model cubesnet --batch 16,64,256 --terms 1,2,4 --json > "$OUT/bench_ebm.json" 2> "$OUT/bench_ebm.err"
  $EBM bench --device cuda --model resnet128 --batch 16 --terms 1 --json > "$OUT/bench_ebm_resnet.json" 2>> "$OUT/bench_ebm.err"
  # Preview cost (#27 item 3: < 3 % at batch 64, one preview per 4 steps): host and interop paths, and
  # the studio's threading (a session and a 60 Hz reader previewing each snapshot, 5 s per row).
  $EBM bench --device cuda --model cubesnet --batch 64,256 --terms 2 --session 5 > "$OUT/bench_session.txt" 2>> "$OUT/bench_ebm.err"
  $EBM bench --device cuda --model cubesnet --batch 16,64,256 --terms 1 --modes graph+tf32 --preview 1,4,16 \
    --steps 48 > "$OUT/bench_preview.txt" 2>> "$OUT/bench_ebm.err"
  (cd tools/reference && PYTHONPATH=. timeout 300 python3 graph_bench.py > "$OUT/bench_reference.txt" 2>&1)
  tail -c 1500 "$OUT/bench_ebm.json"; cat "$OUT/bench_preview.txt" "$OUT/bench_session.txt"; tail -20 "$OUT/bench_reference.txt"
fi
