#!/usr/bin/env bash
# Gradient checkpointing on a GPU (issue #24): peak GPU memory and it/s of `ebm train --data` with and
# without --checkpoint-activations, for ResNet128 (--size 128) at batch 128 and 256 and CubesNet
# (--size 64) at batch 1024, each objective (CD with a third of the iterations: each runs a 40-step chain).
# Two peaks: peak_alloc, the most bytes in use by tensors at once (the trainer's gpu_peak_allocated_mib,
# largest over its log windows: what the run needs), and smi, the process's largest `used_memory` in
# nvidia-smi (polled every 0.2 s: what the caching allocator holds, cuDNN autotuning's workspaces and the
# CUDA context included); it/s is the trainer's own figure over its last 5 iterations (the first ones
# autotune cuDNN). Run from the repo root after building ebm:
#   bash scripts/device/checkpoint_memory.sh RUNDIR [ITERS]
# OBJECTIVES (default "dsm cd") and CONFIGS (default all three "model batch size" rows, ';'-separated)
# pick rows; PRECISION (fp32: the table's precision for both objectives — `--precision auto` would
# train CD on CUDA in bf16 since 2026-12-06, and the table's first rows were fp32).
set -uo pipefail
DIR=${1:?usage: checkpoint_memory.sh RUNDIR [ITERS]}; ITERS=${2:-30}
EBM=${EBM:-./build/app/ebm}
mkdir -p "$DIR"
[ -f "$DIR/data/labels.csv" ] || $EBM render --n 1024 --seed 7 --folder "$DIR/data" > /dev/null
printf '%-10s %-9s %5s %-4s %14s %10s %10s %8s\n' objective model batch ckpt peak_alloc_MiB smi_MiB it_per_s status
IFS=';' read -r -a configs <<< "${CONFIGS:-resnet128 128 128;resnet128 256 128;cubesnet 1024 64}"
for objective in ${OBJECTIVES:-dsm cd}; do
  for cfg in "${configs[@]}"; do
    read -r model batch size <<< "$cfg"
    for ckpt in no yes; do
      run=$DIR/${objective}_${model}_b${batch}_$ckpt
      rm -rf "$run"
      iters=$ITERS; [ "$objective" = cd ] && iters=$(( (ITERS + 2) / 3 ))  # a CD iteration is 40 chain steps
      flags=(--data "$DIR/data" --concept where --label-columns x,y --size "$size" --objective "$objective"
             --batch "$batch" --iters "$iters" --log-every 5 --sample-every 0 --ckpt-every 100000 --sample-n 4 --no-progress --out "$run")
      flags+=(--precision "${PRECISION:-fp32}")
      [ $ckpt = yes ] && flags+=(--checkpoint-activations)
      $EBM train "${flags[@]}" > "$run.log" 2>&1 &
      pid=$!
      peak=0
      while kill -0 $pid 2> /dev/null; do
        m=$(nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits 2> /dev/null |
            awk -F', ' -v p=$pid '$1 == p {print $2}')
        [ -n "$m" ] && [ "$m" -gt "$peak" ] && peak=$m
        sleep 0.2
      done
      wait $pid; rc=$?
      ips=$(grep -o '"it_per_s":[0-9.eE+-]*' "$run/log.jsonl" 2> /dev/null | tail -1 | cut -d: -f2)
      alloc=$(grep -o '"gpu_peak_allocated_mib":[0-9.eE+-]*' "$run/log.jsonl" 2> /dev/null | cut -d: -f2 |
              sort -g | tail -1)
      printf '%-10s %-9s %5s %-4s %14.0f %10s %10.3f %8s\n' "$objective" "$model" "$batch" "$ckpt" "${alloc:-0}" "$peak" "${ips:-0}" \
        "$([ $rc = 0 ] && echo ok || echo "rc $rc")"
      [ $rc = 0 ] || tail -3 "$run.log"
    done
  done
done
