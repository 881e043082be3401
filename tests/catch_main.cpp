// SPDX-License-Identifier: MIT
// Catch2 v2's main(), compiled once into the static library zmqraii_catch_main
// that every test executable links. With Catch2 v3, tests/CMakeLists.txt links
// Catch2::Catch2WithMain instead and this file is not compiled.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
