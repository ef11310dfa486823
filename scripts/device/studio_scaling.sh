#!/usr/bin/env bash
# The studio's worker on a several-GPU machine, in one run so the numbers compare (docs/gpu.md,
# "Several GPUs" and "The studio on the GPU"). Run from the repo root after building ebm and
# engine_gpu_tests into ./build:
#   bash scripts/device/studio_scaling.sh OUTDIR
# 1. the GPU tests of the engine (the sharded sampler's bitwise check and its 1-vs-2-GPU rate among them);
# 2. how long a preview waits for the worker's queued steps: the worker unbounded (--session-ahead 0)
#    and at its default bound of 2, and unbounded with 32 hardware queues (CUDA_DEVICE_MAX_CONNECTIONS);
# 3. the worker's chains split over 1, 2 (and 4) GPUs: `ebm bench --session --session-gpus G`.
set -uo pipefail
OUT=${1:?usage: studio_scaling.sh OUTDIR}; mkdir -p "$OUT"
EBM=./build/app/ebm
GPUS=$(nvidia-smi -L | wc -l)
echo "gpus on this machine: $GPUS" | tee "$OUT/studio_scaling.txt"
(cd build && ctest -L gpu -R engine_gpu_tests --output-on-failure -V > "$OUT/engine_gpu_tests.log" 2>&1)
grep -E "^\[ (sharded|run-ahead) \]|tests passed|tests failed|\[  (PASSED|FAILED|SKIPPED) " "$OUT/engine_gpu_tests.log" | tee -a "$OUT/studio_scaling.txt"
SESSION="--device cuda --model cubesnet --terms 2 --modes graph+tf32 --steps 20 --session 5"
for ahead in 0 2; do
  $EBM bench $SESSION --batch 64 --session-ahead $ahead > "$OUT/preview_ahead_$ahead.txt" 2>&1
done
CUDA_DEVICE_MAX_CONNECTIONS=32 $EBM bench $SESSION --batch 64 --session-ahead 0 > "$OUT/preview_ahead_0_conn32.txt" 2>&1
for f in preview_ahead_0 preview_ahead_2 preview_ahead_0_conn32; do
  echo "== $f"; grep -A8 "studio threading" "$OUT/$f.txt"
done | tee -a "$OUT/studio_scaling.txt"
for g in 1 2 4; do
  [ "$g" -le "$GPUS" ] || continue
  $EBM bench $SESSION --batch 64,256 --session-gpus $g --json > "$OUT/session_gpus_$g.json" 2> "$OUT/session_gpus_$g.err"
  python3 - "$OUT/session_gpus_$g.json" "$g" <<'PY' | tee -a "$OUT/studio_scaling.txt"
import json, sys
for r in json.load(open(sys.argv[1])):
    if "session_preview" in r:
        print(f"session gpus={sys.argv[2]} batch={r['batch']:4} preview={r['session_preview']:8} fps={r['fps']:6.1f} "
              f"preview p50/p99={r['preview_ms_p50']:.1f}/{r['preview_ms_p99']:.1f} ms worker={r['worker_img_steps_per_s']:.0f} img-steps/s")
PY
done
