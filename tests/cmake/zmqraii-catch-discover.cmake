# SPDX-License-Identifier: MIT
#
# zmqraii_catch_discover_tests(): every Catch2 TEST_CASE of a test executable
# becomes its own ctest test, as Catch2's catch_discover_tests() does, but with
# any test-case name kept whole.
#
# Why not Catch.cmake: the catch_discover_tests() of Catch2 v2 (what Debian
# ships) splits a test name at each ';', so "a; b" became two ctest tests that
# selected nothing and the real test case never ran.
#
#   zmqraii_catch_discover_tests(<target>
#       [PREFIX <text>]          prepended to each ctest name
#       [TIMEOUT <seconds>]      ctest TIMEOUT of each test
#       [LABELS <label>...]      ctest LABELS of each test
#       [EXTRA_ARGS <arg>...]    appended to each test's command line
#       [LIST_ARGS <arg>...])    how to make the executable list its test names
#                                (default: Catch2 v2's --list-test-names-only)
#
# The list is taken after each build (POST_BUILD) into <target>_tests.cmake,
# which ctest includes; before the first build a placeholder test
# <target>_NOT_BUILT fails.

set(_ZMQRAII_CATCH_ADD_TESTS "${CMAKE_CURRENT_LIST_DIR}/zmqraii-catch-add-tests.cmake")

function(zmqraii_catch_discover_tests target)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "PREFIX;TIMEOUT" "LABELS;EXTRA_ARGS;LIST_ARGS")
    if(NOT arg_LIST_ARGS)
        set(arg_LIST_ARGS --list-test-names-only)
    endif()
    # Lists travel '|'-separated through the command line.
    list(JOIN arg_LABELS "|" labels)
    list(JOIN arg_EXTRA_ARGS "|" extra_args)
    list(JOIN arg_LIST_ARGS "|" list_args)

    set(ctest_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_tests.cmake")
    set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_include.cmake")

    add_custom_command(TARGET ${target} POST_BUILD
        BYPRODUCTS "${ctest_file}"
        COMMAND "${CMAKE_COMMAND}"
            "-DTEST_TARGET=${target}"
            "-DTEST_EXECUTABLE=$<TARGET_FILE:${target}>"
            "-DTEST_WORKING_DIR=${CMAKE_CURRENT_BINARY_DIR}"
            "-DTEST_PREFIX=${arg_PREFIX}"
            "-DTEST_TIMEOUT=${arg_TIMEOUT}"
            "-DTEST_LABELS=${labels}"
            "-DTEST_EXTRA_ARGS=${extra_args}"
            "-DTEST_LIST_ARGS=${list_args}"
            "-DCTEST_FILE=${ctest_file}"
            -P "${_ZMQRAII_CATCH_ADD_TESTS}"
        COMMENT "Listing the test cases of ${target}"
        VERBATIM)

    file(WRITE "${include_file}"
"if(EXISTS \"${ctest_file}\")
    include(\"${ctest_file}\")
else()
    add_test(${target}_NOT_BUILT ${target}_NOT_BUILT)
endif()
")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()
