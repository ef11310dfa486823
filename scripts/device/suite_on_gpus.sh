#!/usr/bin/env bash
# `ebm eval --suite` with its cases spread over every GPU of the machine (one `ebm eval` process per
# GPU, cases dealt round-robin), then one merged JSON and table. Run from the repo root after
# building ebm into ./build:
#   bash scripts/device/suite_on_gpus.sh OUTDIR NAME [ebm eval args…]     e.g. … out g6 --n 256 --guidance 6
# Writes OUTDIR/NAME.json (the tables of every case, as `ebm eval --json-out` writes them) and NAME.txt.
set -uo pipefail
OUT=${1:?usage: suite_on_gpus.sh OUTDIR NAME [eval args]}; NAME=${2:?usage: suite_on_gpus.sh OUTDIR NAME [eval args]}; shift 2
EBM=./build/app/ebm
mkdir -p "$OUT"
GPUS=$(nvidia-smi -L | wc -l)
CASES=("position" "size" "shape" "color" "position+size" "position+shape" "position+color" "shape+color" "position+not color")
for ((g = 0; g < GPUS; ++g)); do
  mine=()
  for ((i = g; i < ${#CASES[@]}; i += GPUS)); do mine+=("${CASES[$i]}"); done
  [ ${#mine[@]} -gt 0 ] || continue
  list=$(IFS=,; echo "${mine[*]}")
  $EBM eval --suite --device "cuda:$g" --cases "$list" --quiet "$@" --json-out "$OUT/${NAME}_gpu$g.json" \
    > "$OUT/${NAME}_gpu$g.txt" 2> "$OUT/${NAME}_gpu$g.err" &
done
wait
python3 - "$OUT" "$NAME" "$GPUS" <<'PY'
import json, sys, os
out, name, gpus = sys.argv[1], sys.argv[2], int(sys.argv[3])
merged = None
for g in range(gpus):
    p = os.path.join(out, f"{name}_gpu{g}.json")
    if not os.path.exists(p):
        continue
    d = json.load(open(p))
    if merged is None:
        merged = d
    else:
        merged["tables"] += d["tables"]
if merged is None:
    sys.exit("suite_on_gpus: no GPU wrote its JSON (see the .err files)")
json.dump(merged, open(os.path.join(out, name + ".json"), "w"), indent=1)
with open(os.path.join(out, name + ".txt"), "w") as f:
    for t in merged["tables"]:
        for r in t["rows"]:
            line = f"{t['case']:20} {r['concept'] + (' (not)' if r['negated'] else ''):14} {r['metric']:18} {r['value']:.3f}"
            print(line); f.write(line + "\n")
PY
