#!/usr/bin/env bash
# A machine without a display (no Xvfb, DISPLAY unset) must still run every test that needs none and
# report the GUI tests as skipped, with the reason — before, ctest's discovery of the GUI executables
# failed there and ctest aborted with "Errors while running CTest", running nothing (issue #27).
#
# Builds a tiny ctest tree: one GUI executable (the real studio_gl_test) registered by the project's
# own ebm_discover_tests(... DISPLAY) (cmake/EbmTestDiscovery.cmake) and one plain test, then runs
# ctest there with DISPLAY unset and a PATH that has everything but Xvfb:
#   1. ctest exits 0, the plain test passes, every GUI test of the executable is listed and Skipped,
#      and the log gives the reason;
#   2. with EBM_REQUIRE_DISPLAY=1 (what CI sets) the GUI tests fail instead — and the plain test
#      still runs: no display never takes the rest of ctest down.
# Usage: missing_display_test.sh CMAKE CTEST CMAKE_MODULE_DIR GUI_TEST_EXECUTABLE
source "$(dirname "$0")/../support/ctest_tree.sh"
ctest_tree_begin missing_display_test "$@"

# PATH without Xvfb: a directory of links to every program on PATH (first one wins) but the X servers.
mkdir "$work/bin"
IFS=: read -ra path_dirs <<<"$PATH"
for d in "${path_dirs[@]}"; do
  [ -d "$d" ] && ln -s -t "$work/bin" "$d"/* 2>/dev/null || true
done
rm -f "$work/bin/Xvfb" "$work/bin/xvfb-run" "$work/bin/Xorg" "$work/bin/X"
no_display=(env -u DISPLAY -u WAYLAND_DISPLAY -u EBM_REQUIRE_DISPLAY PATH="$work/bin")
if "${no_display[@]}" bash -c 'command -v Xvfb' >/dev/null; then fail "the simulated PATH still finds Xvfb"; fi

ctest_tree_write <<EOF
add_executable(gui_tests IMPORTED)
set_target_properties(gui_tests PROPERTIES IMPORTED_LOCATION "$EXE")
ebm_discover_tests(gui_tests LABELS studio DISPLAY)
add_test(NAME plain_test COMMAND "\${CMAKE_COMMAND}" -E echo "the plain test ran")
set_tests_properties(plain_test PROPERTIES PASS_REGULAR_EXPRESSION "the plain test ran")
EOF
"${no_display[@]}" "$CMAKE" -S "$work/tree" -B "$work/build" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; fail "configuring the tiny tree failed"; }

# The GUI tests the executable has (gtest's listing: indented lines are tests).
want=$("$EXE" --gtest_list_tests | grep -c '^  ')
[ "$want" -gt 0 ] || fail "$EXE lists no tests"

# 1. No display: exit 0, the plain test passes, every GUI test skipped with the reason.
set +e
"${no_display[@]}" "$CMAKE" -E chdir "$work/build" "$CTEST" --no-tests=error --output-on-failure >"$work/ctest.log" 2>&1
rc=$?
set -e
cat "$work/ctest.log"
[ $rc -eq 0 ] || fail "ctest exited $rc without a display (want 0)"
if grep -q "Errors while running CTest" "$work/ctest.log"; then fail "ctest reported errors"; fi
grep -Eq "plain_test \.+ +Passed" "$work/ctest.log" || fail "the plain test did not pass"
skipped=$(grep -E " \.+ *\*+Skipped" "$work/ctest.log" | grep -vc plain_test || true)
[ "$skipped" -eq "$want" ] || fail "$skipped GUI tests reported Skipped, want all $want"
grep -q "0 tests failed out of $((want + 1))" "$work/ctest.log" || fail "want 0 failed out of $((want + 1))"
grep -q "SKIPPED: no display for this GUI test: Xvfb is not installed and DISPLAY is unset" \
  "$work/build/Testing/Temporary/LastTest.log" || fail "the log does not give the reason"

# 2. EBM_REQUIRE_DISPLAY=1: the GUI tests fail, the plain test still runs and passes.
set +e
"${no_display[@]}" EBM_REQUIRE_DISPLAY=1 "$CMAKE" -E chdir "$work/build" "$CTEST" --no-tests=error >"$work/ctest_required.log" 2>&1
rc=$?
set -e
[ $rc -ne 0 ] || { cat "$work/ctest_required.log"; fail "EBM_REQUIRE_DISPLAY=1: ctest passed without a display"; }
if grep -q "Errors while running CTest" "$work/ctest_required.log" && ! grep -q "tests failed out of" "$work/ctest_required.log"; then
  cat "$work/ctest_required.log"
  fail "EBM_REQUIRE_DISPLAY=1: ctest aborted instead of running the tests"
fi
grep -Eq "plain_test \.+ +Passed" "$work/ctest_required.log" || { cat "$work/ctest_required.log"; fail "EBM_REQUIRE_DISPLAY=1: the plain test did not pass"; }
failed=$(grep -E " \.+ *\*+Failed" "$work/ctest_required.log" | grep -vc plain_test || true)
[ "$failed" -eq "$want" ] || { cat "$work/ctest_required.log"; fail "EBM_REQUIRE_DISPLAY=1: $failed GUI tests failed, want $want"; }

echo "missing_display_test: no display: ctest exit 0, plain test passed, $skipped/$want GUI tests skipped with the reason;" \
  "EBM_REQUIRE_DISPLAY=1: $failed/$want failed, plain test passed"
