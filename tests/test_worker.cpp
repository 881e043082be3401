// SPDX-License-Identifier: MIT
// worker: the start handshake, startup exceptions rethrown by the constructor,
// stop of one worker while the context keeps running, context stop ending every
// worker, a parent blocked in a pipe receive, exceptions collected by join() and
// stop(), and 1,000 start/stop cycles that leave no socket behind.
#include <zmqraii/context.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/socket.hpp>
#include <zmqraii/worker.hpp>

#include "catch.hpp"
#include "support.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

using zmqraii_test::contains;

namespace {

using namespace std::chrono_literals;

constexpr auto must_happen = 10s;

// Echoes every part it receives on its pipe, keeping multipart boundaries.
void echo(zmqraii::worker_context& wc) {
    wc.ready();
    for (;;) {
        zmqraii::message m = wc.pipe().recv();  // throws stopped on stop()
        const auto flags = m.more() ? zmqraii::send_flags::more : zmqraii::send_flags::none;
        wc.pipe().send(std::move(m), flags);
    }
}

}  // namespace

TEST_CASE("worker is move-only; an empty worker does nothing", "[worker]") {
    STATIC_REQUIRE(!std::is_copy_constructible_v<zmqraii::worker>);
    STATIC_REQUIRE(!std::is_copy_assignable_v<zmqraii::worker>);
    STATIC_REQUIRE(std::is_nothrow_move_constructible_v<zmqraii::worker>);
    STATIC_REQUIRE(std::is_nothrow_move_assignable_v<zmqraii::worker>);
    zmqraii::worker empty;
    CHECK_FALSE(empty.joinable());
    empty.stop();
    empty.join();

    zmqraii::context ctx;
    zmqraii::worker a(ctx, "a", echo);
    zmqraii::worker b(std::move(a));
    CHECK_FALSE(a.joinable());  // NOLINT(bugprone-use-after-move): testing the moved-from state
    b.pipe().send("hi");
    CHECK(b.pipe().recv().to_string() == "hi");
    b.stop();
    CHECK(ctx.live_sockets().empty());
}

TEST_CASE("worker constructor returns only once the body is ready", "[worker]") {
    zmqraii::context ctx;
    bool bound = false;  // plain bool: the handshake orders the write and the read
    zmqraii::worker w(ctx, "server", [&bound](zmqraii::worker_context& wc) {
        zmqraii::socket rep(wc.context(), zmqraii::socket_type::rep, "server rep");
        // Startup that takes a while: a constructor that did not wait would see
        // bound == false (and ThreadSanitizer a race).
        std::this_thread::sleep_for(20ms);
        rep.bind("inproc://worker-handshake");
        bound = true;
        wc.ready();
        for (;;) {
            zmqraii::message m = rep.recv();
            rep.send(m.to_string() + " back");
        }
    });
    REQUIRE(bound);
    CHECK(w.name() == "worker 'server'");

    zmqraii::socket req(ctx, zmqraii::socket_type::req);
    req.connect("inproc://worker-handshake");
    req.send("hello");
    REQUIRE(req.recv().to_string() == "hello back");
    // The body blocks in rep.recv() and does not watch its pipe: the context's
    // stop is what ends it (w.stop() alone would wait for it).
    ctx.stop();
    w.stop();  // joins; the body ended with stopped
    CHECK(ctx.terminated());
}

TEST_CASE("worker rethrows the body's startup exception in the parent", "[worker]") {
    zmqraii::context ctx;
    REQUIRE_THROWS_WITH(zmqraii::worker(ctx, "broken",
                                        [](zmqraii::worker_context& wc) {
                                            zmqraii::socket s(wc.context(),
                                                              zmqraii::socket_type::pull);
                                            s.bind("inproc://worker-startup");
                                            throw std::runtime_error("no config file");
                                        }),
                        "no config file");
    // The thread was joined and both ends of the pipe, and the body's socket, are gone.
    CHECK(ctx.live_sockets().empty());

    // A failing bind is the usual case: the error names the endpoint.
    zmqraii::socket taken(ctx, zmqraii::socket_type::pull);
    taken.bind("inproc://worker-taken");
    REQUIRE_THROWS_WITH(zmqraii::worker(ctx,
                                        [](zmqraii::worker_context& wc) {
                                            zmqraii::socket s(wc.context(),
                                                              zmqraii::socket_type::pull);
                                            s.bind("inproc://worker-taken");
                                            wc.ready();
                                        }),
                        contains("inproc://worker-taken"));
}

TEST_CASE("worker on a stopping context: the constructor throws stopped", "[worker][stop]") {
    zmqraii::context ctx;
    ctx.stop();
    REQUIRE_THROWS_AS(zmqraii::worker(ctx, echo), zmqraii::stopped);
}

TEST_CASE("worker whose body returns before ready: constructor returns, join is clean",
          "[worker]") {
    zmqraii::context ctx;
    std::atomic<int> runs{0};
    zmqraii::worker w(ctx, [&](zmqraii::worker_context&) { ++runs; });
    CHECK(runs == 1);
    CHECK(w.ended());
    w.join();
    CHECK(ctx.live_sockets().empty());
}

TEST_CASE("worker stop ends one worker while the context keeps running", "[worker][stop]") {
    zmqraii::context ctx;
    std::atomic<bool> a_saw_stop{false};
    zmqraii::worker a(ctx, "a", [&](zmqraii::worker_context& wc) {
        wc.ready();
        try {
            for (;;) wc.pipe().recv();
        } catch (const zmqraii::stopped& e) {
            a_saw_stop =
                std::string(e.what()).find("asked the worker to stop") != std::string::npos;
            throw;
        }
    });
    zmqraii::worker b(ctx, "b", echo);
    REQUIRE(ctx.live_sockets().size() == 4);

    a.stop();
    CHECK(a_saw_stop);
    CHECK_FALSE(a.joinable());
    CHECK_FALSE(ctx.stopping());
    CHECK(ctx.live_sockets().size() == 2);  // a's two pipe ends are closed

    b.pipe().send("still here");
    CHECK(b.pipe().recv().to_string() == "still here");
    b.stop();
    CHECK(ctx.live_sockets().empty());
    CHECK_FALSE(ctx.stopping());
}

TEST_CASE("worker body that polls stop_requested() ends on stop()", "[worker][stop]") {
    zmqraii::context ctx;
    std::atomic<int> rounds{0};
    zmqraii::socket sink(ctx, zmqraii::socket_type::pull);
    sink.bind("inproc://worker-poll");
    zmqraii::worker w(ctx, [&](zmqraii::worker_context& wc) {
        zmqraii::socket out(wc.context(), zmqraii::socket_type::push);
        out.connect("inproc://worker-poll");
        wc.ready();
        while (!wc.stop_requested()) {
            (void)out.send_for(std::string_view("tick"), 10ms);
            ++rounds;
        }
    });
    REQUIRE(sink.recv_for(must_happen));  // it runs
    w.stop();
    CHECK(rounds > 0);
    CHECK(w.ended());
}

TEST_CASE("context stop stops every worker; destructors then only join", "[worker][stop]") {
    zmqraii::context ctx;
    std::atomic<int> saw_stopped{0};
    std::vector<zmqraii::worker> workers;
    for (int i = 0; i < 4; ++i)
        workers.emplace_back(ctx, "blocked " + std::to_string(i),
                             [&saw_stopped, i](zmqraii::worker_context& wc) {
                                 zmqraii::socket in(wc.context(), zmqraii::socket_type::pull);
                                 in.bind("inproc://worker-blocked-" + std::to_string(i));
                                 wc.ready();
                                 try {
                                     in.recv();  // blocks: nothing is ever sent
                                 } catch (const zmqraii::stopped&) {
                                     ++saw_stopped;
                                     throw;
                                 }
                             });
    ctx.stop();  // wakes the workers and closes every socket; waits for no thread
    CHECK(ctx.terminated());
    for (auto& w : workers) w.join();  // the bodies end with stopped: nothing thrown
    CHECK(saw_stopped == 4);
    for (auto& w : workers) CHECK(w.ended());
    workers.clear();  // joined already: nothing to do
}

TEST_CASE("context stop while the parent is blocked in a pipe receive", "[worker][stop]") {
    zmqraii::context ctx;
    zmqraii::worker w(ctx, "silent", [](zmqraii::worker_context& wc) {
        wc.ready();
        for (;;) wc.pipe().recv();  // never replies
    });
    std::promise<void> receiving;
    auto stopper = std::async(std::launch::async, [&] {
        receiving.get_future().wait();
        // Give the parent a moment to block in recv (the outcome is the same if
        // the stop comes first: recv throws stopped at once).
        std::this_thread::sleep_for(20ms);
        ctx.stop();
    });
    receiving.set_value();
    REQUIRE_THROWS_AS(w.pipe().recv(), zmqraii::stopped);
    w.stop();  // closes the parent end, which the stopper's ctx.stop() waits for
    REQUIRE(stopper.wait_for(must_happen) == std::future_status::ready);
    stopper.get();
    CHECK(ctx.terminated());
}

TEST_CASE("the worker ending wakes a parent blocked in a pipe receive", "[worker][stop]") {
    zmqraii::context ctx;
    SECTION("body returns") {
        zmqraii::worker w(ctx, [](zmqraii::worker_context& wc) {
            wc.pipe().recv();  // "go", then end without replying
        });
        w.pipe().send("go");
        REQUIRE_THROWS_WITH(w.pipe().recv(), contains("the worker has ended"));
        REQUIRE_THROWS_AS(w.pipe().recv(), zmqraii::stopped);           // at once, again
        REQUIRE_THROWS_AS(w.pipe().send("anyone?"), zmqraii::stopped);  // does not block
        w.join();
    }
    SECTION("body throws: recv wakes, join rethrows") {
        zmqraii::worker w(ctx, [](zmqraii::worker_context& wc) {
            wc.pipe().recv();
            throw std::logic_error("bad request");
        });
        w.pipe().send("go");
        REQUIRE_THROWS_AS(w.pipe().recv(), zmqraii::stopped);
        REQUIRE_THROWS_WITH(w.join(), "bad request");
        w.join();  // once only
    }
    CHECK(ctx.live_sockets().empty());
}

TEST_CASE("stop() rethrows an exception that left the body", "[worker]") {
    zmqraii::context ctx;
    zmqraii::worker w(ctx, [](zmqraii::worker_context& wc) {
        wc.ready();
        throw std::out_of_range("index 7");
    });
    REQUIRE_THROWS_AS(w.stop(), std::out_of_range);
    CHECK_FALSE(w.joinable());
    w.stop();  // nothing left to rethrow
}

TEST_CASE("worker destructor reports an exception nobody collected", "[worker]") {
    zmqraii_test::captured_diagnostics rec;
    zmqraii::context ctx;
    {
        zmqraii::worker w(ctx, "careless", [](zmqraii::worker_context& wc) {
            wc.ready();
            throw std::runtime_error("lost result");
        });
    }
    auto r = rec.list();
    REQUIRE(r.size() == 1);
    CHECK(r[0].level == zmqraii::severity::report);
    CHECK_THAT(r[0].text, contains("worker 'careless'"));
    CHECK_THAT(r[0].text, contains("lost result"));
}

#if ZMQRAII_THREAD_CHECKS  // the owner check is what throws wrong_thread
TEST_CASE("worker stop from another thread throws wrong_thread and stops nothing",
          "[worker][threads]") {
    zmqraii::context ctx;
    zmqraii::worker w(ctx, echo);
    auto other = std::async(std::launch::async, [&] { w.stop(); });
    REQUIRE_THROWS_AS(other.get(), zmqraii::wrong_thread);
    CHECK(w.joinable());
    w.pipe().send("alive");
    CHECK(w.pipe().recv().to_string() == "alive");
}
#endif

TEST_CASE("worker pipe carries multipart messages; headers stay invisible", "[worker]") {
    zmqraii::context ctx;
    zmqraii::worker w(ctx, echo);
    w.pipe().send("one", zmqraii::send_flags::more);
    w.pipe().send("", zmqraii::send_flags::more);
    w.pipe().send(zmqraii::message(std::string("s")));  // looks like a stop frame: is not
    w.pipe().send("d");                                 // looks like an end frame: is not
    zmqraii::message a = w.pipe().recv();
    zmqraii::message b = w.pipe().recv();
    zmqraii::message c = w.pipe().recv();
    zmqraii::message d = w.pipe().recv();
    CHECK(a.to_string() == "one");
    CHECK(a.more());
    CHECK(b.empty());
    CHECK(b.more());
    CHECK(c.to_string() == "s");
    CHECK_FALSE(c.more());
    CHECK(d.to_string() == "d");
    CHECK_FALSE(d.more());
    CHECK_FALSE(w.pipe().try_recv());
    CHECK_FALSE(w.pipe().recv_for(10ms));
    w.stop();
}

TEST_CASE("worker pipe verbs take what socket verbs take", "[worker]") {
    zmqraii::context ctx;
    zmqraii::worker w(ctx, echo);
    const std::vector<char> vec{'v', 'e', 'c'};
    w.pipe().send(vec);
    REQUIRE(w.pipe().try_send("try"));
    REQUIRE(w.pipe().send_for(std::string("for"), 1s));
    REQUIRE(w.pipe().send_for(zmqraii::message("msg"), 1s));
    w.pipe().send(zmqraii::multipart{"p1", "p2"});
    REQUIRE(w.pipe().try_send(zmqraii::multipart{"q1", "q2"}));
    REQUIRE(w.pipe().send_for(zmqraii::multipart{"r1", "r2"}, 1s));
    for (const char* want : {"vec", "try", "for", "msg"}) {
        zmqraii::message m = w.pipe().recv();
        CHECK(m.to_string() == want);
        CHECK_FALSE(m.more());
    }
    for (const char* first : {"p1", "q1", "r1"}) {
        zmqraii::message a = w.pipe().recv();
        CHECK(a.to_string() == first);
        CHECK(a.more());
        CHECK_FALSE(w.pipe().recv().more());
    }
    CHECK_THROWS_WITH(w.pipe().send(zmqraii::multipart{}), contains("at least one part"));
    w.stop();
}

TEST_CASE("stop does not deadlock against a worker blocked sending to the parent",
          "[worker][stop]") {
    zmqraii::context ctx;
    std::atomic<int> sent{0};
    zmqraii::worker w(ctx, [&](zmqraii::worker_context& wc) {
        wc.ready();
        for (;;) {  // far beyond the pipe's high-water mark: blocks in send
            wc.pipe().send("result");
            ++sent;
        }
    });
    REQUIRE(w.pipe().recv().to_string() == "result");
    w.stop();  // drains what the worker sent, so the worker reaches the stop notice
    CHECK(sent > 0);
    CHECK(ctx.live_sockets().empty());
}

#if ZMQRAII_HAS_STOP_TOKEN
TEST_CASE("worker body may take a std::stop_token", "[worker][stop]") {
    zmqraii::context ctx;
    std::atomic<bool> token_seen{false};
    zmqraii::worker w(ctx, [&](zmqraii::worker_context& wc, std::stop_token token) {
        wc.ready();
        while (!token.stop_requested()) std::this_thread::yield();
        token_seen = true;
    });
    w.stop();
    CHECK(token_seen);
}
#endif

TEST_CASE("1,000 worker start/stop cycles leave no socket and no thread", "[worker][stress]") {
    zmqraii::context ctx;
    const auto start = std::chrono::steady_clock::now();
    int answered = 0;
    for (int i = 0; i < 1000; ++i) {
        zmqraii::worker w(ctx, "cycle", echo);
        const std::string text = std::to_string(i);
        w.pipe().send(text);
        if (w.pipe().recv().to_string() == text) ++answered;
        if (i % 2 == 0) w.stop();  // the other half: the destructor stops it
    }
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(answered == 1000);
    CHECK(ctx.live_sockets().empty());
    CHECK(took < 20s);
    INFO("1,000 cycles took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                              << " ms");
    CHECK(ctx.stop_for(must_happen));
}
