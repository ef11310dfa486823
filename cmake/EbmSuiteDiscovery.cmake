# Run by ctest (a TEST_INCLUDE_FILES script, written per executable by EbmTestDiscovery.cmake when
# EBM_TEST_PER_SUITE is on): lists the executable's tests and adds one ctest test per GoogleTest suite,
# named "Suite.*" and run as `exe --gtest_filter=Suite.*`. The sanitizer runs use it: each test process
# loads LibTorch, which costs ~1.6 s under ASan (2026-12-06, 2-core machine), so ~300 tests run as
# ~80 processes instead of ~300. The variables below are set by the file that includes this one:
#   EBM_SUITES_EXE        the test executable
#   EBM_SUITES_EMULATOR   a command the listing and every run go through (the display wrapper), or empty
#   EBM_SUITES_FILTER     the gtest filter of this part of the executable ("-Gpu.*", "Gpu.*"), or empty
#   EBM_SUITES_LABELS     the ctest labels of every test
#   EBM_SUITES_SKIP_CODE  SKIP_RETURN_CODE of every test, or empty
#   EBM_SUITES_DIR        the tests' working directory
#   EBM_SUITES_TAG        a name for this part, used when the listing fails
#   EBM_SUITES_CMAKE      the cmake executable (a failed listing becomes a failing test, `cmake -E false`)

set(_filter_arg)
if(EBM_SUITES_FILTER)
  set(_filter_arg "--gtest_filter=${EBM_SUITES_FILTER}")
endif()
if(NOT EXISTS "${EBM_SUITES_EXE}")
  # As gtest_discover_tests does for an executable that was not built: a test that says so.
  add_test("${EBM_SUITES_TAG}_NOT_BUILT" "${EBM_SUITES_EXE}")
  set_tests_properties("${EBM_SUITES_TAG}_NOT_BUILT" PROPERTIES LABELS "${EBM_SUITES_LABELS}")
  return()
endif()
execute_process(COMMAND ${EBM_SUITES_EMULATOR} "${EBM_SUITES_EXE}" --gtest_list_tests ${_filter_arg}
                WORKING_DIRECTORY "${EBM_SUITES_DIR}" OUTPUT_VARIABLE _listing ERROR_VARIABLE _listing_err
                RESULT_VARIABLE _rc TIMEOUT 120)
if(NOT _rc EQUAL 0)
  # Not a FATAL_ERROR: that would abort the whole ctest run and lose every other test. The listing's
  # output is printed when ctest starts, and the failing test carries the executable's name.
  message(WARNING "listing the tests of ${EBM_SUITES_EXE} failed (${_rc}): ${_listing}${_listing_err}")
  add_test("${EBM_SUITES_TAG}_LISTING_FAILED" "${EBM_SUITES_CMAKE}" -E false)
  set_tests_properties("${EBM_SUITES_TAG}_LISTING_FAILED" PROPERTIES LABELS "${EBM_SUITES_LABELS}")
  return()
endif()
string(REPLACE "\n" ";" _lines "${_listing}")
foreach(_line IN LISTS _lines)
  # Suite lines start in column 0 and end with '.' (a typed or parameterised suite adds "  # ...").
  if(_line MATCHES "^([^ #][^ ]*)\\.( .*)?$")
    set(_suite "${CMAKE_MATCH_1}")
    set(_run_filter "${_suite}.*")
    if(EBM_SUITES_FILTER MATCHES "^-")
      string(APPEND _run_filter "${EBM_SUITES_FILTER}")  # "Suite.*-Gpu.*": the part's exclusions kept
    endif()
    add_test("${_suite}.*" ${EBM_SUITES_EMULATOR} "${EBM_SUITES_EXE}" "--gtest_filter=${_run_filter}")
    set_tests_properties("${_suite}.*" PROPERTIES LABELS "${EBM_SUITES_LABELS}" WORKING_DIRECTORY "${EBM_SUITES_DIR}")
    if(EBM_SUITES_SKIP_CODE)
      set_tests_properties("${_suite}.*" PROPERTIES SKIP_RETURN_CODE "${EBM_SUITES_SKIP_CODE}")
    endif()
  endif()
endforeach()
