// SPDX-License-Identifier: MIT
// zmqraii::socket_monitor and zmqraii::monitor_thread: socket events as typed
// values, read on the owner thread or on a monitor thread; clean ends on stop(),
// on the monitored socket's close and on context stop.
#include <zmqraii/monitor.hpp>
#include <zmqraii/poller.hpp>

#include "catch.hpp"

#include <zmq.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

using namespace std::chrono_literals;
using zmqraii_test::contains;

namespace {

// Reads events until one of `kind` arrives; the events read on the way are kept.
std::optional<zmqraii::monitor_event> wait_for_kind(zmqraii::socket_monitor& m,
                                                    zmqraii::event_kind kind,
                                                    std::vector<zmqraii::monitor_event>* seen,
                                                    std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        auto e = m.next_for(deadline - std::chrono::steady_clock::now());
        if (!e) break;
        if (seen) seen->push_back(*e);
        if (e->kind == kind) return e;
    }
    return std::nullopt;
}

// Events delivered to a monitor_thread callback, with a wait for a given kind.
struct event_log {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<zmqraii::monitor_event> events;
    std::vector<std::thread::id> threads;

    void add(const zmqraii::monitor_event& e) {
        {
            std::lock_guard<std::mutex> lock(mutex);
            events.push_back(e);
            threads.push_back(std::this_thread::get_id());
        }
        cv.notify_all();
    }

    bool wait_for(zmqraii::event_kind kind, std::chrono::milliseconds limit = 5s) {
        std::unique_lock<std::mutex> lock(mutex);
        return cv.wait_for(lock, limit, [&] {
            for (const auto& e : events)
                if (e.kind == kind) return true;
            return false;
        });
    }

    std::vector<zmqraii::monitor_event> snapshot() {
        std::lock_guard<std::mutex> lock(mutex);
        return events;
    }
};

}  // namespace

TEST_CASE("event kinds and sets have names and bits", "[monitor]") {
    using zmqraii::event_kind;
    STATIC_REQUIRE(zmqraii::event_set::all().bits() == ZMQ_EVENT_ALL);
    STATIC_REQUIRE((event_kind::connected | event_kind::disconnected).bits() ==
                   (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED));
    STATIC_REQUIRE((event_kind::connected | event_kind::accepted).contains(event_kind::accepted));
    STATIC_REQUIRE(!zmqraii::event_set(event_kind::connected).contains(event_kind::accepted));
    STATIC_REQUIRE(zmqraii::event_set().empty());

    CHECK(zmqraii::to_string(event_kind::accepted) == "accepted");
    CHECK(zmqraii::to_string(event_kind::handshake_failed_auth) == "handshake_failed_auth");
    CHECK(zmqraii::to_string(static_cast<event_kind>(0x8000)) == "event 0x8000");

    zmqraii::monitor_event accepted{event_kind::accepted, 12, "tcp://127.0.0.1:5555"};
    CHECK(accepted.to_string() == "accepted tcp://127.0.0.1:5555 (fd 12)");
    zmqraii::monitor_event failed{event_kind::bind_failed, EADDRINUSE, "tcp://127.0.0.1:1"};
    CHECK_THAT(failed.to_string(), contains("bind_failed tcp://127.0.0.1:1 (errno"));
    CHECK_THAT(failed.to_string(), contains(zmq_strerror(EADDRINUSE)));
    zmqraii::monitor_event stopped{event_kind::monitor_stopped, 0, ""};
    CHECK(stopped.to_string() == "monitor_stopped");
}

TEST_CASE("socket_monitor and monitor_thread are move-only", "[monitor]") {
    STATIC_REQUIRE(!std::is_copy_constructible_v<zmqraii::socket_monitor>);
    STATIC_REQUIRE(std::is_nothrow_move_constructible_v<zmqraii::socket_monitor>);
    STATIC_REQUIRE(std::is_nothrow_move_assignable_v<zmqraii::socket_monitor>);
    STATIC_REQUIRE(!std::is_copy_constructible_v<zmqraii::monitor_thread>);
    STATIC_REQUIRE(std::is_nothrow_move_constructible_v<zmqraii::monitor_thread>);

    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::router);
    zmqraii::socket_monitor a(ctx, s);
    zmqraii::socket_monitor b(std::move(a));
    CHECK_FALSE(a.is_active());
    CHECK(b.is_active());
    s.bind("tcp://127.0.0.1:*");
    auto e = wait_for_kind(b, zmqraii::event_kind::listening, nullptr);
    REQUIRE(e);
    CHECK(e->endpoint == s.last_endpoint());
    a.stop();  // empty: nothing to do
}

TEST_CASE("a tcp pair reports listening, accepted, connected and disconnected", "[monitor]") {
    using zmqraii::event_kind;
    zmqraii::context ctx;
    zmqraii::socket server(ctx, zmqraii::socket_type::router, "server");
    zmqraii::socket_monitor server_events(ctx, server);
    server.bind("tcp://127.0.0.1:*");
    const std::string ep = server.last_endpoint();

    zmqraii::socket client(ctx, zmqraii::socket_type::dealer, "client");
    zmqraii::socket_monitor client_events(ctx, client);
    client.connect(ep);

    std::vector<zmqraii::monitor_event> seen;
    auto listening = wait_for_kind(server_events, event_kind::listening, &seen);
    REQUIRE(listening);
    CHECK(listening->endpoint == ep);
    auto accepted = wait_for_kind(server_events, event_kind::accepted, &seen);
    REQUIRE(accepted);
    CHECK(accepted->endpoint == ep);
    CHECK(accepted->value > 0);  // a file descriptor

    auto connected = wait_for_kind(client_events, event_kind::connected, nullptr);
    REQUIRE(connected);
    CHECK(connected->endpoint == ep);
    CHECK(wait_for_kind(client_events, event_kind::handshake_succeeded, nullptr));

    // The peer goes away: the server's session breaks.
    client.close();
    auto disconnected = wait_for_kind(server_events, event_kind::disconnected, &seen);
    REQUIRE(disconnected);
    CHECK(disconnected->value == accepted->value);

    // The client's monitor ends by itself: libzmq ends a closed socket's monitor.
    auto last = wait_for_kind(client_events, event_kind::monitor_stopped, nullptr);
    REQUIRE(last);
    CHECK(client_events.ended());
    CHECK_FALSE(client_events.try_next());
    CHECK_THROWS_AS(client_events.next(), zmqraii::error);

    server_events.stop();
    CHECK_FALSE(server_events.is_active());
    server_events.stop();  // idempotent
}

TEST_CASE("a monitor reports only the events asked for", "[monitor]") {
    using zmqraii::event_kind;
    zmqraii::context ctx;
    zmqraii::socket server(ctx, zmqraii::socket_type::pull);
    zmqraii::socket_monitor m(ctx, server, event_kind::accepted);
    CHECK(m.events() == zmqraii::event_set(event_kind::accepted));
    server.bind("tcp://127.0.0.1:*");  // listening: not asked for
    zmqraii::socket client(ctx, zmqraii::socket_type::push);
    client.connect(server.last_endpoint());

    auto first = m.next_for(5s);
    REQUIRE(first);
    CHECK(first->kind == event_kind::accepted);

    // stop() unregisters: monitor_stopped is not in the set, so nothing arrives.
    m.stop();
    CHECK_FALSE(m.is_active());
}

TEST_CASE("the monitor's socket can be polled", "[monitor]") {
    zmqraii::context ctx;
    zmqraii::socket server(ctx, zmqraii::socket_type::rep);
    zmqraii::socket_monitor m(ctx, server, zmqraii::event_kind::listening);

    zmq_pollitem_t item{m.socket().handle(), 0, ZMQ_POLLIN, 0};
    CHECK(zmq_poll(&item, 1, 0) == 0);  // nothing yet
    CHECK_FALSE(m.try_next());

    server.bind("tcp://127.0.0.1:*");
    REQUIRE(zmq_poll(&item, 1, 5000) == 1);
    auto e = m.try_next();
    REQUIRE(e);
    CHECK(e->kind == zmqraii::event_kind::listening);
    CHECK(e->endpoint == server.last_endpoint());
}

TEST_CASE("the monitor's socket works in a zmqraii::poller", "[monitor]") {
    using zmqraii::event_kind;
    zmqraii::context ctx;
    zmqraii::socket server(ctx, zmqraii::socket_type::router);
    zmqraii::socket_monitor m(ctx, server, event_kind::listening | event_kind::accepted);
    std::vector<zmqraii::monitor_event> got;
    zmqraii::poller p;  // after the monitor: destroyed first
    p.add(m.socket(), zmqraii::poll_events::in, [&](zmqraii::poll_events) {
        while (auto e = m.try_next()) got.push_back(*e);
    });

    server.bind("tcp://127.0.0.1:*");
    zmqraii::socket client(ctx, zmqraii::socket_type::dealer);
    client.connect(server.last_endpoint());
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (got.size() < 2 && std::chrono::steady_clock::now() < deadline) p.wait(100ms);

    REQUIRE(got.size() == 2);
    CHECK(got[0].kind == event_kind::listening);
    CHECK(got[1].kind == event_kind::accepted);
    p.remove(m.socket());
}

TEST_CASE("a monitor belongs to the monitored socket's owner thread", "[monitor]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::dealer, "watched");

    std::string construct_error, read_error, stop_error;
    zmqraii::socket_monitor m(ctx, s);
    std::thread([&] {
        try {
            zmqraii::socket_monitor other(ctx, s);
        } catch (const zmqraii::wrong_thread& e) {
            construct_error = e.what();
        }
        try {
            (void)m.try_next();
        } catch (const zmqraii::wrong_thread& e) {
            read_error = e.what();
        }
        try {
            m.stop();
        } catch (const zmqraii::wrong_thread& e) {
            stop_error = e.what();
        }
    }).join();
    CHECK_THAT(construct_error, contains("'watched'"));
    CHECK_THAT(read_error, contains("monitor of 'watched'"));
    CHECK_FALSE(stop_error.empty());
    CHECK(m.is_active());  // a refused stop changed nothing
    m.stop();
    CHECK_FALSE(m.is_active());
}

TEST_CASE("a monitor refuses a context that is not the socket's", "[monitor]") {
    zmqraii::context ctx;
    zmqraii::context other;
    zmqraii::socket s(ctx, zmqraii::socket_type::pub);
    try {
        zmqraii::socket_monitor m(other, s);
        FAIL("socket_monitor accepted the wrong context");
    } catch (const zmqraii::error& e) {
        CHECK(e.code().value() == EINVAL);
        CHECK_THAT(e.what(), contains("not the monitored socket's context"));
    }
    // The failed attempt left the socket unmonitored and usable.
    zmqraii::socket_monitor m(ctx, s, zmqraii::event_kind::listening);
    s.bind("tcp://127.0.0.1:*");
    CHECK(m.next_for(5s));
}

TEST_CASE("a monitor read on a worker thread ends with stopped on context stop",
          "[monitor][stop]") {
    zmqraii::context ctx;
    std::promise<void> ready;
    std::atomic<bool> woke_with_stopped{false};
    std::thread worker([&] {
        zmqraii::socket s(ctx, zmqraii::socket_type::dealer, "worker socket");
        zmqraii::socket_monitor m(ctx, s);
        ready.set_value();
        try {
            for (;;) (void)m.next();  // no traffic: blocks until stop
        } catch (const zmqraii::stopped&) {
            woke_with_stopped = true;
        }
    });
    ready.get_future().wait();
    const auto t0 = std::chrono::steady_clock::now();
    const bool done = ctx.stop_for(2s);
    const auto took = std::chrono::steady_clock::now() - t0;
    worker.join();
    CHECK(done);
    CHECK(took < 2s);
    CHECK(woke_with_stopped);
    CHECK(ctx.live_sockets().empty());
}

TEST_CASE("monitor_thread runs the callback on its own thread", "[monitor]") {
    using zmqraii::event_kind;
    zmqraii::context ctx;
    zmqraii::socket server(ctx, zmqraii::socket_type::router, "server");
    event_log log;
    zmqraii::monitor_thread mon(ctx, server,
                                [&log](const zmqraii::monitor_event& e) { log.add(e); });
    CHECK(mon.running());
    CHECK(mon.thread_id() != std::this_thread::get_id());

    server.bind("tcp://127.0.0.1:*");
    {
        zmqraii::socket client(ctx, zmqraii::socket_type::dealer);
        client.connect(server.last_endpoint());
        REQUIRE(log.wait_for(event_kind::accepted));
    }
    REQUIRE(log.wait_for(event_kind::disconnected));

    mon.stop();  // unregisters; the thread delivers monitor_stopped and ends
    CHECK_FALSE(mon.running());
    const auto events = log.snapshot();
    REQUIRE(!events.empty());
    CHECK(events.front().kind == event_kind::listening);
    CHECK(events.back().kind == event_kind::monitor_stopped);
    for (auto id : log.threads) CHECK(id != std::this_thread::get_id());
    mon.stop();  // idempotent
}

TEST_CASE("monitor_thread ends by itself when the monitored socket closes", "[monitor]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::pull);
    event_log log;
    zmqraii::monitor_thread mon(ctx, s, [&log](const zmqraii::monitor_event& e) { log.add(e); });
    s.bind("tcp://127.0.0.1:*");
    REQUIRE(log.wait_for(zmqraii::event_kind::listening));
    s.close();
    REQUIRE(log.wait_for(zmqraii::event_kind::monitor_stopped));
    mon.stop();
    CHECK_FALSE(mon.running());
}

TEST_CASE("monitor_thread stop() belongs to the monitored socket's owner", "[monitor]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::push);
    zmqraii::monitor_thread mon(ctx, s, [](const zmqraii::monitor_event&) {});
    bool refused = false;
    std::thread([&] {
        try {
            mon.stop();
        } catch (const zmqraii::wrong_thread&) {
            refused = true;
        }
    }).join();
    CHECK(refused);
    CHECK(mon.running());
    mon.stop();
    CHECK_FALSE(mon.running());
}

TEST_CASE("monitor_thread rethrows the callback's exception from stop()", "[monitor]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::pub);
    std::atomic<int> calls{0};
    zmqraii::monitor_thread mon(ctx, s, [&calls](const zmqraii::monitor_event&) {
        ++calls;
        throw std::runtime_error("handler failed");
    });
    s.bind("tcp://127.0.0.1:*");
    s.bind("tcp://127.0.0.1:*");  // a second event, read and dropped after the failure
    CHECK_THROWS_WITH(mon.stop(), "handler failed");
    CHECK(calls == 1);
    CHECK_FALSE(mon.running());
    CHECK_NOTHROW(mon.stop());  // rethrown once
}

TEST_CASE("monitor_thread refuses an empty handler", "[monitor]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::pub);
    CHECK_THROWS_AS(zmqraii::monitor_thread(ctx, s, nullptr), zmqraii::error);
}

TEST_CASE("monitor_thread ends cleanly on context stop", "[monitor][stop]") {
    zmqraii::context ctx;
    std::promise<void> ready;
    std::atomic<bool> worker_stopped{false};
    event_log log;
    std::thread worker([&] {
        zmqraii::socket s(ctx, zmqraii::socket_type::router, "monitored by a thread");
        zmqraii::monitor_thread mon(ctx, s,
                                    [&log](const zmqraii::monitor_event& e) { log.add(e); });
        s.bind("tcp://127.0.0.1:*");
        ready.set_value();
        try {
            (void)s.recv();  // blocks until stop
        } catch (const zmqraii::stopped&) {
            worker_stopped = true;
        }
        // ~monitor_thread, then ~socket, on this (the owner) thread.
    });
    ready.get_future().wait();
    REQUIRE(log.wait_for(zmqraii::event_kind::listening));
    const auto t0 = std::chrono::steady_clock::now();
    const bool done = ctx.stop_for(2s);
    const auto took = std::chrono::steady_clock::now() - t0;
    worker.join();
    CHECK(done);
    CHECK(took < 2s);
    CHECK(worker_stopped);
}

TEST_CASE("monitor_thread on the stopping thread ends with the context", "[monitor][stop]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::dealer);
    zmqraii::monitor_thread mon(ctx, s, [](const zmqraii::monitor_event&) {});
    // stop() closes this thread's own sockets; the monitor thread wakes with ETERM.
    CHECK(ctx.stop_for(2s));
    CHECK_NOTHROW(mon.stop());
    CHECK_FALSE(mon.running());
}
