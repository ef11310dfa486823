#!/usr/bin/env bash
# Runs on the GPU machine (see README "GPU build"): builds with the CUDA LibTorch, runs every test
# (the `gpu`-labelled ones included), then the benchmarks with the reference baseline in the same run.
# Usage: bash scripts/device/gpu_suite.sh OUTDIR [--no-tests] [--no-bench]
set -uo pipefail
OUT=${1:?usage: gpu_suite.sh OUTDIR}; shift
TESTS=1; BENCH=1
for a in "$@"; do case $a in --no-tests) TESTS=0 ;; --no-bench) BENCH=0 ;; esac; done
mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$OUT/gpu.txt"
python3 -c 'import torch;print("torch", torch.__version__, "cuda", torch.version.cuda)' >> "$OUT/gpu.txt"
cmake -S . -B build -G Ninja -DEBM_WITH_GUI=OFF > "$OUT/configure.log" 2>&1 || { tail -30 "$OUT/configure.log"; exit 1; }
cmake --build build -- -k 0 > "$OUT/build.log" 2>&1 || { grep -E "error|FAILED" "$OUT/build.log" | head -30; }
if [ $TESTS = 1 ]; then
  (cd build && ctest -j 8 --timeout 600 --output-on-failure > "$OUT/ctest.log" 2>&1)
  grep -E "tests passed|tests failed" "$OUT/ctest.log"
  grep -E "^\s+[0-9]+ - .*(Failed|Not Run|Timeout)" "$OUT/ctest.log" | head -30
  (cd build && ctest -L gpu --output-on-failure > "$OUT/ctest_gpu.log" 2>&1)
  echo "gpu label: $(grep -E 'tests passed|tests failed' "$OUT/ctest_gpu.log")"
fi
if [ $BENCH = 1 ]; then
  ./build/app/ebm bench --device cuda --model cubesnet --batch 16,64,256 --terms 1,2,4 --json > "$OUT/bench_ebm.json" 2> "$OUT/bench_ebm.err"
  ./build/app/ebm bench --device cuda --model resnet128 --batch 16 --terms 1 --json > "$OUT/bench_ebm_resnet.json" 2>> "$OUT/bench_ebm.err"
  ./build/app/ebm bench --device cuda --model cubesnet --batch 16,64,256 --terms 1 --modes graph+tf32 --preview 1,4,16 \
    --steps 48 > "$OUT/bench_preview.txt" 2>> "$OUT/bench_ebm.err"
  (cd tools/reference && PYTHONPATH=. timeout 300 python3 graph_bench.py > "$OUT/bench_reference.txt" 2>&1)
  tail -c 1500 "$OUT/bench_ebm.json"; tail -20 "$OUT/bench_reference.txt"
fi
