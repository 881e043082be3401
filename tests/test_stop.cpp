// SPDX-License-Identifier: MIT
// A stop never waits for a thread to do anything (DESIGN.md section 3, issue 10):
// the structures that used to hang now end promptly, because the stop closes
// idle sockets of live owners itself; request_stop() from every kind of
// callback; the owner's view of a socket that the stop closed; durations at
// the limits of their types; the context after termination.
#include "catch.hpp"
#include "support.hpp"

#include <zmqraii/zmqraii.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <future>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>
#include <signal.h>

using namespace std::chrono_literals;
using zmqraii::socket_type;
using zmqraii_test::contains;
using zmqraii_test::latch;
using zmqraii_test::watchdog;
using clock_type = std::chrono::steady_clock;

namespace {

// "Promptly": far below the watchdogs, far above any scheduling noise.
constexpr auto prompt = 3s;

// Each REP worker echoes until the stop.
void echo_worker(zmqraii::context& ctx, const std::string& ep, std::atomic<int>& ended) {
    try {
        zmqraii::socket s(ctx, socket_type::rep, "echo worker");
        s.connect(ep);
        for (;;) {
            zmqraii::message m = s.recv();
            s.send(std::move(m));
        }
    } catch (const zmqraii::stopped&) {
        ended.fetch_add(1);
    }
}

}  // namespace

TEST_CASE("sockets at main scope: a client's stop() returns while main joins the client",
          "[stop][idle]") {
    zmqraii::context ctx;
    watchdog dog(ctx, "sockets at main scope", 30s);
    // The server's sockets live at this (main's) scope, as in a ported
    // cppzmq broker: ROUTER for clients, DEALER for workers, proxy() between.
    zmqraii::socket frontend(ctx, socket_type::router, "frontend");
    frontend.bind("inproc://main-scope-front");
    zmqraii::socket backend(ctx, socket_type::dealer, "backend");
    backend.bind("inproc://main-scope-back");

    std::atomic<int> workers_ended{0};
    std::vector<std::thread> workers;
    for (int i = 0; i < 2; ++i)
        workers.emplace_back(echo_worker, std::ref(ctx), "inproc://main-scope-back",
                             std::ref(workers_ended));

    std::promise<double> stop_took;
    std::atomic<int> replies{0};
    std::thread client([&] {
        {
            zmqraii::socket req(ctx, socket_type::req, "client");
            req.connect("inproc://main-scope-front");
            for (int i = 0; i < 10; ++i) {
                req.send("request " + std::to_string(i));
                if (req.recv().to_string() == "request " + std::to_string(i)) replies.fetch_add(1);
            }
        }
        const auto t0 = clock_type::now();
        ctx.stop();  // main owns frontend and backend and is about to sit in join()
        stop_took.set_value(zmqraii_test::seconds_since(t0));
    });

    try {
        zmqraii::proxy(frontend, backend);
    } catch (const zmqraii::stopped&) {}
    for (auto& w : workers) w.join();
    client.join();  // the stop closed frontend and backend: nobody waits for main

    CHECK(replies.load() == 10);
    CHECK(workers_ended.load() == 2);
    CHECK(stop_took.get_future().get() < std::chrono::duration<double>(prompt).count());
    CHECK(ctx.terminated());
    // main's sockets were closed for it; its next operation says so, without libzmq.
    CHECK_FALSE(frontend.is_open());
    CHECK_FALSE(backend.is_open());
    CHECK_THROWS_AS(frontend.send("late"), zmqraii::stopped);
    CHECK_THROWS_WITH(backend.recv(), contains("the context's stop closed this socket"));
}

namespace {

// A service holding its sockets as members, built and used on main.
struct service {
    zmqraii::socket in;
    zmqraii::socket out;
    explicit service(zmqraii::context& ctx)
        : in(ctx, socket_type::pull, "service in"), out(ctx, socket_type::push, "service out") {
        in.bind("inproc://service-in");
        out.bind("inproc://service-out");
    }
};

}  // namespace

TEST_CASE("member sockets: stop_for() from a control thread while main sits in join()",
          "[stop][idle]") {
    zmqraii::context ctx;
    watchdog dog(ctx, "member sockets", 30s);
    zmqraii_test::captured_diagnostics diags;
    {
        service svc(ctx);
        CHECK_FALSE(svc.out.try_send("no peer yet"));
        bool done = false;
        double took = 0;
        std::thread control([&] {
            const auto t0 = clock_type::now();
            done = ctx.stop_for(10s);
            took = zmqraii_test::seconds_since(t0);
        });
        control.join();  // main is idle here: the stop does not wait for it
        CHECK(done);
        CHECK(took < std::chrono::duration<double>(prompt).count());
        CHECK_FALSE(svc.in.is_open());
        CHECK_FALSE(svc.out.is_open());
        CHECK(ctx.live_sockets().empty());
    }  // the members' destructors find their sockets closed: nothing to report
    CHECK(diags.list().empty());
}

TEST_CASE("an idle owner that keeps its socket after catching stopped does not hold the stop",
          "[stop][idle]") {
    zmqraii::context ctx;
    watchdog dog(ctx, "idle after stopped", 30s);
    latch blocked, stop_done;
    std::promise<std::string> after;
    std::thread owner([&] {
        zmqraii::socket s(ctx, socket_type::pull, "keeper");
        s.bind("inproc://keeper");
        try {
            blocked.open();
            (void)s.recv();
        } catch (const zmqraii::stopped&) {}
        // Keeps the object; waits for the stop to finish (it must not wait for us).
        stop_done.wait_for(20s);
        try {
            s.bind("inproc://keeper-again");
            after.set_value("no error");
        } catch (const zmqraii::stopped& e) {
            after.set_value(std::string(e.what()) + (s.is_open() ? " (open)" : " (closed)"));
        }
    });
    REQUIRE(blocked.wait_for(5s));
    std::this_thread::sleep_for(20ms);
    const auto t0 = clock_type::now();
    CHECK(ctx.stop_for(10s));
    CHECK(clock_type::now() - t0 < prompt);
    stop_done.open();
    owner.join();
    const std::string what = after.get_future().get();
    CHECK_THAT(what, contains("bind on socket 'keeper'"));
    CHECK_THAT(what, contains("(closed)"));
}

TEST_CASE("a worker body that stops the whole context ends, with stop() or request_stop()",
          "[stop][worker]") {
    const bool blocking = GENERATE(true, false);
    INFO((blocking ? "stop()" : "request_stop()"));
    zmqraii::context ctx;
    watchdog dog(ctx, "worker body stops the context", 30s);
    std::atomic<bool> returned{false};
    {
        zmqraii::worker w(ctx, "stopper", [&](zmqraii::worker_context& wc) {
            zmqraii::socket own(wc.context(), socket_type::pair, "worker's own");
            own.bind("inproc://worker-own");
            wc.ready();
            if (blocking)
                wc.context().stop();  // waits; the parent sits in ~worker's join
            else
                wc.context().request_stop();
            returned = true;
            (void)own.recv();  // stopped: the stop began (and maybe finished)
        });
        std::this_thread::sleep_for(10ms);
    }  // ~worker: stops and joins the worker
    CHECK(returned.load());
    CHECK(ctx.stop_for(prompt));
}

TEST_CASE("a poller handler and a mailbox callback may stop the context", "[stop][poller]") {
    const int who = GENERATE(0, 1, 2, 3);  // handler stop, handler request, mailbox stop/request
    zmqraii::context ctx;
    watchdog dog(ctx, "stop from a poller handler", 30s);
    zmqraii::socket a(ctx, socket_type::pair, "a");
    zmqraii::socket b(ctx, socket_type::pair, "b");
    zmqraii::socket idle(ctx, socket_type::pull, "idle member of the poller");
    a.bind("inproc://poller-stop");
    b.connect("inproc://poller-stop");
    zmqraii::mailbox<int> box(ctx);
    zmqraii::poller p;
    int calls = 0;
    auto stop_now = [&](bool request) {
        ++calls;
        if (request)
            ctx.request_stop();
        else
            ctx.stop();  // closes this thread's sockets, those in the poller included
    };
    p.add(idle, zmqraii::poll_events::in, [&](zmqraii::poll_events) { FAIL("never readable"); });
    if (who < 2) {
        p.add(a, zmqraii::poll_events::in, [&](zmqraii::poll_events) {
            (void)a.recv();
            stop_now(who == 1);
        });
        b.send("go");
    } else {
        box.add_to(p, [&](int) { stop_now(who == 3); });
        box.push(1);
    }
    CHECK_THROWS_AS(
        [&] {
            for (;;) p.wait(5s);
        }(),
        zmqraii::stopped);
    CHECK(calls == 1);
    CHECK(ctx.stop_for(prompt));
    CHECK_FALSE(a.is_open());
    CHECK_FALSE(idle.is_open());
}

TEST_CASE("a monitor callback may stop the context", "[stop][monitor]") {
    const bool blocking = GENERATE(true, false);
    zmqraii::context ctx;
    watchdog dog(ctx, "stop from a monitor callback", 30s);
    std::atomic<int> calls{0};
    {
        zmqraii::socket watched(ctx, socket_type::dealer, "watched");
        zmqraii::monitor_thread mon(
            ctx, watched,
            [&](const zmqraii::monitor_event&) {
                if (calls.fetch_add(1) != 0) return;
                if (blocking)
                    ctx.stop();  // the owner of `watched` is in ~monitor_thread's join
                else
                    ctx.request_stop();
            },
            zmqraii::event_set::all());
        watched.bind("tcp://127.0.0.1:*");  // "listening": the first event
        std::this_thread::sleep_for(50ms);
    }  // ~monitor_thread, then ~socket (closed by the stop, or now)
    CHECK(calls.load() >= 1);
    CHECK(ctx.stop_for(prompt));
}

TEST_CASE("request_stop() from a signal-handling thread wakes a blocked recv", "[stop][signal]") {
    // Block SIGUSR1 in this thread (and so in the threads it starts), and wait
    // for it on a thread of its own, as a service does with sigwait().
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigset_t old;
    REQUIRE(pthread_sigmask(SIG_BLOCK, &set, &old) == 0);
    {
        zmqraii::context ctx;
        watchdog dog(ctx, "stop from a signal thread", 30s);
        std::thread signals([&] {
            int sig = 0;
            if (sigwait(&set, &sig) == 0 && sig == SIGUSR1) ctx.request_stop();
        });
        zmqraii::socket s(ctx, socket_type::pull, "waits for work");
        s.bind("inproc://signal-stop");
        std::thread raiser([] {
            std::this_thread::sleep_for(30ms);
            ::kill(::getpid(), SIGUSR1);
        });
        CHECK_THROWS_AS(s.recv(), zmqraii::stopped);
        raiser.join();
        signals.join();
        CHECK(ctx.stop_for(prompt));
        CHECK_FALSE(s.is_open());
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

TEST_CASE("request_stop() returns at once and the stop completes by itself", "[stop]") {
    zmqraii::context ctx;
    watchdog dog(ctx, "request_stop", 30s);
    latch holding, release;
    std::thread owner([&] {
        zmqraii::socket s(ctx, socket_type::dealer, "holder");
        holding.open();
        release.wait_for(20s);  // idle, holding the socket
    });
    REQUIRE(holding.wait_for(5s));
    ctx.request_stop();
    CHECK(ctx.stopping());
    const auto t0 = clock_type::now();
    while (!ctx.terminated() && clock_type::now() - t0 < prompt) std::this_thread::sleep_for(1ms);
    CHECK(ctx.terminated());  // nobody called stop(): the stop finished by itself
    release.open();
    owner.join();
    ctx.request_stop();  // idempotent
    CHECK(ctx.stop_for(0s));
}

TEST_CASE("stop() from a thread that holds a raw_call scope does not deadlock", "[stop][raw]") {
    zmqraii::context ctx;
    watchdog dog(ctx, "stop inside raw_call", 30s);
    zmqraii::socket s(ctx, socket_type::pair, "raw");
    {
        auto raw = s.raw_call();
        int type = 0;
        std::size_t len = sizeof type;
        REQUIRE(zmq_getsockopt(raw.handle(), ZMQ_TYPE, &type, &len) == 0);
        CHECK(type == ZMQ_PAIR);
        ctx.stop();  // this thread waits in stop(): it is not inside libzmq
    }
    CHECK(ctx.terminated());
    CHECK_FALSE(s.is_open());
}

TEST_CASE("a stop waits for a raw_call scope on another thread, then closes the socket",
          "[stop][raw]") {
    zmqraii::context ctx;
    watchdog dog(ctx, "raw_call on another thread", 30s);
    latch in_scope, leave;
    std::atomic<bool> left{false};
    std::thread owner([&] {
        zmqraii::socket s(ctx, socket_type::pair, "raw user");
        {
            auto raw = s.raw_call();
            in_scope.open();
            leave.wait_for(20s);
            left = true;
        }
        // The scope ended: the stop may close the socket any time now.
        while (s.is_open()) std::this_thread::sleep_for(1ms);
    });
    REQUIRE(in_scope.wait_for(5s));
    CHECK_FALSE(ctx.stop_for(100ms));  // the scope holds the socket
    CHECK_THAT(ctx.stop_report(), contains("'raw user'"));
    CHECK_THAT(ctx.stop_report(), contains("inside a libzmq call"));
    leave.open();
    CHECK(ctx.stop_for(prompt));
    CHECK(left.load());
    owner.join();
}

TEST_CASE("a thread blocked on another context's socket keeps nothing of the stopping one",
          "[stop][contexts]") {
    zmqraii::context stopping_ctx;
    zmqraii::context other_ctx;
    watchdog dog(stopping_ctx, "two contexts", 30s);
    latch blocked;
    std::thread owner([&] {
        zmqraii::socket mine(stopping_ctx, socket_type::pair, "of the stopping context");
        zmqraii::socket waits(other_ctx, socket_type::pull, "of the other context");
        waits.bind("inproc://other");
        blocked.open();
        try {
            (void)waits.recv();  // inside libzmq, but with another context's socket
        } catch (const zmqraii::stopped&) {}
    });
    REQUIRE(blocked.wait_for(5s));
    std::this_thread::sleep_for(20ms);
    CHECK(stopping_ctx.stop_for(prompt));  // "mine" is idle: closed by the stop
    other_ctx.stop();
    owner.join();
}

TEST_CASE("a socket closed by the stop: release() and every operation say stopped",
          "[stop][idle]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, socket_type::dealer, "released late");
    std::thread([&] { CHECK(ctx.stop_for(prompt)); }).join();
    CHECK_FALSE(s.is_open());
    CHECK_THROWS_AS(std::move(s).release(), zmqraii::stopped);
    CHECK_THROWS_WITH(s.send("x"), contains("send on socket 'released late'"));
    CHECK_THROWS_AS(s.set(zmqraii::option::sndhwm, 5), zmqraii::stopped);
    CHECK_THROWS_AS(s.raw_call(), zmqraii::stopped);
    s.close();  // idempotent, nothing to do
}

TEST_CASE("the context after its stop: get, set and handle", "[stop][context]") {
    zmqraii::context ctx;
    CHECK(ctx.handle() != nullptr);
    CHECK(ctx.get(zmqraii::ctx_option::io_threads) == 1);
    ctx.stop();
    CHECK(ctx.handle() == nullptr);  // zmq_ctx_term freed it
    const auto [code, what] =
        zmqraii_test::error_of([&] { (void)ctx.get(zmqraii::ctx_option::io_threads); });
    CHECK(code.value() == ETERM);
    CHECK_THAT(what, contains("context get"));
    CHECK_THROWS_AS(ctx.set(zmqraii::ctx_option::max_msgsz, 1000), zmqraii::stopped);
    zmqraii::context stopping;
    stopping.request_stop();  // stopping, maybe not terminated: refused too
    CHECK_THROWS_AS(stopping.get(zmqraii::ctx_option::io_threads), zmqraii::stopped);
}

namespace {

// Every duration type the API takes, at its limits.
template <class D>
void timed_calls_at_limits(zmqraii::socket& ready, zmqraii::socket& empty, const char* type) {
    INFO(type);
    const auto big = D::max();
    const auto small = D::min();
    const auto t0 = clock_type::now();
    // A huge timeout on a call that can proceed returns at once, true.
    ready.send("x");
    CHECK(empty.recv_for(big).has_value());
    CHECK(ready.send_for("y", big));
    zmqraii::message m;
    CHECK(empty.recv_for(m, big));
    ready.send("z");
    char buf[4];
    CHECK(empty.recv_into_for(buf, sizeof buf, big).has_value());
    // The smallest (negative) timeout on a call that cannot proceed looks, false.
    CHECK_FALSE(empty.recv_for(small).has_value());
    CHECK_FALSE(empty.recv_for(D::zero()).has_value());
    CHECK_FALSE(empty.recv_into_for(buf, sizeof buf, small).has_value());
    CHECK(clock_type::now() - t0 < prompt);
}

}  // namespace

TEST_CASE("durations at the limits of their types: no overflow, no early return",
          "[stop][duration]") {
    zmqraii::context ctx;
    zmqraii::socket a(ctx, socket_type::pair, "a");
    zmqraii::socket b(ctx, socket_type::pair, "b");
    a.bind("inproc://limits");
    b.connect("inproc://limits");
    timed_calls_at_limits<std::chrono::nanoseconds>(a, b, "nanoseconds");
    timed_calls_at_limits<std::chrono::microseconds>(a, b, "microseconds");
    timed_calls_at_limits<std::chrono::milliseconds>(a, b, "milliseconds");
    timed_calls_at_limits<std::chrono::seconds>(a, b, "seconds");
    timed_calls_at_limits<std::chrono::minutes>(a, b, "minutes");
    timed_calls_at_limits<std::chrono::hours>(a, b, "hours");
    timed_calls_at_limits<std::chrono::duration<double>>(a, b, "duration<double>");
    timed_calls_at_limits<std::chrono::duration<std::int8_t, std::ratio<3600 * 24>>>(
        a, b, "days as int8");

    // stop_for: a huge grace on a stop with nothing to wait for is true at once;
    // a raw socket held by this thread's handle() makes a short grace false.
    SECTION("stop_for at the limits") {
        const auto t0 = clock_type::now();
        zmqraii::context c1, c2, c3, c4, c5;
        CHECK(c1.stop_for(std::chrono::milliseconds::max()));
        CHECK(c2.stop_for(std::chrono::hours::max()));
        CHECK(c3.stop_for(std::chrono::nanoseconds::max()));
        CHECK(c4.stop_for(std::chrono::duration<double>::max()));
        (void)c5.stop_for(std::chrono::seconds::min());  // begins the stop, looks once
        CHECK(c5.stop_for(10s));
        CHECK(clock_type::now() - t0 < prompt);

        zmqraii::context held;
        zmqraii::socket raw(held, socket_type::pair, "held");
        (void)raw.handle();
        const auto t1 = clock_type::now();
        CHECK_FALSE(held.stop_for(std::chrono::milliseconds::min()));
        CHECK_FALSE(held.stop_for(-std::chrono::hours(1)));
        CHECK_FALSE(held.stop_for(std::chrono::duration<double>(-1e300)));
        CHECK(clock_type::now() - t1 < prompt);
        raw.close();
        CHECK(held.stop_for(std::chrono::hours::max()));
    }
}

TEST_CASE("recv(message&) returns the part's size", "[stop][api]") {
    zmqraii::context ctx;
    zmqraii::socket a(ctx, socket_type::pair, "a");
    zmqraii::socket b(ctx, socket_type::pair, "b");
    a.bind("inproc://size");
    b.connect("inproc://size");
    a.send(std::string(1000, 'q'));
    zmqraii::message m;
    CHECK(b.recv(m) == 1000);
    a.send("");
    CHECK(b.recv(m) == 0);
}

TEST_CASE("a foreign try_send racing the owner's close and release is refused cleanly",
          "[stop][race]") {
    // Under ThreadSanitizer this proves that the owner check reads nothing the
    // owner writes without synchronisation.
    zmqraii::context ctx;
    for (int round = 0; round < 200; ++round) {
        zmqraii::socket s(ctx, socket_type::dealer, "raced");
        std::atomic<bool> go{false};
        std::thread foreign([&] {
            while (!go.load()) {}
            for (int i = 0; i < 20; ++i) {
                try {
                    (void)s.try_send("x");
                    FAIL("a foreign try_send was accepted");
                } catch (const zmqraii::wrong_thread&) {
                } catch (const zmqraii::error& e) {
                    CHECK(e.num() == ENOTSOCK);  // closed or released meanwhile
                }
            }
        });
        go = true;
        zmqraii::socket back;  // outlives the foreign thread's use of the entry
        if (round % 2 == 0) {
            s.close();
        } else {
            zmqraii::socket_handoff h = std::move(s).release();
            std::this_thread::sleep_for(std::chrono::microseconds(round));
            back = std::move(h).adopt();
        }
        foreign.join();
    }
}
