// SPDX-License-Identifier: MIT
// ZMQRAII_THREAD_CHECKS mixed in one program: this file keeps the owner check
// (the default), tests/parts/abi_unchecked.cpp turns it off, and both are linked
// into test_abi. The ABI-tagged inline namespace (config.hpp) gives each setting
// its own socket type and its own inline functions, so each file behaves as it
// was compiled, and both share one context.
#include <zmqraii/context.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/socket.hpp>

#include "catch.hpp"
#include "support.hpp"

#include <string>
#include <thread>
#include <typeinfo>

namespace abi_test {
std::string unchecked_socket_type_name();
std::string unchecked_use_from_another_thread(zmqraii::context& ctx, const std::string& endpoint);
}  // namespace abi_test

static_assert(ZMQRAII_THREAD_CHECKS == 1, "this half of test_abi keeps the owner check");

TEST_CASE("the two settings of the owner check name two socket types", "[abi]") {
    CHECK(std::string(typeid(zmqraii::socket).name()) != abi_test::unchecked_socket_type_name());
    CHECK(std::string(typeid(zmqraii::socket).name()).find("abi_checked") != std::string::npos);
    CHECK(abi_test::unchecked_socket_type_name().find("abi_unchecked") != std::string::npos);
}

TEST_CASE("one program, one context: the checked side refuses, the unchecked side allows",
          "[abi]") {
    zmqraii::context ctx;

    // Unchecked translation unit: another thread's use goes through.
    CHECK(abi_test::unchecked_use_from_another_thread(ctx, "inproc://abi-unchecked").empty());

    // This translation unit: the same calls from another thread are refused.
    zmqraii::socket a(ctx, zmqraii::socket_type::pair, "checked a");
    a.bind("inproc://abi-checked");
    std::string error_text;
    std::thread([&] {
        try {
            a.send("from the checked side");
            a.set(zmqraii::option::sndhwm, 77);
        } catch (const zmqraii::wrong_thread& e) {
            error_text = e.what();
        }
    }).join();
    CHECK_THAT(error_text, zmqraii_test::contains("'checked a'"));

    // Once more the other way round, so neither side depends on which one ran first.
    CHECK(abi_test::unchecked_use_from_another_thread(ctx, "inproc://abi-unchecked-2").empty());
    CHECK(ctx.live_sockets().size() == 1);
}
