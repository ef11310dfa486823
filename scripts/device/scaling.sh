#!/usr/bin/env bash
# Data-parallel scaling on a several-GPU machine (issue: several GPUs): training it/s of a DSM run at
# batch 128 per GPU, and `ebm sample` image-steps/s of one composition, at 1, 2 and 4 GPUs (as many
# as the machine has), in one run so the numbers compare. Run from the repo root after building:
#   bash scripts/device/scaling.sh OUTDIR
set -uo pipefail
OUT=${1:?usage: scaling.sh OUTDIR}; mkdir -p "$OUT"
EBM=./build/app/ebm
GPUS=$(nvidia-smi -L | wc -l)
echo "gpus on this machine: $GPUS" | tee "$OUT/scaling.txt"
# A two-term composition of the shipped models at batch 256 (64 per GPU at 4), 200 steps.
python3 - "$OUT/recipe.json" <<'PY'
import json, sys, os
m = lambda c: {"name": c, "path": os.path.abspath(f"assets/models/{c}.safetensors")}
r = {"format": "ebm-recipe", "version": 1, "models": [m("position"), m("color")],
     "composition": {"op": "and", "children": [
         {"op": "term", "name": "p", "model": "position", "label": [0.5, -0.5]},
         {"op": "term", "name": "c", "model": "color", "label": [1.0] + [0.0] * 19}]},
     "seed": 0, "batch": 256, "device": "cuda"}
json.dump(r, open(sys.argv[1], "w"))
PY
for g in 1 2 4; do
  [ "$g" -le "$GPUS" ] || continue
  if [ "${SCALING_SKIP_TRAIN:-0}" != 1 ]; then  # (=1: the sampling half alone)
  # SCALING_OBJECTIVE=cd: the contrastive-divergence trainer (batch 64 per GPU, 40-step chains, 150
  # iterations) instead of DSM (batch 128 per GPU, 400 iterations).
  OBJ=${SCALING_OBJECTIVE:-dsm}
  if [ "$OBJ" = cd ]; then TB=64; TI=150; else TB=128; TI=400; fi
  rm -rf "/tmp/scaling_train_$g"
  $EBM train --concept position --objective "$OBJ" --batch $TB --out "/tmp/scaling_train_$g" --iters $TI --log-every 50 \
    --sample-every 0 --ckpt-every 1000000 --pool 5000 --no-progress --device cuda --gpus "$g" > "$OUT/train_${OBJ}_$g.log" 2>&1
  echo "train $OBJ gpus=$g: $(grep -o '[0-9.]* it/s' "$OUT/train_${OBJ}_$g.log" | tail -1) (batch $TB per GPU, $((TB * g)) images per iteration)" | tee -a "$OUT/scaling.txt"
  fi
  [ "${SCALING_SKIP_SAMPLE:-0}" = 1 ] && continue  # (=1: the training half alone)
  S=$(date +%s.%N)
  $EBM sample --recipe "$OUT/recipe.json" --out "$OUT/grid_$g.png" --device cuda --gpus "$g" > "$OUT/sample_$g.log" 2>&1
  E=$(date +%s.%N)
  MS=$(grep -o '[0-9.]* ms/step' "$OUT/sample_$g.log" | tail -1 | cut -d' ' -f1)
  echo "sample gpus=$g: $MS ms/step = $(awk "BEGIN{printf \"%.0f\", 256000/$MS}") img-steps/s, wall $(awk "BEGIN{printf \"%.1f\", $E - $S}") s for 256 x 200 steps" \
    | tee -a "$OUT/scaling.txt"
  # Same images as one GPU: a one-GPU run evaluating in chunks of the group's share (the
  # micro_batch the group's PNG records) must give the identical grid.
  if [ "$g" -gt 1 ]; then
    $EBM sample --recipe "$OUT/recipe.json" --out "$OUT/grid_1_mb$g.png" --device cuda --micro-batch $((256 / g)) --quiet \
      > /dev/null 2>&1
    if cmp -s "$OUT/grid_1_mb$g.png" "$OUT/grid_$g.png"; then r="identical"; else r="DIFFERENT"; fi
    echo "grid of $g GPUs vs one GPU at --micro-batch $((256 / g)): $r" | tee -a "$OUT/scaling.txt"
  fi
done
