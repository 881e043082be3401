# SPDX-License-Identifier: MIT
# Included by the find_package, FetchContent and add_subdirectory consumers: the
# same program against zmqraii::compiled (ZMQRAII_SEPARATE_COMPILATION), which
# every one of those ways must provide. It runs as part of the build, so a
# compiled library that links but misbehaves fails the packaging test.
if(NOT TARGET zmqraii::compiled)
    message(FATAL_ERROR "zmqraii did not define zmqraii::compiled")
endif()
add_executable(consumer_compiled "${CMAKE_CURRENT_LIST_DIR}/main.cpp")
target_link_libraries(consumer_compiled PRIVATE zmqraii::compiled)
add_custom_target(run_consumer_compiled ALL
    COMMAND consumer_compiled
    COMMENT "Running the consumer built against zmqraii::compiled"
    VERBATIM)
