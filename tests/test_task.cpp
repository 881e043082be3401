// SPDX-License-Identifier: MIT
// Tests of task.hpp (C++20; tests/CMakeLists.txt builds this file only where
// ZMQRAII_HAS_COROUTINES): tasks, every awaitable (async_recv, async_recv(m),
// async_recv_multipart, async_send, async_pop, sleep_for), their suspension and
// resumption, stops while suspended, a thousand tasks on one loop, and errors.
#include "catch.hpp"
#include "support.hpp"

#include <zmqraii/loop.hpp>
#include <zmqraii/task.hpp>
#include <zmqraii/zmqraii.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

static_assert(ZMQRAII_HAS_COROUTINES, "test_task is built only with coroutines");

using namespace std::chrono_literals;
using zmqraii::task;
using zmqraii_test::contains;
using zmqraii_test::error_of;
using zmqraii_test::pair_link;

namespace {

// Counts live instances: frames that unwind destroy theirs.
struct tracked {
    static inline int alive = 0;
    tracked() { ++alive; }
    tracked(const tracked&) = delete;
    tracked& operator=(const tracked&) = delete;
    ~tracked() { --alive; }
};

// Runs `loop` until it stops, failing (and stopping it) after `limit`.
void run_bounded(zmqraii::loop& loop, std::chrono::seconds limit = 20s) {
    bool timed_out = false;
    auto t = loop.after(limit, [&] {
        timed_out = true;
        loop.stop();
    });
    loop.run();
    loop.cancel(t);
    REQUIRE_FALSE(timed_out);
}

task<int> add(int a, int b) { co_return a + b; }

task<int> add_three(int a) {
    const int x = co_await add(a, 1);
    const int y = co_await add(x, 1);
    co_return co_await add(y, 1);
}

task<void> fails() {
    co_await zmqraii::this_loop().sleep_for(0ms);
    throw std::runtime_error("task failed");
}

}  // namespace

TEST_CASE("tasks compose, return values and propagate exceptions", "[task]") {
    zmqraii::context ctx;
    zmqraii::loop loop(ctx);
    int result = 0;
    std::string caught;
    loop.spawn([](int& r, std::string& c) -> task<void> {
        r = co_await add_three(1);
        try {
            co_await fails();
        } catch (const std::runtime_error& e) {
            c = e.what();
        }
        zmqraii::this_loop().stop();
    }(result, caught));
    CHECK(loop.tasks() == 1);
    run_bounded(loop);
    CHECK(result == 4);
    CHECK(caught == "task failed");
    CHECK(loop.tasks() == 0);
}

TEST_CASE("a loop of tasks that complete at once does not grow the stack", "[task]") {
    zmqraii::context ctx;
    zmqraii::loop loop(ctx);
    long sum = 0;
    loop.spawn([](long& s) -> task<void> {
        for (int i = 0; i < 1000000; ++i) s += co_await add(i, 0) >= 0 ? 1 : 0;
        zmqraii::this_loop().stop();
    }(sum));
    run_bounded(loop);
    CHECK(sum == 1000000);
}

TEST_CASE("an empty or twice-awaited task is a clear error", "[task][errors]") {
    zmqraii::context ctx;
    zmqraii::loop loop(ctx);
    std::vector<int> codes;
    loop.spawn([](std::vector<int>& out) -> task<void> {
        task<int> empty;
        try {
            (void)co_await empty;
        } catch (const zmqraii::error& e) {
            out.push_back(e.code().value());
        }
        task<int> once = add(1, 2);
        (void)co_await once;
        try {
            (void)co_await once;
        } catch (const zmqraii::error& e) {
            out.push_back(e.code().value());
        }
        zmqraii::this_loop().stop();
    }(codes));
    run_bounded(loop);
    CHECK(codes == std::vector<int>{EINVAL, EINVAL});
    CHECK(error_of([&] { loop.spawn(task<void>()); }).first.value() == EINVAL);
}

TEST_CASE("async_recv and async_send suspend only when they would block", "[task][socket]") {
    zmqraii::context ctx;
    pair_link l(ctx, "ping");
    zmqraii::loop loop(ctx);
    std::vector<std::string> log;
    // The pinger sends first; the ponger must wait for it (it suspends).
    loop.spawn([](zmqraii::socket& s, std::vector<std::string>& out) -> task<void> {
        for (int i = 0; i < 100; ++i) {
            zmqraii::message m = co_await s.async_recv();
            out.push_back("pong got " + m.to_string());
            co_await s.async_send(std::move(m));
        }
    }(l.b, log));
    loop.spawn([](zmqraii::socket& s, std::vector<std::string>& out) -> task<void> {
        for (int i = 0; i < 100; ++i) {
            co_await s.async_send(std::to_string(i));
            zmqraii::message back;
            const std::size_t n = co_await s.async_recv(back);
            CHECK(n == back.size());
            out.push_back("ping got " + back.to_string());
        }
        zmqraii::this_loop().stop();
    }(l.a, log));
    run_bounded(loop);
    REQUIRE(log.size() == 200);
    CHECK(log[0] == "pong got 0");
    CHECK(log[1] == "ping got 0");
    CHECK(log[199] == "ping got 99");
}

TEST_CASE("async_recv_multipart and a multipart async_send: whole messages", "[task][socket]") {
    zmqraii::context ctx;
    zmqraii::socket router(ctx, zmqraii::socket_type::router, "router");
    zmqraii::socket dealer(ctx, zmqraii::socket_type::dealer, "dealer");
    router.bind("inproc://task-router");
    dealer.connect("inproc://task-router");
    zmqraii::loop loop(ctx);
    std::vector<std::string> replies;
    loop.spawn([](zmqraii::socket& r) -> task<void> {
        for (;;) {
            zmqraii::multipart req = co_await r.async_recv_multipart();
            zmqraii::multipart reply;
            reply.push_back(std::move(req[0]));  // the routing id
            reply.push_back("re: " + req[1].to_string());
            co_await r.async_send(std::move(reply));
        }
    }(router));
    loop.spawn([](zmqraii::socket& d, std::vector<std::string>& out) -> task<void> {
        for (int i = 0; i < 10; ++i) {
            zmqraii::multipart
                request;  // not a braced temporary: g++ 12 fails on one in a coroutine
            request.push_back(std::to_string(i));
            co_await d.async_send(std::move(request));
            zmqraii::multipart m = co_await d.async_recv_multipart();
            out.push_back(m[0].to_string());
        }
        zmqraii::this_loop().stop();
    }(dealer, replies));
    run_bounded(loop);
    REQUIRE(replies.size() == 10);
    CHECK(replies[3] == "re: 3");
}

TEST_CASE("async_send waits while the high-water mark is reached", "[task][socket]") {
    zmqraii::context ctx;
    zmqraii::socket push(ctx, zmqraii::socket_type::push, "push");
    zmqraii::socket pull(ctx, zmqraii::socket_type::pull, "pull");
    push.set(zmqraii::option::sndhwm, 1);
    pull.set(zmqraii::option::rcvhwm, 1);
    push.bind("inproc://task-hwm");
    pull.connect("inproc://task-hwm");
    zmqraii::loop loop(ctx);
    int sent = 0;
    int received = 0;
    loop.spawn([](zmqraii::socket& s, int& n) -> task<void> {
        for (int i = 0; i < 200; ++i) {
            co_await s.async_send("x");
            ++n;
        }
    }(push, sent));
    // The receiver starts late: the sender has to wait on POLLOUT meanwhile.
    loop.spawn([](zmqraii::socket& s, int& n, int& sent_so_far) -> task<void> {
        co_await zmqraii::this_loop().sleep_for(20ms);
        CHECK(sent_so_far < 200);
        for (int i = 0; i < 200; ++i) {
            (void)co_await s.async_recv();
            ++n;
        }
        zmqraii::this_loop().stop();
    }(pull, received, sent));
    run_bounded(loop);
    CHECK(sent == 200);
    CHECK(received == 200);
}

TEST_CASE("sleep_for: deadline order, zero yields, never early", "[task][timer]") {
    zmqraii::context ctx;
    zmqraii::loop loop(ctx);
    std::vector<int> order;
    auto sleeper = [](std::vector<int>& out, int ms) -> task<void> {
        const auto t0 = std::chrono::steady_clock::now();
        co_await zmqraii::this_loop().sleep_for(std::chrono::milliseconds(ms));
        CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(ms));
        out.push_back(ms);
    };
    loop.spawn(sleeper(order, 30));
    loop.spawn(sleeper(order, 10));
    loop.spawn(sleeper(order, 20));
    loop.spawn(sleeper(order, 0));
    loop.after(200ms, [&] { loop.stop(); });
    run_bounded(loop);
    CHECK(order == std::vector<int>{0, 10, 20, 30});

    SECTION("two tasks that yield take turns") {
        std::string turns;
        auto yielder = [](std::string& out, char c) -> task<void> {
            for (int i = 0; i < 3; ++i) {
                out += c;
                co_await zmqraii::this_loop().sleep_for(0ms);
            }
        };
        loop.spawn(yielder(turns, 'a'));
        loop.spawn(yielder(turns, 'b'));
        loop.after(20ms, [&] { loop.stop(); });
        run_bounded(loop);
        CHECK(turns == "ababab");
    }
}

TEST_CASE("async_pop: values from other threads; empty once closed", "[task][mailbox]") {
    zmqraii::context ctx;
    zmqraii::loop loop(ctx);
    zmqraii_test::watchdog dog(ctx, "async_pop test", std::chrono::seconds(30));
    zmqraii::mailbox<int> mb(ctx, 16);
    long sum = 0;
    bool ended = false;
    loop.spawn([](zmqraii::mailbox<int>& box, long& s, bool& end) -> task<void> {
        while (std::optional<int> v = co_await box.async_pop()) s += *v;
        end = true;  // closed and empty
        zmqraii::this_loop().stop();
    }(mb, sum, ended));
    std::thread producer([&] {
        for (int i = 1; i <= 1000; ++i) mb.push(int(i));
        mb.close();
    });
    run_bounded(loop);
    producer.join();
    CHECK(ended);
    CHECK(sum == 500500);
}

TEST_CASE("a thousand tasks on one loop", "[task][many]") {
    zmqraii::context ctx;
    zmqraii::loop loop(ctx);
    zmqraii::socket push(ctx, zmqraii::socket_type::push, "many push");
    zmqraii::socket pull(ctx, zmqraii::socket_type::pull, "many pull");
    pull.bind("inproc://task-many");
    push.connect("inproc://task-many");
    zmqraii::mailbox<int> mb(ctx, 2000);
    constexpr int n = 1000;
    int received = 0;
    int popped = 0;
    int slept = 0;
    // n tasks wait on one socket (each gets one message, in order of waiting),
    // n on one mailbox, n sleep for different times; one task feeds them.
    for (int i = 0; i < n; ++i) {
        loop.spawn([](zmqraii::socket& s, int& count) -> task<void> {
            (void)co_await s.async_recv();
            ++count;
        }(pull, received));
        loop.spawn([](zmqraii::mailbox<int>& box, int& count) -> task<void> {
            if (co_await box.async_pop()) ++count;
        }(mb, popped));
        loop.spawn([](int ms, int& count) -> task<void> {
            tracked t;
            co_await zmqraii::this_loop().sleep_for(std::chrono::milliseconds(ms));
            ++count;
        }(i % 20, slept));
    }
    CHECK(loop.tasks() == 3 * n);
    loop.spawn([](zmqraii::socket& s, zmqraii::mailbox<int>& box) -> task<void> {
        co_await zmqraii::this_loop().sleep_for(5ms);  // every other task waits by now
        for (int i = 0; i < n; ++i) {
            co_await s.async_send("m");
            box.push(int(i));
        }
    }(push, mb));
    loop.every(5ms, [&] {
        if (loop.tasks() == 0) loop.stop();
    });
    run_bounded(loop);
    CHECK(received == n);
    CHECK(popped == n);
    CHECK(slept == n);
    CHECK(tracked::alive == 0);
}

TEST_CASE("a context stop resumes every suspended awaitable with stopped", "[task][stop]") {
    zmqraii::context ctx;
    zmqraii_test::watchdog dog(ctx, "stop while suspended", std::chrono::seconds(30));
    zmqraii::loop loop(ctx);
    zmqraii::mailbox<int> mb(ctx);
    int stopped_count = 0;
    auto waits = [](int& count, auto op) -> task<void> {
        tracked t;
        bool stopped = false;
        try {
            co_await op();
        } catch (const zmqraii::stopped&) {
            stopped = true;
        }
        if (!stopped) co_return;
        ++count;
        try {  // awaiting again after the stop throws at once
            co_await zmqraii::this_loop().sleep_for(1h);
        } catch (const zmqraii::stopped&) {
            ++count;
        }
    };
    // Every kind of awaitable: a socket (recv, send at the high-water mark, a
    // multipart recv), a mailbox, a sleep; each frame owns a socket that closes
    // as the frame unwinds.
    std::vector<std::unique_ptr<zmqraii::socket>> sockets;
    for (int i = 0; i < 3; ++i) {
        sockets.push_back(std::make_unique<zmqraii::socket>(ctx, zmqraii::socket_type::pull));
        sockets.back()->bind("inproc://task-stop-" + std::to_string(i));
    }
    zmqraii::socket full(ctx, zmqraii::socket_type::push, "full");  // no peer: never writable
    auto& s0 = *sockets[0];
    auto& s1 = *sockets[1];
    loop.spawn(waits(stopped_count, [&]() -> task<void> { (void)co_await s0.async_recv(); }));
    loop.spawn(
        waits(stopped_count, [&]() -> task<void> { (void)co_await s1.async_recv_multipart(); }));
    loop.spawn(waits(stopped_count, [&]() -> task<void> { co_await full.async_send("x"); }));
    loop.spawn(waits(stopped_count, [&]() -> task<void> { (void)co_await mb.async_pop(); }));
    loop.spawn(
        waits(stopped_count, [&]() -> task<void> { co_await zmqraii::this_loop().sleep_for(1h); }));
    loop.spawn([](zmqraii::context& c) -> task<void> {
        zmqraii::socket own(c, zmqraii::socket_type::dealer, "frame's own");  // closes on unwind
        co_await zmqraii::this_loop().sleep_for(1h);
    }(ctx));
    std::thread stopper([&] {
        std::this_thread::sleep_for(30ms);
        ctx.request_stop();
    });
    REQUIRE_THROWS_AS(loop.run(), zmqraii::stopped);
    stopper.join();
    CHECK(stopped_count == 10);
    CHECK(tracked::alive == 0);
    CHECK(loop.tasks() == 0);
    REQUIRE_THROWS_AS(loop.run(), zmqraii::stopped);
}

TEST_CASE("stop from a handler or a task: suspended tasks wait for the next run()",
          "[task][stop]") {
    zmqraii::context ctx;
    pair_link l(ctx, "stop-handler");
    zmqraii::loop loop(ctx);
    int got = 0;
    loop.spawn([](zmqraii::socket& s, int& n) -> task<void> {
        for (;;) {
            (void)co_await s.async_recv();
            ++n;
            zmqraii::this_loop().stop();
        }
    }(l.b, got));
    l.a.send("1");
    run_bounded(loop);
    CHECK(got == 1);
    CHECK(loop.tasks() == 1);  // suspended again, waiting
    l.a.send("2");
    run_bounded(loop);
    CHECK(got == 2);
}

TEST_CASE("a loop destroyed with suspended tasks frees their frames", "[task]") {
    zmqraii::context ctx;
    {
        zmqraii::loop loop(ctx);
        pair_link l(ctx, "destroyed");
        for (int i = 0; i < 10; ++i) {
            loop.spawn([](zmqraii::socket& s) -> task<void> {
                tracked t;
                (void)co_await s.async_recv();
            }(l.b));
            loop.spawn([]() -> task<void> {
                tracked t;
                co_await zmqraii::this_loop().sleep_for(1h);
            }());
        }
        loop.spawn([]() -> task<void> {  // never started
            tracked t;
            co_return;
        }());
        loop.after(10ms, [&] { loop.stop(); });
        run_bounded(loop);
        CHECK(tracked::alive == 20);
        // l is destroyed before the loop: the frames waiting on l.b must not
        // touch it again (they are destroyed, not resumed).
    }
    CHECK(tracked::alive == 0);
}

TEST_CASE("an exception escaping a spawned task is reported", "[task][errors]") {
    zmqraii::context ctx;
    zmqraii_test::captured_diagnostics diags;
    zmqraii::loop loop(ctx);
    loop.spawn(fails());
    loop.spawn([]() -> task<void> {
        co_await zmqraii::this_loop().sleep_for(10ms);
        zmqraii::this_loop().stop();
    }());
    run_bounded(loop);
    const auto list = diags.list();
    REQUIRE(list.size() == 1);
    CHECK(list[0].level == zmqraii::severity::report);
    CHECK_THAT(list[0].text, contains("task failed"));
}

TEST_CASE("awaiting outside a running loop is a clear error", "[task][errors]") {
    zmqraii::context ctx;
    pair_link l(ctx, "outside");
    l.a.send("ready");  // even a ready operation refuses
    // A coroutine that is not resumed by a loop: resumed by hand here.
    struct eager {
        struct promise_type {
            std::exception_ptr error;
            eager get_return_object() { return {}; }
            std::suspend_never initial_suspend() noexcept { return {}; }
            std::suspend_never final_suspend() noexcept { return {}; }
            void return_void() {}
            void unhandled_exception() { error = std::current_exception(); }
        };
    };
    std::string text;
    int code = 0;
    [](zmqraii::socket& s, std::string& t, int& c) -> eager {
        try {
            (void)co_await s.async_recv();
        } catch (const zmqraii::error& e) {
            t = e.what();
            c = e.code().value();
        }
    }(l.b, text, code);
    CHECK(code == EINVAL);
    CHECK_THAT(text, contains("no zmqraii::loop is running on this thread"));
    CHECK(l.b.recv().to_string() == "ready");  // nothing was taken
}

TEST_CASE("a socket's messages go to one handler or to co_await", "[task][errors]") {
    zmqraii::context ctx;
    pair_link l(ctx, "mixed");
    zmqraii::loop loop(ctx);
    loop.on_readable(l.b, [](zmqraii::message&) {});
    int code = 0;
    loop.spawn([](zmqraii::socket& s, int& c) -> task<void> {
        try {
            (void)co_await s.async_recv();
        } catch (const zmqraii::error& e) {
            c = e.code().value();
        }
        zmqraii::this_loop().stop();
    }(l.b, code));
    run_bounded(loop);
    CHECK(code == EINVAL);
}

TEST_CASE("a socket closed while a task waits on it: the task gets the error", "[task][errors]") {
    zmqraii::context ctx;
    pair_link l(ctx, "closed");
    zmqraii::loop loop(ctx);
    int code = 0;
    loop.spawn([](zmqraii::socket& s, int& c) -> task<void> {
        try {
            (void)co_await s.async_recv();
        } catch (const zmqraii::error& e) {
            c = e.code().value();
        }
        zmqraii::this_loop().stop();
    }(l.b, code));
    loop.after(10ms, [&] { l.b.close(); });
    run_bounded(loop);
    CHECK(code == ENOTSOCK);
}

TEST_CASE("spawn and sleep_for belong to the loop's thread", "[task][thread]") {
    zmqraii::context ctx;
    zmqraii::loop loop(ctx);
    std::thread other([&] {
        CHECK_THROWS_AS(loop.spawn(fails()), zmqraii::wrong_thread);
        CHECK_THROWS_AS(loop.sleep_for(1ms), zmqraii::wrong_thread);
    });
    other.join();
}

TEST_CASE("a flooding task does not starve timers", "[task][fair]") {
    zmqraii::context ctx;
    pair_link l(ctx, "flood");
    zmqraii::loop loop(ctx);
    long echoed = 0;
    bool fired = false;
    // Each message it receives, it sends back to itself: its operations never
    // block. It ends the run once the timer had its turn.
    loop.spawn([](zmqraii::socket& a, zmqraii::socket& b, long& n, bool& f) -> task<void> {
        co_await a.async_send("x");
        for (;;) {
            zmqraii::message m = co_await b.async_recv();
            co_await a.async_send(std::move(m));
            if (++n > 1000 && f) zmqraii::this_loop().stop();
        }
    }(l.a, l.b, echoed, fired));
    loop.after(20ms, [&] { fired = true; });
    run_bounded(loop);
    CHECK(fired);
}

TEST_CASE("async_send takes what send takes: literals, strings, views, containers",
          "[task][socket]") {
    zmqraii::context ctx;
    pair_link l(ctx, "verbs");
    zmqraii::loop loop(ctx);
    std::vector<std::string> got;
    loop.spawn(
        [](zmqraii::socket& a, zmqraii::socket& b, std::vector<std::string>& out) -> task<void> {
            const std::string text = "string";
            const std::vector<char> bytes{'v', 'e', 'c'};
            const std::array<std::uint8_t, 2> raw{{0x41, 0x42}};
            co_await a.async_send("literal");
            co_await a.async_send(text);
            co_await a.async_send(std::string_view("view"));
            co_await a.async_send(bytes);
            co_await a.async_send(raw);
            co_await a.async_send(text + " temporary");  // copied at the call
            for (int i = 0; i < 6; ++i) out.push_back((co_await b.async_recv()).to_string());
            zmqraii::this_loop().stop();
        }(l.a, l.b, got));
    run_bounded(loop);
    CHECK(got ==
          std::vector<std::string>{"literal", "string", "view", "vec", "AB", "string temporary"});
}
