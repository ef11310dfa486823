#!/usr/bin/env bash
# Sanitizer runs of the test suite (called by scripts/test.sh after the normal build's ctest). Sized
# for CI (a fresh clone on 2 cores, ~15 min for these runs and the fuzzers together); RELIABILITY.md,
# "CI time budget", has the measured cost of each part and what is left out and why.
#   build-asan  clang -fsanitize=address,undefined, -O0 -g1 (line tables), no GUI: the test
#               executables of the parsers and the engine (checkpoint, TF import, recipe/export,
#               session, the reliability suite with its fuzz replay and kill -9 test) and the CLI
#               they start; ctest runs the labels of those executables.
#   build-tsan  clang -fsanitize=thread, same flags: engine_tests only (the session worker and its
#               command queue, and everything that drives a session: export, network chains).
#   Both list one ctest test per GoogleTest suite ("Session.*": EBM_TEST_PER_SUITE, cmake/
#   EbmSuiteDiscovery.cmake), not one per test: a test process loads LibTorch, ~1.6 s under ASan, and
#   ~300 process starts were more than half of the ASan run (RELIABILITY.md, "CI time budget").
#
#   EBM_SANITIZE_CXX      compiler of both builds (default clang++: measured ~2.5x less CPU time per
#                         file than g++ on this code base, RELIABILITY.md)
#   EBM_SANITIZE_OPT      optimisation and debug flags of both builds (default "-O0 -g1": measured
#                         2026-12-06, the ASan build 464 s at -O0 against 701 s at -O1, its tests
#                         about as fast once the tests' byte-wise file reads were gone; RELIABILITY.md)
#   EBM_SANITIZE_ONLY     "asan", "tsan" or "asan tsan" (default both)
#   EBM_ASAN_TARGETS      test executables of the ASan build (default below)
#   EBM_ASAN_LABELS       ctest label regex of the ASan run (default: the labels of those targets)
#   EBM_TSAN_TARGETS      test executables of the TSan build (default engine_tests)
#   EBM_TSAN_TESTS        ctest -R regex of the TSan run (default: all of engine_tests; ^Session\. = the
#                         threaded suite alone)
#   EBM_SANITIZE_FULL=1   every test executable (GUI, trainer, models) and every test under ASan and
#                         TSan of engine + studio: the full runs, for a machine with time to spare
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=${EBM_JOBS:-$(nproc)}
CXX_SAN=${EBM_SANITIZE_CXX:-clang++}
if ! command -v "$CXX_SAN" >/dev/null; then
  echo "ci-sanitize: $CXX_SAN not found (scripts/install-deps.sh installs clang)" >&2
  exit 1
fi
GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)

ASAN_TARGETS=${EBM_ASAN_TARGETS:-test_checkpoint test_checkpoint_cli test_tf engine_tests engine_cli_tests test_reliability suite_discovery_fixture}
ASAN_LABELS=${EBM_ASAN_LABELS:-checkpoint|tf|engine|reliability}
TSAN_TARGETS=${EBM_TSAN_TARGETS:-engine_tests}
TSAN_TESTS=${EBM_TSAN_TESTS:-.}
GUI=OFF
if [ "${EBM_SANITIZE_FULL:-0}" = 1 ]; then
  ASAN_TARGETS=all ASAN_LABELS=. TSAN_TARGETS="engine_tests studio_logic_test studio_controller_test" TSAN_TESTS=. GUI=ON
fi

configure() {  # dir, sanitizers
  local g=("${GEN[@]}")
  [ -f "$1/CMakeCache.txt" ] && g=()
  # -O0: the Torch-heavy sources compile ~2.5x faster than at -O1 (one test file: 8.0 against 20.6
  # CPU-s), and the time the tests spend is in LibTorch, which is not instrumented; reports get every
  # frame (nothing inlined). -g1: line tables for symbolized stacks without full debug info's cost.
  cmake -S . -B "$1" "${g[@]}" -DCMAKE_CXX_COMPILER="$CXX_SAN" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="${EBM_SANITIZE_OPT:--O0 -g1}" \
    -DEBM_SANITIZE="$2" -DEBM_WITH_CUDA=OFF -DEBM_WITH_GUI="$GUI" -DEBM_TEST_PER_SUITE=ON >/dev/null
}

build() {  # dir, targets...
  local dir=$1
  shift
  if [ "$1" = all ]; then
    cmake --build "$dir" --parallel "$JOBS"
  else
    cmake --build "$dir" --parallel "$JOBS" --target "$@"
  fi
}

# LibTorch and libgomp are not instrumented. Leak checking stays on, with suppressions for the
# one-time allocations LibTorch/OpenMP make at load time and never free (lsan.supp).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=0:suppressions=$ROOT/scripts/sanitizers/asan.supp"
export LSAN_OPTIONS="suppressions=$ROOT/scripts/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$ROOT/scripts/sanitizers/ubsan.supp"
export QT_QPA_PLATFORM=offscreen
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}  # two test processes on two cores: scripts/test.sh

run_asan() {
  local t0 t1
  t0=$(date +%s)
  configure build-asan address,undefined
  # shellcheck disable=SC2086
  build build-asan $ASAN_TARGETS
  t1=$(date +%s)
  echo "ci-sanitize: ASan+UBSan build $((t1 - t0)) s"
  # gpu tests skip themselves without CUDA; soak runs are not part of CI.
  # --no-tests=error: a label regex that matches nothing (a renamed label, an executable not built)
  # must fail the run, not pass it with zero tests.
  (cd build-asan && ctest --no-tests=error --output-on-failure --timeout 900 -j "${EBM_TEST_JOBS:-2}" -L "$ASAN_LABELS" -LE 'soak|gpu')
  echo "ci-sanitize: ASan+UBSan tests $(($(date +%s) - t1)) s, total $(($(date +%s) - t0)) s"
}

run_tsan() {
  local t0 t1
  t0=$(date +%s)
  configure build-tsan thread
  # shellcheck disable=SC2086
  build build-tsan $TSAN_TARGETS
  t1=$(date +%s)
  echo "ci-sanitize: TSan build ($TSAN_TARGETS) $((t1 - t0)) s"
  # One OpenMP thread: libgomp is not instrumented, and its thread pool's hand-offs look like races
  # to TSan; the engine's own threads (the session worker) are what this run checks.
  local labels=engine
  [ "${EBM_SANITIZE_FULL:-0}" = 1 ] && labels='engine|studio'
  (cd build-tsan && OMP_NUM_THREADS=1 TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/scripts/sanitizers/tsan.supp" \
    ctest --no-tests=error --output-on-failure --timeout 900 -j "${EBM_TEST_JOBS:-2}" -L "$labels" -LE 'soak|gpu|cli' -R "$TSAN_TESTS")
  echo "ci-sanitize: TSan tests $(($(date +%s) - t1)) s, total $(($(date +%s) - t0)) s"
}

for s in ${EBM_SANITIZE_ONLY:-asan tsan}; do
  case "$s" in
    asan) run_asan ;;
    tsan) run_tsan ;;
    *) echo "ci-sanitize: unknown sanitizer run '$s' (asan, tsan)" >&2; exit 2 ;;
  esac
done
