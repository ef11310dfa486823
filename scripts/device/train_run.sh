#!/usr/bin/env bash
# One GPU sitting (run on the GPU machine from the repo root, after building into ./build):
# trains or resumes one concept for MINUTES, then packs what comes back into OUTDIR, each file
# under the device tool's 16 MB limit (the checkpoint is split; rejoin with `cat ckpt.part.* >`).
# Usage: bash scripts/device/train_run.sh OUTDIR CONCEPT OBJECTIVE MINUTES [extra ebm train args]
set -uo pipefail
OUT=${1:?}; CONCEPT=${2:?}; OBJ=${3:?}; MIN=${4:?}; shift 4
RUN=runs/${CONCEPT}_${OBJ}
mkdir -p "$OUT" runs
if [ -f "$RUN/checkpoint.safetensors" ]; then
  ./build/app/ebm train --out "$RUN" --resume --time-limit "$MIN" --device cuda --no-progress "$@" > "$OUT/train_stdout.log" 2>&1
else
  ./build/app/ebm train --concept "$CONCEPT" --objective "$OBJ" --out "$RUN" --time-limit "$MIN" --device cuda --no-progress "$@" > "$OUT/train_stdout.log" 2>&1
fi
echo "train rc=$?"
tail -3 "$RUN/log.jsonl" 2>/dev/null
split -b 15M -d "$RUN/checkpoint.safetensors" "$OUT/ckpt_${CONCEPT}_${OBJ}.part."
cp "$RUN/model.safetensors" "$OUT/model_${CONCEPT}_${OBJ}.safetensors"
tar czf "$OUT/run_${CONCEPT}_${OBJ}_logs.tgz" "$RUN/log.jsonl" "$RUN/options.json" "$RUN/samples" "$OUT/train_stdout.log" 2>/dev/null
