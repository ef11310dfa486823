#!/usr/bin/env bash
# Issue #27 item 4: contrastive-divergence training with the options a user gets (`--precision auto`:
# bf16 autocast + channels-last on CUDA) against the reference PyTorch port's CD loop
# (tools/reference/cd_train_bench.py: batch 64, 40-step chains, eager fp32 as the original) and
# against our own fp32, then the loss curves of bf16 and fp32 side by side — the same run, seed and
# data, MINUTES each, both at once (their it/s there is not a timing). Run from the repo root on the
# GPU machine:
#   cd_precision.sh OUT [MINUTES]      (MINUTES 4; ~MINUTES + 2 minutes in all, ebm built if absent)
# Writes OUT/speed.txt (the three it/s figures, the GPU to itself), OUT/curves.txt
# (scripts/device/cd_curves.py: windowed means of the loss and energies, the sample grids' quick
# grades) and OUT/cd_precision.tgz (the runs' logs and options). SPEED=0 skips the speed part (for a call
# that shares the GPU with a training run: the curves are compared by iteration, not by time).
set -uo pipefail
OUT=${1:?usage: cd_precision.sh OUT [MINUTES]}; MIN=${2:-4}
mkdir -p "$OUT" runs
export EBM=${EBM:-./build/app/ebm}
T0=$SECONDS
source .devdeps/device-env.sh
source scripts/device/sitting_common.sh
[ -x "$EBM" ] || { build_ebm "$OUT" OFF; stamp "ebm built"; }
COMMON=(--objective cd --concept position --device cuda --batch 64 --seed 7 --no-progress)
[ "${SPEED:-1}" = 1 ] && {
  (cd tools/reference && PYTHONPATH=. timeout 120 python3 cd_train_bench.py --batch 64 --iters 30)
  for p in auto fp32; do
    rm -rf "runs/cd_speed_$p"
    timeout 120 $EBM train "${COMMON[@]}" --precision "$p" --out "runs/cd_speed_$p" --iters 120 --log-every 20 \
      --sample-every 0 --ckpt-every 100000 > "runs/cd_speed_$p.txt" 2>&1
    # it/s of the last 100 iterations (the first window holds the graph capture and cuDNN's autotuning)
    python3 - "$p" "runs/cd_speed_$p/log.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[2]) if '"loss"' in l]
last = [r for r in rows if r["iter"] > 20]
print(json.dumps({"loop": "ebm train --precision " + sys.argv[1], "batch": 64, "langevin_steps": 40,
                  "it_per_s": round(len(last) * 20 / sum(20 / r["it_per_s"] for r in last), 3)}))
PY
  done
} 2>&1 | tee "$OUT/speed.txt"
stamp "speed measured"
for p in bf16 fp32; do
  rm -rf "runs/cd_curve_$p"
  setsid nohup $EBM train "${COMMON[@]}" --precision "$p" --out "runs/cd_curve_$p" --iters 1000000 \
    --time-limit "$MIN" --log-every 25 --sample-every 500 --ckpt-every 100000 > "runs/cd_curve_$p.txt" 2>&1 < /dev/null &
done
wait
stamp "curves trained"
python3 scripts/device/cd_curves.py runs/cd_curve_fp32 runs/cd_curve_bf16 | tee "$OUT/curves.txt"
archive "$OUT/cd_precision.tgz" runs/cd_speed_auto runs/cd_speed_fp32 runs/cd_curve_bf16 runs/cd_curve_fp32 runs/cd_*.txt
