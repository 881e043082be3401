# SPDX-License-Identifier: MIT
#
# ctest driver of the packaging tests (cmake -P driver.cmake), registered by
# tests/packaging/CMakeLists.txt.
#
#   -DMODE=install   configure SOURCE_DIR in BINARY_DIR (no tests/examples,
#                    install rules on), build, `cmake --install` into PREFIX.
#   -DMODE=consumer  configure SOURCE_DIR (a consumer project) in BINARY_DIR,
#                    build it and run its `consumer` program.
#   -DMODE=configure_fails
#                    configure SOURCE_DIR; pass only if that FAILS and the
#                    output matches EXPECT_REGEX.
#
# Common: GENERATOR, MAKE_PROGRAM, CXX_COMPILER, CXX_STANDARD, BUILD_TYPE,
# PREFIX_PATH ('|'-separated), CHECKOUT_DIR (passed to consumers as
# ZMQRAII_CHECKOUT_DIR). Install mode: THREAD_CHECKS, DEFAULT_LINGER_MS,
# STOP_REPORT_MS (the configuration to install). Consumer mode: EXPECT_OUTPUT,
# a regex the consumer program's output must match; SUBPROJECT_THREAD_CHECKS,
# the ZMQRAII_THREAD_CHECKS a FetchContent/add_subdirectory consumer sets.

cmake_minimum_required(VERSION 3.21)

foreach(_required MODE SOURCE_DIR BINARY_DIR GENERATOR)
    if(NOT DEFINED ${_required} OR "${${_required}}" STREQUAL "")
        message(FATAL_ERROR "driver.cmake: -D${_required}=... is required")
    endif()
endforeach()

function(run_step what)
    message(STATUS "[${what}] ${ARGN}")
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    message("${out}")
    set(step_rc "${rc}" PARENT_SCOPE)
    set(step_output "${out}" PARENT_SCOPE)
endfunction()

# What every configure gets: the generator and toolchain of the parent build.
set(_args -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G "${GENERATOR}")
if(MAKE_PROGRAM)
    list(APPEND _args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(CXX_COMPILER)
    list(APPEND _args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
if(CXX_STANDARD)
    list(APPEND _args "-DCMAKE_CXX_STANDARD=${CXX_STANDARD}")
endif()
if(BUILD_TYPE)
    list(APPEND _args "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
    set(_config --config "${BUILD_TYPE}")
else()
    set(_config "")
endif()
if(PREFIX_PATH)
    string(REPLACE "|" ";" _prefix_path "${PREFIX_PATH}")
    list(APPEND _args "-DCMAKE_PREFIX_PATH=${_prefix_path}")
endif()
if(CHECKOUT_DIR)
    list(APPEND _args "-DZMQRAII_CHECKOUT_DIR=${CHECKOUT_DIR}")
endif()
if(MODE STREQUAL "consumer" AND DEFINED SUBPROJECT_THREAD_CHECKS)
    # zmqraii built inside the consumer: the consumer sets the option, as a
    # parent project would.
    list(APPEND _args "-DZMQRAII_THREAD_CHECKS=${SUBPROJECT_THREAD_CHECKS}")
endif()

# Always from scratch: a stale cache would hide a packaging bug.
file(REMOVE_RECURSE "${BINARY_DIR}")

if(MODE STREQUAL "install")
    if(NOT PREFIX)
        message(FATAL_ERROR "driver.cmake: MODE=install needs -DPREFIX=...")
    endif()
    file(REMOVE_RECURSE "${PREFIX}")
    if(NOT DEFINED THREAD_CHECKS)
        set(THREAD_CHECKS ON)
    endif()
    run_step(configure "${CMAKE_COMMAND}" ${_args}
        -DZMQRAII_BUILD_TESTS=OFF -DZMQRAII_BUILD_EXAMPLES=OFF -DZMQRAII_BUILD_BENCH=OFF
        -DZMQRAII_INSTALL=ON "-DZMQRAII_THREAD_CHECKS=${THREAD_CHECKS}"
        "-DZMQRAII_DEFAULT_LINGER_MS=${DEFAULT_LINGER_MS}"
        "-DZMQRAII_STOP_REPORT_MS=${STOP_REPORT_MS}"
        "-DCMAKE_INSTALL_PREFIX=${PREFIX}")
    if(NOT step_rc EQUAL 0)
        message(FATAL_ERROR "configuring zmqraii for install failed (${step_rc})")
    endif()
    run_step(build "${CMAKE_COMMAND}" --build "${BINARY_DIR}" ${_config})
    if(NOT step_rc EQUAL 0)
        message(FATAL_ERROR "building zmqraii for install failed (${step_rc})")
    endif()
    run_step(install "${CMAKE_COMMAND}" --install "${BINARY_DIR}" ${_config})
    if(NOT step_rc EQUAL 0)
        message(FATAL_ERROR "cmake --install failed (${step_rc})")
    endif()
    # The package must be complete.
    file(GLOB_RECURSE _installed RELATIVE "${PREFIX}" "${PREFIX}/*")
    list(SORT _installed)
    string(REPLACE ";" "\n  " _listing "${_installed}")
    message(STATUS "installed into ${PREFIX}:\n  ${_listing}")
    foreach(_file zmqraiiConfig.cmake zmqraiiConfigVersion.cmake zmqraiiTargets.cmake
            zmqraii-find-libzmq.cmake zmqraii.pc zmqraii.hpp version.hpp src.hpp registry.ipp
            zmqraii.cpp)
        if(NOT _installed MATCHES "(^|;)[^;]*/${_file}(;|$)")
            message(FATAL_ERROR "cmake --install did not install ${_file}")
        endif()
    endforeach()
    if(_installed MATCHES "(^|;)(bin|lib|lib64)/[^;]*\\.(so|a|dll|dylib|exe)(;|$)"
       OR _installed MATCHES "test_")
        message(FATAL_ERROR "cmake --install installed build output or tests")
    endif()

elseif(MODE STREQUAL "consumer")
    run_step(configure "${CMAKE_COMMAND}" ${_args})
    if(NOT step_rc EQUAL 0)
        message(FATAL_ERROR "configuring the consumer failed (${step_rc})")
    endif()
    run_step(build "${CMAKE_COMMAND}" --build "${BINARY_DIR}" ${_config})
    if(NOT step_rc EQUAL 0)
        message(FATAL_ERROR "building the consumer failed (${step_rc})")
    endif()
    set(_exe "${BINARY_DIR}/consumer")
    if(NOT EXISTS "${_exe}" AND BUILD_TYPE)
        set(_exe "${BINARY_DIR}/${BUILD_TYPE}/consumer")
    endif()
    run_step(run "${_exe}")
    if(NOT step_rc EQUAL 0)
        message(FATAL_ERROR "the consumer program failed (${step_rc})")
    endif()
    if(EXPECT_OUTPUT AND NOT step_output MATCHES "${EXPECT_OUTPUT}")
        message(FATAL_ERROR "the consumer's output does not match '${EXPECT_OUTPUT}'")
    endif()

elseif(MODE STREQUAL "configure_fails")
    run_step(configure "${CMAKE_COMMAND}" ${_args})
    if(step_rc EQUAL 0)
        message(FATAL_ERROR "configuring ${SOURCE_DIR} succeeded; it must fail")
    endif()
    if(NOT step_output MATCHES "${EXPECT_REGEX}")
        message(FATAL_ERROR "configure failed, but its output does not match '${EXPECT_REGEX}'")
    endif()
    message(STATUS "configure failed as expected (output matches '${EXPECT_REGEX}')")

else()
    message(FATAL_ERROR "driver.cmake: unknown MODE '${MODE}'")
endif()
