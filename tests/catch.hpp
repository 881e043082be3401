// SPDX-License-Identifier: MIT
// The one Catch2 include of zmqraii's tests: `#include "catch.hpp"`.
//
// Debian/Ubuntu ship Catch2 v2 (<catch2/catch.hpp>); Catch2 v3 has a different
// header (<catch2/catch_all.hpp>). tests/CMakeLists.txt defines
// ZMQRAII_CATCH2_V3 when it found v3. TEST_CASE, SECTION, REQUIRE, CHECK,
// REQUIRE_THROWS_AS, REQUIRE_THROWS_WITH, Catch::Matchers::ContainsSubstring
// (v3) / Catch::Contains (v2)... are available either way; the alias below
// covers the one matcher whose name changed.
#ifndef ZMQRAII_TESTS_CATCH_HPP_INCLUDED
#define ZMQRAII_TESTS_CATCH_HPP_INCLUDED

#if defined(ZMQRAII_CATCH2_V3)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

#include <string>

namespace zmqraii_test {
#if defined(ZMQRAII_CATCH2_V3)
/// Matches a string that contains `s` (Catch2 v3 name: ContainsSubstring).
inline auto contains(const std::string& s) { return Catch::Matchers::ContainsSubstring(s); }
#else
/// Matches a string that contains `s` (Catch2 v2 name: Contains).
inline auto contains(const std::string& s) { return Catch::Matchers::Contains(s); }
#endif
}  // namespace zmqraii_test

#endif  // ZMQRAII_TESTS_CATCH_HPP_INCLUDED
