// SPDX-License-Identifier: MIT
// mailbox<T>: FIFO order per producer, bounded capacity and back-pressure,
// close and context stop with values still queued (nothing silently lost), the
// pollable fd that wakes a socket owner's poller, and four producers feeding a
// socket's owner thread (run it under ThreadSanitizer).
#include <zmqraii/context.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/mailbox.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/poller.hpp>
#include <zmqraii/socket.hpp>

#include "catch.hpp"
#include "support.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <poll.h>

using zmqraii_test::contains;

namespace {

using namespace std::chrono_literals;

// How long something that must happen may take, and how long something that
// must not happen is watched for.
constexpr auto must_happen = 10s;
constexpr auto must_not_happen = 50ms;

bool fd_readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

struct item {
    int producer;
    int seq;
};

}  // namespace

TEST_CASE("mailbox is move-only and a moved-from mailbox refuses use", "[mailbox]") {
    STATIC_REQUIRE(!std::is_copy_constructible_v<zmqraii::mailbox<int>>);
    STATIC_REQUIRE(!std::is_copy_assignable_v<zmqraii::mailbox<int>>);
    STATIC_REQUIRE(std::is_nothrow_move_constructible_v<zmqraii::mailbox<int>>);
    STATIC_REQUIRE(std::is_nothrow_move_assignable_v<zmqraii::mailbox<int>>);

    zmqraii::mailbox<int> a(4);
    a.push(7);
    zmqraii::mailbox<int> b(std::move(a));
    CHECK(!a);  // NOLINT(bugprone-use-after-move): testing the moved-from state
    REQUIRE_THROWS_WITH(a.push(1), contains("moved from"));
    REQUIRE(b.try_pop() == 7);
}

TEST_CASE("mailbox refuses a capacity of zero", "[mailbox]") {
    REQUIRE_THROWS_AS(zmqraii::mailbox<int>(0), zmqraii::error);
}

TEST_CASE("mailbox keeps each producer's values in order", "[mailbox]") {
    constexpr int producers = 4;
    constexpr int per_producer = 2000;
    // A small capacity so that the producers keep hitting back-pressure.
    zmqraii::mailbox<item> box(8);
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p)
        threads.emplace_back([&box, p] {
            for (int i = 0; i < per_producer; ++i) box.push(item{p, i});
        });

    std::vector<int> next(producers, 0);
    int total = 0;
    bool in_order = true;
    while (total < producers * per_producer) {
        std::optional<item> v = box.pop_for(must_happen);
        REQUIRE(v);
        if (v->seq != next[static_cast<std::size_t>(v->producer)]) in_order = false;
        next[static_cast<std::size_t>(v->producer)] = v->seq + 1;
        ++total;
    }
    for (auto& t : threads) t.join();
    CHECK(in_order);
    CHECK(next == std::vector<int>(producers, per_producer));
    CHECK(box.empty());
}

TEST_CASE("mailbox try_push returns false when full and leaves the value", "[mailbox]") {
    zmqraii::mailbox<std::string> box(3);
    REQUIRE(box.capacity() == 3);
    for (int i = 0; i < 3; ++i) REQUIRE(box.try_push(std::string("value ") + std::to_string(i)));
    REQUIRE(box.size() == 3);

    std::string extra(100, 'x');  // long enough that a move would empty it
    REQUIRE_FALSE(box.try_push(std::move(extra)));
    CHECK(extra == std::string(100, 'x'));  // NOLINT(bugprone-use-after-move): unchanged
    REQUIRE_FALSE(box.push_for(std::move(extra), 10ms));
    CHECK(extra == std::string(100, 'x'));  // NOLINT(bugprone-use-after-move)

    REQUIRE(box.try_pop() == std::string("value 0"));
    REQUIRE(box.try_push(std::move(extra)));
    CHECK(box.size() == 3);
    CHECK(box.clear() == 3);
}

TEST_CASE("mailbox push blocks while full until the consumer pops", "[mailbox]") {
    zmqraii::mailbox<int> box(2);
    box.push(1);
    box.push(2);
    std::promise<void> entering;
    auto pushed = std::async(std::launch::async, [&] {
        entering.set_value();
        box.push(3);
    });
    entering.get_future().wait();
    // Full: the producer must still be waiting.
    REQUIRE(pushed.wait_for(must_not_happen) == std::future_status::timeout);
    REQUIRE(box.try_pop() == 1);
    REQUIRE(pushed.wait_for(must_happen) == std::future_status::ready);
    pushed.get();
    REQUIRE(box.try_pop() == 2);
    REQUIRE(box.try_pop() == 3);
    REQUIRE_FALSE(box.try_pop());
}

TEST_CASE("mailbox push_for waits for room within its timeout", "[mailbox]") {
    zmqraii::mailbox<int> box(1);
    box.push(1);
    auto start = std::chrono::steady_clock::now();
    REQUIRE_FALSE(box.push_for(2, 30ms));
    CHECK(std::chrono::steady_clock::now() - start >= 30ms);

    std::promise<void> entering;
    auto pushed = std::async(std::launch::async, [&] {
        entering.set_value();
        return box.push_for(2, must_happen);
    });
    entering.get_future().wait();
    REQUIRE(box.try_pop() == 1);
    REQUIRE(pushed.get());
    REQUIRE(box.try_pop() == 2);
}

TEST_CASE("mailbox close refuses pushes and keeps queued values for the owner", "[mailbox]") {
    zmqraii::mailbox<std::string> box(10);
    for (int i = 0; i < 5; ++i) box.push(std::to_string(i));
    box.close();
    CHECK(box.closed());

    std::string late(64, 'z');
    REQUIRE_THROWS_AS(box.push(std::move(late)), zmqraii::mailbox_closed);
    CHECK(late == std::string(64, 'z'));  // NOLINT(bugprone-use-after-move): unchanged
    REQUIRE_THROWS_AS(box.try_push(std::move(late)), zmqraii::mailbox_closed);
    REQUIRE_THROWS_WITH(box.push_for(std::move(late), 1s), contains("mailbox is closed"));
    try {
        box.push(std::move(late));
        FAIL("push after close did not throw");
    } catch (const zmqraii::mailbox_closed& e) {
        CHECK(e.code() == std::errc::broken_pipe);
    }

    // Nothing is lost: every queued value comes out, in order, and the fd says so.
    CHECK(fd_readable(box.fd()));
    for (int i = 0; i < 5; ++i) REQUIRE(box.try_pop() == std::to_string(i));
    CHECK_FALSE(fd_readable(box.fd()));
    REQUIRE_FALSE(box.try_pop());
    // Closed and empty: pop returns at once.
    REQUIRE_FALSE(box.pop());
}

TEST_CASE("mailbox close wakes a producer blocked in push", "[mailbox]") {
    zmqraii::mailbox<int> box(1);
    box.push(1);
    std::promise<void> entering;
    auto blocked = std::async(std::launch::async, [&] {
        entering.set_value();
        box.push(2);
    });
    entering.get_future().wait();
    REQUIRE(blocked.wait_for(must_not_happen) == std::future_status::timeout);
    box.close();
    REQUIRE(blocked.wait_for(must_happen) == std::future_status::ready);
    REQUIRE_THROWS_AS(blocked.get(), zmqraii::mailbox_closed);
    // The value that was queued before close is still there.
    REQUIRE(box.try_pop() == 1);
    REQUIRE_FALSE(box.try_pop());
}

TEST_CASE("mailbox close wakes a consumer blocked in pop", "[mailbox]") {
    zmqraii::mailbox<int> box(4);
    std::promise<void> entering;
    auto popped = std::async(std::launch::async, [&] {
        entering.set_value();
        return box.pop();
    });
    entering.get_future().wait();
    REQUIRE(popped.wait_for(must_not_happen) == std::future_status::timeout);
    box.close();
    REQUIRE(popped.wait_for(must_happen) == std::future_status::ready);
    REQUIRE_FALSE(popped.get());
}

TEST_CASE("mailbox tied to a context: stop wakes producers and consumers, values stay",
          "[mailbox][stop]") {
    zmqraii::context ctx;
    zmqraii::mailbox<int> full(ctx, 2);
    zmqraii::mailbox<int> empty(ctx, 2);
    REQUIRE(full.tied());
    full.push(1);
    full.push(2);

    std::promise<void> entering_push, entering_pop;
    auto producer = std::async(std::launch::async, [&] {
        entering_push.set_value();
        full.push(3);
    });
    auto consumer = std::async(std::launch::async, [&] {
        entering_pop.set_value();
        return empty.pop();
    });
    entering_push.get_future().wait();
    entering_pop.get_future().wait();
    REQUIRE(producer.wait_for(must_not_happen) == std::future_status::timeout);
    REQUIRE(consumer.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);

    ctx.stop();
    REQUIRE(producer.wait_for(must_happen) == std::future_status::ready);
    REQUIRE(consumer.wait_for(must_happen) == std::future_status::ready);
    REQUIRE_THROWS_AS(producer.get(), zmqraii::stopped);
    REQUIRE_FALSE(consumer.get());

    CHECK(full.closed());
    REQUIRE_THROWS_AS(full.try_push(4), zmqraii::stopped);
    REQUIRE_THROWS_AS(empty.push(4), zmqraii::stopped);
    // Queued before the stop: still there for the owner to drain.
    REQUIRE(full.pop() == 1);
    REQUIRE(full.try_pop() == 2);
    REQUIRE_FALSE(full.pop());

    REQUIRE_THROWS_AS(zmqraii::mailbox<int>(ctx, 2), zmqraii::stopped);
}

TEST_CASE("an untied mailbox does not follow a context stop", "[mailbox][stop]") {
    zmqraii::mailbox<int> box(2);
    {
        zmqraii::context ctx;
        ctx.stop();
    }
    REQUIRE_FALSE(box.tied());
    box.push(1);
    REQUIRE(box.try_pop() == 1);
}

TEST_CASE("mailbox fd is readable exactly while values are queued", "[mailbox][poller]") {
    zmqraii::mailbox<int> box(4);
    CHECK_FALSE(fd_readable(box.fd()));
    box.push(1);
    box.push(2);
    CHECK(fd_readable(box.fd()));
    REQUIRE(box.try_pop() == 1);
    CHECK(fd_readable(box.fd()));
    REQUIRE(box.try_pop() == 2);
    CHECK_FALSE(fd_readable(box.fd()));
    box.push(3);
    REQUIRE(box.clear() == 1);
    CHECK_FALSE(fd_readable(box.fd()));
}

TEST_CASE("mailbox wakes a poller blocked in wait", "[mailbox][poller]") {
    zmqraii::mailbox<std::string> box(4);
    zmqraii::poller poller;
    std::vector<std::string> got;
    box.add_to(poller, [&](std::string&& s) { got.push_back(std::move(s)); });
    REQUIRE(poller.size() == 1);
    REQUIRE(poller.wait(0ms) == 0);  // nothing queued: not readable

    std::promise<void> go;
    std::thread producer([&] {
        go.get_future().wait();
        box.push("a");
        box.push("b");
    });
    go.set_value();
    const auto start = std::chrono::steady_clock::now();
    while (got.size() < 2 && std::chrono::steady_clock::now() - start < must_happen)
        poller.wait(std::chrono::duration_cast<std::chrono::milliseconds>(must_happen));
    producer.join();
    REQUIRE(got == std::vector<std::string>{"a", "b"});
    REQUIRE(poller.wait(0ms) == 0);

    box.remove_from(poller);
    REQUIRE(poller.size() == 0);
}

TEST_CASE("four producers feed a socket's owner thread through its poller",
          "[mailbox][poller][threads]") {
    constexpr int producers = 4;
    constexpr int per_producer = 500;
    zmqraii::context ctx;
    zmqraii::mailbox<zmqraii::message> box(ctx, 16);

    zmqraii::socket results(ctx, zmqraii::socket_type::pair, "results");
    results.bind("inproc://mailbox-results");

    // The owner thread: owns a PAIR socket and sends on it what the producers hand
    // it. It polls the socket too: a poller that holds only file descriptors is
    // not woken by a context stop.
    std::promise<void> owner_ready;
    std::thread owner([&] {
        zmqraii::socket out(ctx, zmqraii::socket_type::pair, "forwarder");
        out.connect("inproc://mailbox-results");
        zmqraii::poller poller;
        poller.add(out, zmqraii::poll_events::in, [&out](zmqraii::poll_events) { out.recv(); });
        box.add_to(poller, [&out](zmqraii::message&& m) { out.send(std::move(m)); });
        owner_ready.set_value();
        try {
            for (;;) poller.wait(-1ms);
        } catch (const zmqraii::stopped&) {
            // ctx.stop() below: unwinding closes `out`.
        }
    });
    owner_ready.get_future().wait();

    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p)
        threads.emplace_back([&box, p] {
            for (int i = 0; i < per_producer; ++i)
                box.push(zmqraii::message(std::to_string(p) + ":" + std::to_string(i)));
        });

    std::vector<int> next(producers, 0);
    bool in_order = true;
    for (int n = 0; n < producers * per_producer; ++n) {
        std::optional<zmqraii::message> m = results.recv_for(must_happen);
        REQUIRE(m);
        const std::string s = m->to_string();
        const auto colon = s.find(':');
        const auto p = static_cast<std::size_t>(std::stoi(s.substr(0, colon)));
        const int seq = std::stoi(s.substr(colon + 1));
        if (seq != next[p]) in_order = false;
        next[p] = seq + 1;
    }
    for (auto& t : threads) t.join();
    CHECK(in_order);
    CHECK(next == std::vector<int>(producers, per_producer));

    ctx.stop();
    owner.join();
    CHECK(ctx.live_sockets().empty());
    CHECK(box.empty());
}

TEST_CASE("mailbox reports values nobody popped; clear() discards on purpose", "[mailbox]") {
    zmqraii_test::captured_diagnostics rec;
    {
        zmqraii::mailbox<int> box(4);
        box.push(1);
        box.push(2);
    }
    auto r = rec.list();
    REQUIRE(r.size() == 1);
    CHECK_THAT(r[0].text, contains("2 value(s) that nobody popped"));

    {
        zmqraii::mailbox<int> box(4);
        box.push(1);
        REQUIRE(box.clear() == 1);
    }
    CHECK(rec.list().size() == 1);
}

TEST_CASE("mailbox drain pops a bounded batch in order", "[mailbox]") {
    zmqraii::mailbox<int> box(10);
    for (int i = 0; i < 5; ++i) box.push(int{i});
    std::vector<int> got;
    REQUIRE(box.drain([&](int&& v) { got.push_back(v); }, 3) == 3);
    REQUIRE(got == std::vector<int>{0, 1, 2});
    REQUIRE(box.drain([&](int&& v) { got.push_back(v); }) == 2);
    REQUIRE(got == std::vector<int>{0, 1, 2, 3, 4});
}
