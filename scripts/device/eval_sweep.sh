#!/usr/bin/env bash
# Sampler-setting sweep: several `ebm eval --suite` variants side by side on one GPU (the eval of one
# variant leaves most of an H200 idle), then one table with a column per variant. Same target labels
# and seeds in every variant, so columns differ only by the variant's flags. Run from the repo root
# after building ebm into ./build:
#   bash scripts/device/eval_sweep.sh OUTDIR "CASES" N "NAME|FLAGS" ["NAME|FLAGS" ...]
# e.g. eval_sweep.sh out "color,shape+color" 128 "base|" "hi03|--guidance-interval 0,0.3" "mala|--step-rule mala"
# CASES "all": every case of the suite. EBM_SWEEP_DEVICE=cpu runs it on the CPU (small N only).
# Writes OUTDIR/NAME.json per variant (as `ebm eval --json-out` writes it) and OUTDIR/sweep.txt;
# exits non-zero when a variant left no result.
set -uo pipefail
OUT=${1:?usage: eval_sweep.sh OUTDIR CASES N NAME|FLAGS...}; CASES=${2:?cases}; N=${3:?n}; shift 3
EBM=${EBM:-./build/app/ebm}
DEVICE=${EBM_SWEEP_DEVICE:-cuda}
mkdir -p "$OUT"
CASE_FLAGS=(--cases "$CASES")
if [ "$CASES" = all ]; then CASE_FLAGS=(); fi
names=()
for spec in "$@"; do
  name=${spec%%|*}; flags=${spec#*|}
  names+=("$name")
  # shellcheck disable=SC2086  # FLAGS is a list of words
  $EBM eval --suite --device "$DEVICE" --n "$N" "${CASE_FLAGS[@]}" --quiet $flags --json-out "$OUT/$name.json" \
    > "$OUT/$name.txt" 2> "$OUT/$name.err" &
done
wait
python3 - "$OUT" "${names[@]}" <<'PY' | tee "$OUT/sweep.txt"
import json, os, sys
out, names = sys.argv[1], sys.argv[2:]
rows, found, missing = {}, {}, 0
for n in names:
    p = os.path.join(out, n + ".json")
    try:
        tables = json.load(open(p))["tables"]
    except (OSError, ValueError, KeyError) as e:
        print(f"{n}: no result ({e}); see {n}.err")
        missing += 1
        continue
    for t in tables:
        for r in t["rows"]:
            key = (t["case"], r["concept"] + (" (not)" if r["negated"] else ""), r["metric"])
            rows.setdefault(key, {})[n] = r["value"]
        if "objects_found" in t:
            rows.setdefault((t["case"], "", "objects found"), {})[n] = t["objects_found"]
        if "multiple_objects" in t:
            rows.setdefault((t["case"], "", "two or more"), {})[n] = t["multiple_objects"]
        if "seconds" in t:
            rows.setdefault((t["case"], "", "seconds"), {})[n] = t["seconds"]
        if "acceptance" in t:
            rows.setdefault((t["case"], "", "acceptance"), {})[n] = t["acceptance"]
        if "all_met" in t:
            rows.setdefault((t["case"], "", "all rows met"), {})[n] = t["all_met"]
print(f"{'case':26} {'concept':14} {'metric':18} " + " ".join(f"{n:>9}" for n in names))
for (case, concept, metric), v in rows.items():
    cells = " ".join(f"{v[n]:9.3f}" if n in v else f"{'-':>9}" for n in names)
    print(f"{case:26} {concept:14} {metric:18} {cells}")
sys.exit(1 if missing else 0)
PY
