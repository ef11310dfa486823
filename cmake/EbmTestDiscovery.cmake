# How ctest finds the tests of a GoogleTest executable: one place, used by tests/CMakeLists.txt and by
# the test that checks it (tests/studio/missing_display_test.sh runs a tiny ctest tree through this
# same function with no display and no Xvfb).
#
# Discovery runs at ctest time (PRE_TEST): `exe --gtest_list_tests`, and any failure there aborts the
# whole ctest run ("Errors while running CTest") with every other test lost. So discovery must never
# depend on the machine: GUI executables are listed without a display (run_under_xvfb.sh runs
# --gtest_list_tests directly), and only their test runs need one. Without a display server those runs
# exit 77 with the reason, which SKIP_RETURN_CODE turns into "Skipped"; the other tests run as usual.
include_guard(GLOBAL)
include(GoogleTest)

get_filename_component(EBM_DISPLAY_WRAPPER "${CMAKE_CURRENT_LIST_DIR}/../tests/studio/run_under_xvfb.sh" ABSOLUTE)
set(EBM_DISPLAY_SKIP_CODE 77)  # run_under_xvfb.sh's exit status when there is no display (automake's "skipped")

# One gtest_discover_tests call with `labels` (a list) on every test it finds. The labels do not go
# through its PROPERTIES: that list is flattened on the way (LABELS "a;b" became LABELS a, with a
# property named "b"), so only the first label stuck. A ctest include file run after the discovery
# sets them from the discovered test list instead.
function(_ebm_discover_with_labels target tag filter labels)
  if(EBM_TEST_PER_SUITE)
    _ebm_discover_suites(${target} ${tag} "${filter}" "${labels}" ${ARGN})
    return()
  endif()
  set(list_var "${target}_${tag}_TESTS")
  set(filter_args)
  if(filter)
    set(filter_args TEST_FILTER "${filter}")
  endif()
  gtest_discover_tests(${target} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 120 ${filter_args} TEST_LIST ${list_var}
                       ${ARGN})
  if(NOT labels)
    return()
  endif()
  set(labels_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_${tag}_labels.cmake")
  file(WRITE "${labels_file}"
       "if(${list_var})\n  set_tests_properties(\${${list_var}} PROPERTIES LABELS \"${labels}\")\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${labels_file}")
endfunction()

# EBM_TEST_PER_SUITE: one ctest test per GoogleTest suite ("Suite.*"), listed at ctest time by
# EbmSuiteDiscovery.cmake — the sanitizer builds' mode (scripts/ci-sanitize.sh), where each process
# start costs more than most tests. ARGN: gtest_discover_tests' PROPERTIES (only SKIP_RETURN_CODE is used).
set(EBM_SUITE_DISCOVERY_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/EbmSuiteDiscovery.cmake")
function(_ebm_discover_suites target tag filter labels)
  cmake_parse_arguments(P "" "" "PROPERTIES" ${ARGN})
  set(skip_code)
  if(P_PROPERTIES)
    cmake_parse_arguments(Q "" "SKIP_RETURN_CODE" "" ${P_PROPERTIES})
    set(skip_code ${Q_SKIP_RETURN_CODE})
  endif()
  get_target_property(emulator ${target} CROSSCOMPILING_EMULATOR)
  if(NOT emulator)
    set(emulator)
  endif()
  set(file "${CMAKE_CURRENT_BINARY_DIR}/${target}_${tag}_suites.cmake")
  file(GENERATE OUTPUT "${file}" CONTENT
"set(EBM_SUITES_EXE [==[$<TARGET_FILE:${target}>]==])
set(EBM_SUITES_EMULATOR [==[${emulator}]==])
set(EBM_SUITES_FILTER [==[${filter}]==])
set(EBM_SUITES_LABELS [==[${labels}]==])
set(EBM_SUITES_SKIP_CODE [==[${skip_code}]==])
set(EBM_SUITES_DIR [==[${CMAKE_CURRENT_BINARY_DIR}]==])
set(EBM_SUITES_TAG [==[${target}_${tag}]==])
set(EBM_SUITES_CMAKE [==[${CMAKE_COMMAND}]==])
include([==[${EBM_SUITE_DISCOVERY_SCRIPT}]==])
")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${file}")
endfunction()

# ebm_discover_tests(TARGET [LABELS l...] [GPU_SUITES filter] [DISPLAY])
#   LABELS      ctest labels of every test of the executable
#   GPU_SUITES  a gtest filter ("SuiteA.*:SuiteB.*") of the tests that need CUDA: they get the `gpu`
#               label too (they skip themselves without CUDA; `-LE gpu` leaves them out)
#   DISPLAY     the tests need a display: each runs under run_under_xvfb.sh (a private Xvfb, else
#               $DISPLAY, else skipped with the reason); gets the `gui` label
function(ebm_discover_tests target)
  cmake_parse_arguments(D "DISPLAY" "GPU_SUITES" "LABELS" ${ARGN})
  set(labels ${D_LABELS})
  set(props)
  if(D_DISPLAY)
    # gtest_discover_tests reads the emulator when it is called: it prefixes the listing and every run.
    set_target_properties(${target} PROPERTIES CROSSCOMPILING_EMULATOR "${EBM_DISPLAY_WRAPPER}")
    list(APPEND labels gui)
    # COST: ctest -j starts costlier tests first; a fresh clone has no timing data yet, and the GUI
    # tests are the longest (up to 2.5 min under CI's load), so they start first instead of last.
    set(props PROPERTIES SKIP_RETURN_CODE ${EBM_DISPLAY_SKIP_CODE} COST 60)
  endif()
  list(REMOVE_DUPLICATES labels)
  if(D_GPU_SUITES)
    set(gpu_labels ${labels} gpu)
    list(REMOVE_DUPLICATES gpu_labels)
    _ebm_discover_with_labels(${target} cpu "-${D_GPU_SUITES}" "${labels}" ${props})
    _ebm_discover_with_labels(${target} gpu "${D_GPU_SUITES}" "${gpu_labels}" ${props})
  else()
    _ebm_discover_with_labels(${target} all "" "${labels}" ${props})
  endif()
endfunction()
