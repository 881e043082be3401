// SPDX-License-Identifier: MIT
// What reports say (issue 12): creation sites name the user's file:line however
// the socket was made (std::optional::emplace, std::make_unique,
// std::make_shared, std::vector::emplace_back, a member initialiser, an
// explicit zmqraii::here()); threads are told apart by name ('main', and
// name_this_thread()); messages and multiparts print for people.
#include "catch.hpp"
#include "support.hpp"

#include <zmqraii/zmqraii.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using zmqraii::socket_type;
using zmqraii_test::contains;

namespace {

// The text of the wrong_thread a foreign thread gets from `s`.
std::string foreign_report(zmqraii::socket& s) {
    std::string what = "<no exception>";
    std::thread([&] {
        zmqraii::name_this_thread("intruder");
        try {
            (void)s.try_send("x");
        } catch (const zmqraii::wrong_thread& e) {
            what = e.what();
        }
    }).join();
    return what;
}

// The stop report that names `s` (its raw handle taken, so the stop waits).
std::string stop_report_naming(zmqraii::context& ctx, zmqraii::socket& s) {
    (void)s.handle();
    (void)ctx.stop_for(0ms);
    const std::string report = ctx.stop_report();
    s.close();
    CHECK(ctx.stop_for(10s));
    return report;
}

struct member_holder {
    zmqraii::socket s;
    explicit member_holder(zmqraii::context& ctx)
        : s(ctx, socket_type::push, "member") {}  // the line the report must name
};

}  // namespace

TEST_CASE("creation sites name the user's line, however the socket was made", "[reports]") {
    const std::string here = "test_reports.cpp:";

    SECTION("std::optional::emplace, then a bind") {
        zmqraii::context ctx;
        std::optional<zmqraii::socket> s;
        s.emplace(ctx, socket_type::pull, "emplaced");
        const int line = __LINE__ + 1;
        s->bind("inproc://reports-emplace");
        const std::string what = foreign_report(*s);
        INFO(what);
        CHECK_THAT(what, contains(here + std::to_string(line)));
        CHECK_THAT(what, contains("its first use; constructed in"));
        CHECK_THAT(stop_report_naming(ctx, *s), contains(here + std::to_string(line)));
    }
    SECTION("std::make_unique, then a connect") {
        zmqraii::context ctx;
        auto s = std::make_unique<zmqraii::socket>(ctx, socket_type::dealer, "unique");
        const int line = __LINE__ + 1;
        s->connect("inproc://reports-unique");
        CHECK_THAT(foreign_report(*s), contains(here + std::to_string(line)));
        CHECK_THAT(ctx.live_sockets().at(0).created_at, contains(here + std::to_string(line)));
        CHECK_THAT(stop_report_naming(ctx, *s), contains(here + std::to_string(line)));
    }
    SECTION("std::make_shared, then an option") {
        zmqraii::context ctx;
        auto s = std::make_shared<zmqraii::socket>(ctx, socket_type::push, "shared");
        const int line = __LINE__ + 1;
        s->set(zmqraii::option::sndhwm, 10);
        CHECK_THAT(foreign_report(*s), contains(here + std::to_string(line)));
        CHECK_THAT(stop_report_naming(ctx, *s), contains(here + std::to_string(line)));
    }
    SECTION("std::vector::emplace_back, then a subscribe") {
        zmqraii::context ctx;
        std::vector<zmqraii::socket> v;
        v.emplace_back(ctx, socket_type::sub, "in a vector");
        const int line = __LINE__ + 1;
        v.back().subscribe("topic");
        CHECK_THAT(foreign_report(v.back()), contains(here + std::to_string(line)));
        CHECK_THAT(stop_report_naming(ctx, v.back()), contains(here + std::to_string(line)));
    }
    SECTION("zmqraii::here() names the construction line itself") {
        zmqraii::context ctx;
        const int line = __LINE__ + 1;
        auto s = std::make_unique<zmqraii::socket>(ctx, socket_type::push, "here", zmqraii::here());
        const std::string what = foreign_report(*s);
        CHECK_THAT(what, contains(here + std::to_string(line)));
        CHECK_THAT(what, !contains("constructed in"));
    }
    SECTION("a member initialised in a constructor keeps its own line") {
        zmqraii::context ctx;
        member_holder h(ctx);
        const std::string what = foreign_report(h.s);
        CHECK_THAT(what, contains(here));
        CHECK_THAT(what, !contains("constructed in"));
        CHECK_THAT(what, !contains("/c++/"));
    }
}

TEST_CASE("threads have names in reports: 'main', and name_this_thread()", "[reports]") {
    zmqraii::context ctx;
    zmqraii::socket mine(ctx, socket_type::pair, "main's");
    // This Catch2 test runs on the process's main thread.
    const std::string what = foreign_report(mine);
    INFO(what);
    CHECK_THAT(what, contains("owned by thread 'main' ("));
    CHECK_THAT(what, contains("called from thread 'intruder' ("));

    // A named worker thread owns a socket; a stop report names it.
    zmqraii_test::latch made, done;
    std::thread collector([&] {
        zmqraii::name_this_thread("collector");
        zmqraii::socket s(ctx, socket_type::pull, "results");
        (void)s.handle();  // only its owner closes it: the stop report lists it
        made.open();
        done.wait_for(20s);
    });
    REQUIRE(made.wait_for(5s));
    CHECK_FALSE(ctx.stop_for(50ms));
    CHECK_THAT(ctx.stop_report(), contains("owned by thread 'collector' ("));
    done.open();
    collector.join();
    CHECK(ctx.stop_for(10s));

    // The OS sees the name too (cut to 15 bytes on Linux).
    std::thread([] {
        zmqraii::name_this_thread("a-long-thread-name-for-the-os");
        char buf[32] = {};
        REQUIRE(pthread_getname_np(pthread_self(), buf, sizeof buf) == 0);
        CHECK(std::string(buf) == "a-long-thread-n");
    }).join();
}

TEST_CASE("messages and multiparts print for people", "[reports][message]") {
    std::ostringstream os;
    os << zmqraii::message("hello");
    CHECK(os.str() == "[5] hello");
    CHECK(zmqraii::dump(zmqraii::message(std::string("a\tb\n"))) == "[4] a\\tb\\n");
    CHECK(zmqraii::dump(zmqraii::message(std::string("\0\xff\x10", 3))) == "[3] 0x00ff10");
    CHECK(zmqraii::dump(zmqraii::message()) == "[0] ");
    const std::string long_text(1000, 'x');
    const std::string d = zmqraii::dump(zmqraii::message(long_text));
    CHECK_THAT(d, contains("[1000] " + std::string(80, 'x') + "... (920 more bytes)"));
    const std::string long_bin(100, '\0');
    CHECK(zmqraii::dump(zmqraii::message(long_bin)) ==
          "[100] 0x" + std::string(64, '0') + "... (68 more bytes)");

    std::ostringstream mp;
    mp << zmqraii::multipart{"id", "", "body"};
    CHECK(mp.str() == "1/3 [2] id\n2/3 [0] \n3/3 [4] body");
    CHECK(zmqraii::dump(zmqraii::multipart{}) == "(no parts)");

    std::wostringstream wide;  // any character type
    wide << zmqraii::message("w");
    CHECK(wide.str() == L"[1] w");
}

TEST_CASE("message::clone() copies, sharing large buffers", "[reports][message]") {
    const zmqraii::message small("small");
    zmqraii::message c = small.clone();
    CHECK(c == small);
    c.clear();
    CHECK(small.to_string() == "small");  // the original is untouched
    const zmqraii::message big(std::string(5000, 'b'));
    const zmqraii::message d = big.clone();
    CHECK(d.size() == 5000);
    CHECK(d.data() == big.data());  // libzmq shares the buffer
}
