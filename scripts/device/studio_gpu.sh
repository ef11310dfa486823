#!/usr/bin/env bash
# The real studio on the GPU machine (issue: GPU path, "the studio stays at >= 60 fps while sampling at
# batch 64"): docs/images/studio_gpu_script.json under Xvfb with GLX on the NVIDIA GPU, once with the
# CUDA-GL interop preview and once with EBM_STUDIO_PREVIEW=host; prints each run's `sampling_perf`
# (fps, frame and busy-time quantiles while sampling, preview path, img-steps/s). Needs the device kit
# fetched with --xvfb (devkit_xvfb) and a GUI build. Run from the repo root:
#   source .devdeps/device-env.sh && devkit_xvfb && bash scripts/device/studio_gpu.sh OUTDIR [MODELS...]
# BUILD (build): the build tree with the GUI. MODELS default to assets/models/{position,color}.safetensors; with the Xvfb kit (~50 MB) the carry
# limit of a device call leaves room for fp16 copies only (scripts/models/to_fp16.py).
set -uo pipefail
OUT=${1:?usage: studio_gpu.sh OUTDIR [MODELS...]}; shift
mkdir -p "$OUT"
MODELS=("$@")
[ ${#MODELS[@]} -gt 0 ] || MODELS=(assets/models/position.safetensors assets/models/color.safetensors)
[ -n "${DISPLAY:-}" ] || { echo "studio_gpu.sh: no DISPLAY; run devkit_xvfb first" >&2; exit 1; }
SCRIPT=docs/images/studio_gpu_script.json
# The second pass: the sampling phase only (no screenshots of the settled chain).
python3 - "$SCRIPT" "$OUT/host_script.json" <<'PY'
import json, os, sys
s = json.load(open(sys.argv[1]))
here = os.path.dirname(os.path.abspath(sys.argv[1]))
acts = s["actions"]
cut = [i for i, a in enumerate(acts) if a["do"] == "cancel"][0]
s["actions"] = [dict(a, path=os.path.join(here, a["path"])) if a["do"] == "open_preset" else a
                for a in acts[:cut + 1]] + [{"do": "quit"}]
json.dump(s, open(sys.argv[2], "w"))
PY
run() {  # name env-prefix script
  local name=$1 script=$3
  env $2 timeout 120 "./${BUILD:-build}/app/ebm-studio" --no-autostart --width 1280 --height 960 --max-seconds 110 \
    --script "$script" --screenshot-dir "$OUT/$name" "${MODELS[@]}" > "$OUT/$name.log" 2>&1
  echo "$name: exit $?"
  python3 -c "
import json; r = json.load(open('$OUT/$name/script_report.json'))
print('  ok', r['ok'], r['error'][:200]); print('  ', json.dumps(r.get('sampling_perf')))"
}
run interop "EBM_STUDIO_PREVIEW=interop" "$SCRIPT"
run host "EBM_STUDIO_PREVIEW=host" "$OUT/host_script.json"
