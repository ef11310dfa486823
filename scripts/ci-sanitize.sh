#!/usr/bin/env bash
# Sanitizer runs of the test suite (called by scripts/test.sh after the normal build's ctest):
#   build-asan  every test, built with -DEBM_SANITIZE=address,undefined (gcc), run by ctest
#   build-tsan  the threaded tests only (engine worker, studio), -DEBM_SANITIZE=thread
# RELIABILITY.md explains the options and suppressions below and what each run costs.
#
#   EBM_SANITIZE_ONLY   "asan", "tsan" or "asan tsan" (default both)
#   EBM_TSAN_TARGETS    test executables of the TSan build (default: engine_tests studio_tests,
#                       those that exist)
#   EBM_TSAN_LABELS     ctest label regex of the TSan run (default engine|studio)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=${EBM_JOBS:-$(nproc)}
GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)

configure() {  # dir, sanitizers
  local g=("${GEN[@]}")
  [ -f "$1/CMakeCache.txt" ] && g=()
  cmake -S . -B "$1" "${g[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEBM_SANITIZE="$2" -DEBM_WITH_CUDA=OFF \
    -DEBM_WITH_GUI="${EBM_SANITIZE_GUI:-ON}" >/dev/null
}

# LibTorch and libgomp are not instrumented. Leak checking stays on, with suppressions for the
# one-time allocations LibTorch/OpenMP make at load time and never free (lsan.supp).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=0:suppressions=$ROOT/scripts/sanitizers/asan.supp"
export LSAN_OPTIONS="suppressions=$ROOT/scripts/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$ROOT/scripts/sanitizers/ubsan.supp"
export QT_QPA_PLATFORM=offscreen

run_asan() {
  local t0=$(date +%s)
  configure build-asan address,undefined
  cmake --build build-asan --parallel "$JOBS"
  echo "ci-sanitize: ASan+UBSan build $(( $(date +%s) - t0 )) s"
  # gpu tests skip themselves without CUDA; soak runs are not part of CI.
  (cd build-asan && ctest --output-on-failure --timeout 1800 -j "${EBM_TEST_JOBS:-2}" -LE 'soak')
  echo "ci-sanitize: ASan+UBSan total $(( $(date +%s) - t0 )) s"
}

run_tsan() {
  local t0=$(date +%s)
  configure build-tsan thread
  local targets=()
  for t in ${EBM_TSAN_TARGETS:-engine_tests studio_tests}; do
    if cmake --build build-tsan --target help 2>/dev/null | grep -q "^$t:"; then targets+=("$t"); fi
  done
  if [ ${#targets[@]} -eq 0 ]; then
    echo "ci-sanitize: TSan: none of the threaded test targets exist yet; skipped"
    return 0
  fi
  cmake --build build-tsan --parallel "$JOBS" --target "${targets[@]}"
  echo "ci-sanitize: TSan build (${targets[*]}) $(( $(date +%s) - t0 )) s"
  # One OpenMP thread: libgomp is not instrumented, and its thread pool's hand-offs look like races
  # to TSan; the engine's own threads (the session worker) are what this run checks.
  (cd build-tsan && OMP_NUM_THREADS=1 TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/scripts/sanitizers/tsan.supp" \
    ctest --output-on-failure --timeout 1800 -j 1 -L "${EBM_TSAN_LABELS:-engine|studio}" -LE 'soak|gpu')
  echo "ci-sanitize: TSan total $(( $(date +%s) - t0 )) s"
}

for s in ${EBM_SANITIZE_ONLY:-asan tsan}; do
  case "$s" in
    asan) run_asan ;;
    tsan) run_tsan ;;
    *) echo "ci-sanitize: unknown sanitizer run '$s' (asan, tsan)" >&2; exit 2 ;;
  esac
done
