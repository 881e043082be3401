# SPDX-License-Identifier: MIT
# Included by the FetchContent and add_subdirectory consumers: zmqraii pulled in
# as a subproject must give zmqraii::zmqraii and leave everything else off.

if(NOT TARGET zmqraii::zmqraii)
    message(FATAL_ERROR "zmqraii as a subproject did not define zmqraii::zmqraii")
endif()
foreach(_option ZMQRAII_BUILD_TESTS ZMQRAII_BUILD_EXAMPLES ZMQRAII_INSTALL ZMQRAII_BUILD_BENCH)
    if(${_option})
        message(FATAL_ERROR "${_option} is ON although zmqraii is not the top-level project")
    endif()
endforeach()
foreach(_target zmqraii_catch_main test_headers_compile zmqraii_warnings)
    if(TARGET ${_target})
        message(FATAL_ERROR "zmqraii as a subproject defined its own target ${_target}")
    endif()
endforeach()
# No test file of zmqraii may have become a target.
file(GLOB _zmqraii_tests RELATIVE "${ZMQRAII_CHECKOUT_DIR}/tests" "${ZMQRAII_CHECKOUT_DIR}/tests/test_*.cpp")
foreach(_test IN LISTS _zmqraii_tests)
    get_filename_component(_target "${_test}" NAME_WLE)
    if(TARGET ${_target})
        message(FATAL_ERROR "zmqraii as a subproject defined its test target ${_target}")
    endif()
endforeach()
message(STATUS "zmqraii subproject: only zmqraii::zmqraii, tests/examples/install off")
