#!/usr/bin/env bash
# The sanitizer runs list one ctest test per GoogleTest suite (EBM_TEST_PER_SUITE, cmake/
# EbmSuiteDiscovery.cmake; scripts/ci-sanitize.sh). This builds a tiny ctest tree around
# suite_discovery_fixture (suites Alpha: 2 tests, BetaGpu: 1, Gamma: 1 that fails when
# EBM_FIXTURE_FAIL=1), registered by the project's own ebm_discover_tests(... GPU_SUITES "BetaGpu.*"),
# and an executable whose listing fails, then checks:
#   1. ctest lists the suites, not the tests: Alpha.*, Gamma.* (label x), BetaGpu.* (labels x and gpu),
#      and the broken executable as one failing test — no abort of the whole run;
#   2. -L x -LE gpu runs Alpha.* and Gamma.*, every test of each (the gtest output shows them);
#   3. a failing test fails its suite, and ctest's exit status.
# Usage: suite_discovery_test.sh CMAKE CTEST CMAKE_MODULE_DIR FIXTURE_EXECUTABLE
source "$(dirname "$0")/../support/ctest_tree.sh"
ctest_tree_begin suite_discovery_test "$@"

printf '#!/bin/sh\necho "cannot start" >&2\nexit 3\n' >"$work/broken"  # an executable whose listing fails
chmod +x "$work/broken"
ctest_tree_write "set(EBM_TEST_PER_SUITE ON)" <<TREE
add_executable(fixture IMPORTED)
set_target_properties(fixture PROPERTIES IMPORTED_LOCATION "$EXE")
ebm_discover_tests(fixture LABELS x GPU_SUITES "BetaGpu.*")
add_executable(broken IMPORTED)
set_target_properties(broken PROPERTIES IMPORTED_LOCATION "$work/broken")
ebm_discover_tests(broken LABELS y)
TREE
"$CMAKE" -S "$work/tree" -B "$work/build" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; fail "configuring the tiny tree failed"; }
run_ctest() { "$CMAKE" -E chdir "$work/build" "$CTEST" "$@"; }

# 1. The listing: suites with their labels, and the broken executable as a failing test.
run_ctest -N >"$work/list.log" 2>&1 || { cat "$work/list.log"; fail "ctest -N failed"; }
cat "$work/list.log"
[ "$(grep -c 'Test *#' "$work/list.log")" -eq 4 ] || fail "want 4 tests listed (3 suites + the broken listing)"
for t in 'Alpha\.\*' 'BetaGpu\.\*' 'Gamma\.\*' 'broken_all_LISTING_FAILED'; do
  grep -Eq "Test +#[0-9]+: $t\$" "$work/list.log" || fail "no test named $t"
done
# (ctest's output is captured before grep reads it: `ctest | grep -q` can kill ctest with SIGPIPE,
# which pipefail turns into a failure.)
gpu_list=$(run_ctest -N -L gpu)
x_list=$(run_ctest -N -L '^x$')
grep -Eq 'Test +#[0-9]+: BetaGpu\.\*$' <<<"$gpu_list" || fail "BetaGpu.* is not labelled gpu"
[ "$(grep -c 'Test *#' <<<"$gpu_list")" -eq 1 ] || fail "only BetaGpu.* should be labelled gpu"
[ "$(grep -c 'Test *#' <<<"$x_list")" -eq 3 ] || fail "the fixture's three suites should carry label x"

# 2. -L x -LE gpu: both suites run, each test of them.
run_ctest -L x -LE gpu -V --no-tests=error >"$work/run.log" 2>&1 || { cat "$work/run.log"; fail "the suites failed"; }
grep -q "100% tests passed, 0 tests failed out of 2" "$work/run.log" || { cat "$work/run.log"; fail "want 2 of 2 passed"; }
for line in "alpha first ran" "alpha second ran" "gamma ran"; do
  grep -q "$line" "$work/run.log" || fail "'$line' missing: a test of a suite did not run"
done
if grep -q "beta ran" "$work/run.log"; then fail "the gpu suite ran under -LE gpu"; fi

# 3. A failing test fails its suite and the run; the broken executable's test fails too.
set +e
EBM_FIXTURE_FAIL=1 run_ctest -LE gpu >"$work/fail.log" 2>&1
rc=$?
set -e
[ $rc -ne 0 ] || { cat "$work/fail.log"; fail "ctest passed with a failing test"; }
grep -Eq "Gamma\.\* \.+\*+Failed" "$work/fail.log" || { cat "$work/fail.log"; fail "Gamma.* not reported failed"; }
grep -Eq "Alpha\.\* \.+ +Passed" "$work/fail.log" || { cat "$work/fail.log"; fail "Alpha.* did not pass beside it"; }
grep -Eq "broken_all_LISTING_FAILED \.+\*+Failed" "$work/fail.log" || { cat "$work/fail.log"; fail "the failed listing is not a failed test"; }
echo "suite_discovery_test: 3 suites + 1 failed listing listed; 2 suites, 3 tests run under -LE gpu; a failing test fails its suite"
