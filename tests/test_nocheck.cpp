// SPDX-License-Identifier: MIT
// ZMQRAII_THREAD_CHECKS=0: the owner check is compiled out, everything else stays.
// A wrong-thread call is no longer refused (used here strictly sequentially, with
// a join in between, which is safe for libzmq); closed-socket and stopped errors
// still work; the socket's layout is the same as with the check on.
#define ZMQRAII_THREAD_CHECKS 0

#include <zmqraii/context.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/socket.hpp>

#include "catch.hpp"

#include <cerrno>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

using zmqraii_test::contains;

static_assert(ZMQRAII_THREAD_CHECKS == 0, "this file tests the build without the owner check");

TEST_CASE("without the check, a socket may be used from another thread in turn", "[nocheck]") {
    zmqraii::context ctx;
    zmqraii::socket a(ctx, zmqraii::socket_type::pair, "a");
    zmqraii::socket b(ctx, zmqraii::socket_type::pair, "b");
    a.bind("inproc://nocheck");
    b.connect("inproc://nocheck");

    // One thread at a time: std::thread's start and join order the uses.
    std::string error_text;
    std::thread([&] {
        try {
            a.send("sent by another thread");
            a.set(zmqraii::option::sndhwm, 77);
        } catch (const std::exception& e) {
            error_text = e.what();
        }
    }).join();
    CHECK(error_text.empty());
    CHECK(a.get(zmqraii::option::sndhwm) == 77);
    CHECK(b.recv().to_string() == "sent by another thread");

    b.send("reply");
    std::optional<zmqraii::message> got;
    std::thread([&] {
        try {
            got = a.recv();
        } catch (const std::exception& e) {
            error_text = e.what();
        }
    }).join();
    CHECK(error_text.empty());
    REQUIRE(got.has_value());
    CHECK(got->to_string() == "reply");
    CHECK(a.owner() == std::this_thread::get_id());  // ownership is still recorded
}

TEST_CASE("without the check, closed sockets still refuse use", "[nocheck]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::push, "closed one");
    s.close();
    try {
        s.send("x");
        FAIL("no exception");
    } catch (const zmqraii::error& e) {
        CHECK(e.code().value() == ENOTSOCK);
        CHECK_THAT(e.what(), contains("closed"));
        CHECK_THAT(e.what(), contains("'closed one'"));
    }
    // ...from another thread too.
    std::string what;
    std::thread([&] {
        try {
            (void)s.try_recv();
        } catch (const zmqraii::error& e) {
            what = e.what();
        }
    }).join();
    CHECK_THAT(what, contains("closed"));

    zmqraii::socket moved(ctx, zmqraii::socket_type::push);
    zmqraii::socket to(std::move(moved));
    CHECK_THROWS_WITH(moved.send("x"), contains("moved-from"));  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("without the check, stop still wakes blocked calls with stopped", "[nocheck]") {
    zmqraii::context ctx;
    std::promise<void> created;
    std::string what;
    bool woke_with_stopped = false;
    std::thread owner([&] {
        try {
            zmqraii::socket s(ctx, zmqraii::socket_type::pull, "blocked");
            s.bind("inproc://nocheck-stop");
            created.set_value();
            (void)s.recv();  // nothing is ever sent: only stop ends this
        } catch (const zmqraii::stopped& e) {
            woke_with_stopped = true;
            what = e.what();
        } catch (const std::exception& e) {
            what = e.what();
        }
    });
    created.get_future().wait();
    ctx.stop();  // returns once the owner's socket is closed by its unwinding
    owner.join();
    INFO("what(): " << what);
    CHECK(woke_with_stopped);
    CHECK_THAT(what, contains("'blocked'"));
    CHECK(ctx.live_sockets().empty());

    try {
        zmqraii::socket late(ctx, zmqraii::socket_type::push, "late");
        FAIL("no exception");
    } catch (const zmqraii::stopped& e) {
        CHECK(e.code().value() == ETERM);
    }
}

TEST_CASE("the socket layout does not depend on the check", "[nocheck]") {
    // Three pointers (handle, owner, flags) and the registry entry's shared_ptr,
    // the same constant test_ownership.cpp checks with the check on.
    STATIC_REQUIRE(sizeof(zmqraii::socket) == 3 * sizeof(void*) + sizeof(std::shared_ptr<int>));
}
