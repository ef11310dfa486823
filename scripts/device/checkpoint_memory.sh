#!/usr/bin/env bash
# Gradient checkpointing on a GPU (issue #24): peak GPU memory and it/s of `ebm train --data` with and
# without --checkpoint-activations, for ResNet128 (--size 128) at batch 128 and 256 and CubesNet
# (--size 64) at batch 1024, each objective (CD with a third of the iterations: each runs a 40-step chain). Peak memory is the process's largest `used_memory` in
# nvidia-smi (polled every 0.2 s: what the caching allocator holds, the CUDA context included);
# it/s is the trainer's own figure over its last 5 iterations (the first ones autotune cuDNN). Run from the repo root after building ebm:
#   bash scripts/device/checkpoint_memory.sh RUNDIR [ITERS]
set -uo pipefail
DIR=${1:?usage: checkpoint_memory.sh RUNDIR [ITERS]}; ITERS=${2:-30}
EBM=${EBM:-./build/app/ebm}
mkdir -p "$DIR"
[ -f "$DIR/data/labels.csv" ] || $EBM render --n 1024 --seed 7 --folder "$DIR/data" > /dev/null
printf '%-10s %-9s %5s %-4s %-14s %10s %8s\n' objective model batch ckpt peak_MiB it_per_s status
for objective in dsm cd; do
  for cfg in "resnet128 128 128" "resnet128 256 128" "cubesnet 1024 64"; do
    read -r model batch size <<< "$cfg"
    for ckpt in no yes; do
      run=$DIR/${objective}_${model}_b${batch}_$ckpt
      rm -rf "$run"
      iters=$ITERS; [ "$objective" = cd ] && iters=$(( (ITERS + 2) / 3 ))  # a CD iteration is 40 chain steps
      flags=(--data "$DIR/data" --concept where --label-columns x,y --size "$size" --objective "$objective"
             --batch "$batch" --iters "$iters" --log-every 5 --sample-every 0 --ckpt-every 100000 --sample-n 4 --no-progress --out "$run")
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
      printf '%-10s %-9s %5s %-4s %-14s %10s %8s\n' "$objective" "$model" "$batch" "$ckpt" "$peak" "${ips:-?}" \
        "$([ $rc = 0 ] && echo ok || echo "rc $rc")"
      [ $rc = 0 ] || tail -3 "$run.log"
    done
  done
done
