#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) into build-fuzz and runs each one for a
# bounded time from the committed seed corpus. Exit status 1 when any harness finds a crash, a hang,
# a leak or a sanitizer report; the reproducer is left in build-fuzz/fuzz-artifacts/<harness>/.
# Then: copy it into fuzz/regressions/<harness>/ (test_reliability replays it from then on), fix the
# parser, and add a named regression test in tests/reliability/.
#
#   EBM_FUZZ_SECONDS   seconds per harness (default 25)
#   EBM_FUZZ_ONLY      run only these harnesses (space-separated names, e.g. "safetensors tf_bundle")
#   EBM_FUZZ_BUILD_DIR build directory (default build-fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${EBM_FUZZ_SECONDS:-25}
BUILD=${EBM_FUZZ_BUILD_DIR:-build-fuzz}
GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
[ -f "$BUILD/CMakeCache.txt" ] && GEN=()
if ! command -v clang++ >/dev/null; then
  echo "ci-fuzz: clang++ not found (scripts/install-deps.sh installs clang)" >&2
  exit 1
fi

t0=$(date +%s)
cmake -S . -B "$BUILD" "${GEN[@]}" -DCMAKE_CXX_COMPILER=clang++ -DEBM_FUZZ=ON -DEBM_BUILD_TESTS=OFF \
  -DEBM_WITH_GUI=OFF -DEBM_WITH_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" --target fuzzers --parallel "${EBM_JOBS:-$(nproc)}"
echo "ci-fuzz: harnesses built in $(( $(date +%s) - t0 )) s"

# Leaks are checked (per input, by libFuzzer); LibTorch's one-time static allocations are not
# reported because they stay reachable. ASan's allocator limit makes an unchecked huge allocation
# a finding ("malloc limit") rather than a swap storm.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:symbolize=1:detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

harnesses=${EBM_FUZZ_ONLY:-$(ls fuzz/corpus)}
summary="$BUILD/fuzz-summary.txt"
: >"$summary"
failed=()
for h in $harnesses; do
  exe="$BUILD/fuzz/fuzz_$h"
  [ -x "$exe" ] || { echo "ci-fuzz: no harness executable $exe" >&2; exit 1; }
  run="$BUILD/fuzz-run/$h"
  art="$BUILD/fuzz-artifacts/$h"
  rm -rf "$run"
  mkdir -p "$run/corpus" "$art"
  dirs=("$run/corpus" "fuzz/corpus/$h")  # new inputs go to the first (scratch) directory only
  [ -d "fuzz/regressions/$h" ] && dirs+=("fuzz/regressions/$h")
  extra=()
  [ -f "fuzz/dict/$h.dict" ] && extra+=("-dict=fuzz/dict/$h.dict")
  # LibTorch 1.13's PyTorchStreamReader leaks its miniz state (~400 bytes) whenever its constructor
  # throws (e.g. an archive whose version record is damaged): a leak inside LibTorch, not ours, and
  # LSan cannot name the function (stripped library), so leaks are not checked for this harness.
  asan="$ASAN_OPTIONS"
  [ "$h" = torch_pt ] && extra+=("-detect_leaks=0") && asan="$asan:detect_leaks=0"
  echo "ci-fuzz: $h for ${SECS} s"
  set +e
  ASAN_OPTIONS="$asan" "$exe" "${dirs[@]}" "${extra[@]}" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=3072 -malloc_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$art/" >"$run/log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$run/log" | tail -1 | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$run/log" | tail -1 | grep -o '[0-9]*' || echo 0)
  units=$(find "$run/corpus" -type f | wc -l)
  status=ok
  if [ $rc -ne 0 ]; then
    status="FAILED (rc $rc)"
    failed+=("$h")
    echo "---- $h: last lines of $run/log"
    tail -n 60 "$run/log"
    echo "---- reproducer(s): $(ls "$art")"
  fi
  printf '%-12s %8s s  %10s execs  cov %6s  new units %5s  %s\n' "$h" "$SECS" "$execs" "$cov" "$units" "$status" | tee -a "$summary"
done
echo "ci-fuzz: total $(( $(date +%s) - t0 )) s; summary in $summary"
if [ ${#failed[@]} -ne 0 ]; then
  echo "ci-fuzz: FAILED: ${failed[*]} (see RELIABILITY.md, 'When a fuzzer finds something')" >&2
  exit 1
fi
