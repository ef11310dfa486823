#!/usr/bin/env bash
# Runs on the GPU machine (see README "GPU build"; issue #27 item 5): builds with the CUDA LibTorch and
# the GUI on, measures (the GPU to itself: #24's gradient-checkpointing table, #27's preview cost and
# the studio's threading, throughput), runs the tests (the `gpu`-labelled ones first, then the whole
# suite; the GUI tests run under Xvfb where the kit was fetched with --xvfb and devkit_xvfb ran, and
# report themselves skipped without a display), with the reference PyTorch port's benchmark right
# after ours (the GPU still to itself, before the tests). From
# the repo root, after `source .devdeps/device-env.sh`:
#   bash scripts/device/gpu_suite.sh OUTDIR [--no-tests] [--no-bench] [--build-only]
# Settings: BUILD (build-gui: its own tree, so a sitting's `build` — GUI off, maybe in use by a detached
# sweep — is left alone; a warm machine's tree is brought up to date incrementally), GUI (ON),
# UNTIL_S (480: a section that would run past this many seconds of the script is cut short or skipped,
# so a device call of ~550 s still archives what was done), CKPT (1: the checkpointing table), ITERS (15),
# GPU_TESTS_S (240: the most the `gpu`-labelled tests may take),
# REBUILD (1; 0: measure the tree BUILD holds as it is — a later call of a sitting whose working tree
# has changed since its build).
# Sizing (H100, 16 cores): the full build ~3.5 min, so --build-only in one call (beside other GPU work),
# the measurements and tests in the next.
set -uo pipefail
OUT=${1:?usage: gpu_suite.sh OUTDIR [--no-tests] [--no-bench] [--build-only]}; shift
TESTS=1; BENCH=1
for a in "$@"; do case $a in --no-tests) TESTS=0 ;; --no-bench) BENCH=0 ;; --build-only) TESTS=0; BENCH=0 ;; esac; done
BUILD=${BUILD:-build-gui}
UNTIL=${UNTIL_S:-480}
left() { echo $((UNTIL - SECONDS)); }  # seconds left before UNTIL_S
cap() { local l; l=$(left); [ "$l" -ge 1 ] || l=1; echo $((l < $1 ? l : $1)); }  # a timeout: at most N, never 0 (no limit)
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt"
python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda)' >> "$OUT/gpu.txt" 2>&1
git rev-parse --short HEAD >> "$OUT/gpu.txt" 2>/dev/null
if [ "${REBUILD:-1}" = 1 ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEBM_WITH_GUI="${GUI:-ON}" > "$OUT/configure.log" 2>&1 \
    || { tail -30 "$OUT/configure.log"; exit 1; }
  cmake --build "$BUILD" -- -k 0 > "$OUT/build.log" 2>&1 || { grep -E "error|FAILED" "$OUT/build.log" | head -30; }
  echo "built at $SECONDS s (GUI ${GUI:-ON}, $BUILD)"
fi
EBM="./$BUILD/app/ebm"
if [ $BENCH = 1 ]; then
  if [ "${CKPT:-1}" = 1 ] && [ "$(left)" -gt 200 ]; then  # #24 item 3: ~12 short training runs
    EBM=$EBM timeout $(($(left) - 180)) bash scripts/device/checkpoint_memory.sh /tmp/ckpt_mem "${ITERS:-15}" 2>&1 \
      | tee "$OUT/ckpt_mem.txt"  # row by row: a call cut at its limit still returns the rows printed
    echo "checkpoint table at $SECONDS s"
  fi
  # Preview cost (#27 item 3: < 3 % at batch 64, one preview per 4 steps): the studio's threading (a
  # session and a 60 Hz reader previewing each snapshot, 5 s per row), then host and interop previews
  # made in the sampling loop every k steps, and (--preview-parts) the interop preview's two parts
  # alone at one per 4: its map/unmap and its atlas kernels — where its ~0.5 ms at batch 64 goes.
  timeout $(cap 50) $EBM bench --device cuda --model cubesnet --batch 64,256 --terms 2 \
    --modes graph+tf32 --session 5 2>> "$OUT/bench_ebm.err" | tee "$OUT/bench_session.txt"
  timeout $(cap 80) $EBM bench --device cuda --model cubesnet --batch 16,64,256 --terms 1 \
    --modes graph+tf32 --preview 1,4,16 --steps 48 2>> "$OUT/bench_ebm.err" | tee "$OUT/bench_preview.txt"
  timeout $(cap 40) $EBM bench --device cuda --model cubesnet --batch 64 --terms 1 \
    --modes graph+tf32 --preview 4 --preview-parts --steps 96 2>> "$OUT/bench_ebm.err" | tee "$OUT/bench_preview_parts.txt"
  timeout $(cap 40) $EBM bench --device cuda --model cubesnet --batch 16,64,256 --terms 1,2,4 \
    --json > "$OUT/bench_ebm.json" 2>> "$OUT/bench_ebm.err"
  timeout $(cap 20) $EBM bench --device cuda --model resnet128 --batch 16 --terms 1 --json \
    > "$OUT/bench_ebm_resnet.json" 2>> "$OUT/bench_ebm.err"
  echo "benches at $SECONDS s"; tail -c 1200 "$OUT/bench_ebm.json"; echo
  # The reference PyTorch port's benchmark in the same run, the GPU still to itself (before the tests).
  (cd tools/reference && PYTHONPATH=. timeout "$(cap 150)" python3 graph_bench.py > "$OUT/bench_reference.txt" 2>&1)
  tail -20 "$OUT/bench_reference.txt"
  echo "reference at $SECONDS s"
fi
if [ $TESTS = 1 ] && [ "$(left)" -gt 30 ]; then
  (cd "$BUILD" && timeout $(cap "${GPU_TESTS_S:-240}") ctest -L gpu --output-on-failure > "$OUT/ctest_gpu.log" 2>&1)
  echo "gpu label: $(grep -E 'tests passed|tests failed' "$OUT/ctest_gpu.log") (at $SECONDS s)"
  grep -E "^\s+[0-9]+ - .*(Failed|Not Run|Timeout)" "$OUT/ctest_gpu.log" | head
  if [ "$(left)" -gt 60 ]; then
    (cd "$BUILD" && timeout "$(cap 600)" ctest -j 8 --timeout 300 --output-on-failure -LE 'soak|gpu' > "$OUT/ctest.log" 2>&1)
    grep -E "tests passed|tests failed|Total Test time" "$OUT/ctest.log" || echo "the rest of the suite cut short at $SECONDS s"
    grep -E "^\s+[0-9]+ - .*(Failed|Not Run|Timeout)" "$OUT/ctest.log" | head -30
    echo "skipped: $(grep -c '\*\*\*Skipped' "$OUT/ctest.log")"
  fi
fi
echo "done at $SECONDS s"
