# SPDX-License-Identifier: MIT
#
# What the optional parts of zmqraii's own tests and examples need, found once:
#   ZMQRAII_HAVE_COROUTINES_CXX<std>  true when config.hpp turns on
#                                     ZMQRAII_HAS_COROUTINES at this C++ standard
#                                     (task.hpp: test_task, example 10)
#   ZMQRAII_ASIO_INCLUDE_DIR          standalone Asio's directory, if found
#                                     (asio.hpp: test_asio, example 12; Debian: libasio-dev)
# Both are cached, so including this file again costs nothing.
include(CheckCXXSourceCompiles)
set(CMAKE_REQUIRED_INCLUDES "${PROJECT_SOURCE_DIR}/include")
check_cxx_source_compiles("#include <zmqraii/config.hpp>
#if !ZMQRAII_HAS_COROUTINES
#error no coroutines
#endif
int main() { return 0; }" ZMQRAII_HAVE_COROUTINES_CXX${CMAKE_CXX_STANDARD})
unset(CMAKE_REQUIRED_INCLUDES)
find_path(ZMQRAII_ASIO_INCLUDE_DIR asio.hpp DOC "Directory of standalone Asio's asio.hpp")
