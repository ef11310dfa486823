# Sourced by the tests that check how ctest finds the project's GoogleTest executables
# (tests/studio/missing_display_test.sh, tests/reliability/suite_discovery_test.sh): each builds a
# tiny ctest tree that registers an executable through cmake/EbmTestDiscovery.cmake and runs ctest there.
#   ctest_tree_begin NAME CMAKE CTEST CMAKE_MODULE_DIR EXE   sets CMAKE CTEST MODULES EXE, a work
#                                                            directory removed on exit, fail()
#   ctest_tree_write [CMAKE LINES]   $work/tree/CMakeLists.txt: the discovery module included after the
#                                    given lines (e.g. set(EBM_TEST_PER_SUITE ON)), then the body from stdin
set -euo pipefail

ctest_tree_begin() {
  CTEST_TREE_NAME=$1 CMAKE=$2 CTEST=$3 MODULES=$4 EXE=$5
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
}

fail() { echo "$CTEST_TREE_NAME: FAIL: $*" >&2; exit 1; }

ctest_tree_write() {
  mkdir -p "$work/tree"
  {
    printf 'cmake_minimum_required(VERSION 3.25)\nproject(%s NONE)\nenable_testing()\n' "$CTEST_TREE_NAME"
    printf 'list(APPEND CMAKE_MODULE_PATH "%s")\n' "$MODULES"
    for line in "$@"; do printf '%s\n' "$line"; done
    printf 'include(EbmTestDiscovery)\n'
    cat
  } >"$work/tree/CMakeLists.txt"
}
