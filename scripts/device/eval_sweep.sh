#!/usr/bin/env bash
# Sampler-setting sweep: several `ebm eval --suite` variants side by side on one GPU (the eval of one
# variant leaves most of an H200 idle), then one table with a column per variant. Same target labels
# and seeds in every variant, so columns differ only by the variant's flags. Run from the repo root
# after building ebm into ./build:
#   bash scripts/device/eval_sweep.sh OUTDIR "CASES" N "NAME|FLAGS" ["NAME|FLAGS" ...]
# e.g. eval_sweep.sh out "color,shape+color" 128 "base|" "hi03|--guidance-interval 0,0.3" "mala|--step-rule mala"
# CASES "all": every case of the suite. EBM_SWEEP_DEVICE=cpu runs it on the CPU (small N only).
# Writes OUTDIR/NAME.json per variant (as `ebm eval --json-out` writes it: rewritten after every case)
# and OUTDIR/sweep.txt (scripts/device/sweep_table.py); exits non-zero when a variant left no result.
set -uo pipefail
OUT=${1:?usage: eval_sweep.sh OUTDIR CASES N NAME|FLAGS...}; CASES=${2:?cases}; N=${3:?n}; shift 3
EBM=${EBM:-./build/app/ebm}
DEVICE=${EBM_SWEEP_DEVICE:-cuda}
mkdir -p "$OUT"
CASE_FLAGS=(--cases "$CASES")
if [ "$CASES" = all ]; then CASE_FLAGS=(); fi
for spec in "$@"; do echo "${spec%%|*}"; done > "$OUT/variants.txt"  # sweep_table.py's columns, also for a sweep cut short
for spec in "$@"; do
  name=${spec%%|*}; flags=${spec#*|}
  # shellcheck disable=SC2086  # FLAGS is a list of words
  $EBM eval --suite --device "$DEVICE" --n "$N" "${CASE_FLAGS[@]}" --quiet $flags --json-out "$OUT/$name.json" \
    > "$OUT/$name.txt" 2> "$OUT/$name.err" &
done
wait
python3 "$(dirname "$0")/sweep_table.py" "$OUT" | tee "$OUT/sweep.txt"
exit "${PIPESTATUS[0]}"
