// SPDX-License-Identifier: MIT
// Tests of asio.hpp (built where standalone Asio is installed): async_recv,
// async_recv_multipart and async_send with callbacks, futures and (where Asio
// supports C++20 coroutines) asio::use_awaitable; waits on ZMQ_FD; a context
// stop while waiting; ownership and executor errors.
#include "catch.hpp"
#include "support.hpp"

#include <zmqraii/asio.hpp>
#include <zmqraii/zmqraii.hpp>

#include <asio/bind_executor.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_future.hpp>
#if defined(ASIO_HAS_CO_AWAIT)
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/use_awaitable.hpp>
#endif

#include <chrono>
#include <future>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

static_assert(ZMQRAII_HAS_ASIO, "test_asio is built only where Asio is installed");

using namespace std::chrono_literals;
using zmqraii_test::contains;
using zmqraii_test::pair_link;

namespace {

// Runs `ioc` until it has no work, failing after `limit`.
void run_bounded(asio::io_context& ioc, std::chrono::seconds limit = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!ioc.stopped()) {
        ioc.run_for(100ms);
        REQUIRE(std::chrono::steady_clock::now() < deadline);
    }
}

}  // namespace

TEST_CASE("async_recv: a callback, never called inside the initiating call", "[asio]") {
    zmqraii::context ctx;
    pair_link l(ctx, "callback");
    asio::io_context ioc;
    l.a.send("ready");
    std::vector<std::string> got;
    std::error_code code = asio::error::would_block;
    zmqraii::asio::async_recv(l.b,
                              asio::bind_executor(ioc, [&](std::error_code ec, zmqraii::message m) {
                                  code = ec;
                                  got.push_back(m.to_string());
                              }));
    CHECK(got.empty());  // the message was there, but the handler waits for run()
    run_bounded(ioc);
    CHECK_FALSE(code);
    CHECK(got == std::vector<std::string>{"ready"});
}

TEST_CASE("async_recv waits on ZMQ_FD until a message comes", "[asio]") {
    zmqraii::context ctx;
    pair_link l(ctx, "wait");
    asio::io_context ioc;
    int received = 0;
    // A chain of receives; the messages are sent later, from timers.
    std::function<void()> next = [&] {
        zmqraii::asio::async_recv(ioc.get_executor(), l.b,
                                  [&](std::error_code ec, zmqraii::message m) {
                                      REQUIRE_FALSE(ec);
                                      CHECK(m.to_string() == std::to_string(received));
                                      if (++received < 20) next();
                                  });
    };
    next();
    asio::steady_timer timer(ioc);
    int sent = 0;
    std::function<void(std::error_code)> send_later = [&](std::error_code) {
        l.a.send(std::to_string(sent));
        if (++sent < 20) {
            timer.expires_after(1ms);
            timer.async_wait(send_later);
        }
    };
    timer.expires_after(5ms);
    timer.async_wait(send_later);
    run_bounded(ioc);
    CHECK(received == 20);
}

TEST_CASE("async_send waits while the high-water mark is reached; multipart", "[asio]") {
    zmqraii::context ctx;
    zmqraii::socket push(ctx, zmqraii::socket_type::push, "push");
    zmqraii::socket pull(ctx, zmqraii::socket_type::pull, "pull");
    push.set(zmqraii::option::sndhwm, 1);
    pull.set(zmqraii::option::rcvhwm, 1);
    push.bind("inproc://asio-hwm");
    pull.connect("inproc://asio-hwm");
    asio::io_context ioc;
    int sent = 0;
    std::function<void()> send_next = [&] {
        zmqraii::asio::async_send(ioc.get_executor(), push, zmqraii::message(std::string("x")),
                                  [&](std::error_code ec) {
                                      REQUIRE_FALSE(ec);
                                      if (++sent < 100) send_next();
                                  });
    };
    send_next();
    // Receive slowly, from a timer: the sender has to wait for room.
    asio::steady_timer timer(ioc);
    int received = 0;
    std::function<void(std::error_code)> recv_some = [&](std::error_code) {
        while (pull.try_recv()) ++received;
        if (received < 100) {
            timer.expires_after(1ms);
            timer.async_wait(recv_some);
        }
    };
    timer.expires_after(5ms);
    timer.async_wait(recv_some);
    run_bounded(ioc);
    CHECK(sent == 100);
    CHECK(received == 100);

    SECTION("multipart, all or nothing") {
        pair_link l(ctx, "multi");
        asio::io_context io2;
        std::size_t parts = 0;
        zmqraii::asio::async_send(
            l.a, zmqraii::multipart{"a", "b", "c"},
            asio::bind_executor(io2, [](std::error_code ec) { REQUIRE_FALSE(ec); }));
        zmqraii::asio::async_recv_multipart(
            l.b, asio::bind_executor(io2, [&](std::error_code ec, zmqraii::multipart m) {
                REQUIRE_FALSE(ec);
                parts = m.size();
            }));
        run_bounded(io2);
        CHECK(parts == 3);
    }
}

TEST_CASE("several operations pending on one socket", "[asio]") {
    zmqraii::context ctx;
    pair_link l(ctx, "several");
    l.a.set(zmqraii::option::sndhwm, 1);
    l.b.set(zmqraii::option::rcvhwm, 1);
    asio::io_context ioc;
    int received = 0;
    int sent = 0;
    for (int i = 0; i < 3; ++i)
        zmqraii::asio::async_recv(ioc.get_executor(), l.b,
                                  [&](std::error_code ec, zmqraii::message) {
                                      REQUIRE_FALSE(ec);
                                      ++received;
                                  });
    for (int i = 0; i < 6; ++i)  // more than the pipe holds: some sends wait
        zmqraii::asio::async_send(ioc.get_executor(), l.a, zmqraii::message(std::string("x")),
                                  [&](std::error_code ec) {
                                      REQUIRE_FALSE(ec);
                                      ++sent;
                                  });
    asio::steady_timer later(ioc, 10ms);
    later.async_wait([&](std::error_code) {
        for (int i = 0; i < 3; ++i)
            zmqraii::asio::async_recv(ioc.get_executor(), l.b,
                                      [&](std::error_code ec, zmqraii::message) {
                                          REQUIRE_FALSE(ec);
                                          ++received;
                                      });
    });
    run_bounded(ioc);
    CHECK(received == 6);
    CHECK(sent == 6);
}

TEST_CASE("async_recv with asio::use_future", "[asio]") {
    zmqraii::context ctx;
    pair_link l(ctx, "future");
    asio::io_context ioc;
    std::future<zmqraii::message> f =
        zmqraii::asio::async_recv(l.b, asio::bind_executor(ioc, asio::use_future));
    asio::post(ioc, [&] { l.a.send("from the future"); });
    run_bounded(ioc);
    CHECK(f.get().to_string() == "from the future");
}

#if defined(ASIO_HAS_CO_AWAIT)
TEST_CASE("async_recv and async_send with asio::use_awaitable", "[asio]") {
    zmqraii::context ctx;
    pair_link l(ctx, "awaitable");
    asio::io_context ioc;
    std::vector<std::string> got;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 10; ++i) {
                co_await zmqraii::asio::async_send(l.a, zmqraii::message(std::to_string(i)),
                                                   asio::use_awaitable);
                zmqraii::message m = co_await zmqraii::asio::async_recv(l.b, asio::use_awaitable);
                got.push_back(m.to_string());
            }
        },
        asio::detached);
    run_bounded(ioc);
    REQUIRE(got.size() == 10);
    CHECK(got[9] == "9");
}
#endif

TEST_CASE("a context stop ends a pending wait with ETERM; the socket closes", "[asio][stop]") {
    zmqraii::context ctx;
    zmqraii_test::watchdog dog(ctx, "asio stop", std::chrono::seconds(30));
    asio::io_context ioc;
    zmqraii::socket s(ctx, zmqraii::socket_type::pull, "asio waiting");
    s.bind("inproc://asio-stop");
    std::error_code code;
    zmqraii::asio::async_recv(ioc.get_executor(), s,
                              [&](std::error_code ec, zmqraii::message) { code = ec; });
    std::thread stopper([&] {
        std::this_thread::sleep_for(20ms);
        ctx.request_stop();
    });
    run_bounded(ioc);
    stopper.join();
    CHECK(code.value() == ETERM);
    CHECK(code.category() == zmqraii::zmq_category());
    // The wait is over: the stop closes the socket, though its owner holds it.
    REQUIRE(ctx.stop_for(10s));
    CHECK_FALSE(s.is_open());
}

TEST_CASE("errors: the wrong thread, an executor that is not an io_context", "[asio][errors]") {
    zmqraii::context ctx;
    pair_link l(ctx, "errors");
    asio::io_context ioc;
    std::thread other([&] {
        CHECK_THROWS_AS(zmqraii::asio::async_recv(ioc.get_executor(), l.b,
                                                  [](std::error_code, zmqraii::message) {}),
                        zmqraii::wrong_thread);
    });
    other.join();
    try {
        zmqraii::asio::async_recv(l.b, [](std::error_code, zmqraii::message) {});
        FAIL("expected an error");
    } catch (const zmqraii::error& e) {
        CHECK(e.code().value() == EINVAL);
        CHECK_THAT(e.what(), contains("bind_executor"));
    }
    l.a.send("still there");  // nothing was taken by the refused operations
    CHECK(l.b.recv().to_string() == "still there");
}
