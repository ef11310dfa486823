#!/usr/bin/env bash
# Grade continued concept models against the shipped ones in one GPU run (same machine, same seeds):
# `ebm eval --suite` of CANDIDATES (a directory with any of {position,size,shape,color}.safetensors;
# the missing concepts are taken from assets/models) and of assets/models, side by side, then a table
# of every case and metric with both values. A candidate replaces its shipped file only when its rows
# improve (assets/models/MODEL_CARD.md). Run from the repo root after `ninja -C build ebm`:
#   bash scripts/device/grade_candidates.sh CANDIDATES OUTDIR [N]      (N: samples per case, default 256)
set -uo pipefail
CAND=${1:?usage: grade_candidates.sh CANDIDATES OUTDIR [N]}
OUT=${2:?usage: grade_candidates.sh CANDIDATES OUTDIR [N]}
N=${3:-256}
EBM=./build/app/ebm
mkdir -p "$OUT/candidates"
for c in position size shape color; do
  if [ -f "$CAND/$c.safetensors" ]; then cp "$CAND/$c.safetensors" "$OUT/candidates/"; else cp "assets/models/$c.safetensors" "$OUT/candidates/"; fi
done
# Both suites at once: the GPU has room for both, and they see the same machine state.
$EBM eval --suite --n "$N" --device cuda --models "$OUT/candidates" --classifier assets/models/classifier.safetensors \
  --json-out "$OUT/candidates.json" > "$OUT/candidates.txt" 2> "$OUT/candidates.err" &
$EBM eval --suite --n "$N" --device cuda --json-out "$OUT/shipped.json" > "$OUT/shipped.txt" 2> "$OUT/shipped.err" &
wait
python3 - "$OUT/shipped.json" "$OUT/candidates.json" <<'PY' | tee "$OUT/compare.txt"
import json, sys
rows = {}
for side, path in (("shipped", sys.argv[1]), ("candidate", sys.argv[2])):
    try:
        tables = json.load(open(path))["tables"]
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"grade_candidates: cannot read {path}: {e}")
    for t in tables:
        for r in t["rows"]:
            key = (t["case"], r["concept"] + (" (not)" if r["negated"] else ""), r["metric"])
            rows.setdefault(key, {})[side] = r["value"]
print(f"{'case':20} {'concept':14} {'metric':18} {'shipped':>9} {'candidate':>9}")
for (case, concept, metric), v in rows.items():
    f = lambda x: f"{x:9.3f}" if x is not None else f"{'-':>9}"
    print(f"{case:20} {concept:14} {metric:18} {f(v.get('shipped'))} {f(v.get('candidate'))}")
PY
