#!/usr/bin/env bash
# Soak test of the studio (issue 7, RELIABILITY.md "Soak"): ebm-studio samples a two-term
# composition under Xvfb for EBM_SOAK_MINUTES (default 10) while a script edits it every second —
# label moves, weight changes, mask strokes, pause/resume, a restart and an export each minute —
# and this script samples the app's resident memory every 5 s. It prints the host memory growth
# after the warm-up (first minute) and the mean frame time, and fails when the growth exceeds 5 %
# or the script did not finish. Not part of CI (10 minutes of 2 cores); run it after changes to
# the worker, the history or the GL resources:
#   bash scripts/soak-studio.sh                 # needs a build in ./build (scripts/build.sh)
#   EBM_SOAK_MINUTES=2 bash scripts/soak-studio.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${EBM_BUILD_DIR:-$ROOT/build}
MINUTES=${EBM_SOAK_MINUTES:-10}
for exe in "$BUILD/app/ebm" "$BUILD/app/ebm-studio"; do
  [ -x "$exe" ] || { echo "soak: $exe is missing; build first (bash scripts/build.sh)" >&2; exit 2; }
done
command -v xvfb-run >/dev/null || { echo "soak: xvfb-run is missing (apt-get install xvfb xauth)" >&2; exit 2; }

work=$(mktemp -d /tmp/ebm-soak.XXXXXX)
echo "soak: working in $work"

# Two concept models of the original width, made by the trainer in two iterations: the soak
# measures the app (worker, history, uploads, UI), not what the models learned.
for concept in position color; do
  "$BUILD/app/ebm" train --concept "$concept" --objective cd --iters 2 --batch 4 --pool 16 --steps 2 --sample-n 4 --sample-steps 2 \
    --sample-every 0 --ckpt-every 1000 --no-progress --device cpu --out "$work/$concept" >"$work/train_$concept.log" 2>&1 \
    || { echo "soak: could not make the $concept model:" >&2; cat "$work/train_$concept.log" >&2; exit 1; }
  cp "$work/$concept/model.safetensors" "$work/$concept.safetensors"  # the studio names a model by its file
done

# The script: start, then one edit per second; each minute a pause/resume, an export and a restart.
seconds=$((MINUTES * 60))
{
  echo '{"actions": ['
  echo '{"do": "set_sampler", "batch": 8, "steps": 100000000, "step_lr": 100, "preview_every_ms": 100},'
  echo '{"do": "add_term", "model": "position", "label": [0.3, -0.2]},'
  echo '{"do": "add_term", "model": "color", "weight": 0.8},'
  echo '{"do": "start"}, {"do": "wait", "until": "running"},'
  awk -v n="$seconds" 'BEGIN {
    srand(7);
    for (i = 1; i <= n; i++) {
      k = i % 6;
      if (k == 0) printf "{\"do\": \"set_label\", \"term\": \"position\", \"slot\": \"x\", \"value\": %.3f},\n", 2 * rand() - 1;
      else if (k == 1) printf "{\"do\": \"set_label\", \"term\": \"position\", \"slot\": \"y\", \"value\": %.3f},\n", 2 * rand() - 1;
      else if (k == 2) printf "{\"do\": \"set_weight\", \"term\": 1, \"weight\": %.3f},\n", 0.2 + rand();
      else if (k == 3) printf "{\"do\": \"paint_mask\", \"term\": 1, \"points\": [[%.2f, %.2f], [%.2f, %.2f]], \"radius\": 6, \"erase\": %s},\n", rand(), rand(), rand(), rand(), (rand() < 0.3 ? "true" : "false");
      else if (k == 4) printf "{\"do\": \"select\", \"sample\": %d},\n", int(rand() * 8);
      else printf "{\"do\": \"set_label\", \"term\": \"position\", \"label\": [%.3f, %.3f]},\n", 2 * rand() - 1, 2 * rand() - 1;
      if (i % 60 == 30) printf "{\"do\": \"pause\"}, {\"do\": \"wait\", \"until\": \"settled\"}, {\"do\": \"resume\"},\n";
      if (i % 60 == 45) printf "{\"do\": \"export\", \"path\": \"grid_%d\"},\n", i;
      if (i % 60 == 59) printf "{\"do\": \"restart\", \"new_seed\": true},\n";
      printf "{\"do\": \"wait\", \"ms\": 1000},\n";
    }
  }'
  echo '{"do": "quit"}]}'
} >"$work/script.json"

XDG_CONFIG_HOME="$work/config" xvfb-run -a -s "-screen 0 1600x1000x24" \
  "$BUILD/app/ebm-studio" --no-autostart --max-seconds $((seconds + 600)) --script "$work/script.json" \
  --screenshot-dir "$work/out" "$work/position.safetensors" "$work/color.safetensors" \
  >"$work/studio.log" 2>&1 &
runner=$!

# Resident memory of the studio every 5 s (the xvfb-run wrapper starts it; find it by name).
echo "t_s,rss_kib" >"$work/rss.csv"
t0=$(date +%s)
pid=""
while kill -0 "$runner" 2>/dev/null; do
  # The ebm-studio process whose command line names this script (not xvfb-run or its shells).
  if [ -z "$pid" ]; then
    for p in $(pgrep -x ebm-studio || true); do
      grep -qF "$work/script.json" "/proc/$p/cmdline" 2>/dev/null && pid=$p
    done
  fi
  if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$rss" ] && echo "$(( $(date +%s) - t0 )),$rss" >>"$work/rss.csv"
  fi
  sleep 5
done
rc=0
wait "$runner" || rc=$?

report="$work/out/script_report.json"
[ -f "$report" ] || { echo "soak: the studio wrote no report (exit $rc); log:" >&2; tail -20 "$work/studio.log" >&2; exit 1; }
frames=$(grep -o '"frames": [0-9]*' "$report" | head -1 | grep -o '[0-9]*$')
secs=$(grep -o '"seconds": [0-9.e+-]*' "$report" | head -1 | awk '{print $2}')
ok=$(grep -o '"ok": [a-z]*' "$report" | awk '{print $2}')
steps=$(grep -o '"max_step_seen": [0-9]*' "$report" | awk '{print $2}')
# Growth: mean RSS of the last minute against the mean of the second minute (after the warm-up).
summary=$(awk -F, -v end="$(tail -1 "$work/rss.csv" | cut -d, -f1)" '
  NR > 1 && $1 >= 60 && $1 < 120 { a += $2; na++ }
  NR > 1 && $1 >= end - 60 { b += $2; nb++ }
  NR > 1 { if ($2 > peak) peak = $2 }
  END {
    if (na == 0 || nb == 0) { print "n/a n/a n/a n/a"; exit }
    printf "%.1f %.1f %.2f %.1f\n", a / na / 1024, b / nb / 1024, 100 * (b / nb - a / na) / (a / na), peak / 1024
  }' "$work/rss.csv")
read -r warm last growth peak <<<"$summary"
frame_ms=$(awk -v f="$frames" -v s="$secs" 'BEGIN { if (f > 0) printf "%.1f", 1000 * s / f; else print "n/a" }')
echo "soak: ${MINUTES} min, exit $rc, script ok: $ok, frames $frames (mean frame ${frame_ms} ms), chain steps seen $steps"
echo "soak: host RSS after warm-up ${warm} MiB, last minute ${last} MiB, growth ${growth} %, peak ${peak} MiB"
echo "soak: samples in $work/rss.csv, report $report"
[ "$rc" = 0 ] && [ "$ok" = true ] || { echo "soak: FAILED: the studio or its script failed" >&2; exit 1; }
awk -v g="$growth" 'BEGIN { exit !(g != "n/a" && g + 0 <= 5.0) }' || { echo "soak: FAILED: memory grew by more than 5 %" >&2; exit 1; }
echo "soak: passed"
