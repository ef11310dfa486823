#!/usr/bin/env bash
# Grade continued concept models against the shipped ones in one GPU run (same machine, same seeds):
# `ebm eval --suite` of CANDIDATES (a directory with any of {position,size,shape,color}.safetensors;
# the missing concepts are taken from assets/models) and of assets/models, side by side
# (scripts/device/eval_sweep.sh with the two as its variants), then a table of every case and metric
# with both values (OUTDIR/sweep.txt). A candidate replaces its shipped file only when its rows
# improve (assets/models/MODEL_CARD.md). Run from the repo root after `ninja -C build ebm`:
#   bash scripts/device/grade_candidates.sh CANDIDATES OUTDIR [N] [CASES]
#   (N: samples per case, default 256; CASES: default all)
set -uo pipefail
CAND=${1:?usage: grade_candidates.sh CANDIDATES OUTDIR [N] [CASES]}
OUT=${2:?usage: grade_candidates.sh CANDIDATES OUTDIR [N] [CASES]}
N=${3:-256}
CASES=${4:-all}
mkdir -p "$OUT/candidates"
for c in position size shape color; do
  if [ -f "$CAND/$c.safetensors" ]; then cp "$CAND/$c.safetensors" "$OUT/candidates/"; else cp "assets/models/$c.safetensors" "$OUT/candidates/"; fi
done
bash "$(dirname "$0")/eval_sweep.sh" "$OUT" "$CASES" "$N" "shipped|" \
  "candidate|--models $OUT/candidates --classifier assets/models/classifier.safetensors"
