#!/usr/bin/env bash
# The CPU measurements of issue #26 in one run, written to docs/measurements/ under its convention
# (YYYY-MM-DD_<commit>_cpu2_<what>): our sampling step (`ebm bench --device cpu`, fp32 and bf16) against
# the reference PyTorch port's (tools/reference/bench.py, Debian's python3-torch, the same thread
# count), and the time `ebm sample` takes for the studio's opening composition on the draft walk.
# Run from the repo root on a quiet machine after `bash scripts/build.sh`; needs python3-torch.
set -euo pipefail
EBM=${EBM:-./build/app/ebm}
THREADS=${THREADS:-$(nproc)}
tag="$(date +%F)_$(git rev-parse --short=7 HEAD)$(git diff --quiet || echo -dirty)_cpu2"
out=docs/measurements
{
  echo "date: $(date -Is)"; echo "commit: $(git rev-parse HEAD)"; echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  echo "cores: $(nproc), threads: $THREADS, load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "libtorch: Debian libtorch-dev $(dpkg-query -W -f='${Version}' libtorch-dev 2>/dev/null || echo '?')"
  echo "reference: $(/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)' 2>/dev/null || echo 'python3-torch missing')"
  echo "commands:"
  echo "  OMP_NUM_THREADS=$THREADS $EBM bench --device cpu --batch 4,16 --terms 1,2 --steps 8 --modes eager,eager+bf16 --json"
  echo "  /usr/bin/python3 tools/reference/bench.py --model cubesnet --batch B --num-energies T --steps 8 --threads $THREADS --device cpu"
  echo "  $EBM sample --recipe assets/recipes/color_and_position.json --batch B --precision P --walk euler --euler-steps 10 --churn 20 --euler-top-steps 40"
} > "$out/${tag}_cpu_sampling.cmd.txt"
OMP_NUM_THREADS=$THREADS $EBM bench --device cpu --batch 4,16 --terms 1,2 --steps 8 --modes eager,eager+bf16 --json \
  > "$out/${tag}_bench_cpu.json"
for b in 4 16; do
  for t in 1 2; do
    /usr/bin/python3 tools/reference/bench.py --model cubesnet --batch $b --num-energies $t --steps 8 --threads "$THREADS" --device cpu
  done
done > "$out/${tag}_reference_cpu.txt" 2>&1
for b in 4 8; do
  for p in fp32 bf16; do
    s=$(date +%s.%N)
    $EBM sample --recipe assets/recipes/color_and_position.json --out "/tmp/cpu_bench_${b}_${p}.png" --batch $b --precision $p \
      --walk euler --euler-steps 10 --churn 20 --euler-top-steps 40 --quiet > /dev/null
    e=$(date +%s.%N)
    echo "batch $b precision $p: $(python3 -c "print(round($e - $s, 2))") s (process start to PNG written, 51 steps, 2 guided terms)"
  done
done > "$out/${tag}_sample_draft_cpu.txt"
echo "wrote $out/${tag}_*"
