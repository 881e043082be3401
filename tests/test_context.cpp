// SPDX-License-Identifier: MIT
// The context and its stop protocol (DESIGN.md section 3): one context shared by
// many threads; stop wakes blocked calls; stop waits for owners, never silently;
// stop from an owning thread; linger bounds the wait on pending messages.
#include "catch.hpp"
#include "support.hpp"

#include <zmqraii/zmqraii.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using zmqraii_test::contains;
using clock_type = std::chrono::steady_clock;

namespace {

using zmqraii_test::latch;

// Runs `body` on a thread that reports (through the future) what it threw.
template <class F>
std::future<std::string> run_thread(std::vector<std::thread>& threads, F body) {
    auto p = std::make_shared<std::promise<std::string>>();
    auto f = p->get_future();
    threads.emplace_back([p, body]() mutable {
        try {
            body();
            p->set_value("returned");
        } catch (const zmqraii::stopped& e) {
            p->set_value(std::string("stopped: ") + e.what());
        } catch (const std::exception& e) {
            p->set_value(std::string("other: ") + e.what());
        }
    });
    return f;
}

void join_all(std::vector<std::thread>& threads) {
    for (auto& t : threads) t.join();
}

}  // namespace

TEST_CASE("one context shared by many threads", "[context][threads]") {
    // A context is thread-safe: the "one context per thread" advice is wrong, and
    // inproc only works inside one context. Run under TSan to prove it.
    zmqraii::context ctx;
    zmqraii::socket sink(ctx, zmqraii::socket_type::pull, "sink");
    sink.bind("inproc://sink");

    constexpr int threads_n = 8;
    constexpr int per_thread = 200;
    std::vector<std::thread> threads;
    for (int t = 0; t < threads_n; ++t) {
        threads.emplace_back([&ctx, t] {
            zmqraii::socket out(ctx, zmqraii::socket_type::push, "worker " + std::to_string(t));
            out.connect("inproc://sink");
            for (int i = 0; i < per_thread; ++i)
                out.send(std::to_string(t) + ":" + std::to_string(i));
        });
    }
    std::vector<int> next(threads_n, 0);
    for (int n = 0; n < threads_n * per_thread; ++n) {
        auto m = sink.recv_for(10s);
        REQUIRE(m.has_value());
        const std::string s = m->to_string();
        const auto colon = s.find(':');
        const int t = std::stoi(s.substr(0, colon));
        const int i = std::stoi(s.substr(colon + 1));
        CHECK(i == next[static_cast<std::size_t>(t)]);  // per-sender order is kept
        next[static_cast<std::size_t>(t)] = i + 1;
    }
    join_all(threads);
    for (int t = 0; t < threads_n; ++t) CHECK(next[static_cast<std::size_t>(t)] == per_thread);
    CHECK(ctx.live_sockets().size() == 1);  // the workers' sockets closed with their threads
    CHECK(ctx.stop_for(5s));
}

TEST_CASE("stop wakes a thread blocked in recv", "[context][stop]") {
    zmqraii::context ctx;
    latch created;
    std::vector<std::thread> threads;
    auto outcome = run_thread(threads, [&] {
        zmqraii::socket s(ctx, zmqraii::socket_type::pull, "blocked reader");
        s.bind("inproc://nobody-sends");
        created.open();
        s.recv();  // blocks until stop
    });
    REQUIRE(created.wait_for(5s));
    std::this_thread::sleep_for(50ms);  // let it block (the assertions hold either way)
    const auto t0 = clock_type::now();
    REQUIRE(ctx.stop_for(10s));
    CHECK(clock_type::now() - t0 < 5s);
    const std::string what = outcome.get();
    CHECK_THAT(what, contains("stopped: recv on socket 'blocked reader'"));
    join_all(threads);
    CHECK(ctx.live_sockets().empty());
    CHECK(ctx.terminated());
}

TEST_CASE("stop wakes a thread blocked in send", "[context][stop]") {
    zmqraii::context ctx;
    latch created;
    std::vector<std::thread> threads;
    auto outcome = run_thread(threads, [&] {
        // A PUSH socket with no peer: send blocks (no pipe to queue on).
        zmqraii::socket s(ctx, zmqraii::socket_type::push, "blocked sender");
        s.bind("inproc://nobody-receives");
        created.open();
        s.send("never delivered");
    });
    REQUIRE(created.wait_for(5s));
    std::this_thread::sleep_for(50ms);
    REQUIRE(ctx.stop_for(10s));
    CHECK_THAT(outcome.get(), contains("stopped: send on socket 'blocked sender'"));
    join_all(threads);
}

TEST_CASE("stop wakes a sender blocked at the high-water mark", "[context][stop]") {
    zmqraii::context ctx;
    zmqraii::socket pull(ctx, zmqraii::socket_type::pull, "never reads");
    pull.set(zmqraii::option::rcvhwm, 1);
    pull.bind("inproc://hwm");
    std::atomic<int> sent{0};
    std::vector<std::thread> threads;
    auto outcome = run_thread(threads, [&] {
        zmqraii::socket s(ctx, zmqraii::socket_type::push, "hwm sender");
        s.set(zmqraii::option::sndhwm, 1);
        s.connect("inproc://hwm");
        for (;;) {
            s.send("x");
            ++sent;
        }
    });
    // Wait until the queue is full (the count stops growing).
    int last = -1;
    for (int i = 0; i < 500 && sent.load() != last; ++i) {
        last = sent.load();
        std::this_thread::sleep_for(10ms);
    }
    CHECK(sent.load() < 100);  // bounded by the high-water marks: it is blocked
    // stop() from the main thread, which owns `pull`: stop closes it (no deadlock).
    REQUIRE(ctx.stop_for(10s));
    CHECK_THAT(outcome.get(), contains("stopped: send on socket 'hwm sender'"));
    join_all(threads);
    CHECK(ctx.live_sockets().empty());  // including `pull`, closed by stop (its owner called it)
}

TEST_CASE("stop wakes a timed receive", "[context][stop]") {
    zmqraii::context ctx;
    latch created;
    std::vector<std::thread> threads;
    auto outcome = run_thread(threads, [&] {
        zmqraii::socket s(ctx, zmqraii::socket_type::sub, "timed reader");
        s.connect("inproc://no-publisher");
        s.subscribe("");
        created.open();
        (void)s.recv_for(60s);
    });
    REQUIRE(created.wait_for(5s));
    std::this_thread::sleep_for(50ms);
    const auto t0 = clock_type::now();
    REQUIRE(ctx.stop_for(10s));
    CHECK(clock_type::now() - t0 < 5s);  // not the 60 s timeout
    CHECK_THAT(outcome.get(), contains("stopped: recv_for on socket 'timed reader'"));
    join_all(threads);
}

TEST_CASE("stop_for names a socket it may not close (raw handle taken), then succeeds",
          "[context][stop]") {
    zmqraii::context ctx;
    latch created, release;
    const int line = __LINE__ + 3;
    std::vector<std::thread> threads;
    threads.emplace_back([&] {
        zmqraii::socket s(ctx, zmqraii::socket_type::dealer, "stubborn");
        (void)s.handle();  // raw calls the stop cannot see: only the owner closes it
        created.open();
        release.wait_for(30s);  // ignores the stop until told
    });
    REQUIRE(created.wait_for(5s));

    CHECK_FALSE(ctx.stop_for(200ms));
    const auto open = ctx.live_sockets();
    REQUIRE(open.size() == 1);
    CHECK(open[0].name == "stubborn");
    CHECK(open[0].type == zmqraii::socket_type::dealer);
    CHECK(open[0].owner == threads[0].get_id());
    CHECK(open[0].owner_alive);
    CHECK_THAT(open[0].created_at, contains("test_context.cpp:" + std::to_string(line)));
    const std::string report = ctx.stop_report();
    CHECK_THAT(report, contains("waiting for 1 open socket"));
    CHECK_THAT(report, contains("'stubborn'"));
    CHECK_THAT(report, contains("dealer"));
    CHECK_THAT(report, contains("raw handle() was taken"));

    // New sockets are refused while stopping.
    REQUIRE_THROWS_AS(zmqraii::socket(ctx, zmqraii::socket_type::pair), zmqraii::stopped);

    release.open();
    CHECK(ctx.stop_for(10s));  // may be called again after it returned false
    CHECK(ctx.live_sockets().empty());
    join_all(threads);
}

TEST_CASE("unbounded stop reports the sockets it waits for", "[context][stop]") {
    zmqraii::context_options opts;
    opts.stop_report_after = 100ms;
    zmqraii::context ctx(opts);
    std::vector<zmqraii::diagnostic> reports;
    {
        zmqraii_test::captured_diagnostics diags;
        latch created;
        std::vector<std::thread> threads;
        threads.emplace_back([&] {
            zmqraii::socket s(ctx, zmqraii::socket_type::rep, "slow closer");
            (void)s.handle();  // only the owner closes it
            created.open();
            std::this_thread::sleep_for(600ms);  // the owner takes its time, then closes
        });
        REQUIRE(created.wait_for(5s));
        ctx.stop();  // waits; reports after 100 ms; returns once the owner closed
        join_all(threads);
        reports = diags.list();
    }

    REQUIRE(reports.size() == 1);  // reported once, not per poll
    const auto& d = reports.front();
    CHECK(d.level == zmqraii::severity::report);
    CHECK_THAT(d.text, contains("'slow closer'"));
    CHECK(ctx.terminated());
}

TEST_CASE("stop with a pending undeliverable message returns in bounded time",
          "[context][stop][linger]") {
    std::string endpoint;
    {
        // Find a free tcp port; the probe context's end guarantees it is unbound.
        zmqraii::context probe;
        zmqraii::socket s(probe, zmqraii::socket_type::pull);
        s.bind("tcp://127.0.0.1:*");
        endpoint = s.last_endpoint();
    }
    zmqraii::context_options opts;
    opts.linger = 300ms;
    zmqraii::context ctx(opts);
    {
        zmqraii::socket push(ctx, zmqraii::socket_type::push, "undeliverable");
        CHECK(push.get(zmqraii::option::linger) == 300ms);
        push.connect(endpoint);
        push.send("queued for a peer that never comes");  // queued on the connecting pipe
    }  // closed with a pending message: the reaper keeps it for `linger`
    const auto t0 = clock_type::now();
    CHECK(ctx.stop_for(10s));
    const auto took = clock_type::now() - t0;
    CHECK(took < 5s);
}

TEST_CASE("stop reports a wait on infinite linger, and finishes when it is delivered",
          "[context][stop][linger]") {
    std::string endpoint;
    {
        // Find a free tcp port; the probe context's end guarantees it is unbound.
        zmqraii::context probe;
        zmqraii::socket s(probe, zmqraii::socket_type::pull);
        s.bind("tcp://127.0.0.1:*");
        endpoint = s.last_endpoint();
    }
    zmqraii::context listener_ctx;
    zmqraii::context_options opts;
    opts.linger = std::chrono::milliseconds(-1);  // on request only
    zmqraii::context ctx(opts);
    {
        zmqraii::socket push(ctx, zmqraii::socket_type::push, "forever");
        push.set(zmqraii::option::reconnect_ivl, 20ms);
        push.connect(endpoint);
        push.send("must be delivered");
    }
    CHECK_FALSE(ctx.stop_for(300ms));
    CHECK(ctx.live_sockets().empty());                  // not waiting on sockets...
    CHECK_THAT(ctx.stop_report(), contains("linger"));  // ...but on pending messages
    CHECK_THAT(ctx.stop_report(), contains("forever"));

    // A peer appears: the message is delivered and termination completes.
    zmqraii::socket pull(listener_ctx, zmqraii::socket_type::pull, "late peer");
    pull.bind(endpoint);
    auto m = pull.recv_for(10s);
    REQUIRE(m.has_value());
    CHECK(m->to_string() == "must be delivered");
    CHECK(ctx.stop_for(10s));
}

TEST_CASE("stop from a thread that owns sockets does not deadlock", "[context][stop]") {
    zmqraii::context ctx;
    zmqraii::socket a(ctx, zmqraii::socket_type::pair, "mine a");
    zmqraii::socket b(ctx, zmqraii::socket_type::pair, "mine b");
    a.bind("inproc://own");
    b.connect("inproc://own");
    a.send("hello");
    CHECK(b.recv().to_string() == "hello");

    const auto t0 = clock_type::now();
    ctx.stop();  // closes this thread's own sockets
    CHECK(clock_type::now() - t0 < 5s);
    CHECK(ctx.terminated());
    CHECK(ctx.live_sockets().empty());
    // The objects now behave as closed/stopped: operations throw, close and
    // destruction are harmless.
    REQUIRE_THROWS_AS(a.send("late"), zmqraii::stopped);
    REQUIRE_THROWS_AS(b.recv(), zmqraii::stopped);
    CHECK_NOTHROW(a.close());
    CHECK_NOTHROW(a.close());
}

TEST_CASE("the destructor stops the context", "[context][stop]") {
    std::optional<zmqraii::socket> survivor;
    std::vector<std::thread> threads;
    latch created;
    {
        zmqraii::context ctx;
        auto outcome = run_thread(threads, [&] {
            zmqraii::socket s(ctx, zmqraii::socket_type::pull, "reader");
            s.bind("inproc://dtor");
            created.open();
            for (;;) s.recv();
        });
        REQUIRE(created.wait_for(5s));
        survivor.emplace(ctx, zmqraii::socket_type::push, "main's");
        survivor->connect("inproc://dtor");
        // ~context: stop wakes the reader, closes main's own socket, terminates.
        (void)outcome;
    }
    join_all(threads);
    REQUIRE(survivor.has_value());
    REQUIRE_THROWS_AS(survivor->send("after"), zmqraii::stopped);
    survivor.reset();  // closed already: nothing happens
}

TEST_CASE("stop closes the sockets of threads that have exited", "[context][stop]") {
    zmqraii::context ctx;
    std::optional<zmqraii::socket> orphan;
    std::thread t([&] {
        orphan.emplace(ctx, zmqraii::socket_type::router, "orphan");
        orphan->bind("inproc://orphan");
    });
    t.join();  // the owner is gone; the object lives on in `orphan`
    const auto open = ctx.live_sockets();
    REQUIRE(open.size() == 1);
    CHECK_FALSE(open[0].owner_alive);
    CHECK_THAT(open[0].owner_label, contains("exited"));
    CHECK(ctx.stop_for(5s));  // stop may close it: its owner cannot touch it any more
    CHECK(ctx.live_sockets().empty());
    orphan.reset();
}

TEST_CASE("a socket in hand-off is closed by stop; adopt then throws stopped",
          "[context][stop][handoff]") {
    zmqraii::context ctx;
    zmqraii::socket_handoff h;
    std::thread t([&] {
        zmqraii::socket s(ctx, zmqraii::socket_type::pair, "in transit");
        h = std::move(s).release();
    });
    t.join();
    REQUIRE(static_cast<bool>(h));
    CHECK(ctx.live_sockets().size() == 1);
    CHECK_THAT(ctx.live_sockets()[0].owner_label, contains("handed off"));
    CHECK(ctx.stop_for(5s));
    REQUIRE_THROWS_AS(std::move(h).adopt(), zmqraii::stopped);
}

TEST_CASE("moving the context keeps its sockets valid", "[context]") {
    zmqraii::context a;
    zmqraii::socket s(a, zmqraii::socket_type::pair, "moved-context socket");
    s.bind("inproc://moved");
    zmqraii::context b(std::move(a));
    CHECK_FALSE(static_cast<bool>(a));
    REQUIRE_THROWS_AS(a.live_sockets(), zmqraii::error);
    zmqraii::socket peer(b, zmqraii::socket_type::pair);
    peer.connect("inproc://moved");  // same context state: inproc connects
    s.send("still here");
    CHECK(peer.recv().to_string() == "still here");
    CHECK(b.live_sockets().size() == 2);
    CHECK(b.stop_for(5s));
}

TEST_CASE("context options are applied and checked", "[context]") {
    zmqraii::context_options opts;
    opts.io_threads = 2;
    opts.linger = 0ms;
    zmqraii::context ctx(opts);
    CHECK(ctx.get(zmqraii::ctx_option::io_threads) == 2);
    zmqraii::socket s(ctx, zmqraii::socket_type::pub);
    CHECK(s.get(zmqraii::option::linger) == 0ms);
    // io_threads only takes effect before the first socket.
    REQUIRE_THROWS_WITH(ctx.set(zmqraii::ctx_option::io_threads, 4),
                        contains("io_threads = 4") && contains("before the first socket"));

    zmqraii::context_options bad;
    bad.linger = std::chrono::milliseconds(-5);
    REQUIRE_THROWS_WITH(zmqraii::context(bad), contains("linger = -5"));
    zmqraii::context_options bad_threads;
    bad_threads.io_threads = -1;
    REQUIRE_THROWS_AS(zmqraii::context(bad_threads), zmqraii::error);

    // libzmq takes an int: larger values are refused, naming the value and the
    // range, instead of wrapping (2^32 - 1 ms would become -1, forever).
    for (const long long ms : {30LL * 24 * 3600 * 1000, (1LL << 32) + 1000, (1LL << 32) - 1}) {
        zmqraii::context_options huge;
        huge.linger = std::chrono::milliseconds(ms);
        REQUIRE_THROWS_WITH(zmqraii::context(huge),
                            contains("linger = " + std::to_string(ms) + " ms") &&
                                contains("must be in [-1, 2147483647]"));
    }
    zmqraii::context_options late;
    late.stop_report_after = std::chrono::milliseconds(-1);
    REQUIRE_THROWS_WITH(zmqraii::context(late), contains("stop_report_after = -1 ms"));

    zmqraii::context two(2);  // as cppzmq's context_t(io_threads)
    CHECK(two.get(zmqraii::ctx_option::io_threads) == 2);
}

TEST_CASE("stop is idempotent and safe from several threads at once", "[context][stop]") {
    zmqraii::context ctx;
    std::vector<std::thread> threads;
    latch created;
    auto reader = run_thread(threads, [&] {
        zmqraii::socket s(ctx, zmqraii::socket_type::pull, "r");
        s.bind("inproc://many-stops");
        created.open();
        s.recv();
    });
    REQUIRE(created.wait_for(5s));
    std::atomic<int> ok{0};
    std::vector<std::thread> stoppers;
    for (int i = 0; i < 4; ++i)
        stoppers.emplace_back([&] {
            if (ctx.stop_for(10s)) ++ok;
        });
    for (auto& t : stoppers) t.join();
    CHECK(ok.load() == 4);
    ctx.stop();
    CHECK_THAT(reader.get(), contains("stopped"));
    join_all(threads);
}
