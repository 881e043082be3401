# SPDX-License-Identifier: MIT
#
# Run after a test executable is built (see zmqraii-catch-discover.cmake): asks
# it for its test-case names and writes CTEST_FILE with one add_test() per
# test case. Names are written as bracket arguments, so any character,
# ';' included, survives; the Catch2 test spec escapes ',', '[', ']', '"' and '\'.

cmake_minimum_required(VERSION 3.21)

foreach(_var TEST_TARGET TEST_EXECUTABLE CTEST_FILE)
    if(NOT DEFINED ${_var})
        message(FATAL_ERROR "zmqraii-catch-add-tests.cmake: ${_var} is required")
    endif()
endforeach()

string(REPLACE "|" ";" _list_args "${TEST_LIST_ARGS}")
string(REPLACE "|" ";" _extra_args "${TEST_EXTRA_ARGS}")
string(REPLACE "|" ";" _labels "${TEST_LABELS}")

execute_process(
    COMMAND "${TEST_EXECUTABLE}" ${_list_args}
    WORKING_DIRECTORY "${TEST_WORKING_DIR}"
    OUTPUT_VARIABLE _output
    ERROR_VARIABLE _errors
    RESULT_VARIABLE _result)
# Catch2 v2 returns the number of tests listed; only a crash or a failure to
# start (a non-numeric result) is an error.
if(NOT _result MATCHES "^[0-9]+$")
    message(FATAL_ERROR
        "Could not list the test cases of ${TEST_TARGET} (${_result}):\n${_output}\n${_errors}")
endif()

# A bracket argument that no test name can close early.
function(_zmqraii_bracket out text)
    set(eq "=")
    while(text MATCHES "\\]${eq}\\]")
        string(APPEND eq "=")
    endwhile()
    set(${out} "[${eq}[${text}]${eq}]" PARENT_SCOPE)
endfunction()

set(_extra "")
foreach(_arg IN LISTS _extra_args)
    _zmqraii_bracket(_quoted "${_arg}")
    string(APPEND _extra " ${_quoted}")
endforeach()
set(_properties "")
if(TEST_WORKING_DIR)
    _zmqraii_bracket(_quoted "${TEST_WORKING_DIR}")
    string(APPEND _properties " WORKING_DIRECTORY ${_quoted}")
endif()
if(TEST_TIMEOUT)
    string(APPEND _properties " TIMEOUT ${TEST_TIMEOUT}")
endif()
if(_labels)
    _zmqraii_bracket(_quoted "${TEST_LABELS}")  # one ';'-list argument after the swap below
    string(REPLACE "|" ";" _quoted "${_quoted}")
    string(APPEND _properties " LABELS ${_quoted}")
endif()
_zmqraii_bracket(_exe "${TEST_EXECUTABLE}")

# One name per line. Split with string(FIND), not as a CMake list: list
# splitting would cut names at ';' and glue names with unbalanced '[' or ']'.
string(REPLACE "\r" "" _output "${_output}")

set(_content "# Generated from ${TEST_TARGET} by zmqraii-catch-add-tests.cmake.\n")
set(_count 0)
while(NOT _output STREQUAL "")
    string(FIND "${_output}" "\n" _eol)
    if(_eol EQUAL -1)
        set(_line "${_output}")
        set(_output "")
    else()
        string(SUBSTRING "${_output}" 0 ${_eol} _line)
        math(EXPR _eol "${_eol} + 1")
        string(SUBSTRING "${_output}" ${_eol} -1 _output)
    endif()
    if(_line STREQUAL "")
        continue()
    endif()
    if(_line MATCHES "^\"(#.*)\"$")
        # Catch2 quotes names that start with '#'; the quoted form is the spec.
        set(_name "${CMAKE_MATCH_1}")
        set(_spec "${_line}")
    else()
        set(_name "${_line}")
        string(REPLACE "\\" "\\\\" _spec "${_line}")
        string(REPLACE "," "\\," _spec "${_spec}")
        string(REPLACE "[" "\\[" _spec "${_spec}")
        string(REPLACE "]" "\\]" _spec "${_spec}")
        string(REPLACE "\"" "\\\"" _spec "${_spec}")
    endif()
    _zmqraii_bracket(_test "${TEST_PREFIX}${_name}")
    _zmqraii_bracket(_spec "${_spec}")
    string(APPEND _content "add_test(${_test} ${_exe} ${_spec}${_extra})\n")
    if(_properties)
        string(APPEND _content "set_tests_properties(${_test} PROPERTIES${_properties})\n")
    endif()
    math(EXPR _count "${_count} + 1")
endwhile()

file(WRITE "${CTEST_FILE}" "${_content}")
message(STATUS "${TEST_TARGET}: ${_count} test cases")
