#!/usr/bin/env bash
# One device call that proves the GPU path (issues #27, #26, #24) on a fresh machine, inside one
# command's 10 minutes: the CUDA build with the GUI on, the throughput and preview benches while the
# GPU is quiet, then every `gpu`-labelled test, the Heun walk of the suite (#26: the same cases, n
# and seeds as the 2026-12-05 sitting's final/draft/Euler-32 columns) and the gradient-checkpointing
# table (#24) with the GPU to itself. Run from the repo root on the GPU machine:
#   bash scripts/device/verify_sitting.sh OUT
set -uo pipefail
OUT=${1:?usage: verify_sitting.sh OUT}
mkdir -p "$OUT" runs
export EBM=./build/app/ebm
T0=$SECONDS
source .devdeps/device-env.sh
source scripts/device/sitting_common.sh  # sweep, archive
stamp() { echo "$1 at $((SECONDS - T0)) s"; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
git log -1 --format='%h %cd' >> "$OUT/gpu.txt" 2> /dev/null
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DEBM_WITH_GUI=ON > "$OUT/cmake.log" 2>&1 \
  && ninja -C build ebm > "$OUT/build_ebm.log" 2>&1 || { tail -30 "$OUT/cmake.log" "$OUT/build_ebm.log"; exit 1; }
stamp "ebm built"
timeout 60 $EBM bench --device cuda --model cubesnet --batch 64,256 --terms 1 --modes graph+bf16 \
  --preview 1,4,16 --steps 48 > "$OUT/bench_preview.txt" 2>&1
timeout 40 $EBM bench --device cuda --model cubesnet --batch 16,64,256 --terms 1,2 --json \
  > "$OUT/bench_ebm.json" 2> "$OUT/bench_ebm.err"
cat "$OUT/bench_preview.txt"
stamp "benches done"
# The rest of the build on the CPU while the suite's Heun walk runs on the GPU.
sweep runs/walk "position,color,position+size,position+color,shape+color" 128 \
  "heun|--walk euler --heun --euler-steps 8 --churn 20 --euler-top-steps 24 --labels 8"
ninja -C build -k 0 > "$OUT/build_all.log" 2>&1 || grep -E "error|FAILED" "$OUT/build_all.log" | head -20
stamp "all built"
(cd build && timeout 200 ctest -L gpu --output-on-failure > "../$OUT/ctest_gpu.log" 2>&1)
grep -E "tests passed|tests failed|Failed|Not Run|\*\*\*Skipped|Timeout" "$OUT/ctest_gpu.log" | head -30
stamp "gpu tests done"
while [ ! -f runs/walk/sweep.txt ] && [ $((SECONDS - T0)) -lt 400 ]; do sleep 3; done
cat runs/walk/sweep.txt 2> /dev/null
stamp "walk sweep done"
timeout $((570 - (SECONDS - T0))) bash scripts/device/checkpoint_memory.sh runs/ckpt_mem 30 > "$OUT/ckpt_mem.txt" 2>&1
cat "$OUT/ckpt_mem.txt"
stamp "checkpoint table done"
archive "$OUT/runs.tgz" runs/walk runs/*.log runs/ckpt_mem/*.log runs/ckpt_mem/*/log.jsonl
