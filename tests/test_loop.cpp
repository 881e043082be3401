// SPDX-License-Identifier: MIT
// Tests of loop.hpp (C++17): socket, descriptor and mailbox handlers and their
// draining, timers (order, periodic, cancellation), post() and stop() from other
// threads, a context stop, handler exceptions, ownership and clear errors.
#include "catch.hpp"
#include "support.hpp"

#include <zmqraii/loop.hpp>
#include <zmqraii/zmqraii.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

// One test forks a child that starts a thread.
ZMQRAII_TEST_ALLOW_FORK_UNDER_TSAN();

using namespace std::chrono_literals;
using zmqraii_test::contains;
using zmqraii_test::error_of;
using zmqraii_test::pair_link;
using zmqraii_test::pipe_fds;

namespace {

// Ends a run() that a test expects to end by itself, after `limit`.
void stop_after(zmqraii::loop& loop, std::chrono::milliseconds limit, bool& timed_out) {
    loop.after(limit, [&loop, &timed_out] {
        timed_out = true;
        loop.stop();
    });
}

}  // namespace

// The number of iterations of run() is the number of calls of a handler on an
// always-readable pipe: it is called once per iteration.
struct iteration_counter {
    pipe_fds p;
    int iterations = 0;
    explicit iteration_counter(zmqraii::loop& loop) {
        p.poke();  // never drained
        loop.on_readable(p.read_end(), [this] { ++iterations; });
    }
};

TEST_CASE("a message handler gets every message, drained before the next poll", "[loop]") {
    zmqraii::context ctx;
    pair_link l(ctx, "msg");
    zmqraii::loop loop(ctx);
    for (int i = 0; i < 100; ++i) l.a.send(std::to_string(i));
    std::vector<std::string> got;
    loop.on_readable(l.b, [&](zmqraii::message& m) {
        got.push_back(m.to_string());
        if (got.size() == 100) loop.stop();
    });
    iteration_counter count(loop);
    bool timed_out = false;
    stop_after(loop, 5s, timed_out);
    loop.run();
    REQUIRE_FALSE(timed_out);
    REQUIRE(got.size() == 100);
    for (int i = 0; i < 100; ++i) CHECK(got[static_cast<std::size_t>(i)] == std::to_string(i));
    CHECK(count.iterations <= 1);  // one poll for a hundred messages
}

TEST_CASE("a message handler may take the message (message&&)", "[loop]") {
    zmqraii::context ctx;
    pair_link l(ctx, "msg-move");
    zmqraii::loop loop(ctx);
    l.a.send("one");
    l.a.send("two");
    std::vector<zmqraii::message> kept;
    loop.on_readable(l.b, [&](zmqraii::message&& m) {
        kept.push_back(std::move(m));
        if (kept.size() == 2) loop.stop();
    });
    loop.run();
    REQUIRE(kept.size() == 2);
    CHECK(kept[0].to_string() == "one");
    CHECK(kept[1].to_string() == "two");
}

TEST_CASE("a multipart handler gets whole messages", "[loop]") {
    zmqraii::context ctx;
    pair_link l(ctx, "multi");
    zmqraii::loop loop(ctx);
    zmqraii::send_multipart(l.a, zmqraii::multipart{"a", "b", "c"});
    zmqraii::send_multipart(l.a, zmqraii::multipart{"d"});
    std::vector<std::size_t> sizes;
    loop.on_readable(l.b, [&](zmqraii::multipart&& m) {
        sizes.push_back(m.size());
        if (sizes.size() == 2) loop.stop();
    });
    loop.run();
    CHECK(sizes == std::vector<std::size_t>{3, 1});
}

TEST_CASE("a readiness handler is called again while its socket stays readable", "[loop]") {
    zmqraii::context ctx;
    pair_link l(ctx, "ready");
    zmqraii::loop loop(ctx);
    for (int i = 0; i < 50; ++i) l.a.send("x");
    int calls = 0;
    loop.on_readable(l.b, [&] {
        (void)l.b.recv();  // one message per call: does not block here
        if (++calls == 50) loop.stop();
    });
    iteration_counter count(loop);
    loop.run();
    CHECK(calls == 50);
    CHECK(count.iterations <= 1);
    loop.remove(count.p.read_end());
    // Nothing is left: a further run with only a timer does not call it.
    loop.after(20ms, [&] { loop.stop(); });
    loop.run();
    CHECK(calls == 50);
}

TEST_CASE("a busy socket does not starve timers or other sockets", "[loop]") {
    zmqraii::context ctx;
    pair_link busy(ctx, "busy");
    pair_link quiet(ctx, "quiet");
    zmqraii::loop loop(ctx);
    bool quiet_seen = false;
    bool timer_seen = false;
    long busy_count = 0;
    // The busy handler sends one more message for every one it receives, so its
    // socket never runs dry; it ends the run once the others had their turn.
    busy.a.send("x");
    loop.on_readable(busy.b, [&](zmqraii::message&) {
        ++busy_count;
        busy.a.send("x");
        if (timer_seen && quiet_seen && busy_count > 1000) loop.stop();
    });
    loop.on_readable(quiet.b, [&](zmqraii::message&) { quiet_seen = true; });
    quiet.a.send("hello");
    loop.after(20ms, [&] { timer_seen = true; });
    bool timed_out = false;
    stop_after(loop, 20s, timed_out);
    loop.run();
    CHECK_FALSE(timed_out);
    CHECK(quiet_seen);
    CHECK(timer_seen);
}

TEST_CASE("descriptor and mailbox handlers", "[loop]") {
    zmqraii::context ctx;
    zmqraii::loop loop(ctx);

    SECTION("a descriptor handler is called while it is readable") {
        pipe_fds p;
        int calls = 0;
        loop.on_readable(p.read_end(), [&] {
            p.drain();
            if (++calls == 2) loop.stop();
            p.poke();
        });
        p.poke();
        loop.run();
        CHECK(calls == 2);
        CHECK(loop.contains(p.read_end()));
        loop.remove(p.read_end());
        CHECK_FALSE(loop.contains(p.read_end()));
    }

    SECTION("a mailbox handler gets every value, pushed from other threads") {
        zmqraii::mailbox<int> mb(ctx);
        int sum = 0;
        int n = 0;
        loop.on_readable(mb, [&](int&& v) {
            sum += v;
            if (++n == 300) loop.stop();
        });
        std::vector<std::thread> producers;
        for (int t = 0; t < 3; ++t)
            producers.emplace_back([&mb] {
                for (int i = 1; i <= 100; ++i) mb.push(int(i));
            });
        loop.run();
        for (auto& t : producers) t.join();
        CHECK(sum == 3 * 5050);
        loop.remove(mb);
        CHECK_FALSE(loop.contains(mb.fd()));
    }

    SECTION("a mailbox handler without argument pops by itself") {
        zmqraii::mailbox<std::string> mb;
        std::string got;
        loop.on_readable(mb, [&] {
            while (auto v = mb.try_pop()) got += *v;
            if (got.size() == 2) loop.stop();
        });
        mb.push("a");
        mb.push("b");
        loop.run();
        CHECK(got == "ab");
    }
}

TEST_CASE("timers run in deadline order, equal deadlines in the order added", "[loop][timer]") {
    zmqraii::context ctx;
    zmqraii::loop loop(ctx);
    std::vector<int> order;
    loop.after(30ms, [&] { order.push_back(3); });
    loop.after(10ms, [&] { order.push_back(1); });
    loop.after(20ms, [&] { order.push_back(2); });
    // Same deadline (zero): in the order added.
    loop.after(0ms, [&] { order.push_back(-2); });
    loop.after(0ms, [&] { order.push_back(-1); });
    loop.after(40ms, [&] { loop.stop(); });
    const auto t0 = std::chrono::steady_clock::now();
    loop.run();
    CHECK(std::chrono::steady_clock::now() - t0 >= 40ms);
    CHECK(order == std::vector<int>{-2, -1, 1, 2, 3});
    CHECK(loop.timers() == 0);
}

TEST_CASE("a timer never runs early", "[loop][timer]") {
    zmqraii::context ctx;
    zmqraii::loop loop(ctx);
    const auto t0 = std::chrono::steady_clock::now();
    std::chrono::steady_clock::duration waited{};
    loop.after(25ms, [&] {
        waited = std::chrono::steady_clock::now() - t0;
        loop.stop();
    });
    loop.run();
    CHECK(waited >= 25ms);
    CHECK(waited < 5s);
}

TEST_CASE("periodic timers, and cancellation", "[loop][timer]") {
    zmqraii::context ctx;
    zmqraii::loop loop(ctx);

    SECTION("every() repeats until cancelled, also from its own callback") {
        int ticks = 0;
        zmqraii::loop::timer t;
        t = loop.every(2ms, [&] {
            if (++ticks < 5) return;
            CHECK(loop.cancel(t));
            loop.after(20ms, [&] { loop.stop(); });  // time for a tick that should not come
        });
        bool timed_out = false;
        stop_after(loop, 20s, timed_out);
        loop.run();
        CHECK_FALSE(timed_out);
        CHECK(ticks == 5);
        CHECK_FALSE(loop.cancel(t));
    }

    SECTION("a cancelled timer does not run; cancel() says whether it was pending") {
        bool ran = false;
        auto t = loop.after(10ms, [&] { ran = true; });
        CHECK(loop.timers() == 1);
        CHECK(loop.cancel(t));
        CHECK_FALSE(loop.cancel(t));
        CHECK(loop.timers() == 0);
        auto done = loop.after(30ms, [&] { loop.stop(); });
        loop.run();
        CHECK_FALSE(ran);
        CHECK_FALSE(loop.cancel(done));  // it ran
        CHECK_FALSE(loop.cancel(zmqraii::loop::timer()));
    }

    SECTION("a timer may cancel another that is due in the same iteration") {
        std::vector<int> ran;
        zmqraii::loop::timer second;
        loop.after(5ms, [&] {
            ran.push_back(1);
            loop.cancel(second);
        });
        second = loop.after(5ms, [&] { ran.push_back(2); });
        loop.after(20ms, [&] { loop.stop(); });
        loop.run();
        CHECK(ran == std::vector<int>{1});
    }

    SECTION("timers added from timers; many cancelled timers are forgotten") {
        std::vector<zmqraii::loop::timer> many;
        for (int i = 0; i < 1000; ++i) many.push_back(loop.after(1h, [] {}));
        for (auto t : many) CHECK(loop.cancel(t));
        int chain = 0;
        std::function<void()> next = [&] {
            if (++chain < 10)
                loop.after(1ms, next);
            else
                loop.stop();
        };
        loop.after(1ms, next);
        loop.run();
        CHECK(chain == 10);
        CHECK(loop.timers() == 0);
    }

    SECTION("bad arguments") {
        CHECK(error_of([&] { loop.every(0ms, [] {}); }).first.value() == EINVAL);
        CHECK(error_of([&] { loop.after(1ms, nullptr); }).first.value() == EINVAL);
    }
}

TEST_CASE("post() runs functions on the loop's thread, in order", "[loop][post]") {
    zmqraii::context ctx;
    zmqraii::loop loop(ctx);
    zmqraii_test::watchdog dog(ctx, "post test", std::chrono::seconds(30));
    const auto loop_thread = std::this_thread::get_id();
    std::vector<int> order;
    bool all_on_loop_thread = true;
    loop.post([&] { order.push_back(0); });  // before run(): waits for it
    std::thread producer([&] {
        for (int i = 1; i <= 1000; ++i)
            loop.post([&, i] {
                all_on_loop_thread &= std::this_thread::get_id() == loop_thread;
                order.push_back(i);
                if (i == 1000) loop.stop();
            });
    });
    loop.run();
    producer.join();
    CHECK(all_on_loop_thread);
    REQUIRE(order.size() == 1001);
    for (int i = 0; i <= 1000; ++i) CHECK(order[static_cast<std::size_t>(i)] == i);
    CHECK(error_of([&] { loop.post(nullptr); }).first.value() == EINVAL);
}

TEST_CASE("stop() from a handler, from another thread, and before run()", "[loop][stop]") {
    zmqraii::context ctx;
    zmqraii::loop loop(ctx);

    SECTION("from a handler: run() returns once it returns; run() goes on later") {
        int runs = 0;
        loop.every(1ms, [&] {
            ++runs;
            loop.stop();
        });
        loop.run();
        CHECK(runs == 1);
        loop.run();
        CHECK(runs == 2);
    }

    SECTION("a stop() in a posted function leaves the functions behind it for later") {
        std::vector<int> ran;
        loop.post([&] {
            ran.push_back(1);
            loop.stop();
        });
        loop.post([&] { ran.push_back(2); });
        loop.run();
        CHECK(ran == std::vector<int>{1});
        loop.post([&] { loop.stop(); });
        loop.run();
        CHECK(ran == std::vector<int>{1, 2});
    }

    SECTION("from another thread, while run() waits") {
        zmqraii_test::latch running;
        loop.post([&] { running.open(); });
        std::thread stopper([&] {
            REQUIRE(running.wait_for(10s));
            loop.stop();
        });
        loop.run();
        stopper.join();
    }

    SECTION("before run(): the next run() returns at once") {
        loop.stop();
        bool ran = false;
        loop.after(0ms, [&] { ran = true; });
        loop.run();
        CHECK_FALSE(ran);
    }
}

TEST_CASE("a context stop ends run() with stopped, also with only timers", "[loop][stop]") {
    zmqraii::context ctx;
    zmqraii::loop loop(ctx);
    zmqraii_test::watchdog dog(ctx, "context stop of a loop", std::chrono::seconds(30));
    bool late = false;
    loop.after(1h, [&] { late = true; });

    SECTION("stopped by another thread") {
        std::thread stopper([&] {
            std::this_thread::sleep_for(20ms);
            ctx.request_stop();
        });
        REQUIRE_THROWS_AS(loop.run(), zmqraii::stopped);
        stopper.join();
    }
    SECTION("stopped from a handler") {
        loop.after(1ms, [&] { ctx.request_stop(); });
        REQUIRE_THROWS_AS(loop.run(), zmqraii::stopped);
    }
    SECTION("a handler's socket operation sees the stop first") {
        pair_link l(ctx, "stop-in-handler");
        loop.on_readable(l.b, [&](zmqraii::message&) {
            ctx.request_stop();
            l.b.send("x");  // throws stopped
        });
        l.a.send("go");
        REQUIRE_THROWS_AS(loop.run(), zmqraii::stopped);
    }
    CHECK_FALSE(late);
    // Every later run() throws too, at once.
    REQUIRE_THROWS_AS(loop.run(), zmqraii::stopped);
}

TEST_CASE("a server thread's loop ends at a context stop; its socket closes", "[loop][stop]") {
    zmqraii::context ctx;
    zmqraii_test::watchdog dog(ctx, "stop of a loop thread", std::chrono::seconds(30));
    zmqraii_test::latch serving;
    std::thread server([&] {
        zmqraii::socket rep(ctx, zmqraii::socket_type::rep, "loop server");
        rep.bind("inproc://loop-server");
        zmqraii::loop loop(ctx);
        loop.on_readable(rep, [&](zmqraii::message& m) { rep.send(m.to_string() + "!"); });
        loop.post([&] { serving.open(); });
        try {
            loop.run();
        } catch (const zmqraii::stopped&) {}
    });
    REQUIRE(serving.wait_for(10s));
    {
        zmqraii::socket req(ctx, zmqraii::socket_type::req);
        req.connect("inproc://loop-server");
        req.send("hi");
        CHECK(req.recv().to_string() == "hi!");
    }
    REQUIRE(ctx.stop_for(10s));
    server.join();
}

TEST_CASE("a handler's exception leaves run(); the loop stays usable", "[loop]") {
    zmqraii::context ctx;
    pair_link l(ctx, "throw");
    zmqraii::loop loop(ctx);
    int calls = 0;
    loop.on_readable(l.b, [&](zmqraii::message& m) {
        ++calls;
        if (m.to_string() == "bad") throw std::runtime_error("bad message");
        loop.stop();
    });
    l.a.send("bad");
    l.a.send("good");
    REQUIRE_THROWS_WITH(loop.run(), "bad message");
    loop.run();  // the good one
    CHECK(calls == 2);

    SECTION("a timer's and a posted function's exceptions too") {
        loop.after(0ms, [] { throw std::logic_error("timer"); });
        REQUIRE_THROWS_WITH(loop.run(), "timer");
        loop.post([] { throw std::logic_error("posted"); });
        loop.post([&] { loop.stop(); });
        REQUIRE_THROWS_WITH(loop.run(), "posted");
        loop.run();  // the second posted function is still there
    }
}

TEST_CASE("handlers remove and register handlers, their own included", "[loop]") {
    zmqraii::context ctx;
    pair_link l(ctx, "self-remove");
    pair_link m(ctx, "other");
    zmqraii::loop loop(ctx);
    int a_calls = 0;
    int b_calls = 0;
    loop.on_readable(l.b, [&](zmqraii::message&) {
        ++a_calls;
        loop.remove(l.b);  // itself: the loop calls it no more
        CHECK(error_of([&] { loop.on_readable(l.b, [](zmqraii::message&) {}); }).first.value() ==
              EINVAL);
        loop.post([&] {  // re-register from outside the handler
            loop.on_readable(l.b, [&](zmqraii::message&) {
                ++b_calls;
                loop.stop();
            });
        });
    });
    l.a.send("1");
    l.a.send("2");
    loop.run();
    CHECK(a_calls == 1);
    CHECK(b_calls == 1);
    CHECK(loop.size() == 1);
    loop.remove(l.b);
    CHECK(loop.size() == 0);
    CHECK(error_of([&] { loop.remove(l.b); }).first.value() == EINVAL);
    (void)m;
}

TEST_CASE("clear errors", "[loop][errors]") {
    zmqraii::context ctx;
    zmqraii::loop loop(ctx);
    pair_link l(ctx, "errors");

    SECTION("empty handlers, double registration, bad descriptors") {
        std::function<void()> empty;
        CHECK(error_of([&] { loop.on_readable(l.b, empty); }).first.value() == EINVAL);
        CHECK(error_of([&] { loop.on_readable(-1, [] {}); }).first.value() == EBADF);
        CHECK(error_of([&] { loop.on_readable(0, nullptr); }).first.value() == EINVAL);
        loop.on_readable(l.b, [] {});
        auto [code, text] = error_of([&] { loop.on_readable(l.b, [] {}); });
        CHECK(code.value() == EINVAL);
        CHECK_THAT(text, contains("registered already"));
    }

    SECTION("a socket closed while it has a handler: run() names it") {
        loop.on_readable(l.b, [] {});
        l.b.close();
        auto [code, text] = error_of([&] { loop.run(); });
        CHECK(code.value() == ENOTSOCK);
        CHECK_THAT(text, contains("errors b"));
        loop.remove(l.b);
    }

    SECTION("run() from inside the loop") {
        loop.post([&] { loop.run(); });
        CHECK(error_of([&] { loop.run(); }).first.value() == EINVAL);
    }

    SECTION("this_loop() outside a running loop; inside, the loop") {
        CHECK(error_of([] { (void)zmqraii::this_loop(); }).first.value() == EINVAL);
        zmqraii::loop* seen = nullptr;
        loop.post([&] {
            seen = &zmqraii::this_loop();
            loop.stop();
        });
        loop.run();
        CHECK(seen == &loop);
    }

    SECTION("a moved-from loop") {
        zmqraii::loop other(std::move(loop));
        CHECK_FALSE(loop);
        CHECK(error_of([&] { loop.post([] {}); }).first.value() == EFAULT);
        CHECK(error_of([&] { loop.run(); }).first.value() == EFAULT);
        other.post([&] { other.stop(); });
        other.run();
    }
}

TEST_CASE("a loop belongs to its thread", "[loop][thread]") {
    zmqraii::context ctx;
    zmqraii::loop loop(ctx);
    zmqraii::socket mine(ctx, zmqraii::socket_type::pull);
    std::thread other([&] {
        CHECK_THROWS_AS(loop.run(), zmqraii::wrong_thread);
        CHECK_THROWS_AS(loop.after(1ms, [] {}), zmqraii::wrong_thread);
        try {
            loop.on_readable(mine, [] {});
            FAIL("expected wrong_thread");
        } catch (const zmqraii::wrong_thread& e) {
            CHECK_THAT(e.what(), contains("loop on_readable"));
            CHECK_THAT(e.what(), contains("test_loop.cpp"));  // where the loop was created
        }
        // post() and stop() are for any thread.
        loop.post([&] { loop.stop(); });
        CHECK(loop.owner() != std::this_thread::get_id());
    });
    other.join();
    loop.run();
    CHECK(loop.owner() == std::this_thread::get_id());

    SECTION("a socket of another thread cannot be registered") {
        zmqraii_test::latch created;
        zmqraii_test::latch tried;
        zmqraii::socket* theirs = nullptr;
        std::thread t([&] {
            zmqraii::socket s(ctx, zmqraii::socket_type::pull, "theirs");
            theirs = &s;
            created.open();
            REQUIRE(tried.wait_for(10s));
        });
        REQUIRE(created.wait_for(10s));
        CHECK_THROWS_AS(loop.on_readable(*theirs, [] {}), zmqraii::wrong_thread);
        tried.open();
        t.join();
    }
}

TEST_CASE("a loop destroyed on the wrong thread is reported, not touched", "[loop][thread]") {
    // In a child process: the loop is kept (never touched again, never freed),
    // and so its context cannot be freed either; the child ends without
    // stopping it (a stop's thread that is never joined would be a leak to
    // ThreadSanitizer).
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int failures = 0;
        auto* ctx = new zmqraii::context;  // NOLINT: left to the child's exit
        zmqraii_test::captured_diagnostics diags;
        auto loop = std::make_unique<zmqraii::loop>(*ctx);
        std::thread other([&] { loop.reset(); });
        other.join();
        const auto list = diags.list();
        if (list.size() != 1 || list[0].level != zmqraii::severity::fatal ||
            list[0].text.find("loop destroyed on the wrong thread") == std::string::npos)
            ++failures;
        if (ctx->live_sockets().size() != 1) ++failures;  // its idle socket: still there
        ::_exit(failures == 0 ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
