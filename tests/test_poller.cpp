// SPDX-License-Identifier: MIT
// Tests of poller.hpp: socket and raw-descriptor readiness, timeouts, changing the
// set from inside handlers, clear errors, thread ownership, and stop.
#include "catch.hpp"
#include "support.hpp"

#include <zmqraii/poller.hpp>
#include <zmqraii/zmqraii.hpp>

#include <chrono>
#include <future>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

using namespace std::chrono_literals;
using zmqraii::poll_events;
using zmqraii_test::contains;
using zmqraii_test::error_of;
using zmqraii_test::pair_link;
using zmqraii_test::pipe_fds;

namespace {

// ---- the poller snippet of docs/messaging.md, verbatim ---------------------------
// One thread serves a socket and a pipe; a byte on the pipe tells it to finish.
int serve(zmqraii::socket& jobs, int wake_fd) {
    int done = 0;
    bool running = true;
    zmqraii::poller p;
    p.add(jobs, zmqraii::poll_events::in, [&](zmqraii::poll_events) {
        while (jobs.try_recv()) ++done;  // take everything that is there
    });
    p.add(wake_fd, zmqraii::poll_events::in, [&](zmqraii::poll_events) { running = false; });
    while (running) p.wait(std::chrono::milliseconds(-1));
    return done;
}
// ---- end of snippet ----------------------------------------------------------------

// poll_events is a bit set.
static_assert(((poll_events::in | poll_events::out) & poll_events::in) == poll_events::in);
static_assert(!zmqraii::any(poll_events::none));
static_assert(zmqraii::any(poll_events::err));
static_assert(~poll_events::in == (poll_events::out | poll_events::err));
static_assert((poll_events::in ^ poll_events::in) == poll_events::none);
constexpr poll_events compound() {
    poll_events e = poll_events::in;
    e |= poll_events::out;
    e &= ~poll_events::in;
    e ^= poll_events::err;
    return e;
}
static_assert(compound() == (poll_events::out | poll_events::err));
static_assert(static_cast<short>(poll_events::in) == ZMQ_POLLIN &&
              static_cast<short>(poll_events::out) == ZMQ_POLLOUT &&
              static_cast<short>(poll_events::err) == ZMQ_POLLERR);

}  // namespace

TEST_CASE("poller reports a readable socket and a writable one", "[poller]") {
    zmqraii::context ctx;
    pair_link link(ctx, "readiness");
    zmqraii::poller p;
    std::vector<poll_events> seen;
    p.add(link.b, poll_events::in, [&](poll_events e) {
        seen.push_back(e);
        CHECK(link.b.recv().to_string() == "ping");
    });
    CHECK(p.size() == 1);
    CHECK(p.contains(link.b));
    CHECK(p.wait(0ms) == 0);
    CHECK(seen.empty());

    link.a.send("ping");
    CHECK(p.wait(5s) == 1);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0] == poll_events::in);

    // The other end is writable; modify() changes what is asked for.
    int writable = 0;
    p.add(link.a, poll_events::in, [&](poll_events e) {
        CHECK(e == poll_events::out);
        ++writable;
    });
    CHECK(p.wait(0ms) == 0);  // nothing to read on a
    p.modify(link.a, poll_events::in | poll_events::out);
    CHECK(p.wait(0ms) == 1);
    CHECK(writable == 1);
}

TEST_CASE("poller reports a readable pipe", "[poller][fd]") {
    pipe_fds pipe;
    zmqraii::poller p;
    int calls = 0;
    p.add(pipe.read_end(), poll_events::in, [&](poll_events e) {
        CHECK(any(e & poll_events::in));
        pipe.drain();
        ++calls;
    });
    CHECK(p.contains(pipe.read_end()));
    CHECK(p.wait(0ms) == 0);
    pipe.poke();
    CHECK(p.wait(5s) == 1);
    CHECK(calls == 1);
    CHECK(p.wait(0ms) == 0);  // drained
    p.remove(pipe.read_end());
    CHECK(p.size() == 0);
}

TEST_CASE("poller wait returns 0 when the timeout expires", "[poller]") {
    zmqraii::context ctx;
    pair_link link(ctx, "timeout");
    zmqraii::poller p;
    bool called = false;
    p.add(link.b, poll_events::in, [&](poll_events) { called = true; });
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(p.wait(60ms) == 0);
    CHECK(std::chrono::steady_clock::now() - t0 >= 55ms);
    CHECK_FALSE(called);
    // Nothing registered: a finite wait sleeps, an infinite one is refused.
    zmqraii::poller empty;
    CHECK(empty.wait(0ms) == 0);
    const auto [code, what] = error_of([&] { empty.wait(-1ms); });
    CHECK(code == std::errc::invalid_argument);
    CHECK_THAT(what, contains("would never return"));
    CHECK_THROWS_WITH(empty.wait(), contains("poller wait: nothing is registered"));
    CHECK(empty.wait_for(std::chrono::hours::min()) == 0);  // looks, returns at once
}

TEST_CASE("poller wait() waits until ready; wait_for takes any duration", "[poller]") {
    zmqraii::context ctx;
    pair_link link(ctx, "wait-forever");
    pair_link other(ctx, "wait-subset");
    zmqraii::poller p;
    int calls = 0;
    int other_calls = 0;
    p.add(link.b, poll_events::in, [&](poll_events) {
        ++calls;
        (void)link.b.recv();
    });
    p.add(other.b, poll_events::in, [&](poll_events) {
        ++other_calls;
        (void)other.b.recv();
    });
    link.a.send("x");
    CHECK(p.wait() == 1);  // the number of ready entries
    CHECK(calls == 1);
    CHECK(p.wait_for(std::chrono::microseconds(500)) == 0);
    CHECK(p.wait_for(-5s) == 0);  // negative: only looks, as every *_for
    link.a.send("y");
    CHECK(p.wait_for(std::chrono::duration<double>(1.5)) == 1);
    CHECK(calls == 2);

    // Polling a subset (a load balancer's idiom): modify(s, none) keeps the
    // entry but leaves it out until its events are set again.
    p.modify(other.b, poll_events::none);
    other.a.send("queued");
    CHECK(p.wait_for(20ms) == 0);
    CHECK(other_calls == 0);
    p.modify(other.b, poll_events::in);
    CHECK(p.wait_for(1s) == 1);
    CHECK(other_calls == 1);
}

TEST_CASE("handlers may add and remove entries, their own included", "[poller]") {
    zmqraii::context ctx;
    pair_link x(ctx, "x"), y(ctx, "y"), z(ctx, "z");
    zmqraii::poller p;
    std::vector<std::string> calls;
    auto on_z = [&](poll_events) {
        calls.push_back("z");
        CHECK(z.b.recv().to_string() == "z");
        p.remove(z.b);  // removes itself while it runs
    };
    p.add(x.b, poll_events::in, [&](poll_events) {
        calls.push_back("x");
        CHECK(x.b.recv().to_string() == "x");
        p.remove(y.b);                      // ready too, registered after x: not called now
        p.add(z.b, poll_events::in, on_z);  // ready too: takes part from the next wait
        p.add(y.b, poll_events::in, [&](poll_events) { calls.push_back("y again"); });
    });
    p.add(y.b, poll_events::in, [&](poll_events) { calls.push_back("y"); });
    x.a.send("x");
    y.a.send("y");
    z.a.send("z");

    CHECK(p.wait(5s) == 2);  // x and y were ready; y was removed before its turn
    CHECK(calls == std::vector<std::string>{"x"});
    CHECK(p.size() == 3);  // x, z, and y registered again

    calls.clear();
    CHECK(p.wait(5s) == 2);  // z, and y (its message is still there)
    CHECK(calls == std::vector<std::string>{"z", "y again"});
    CHECK(p.size() == 2);
    CHECK_FALSE(p.contains(z.b));
    CHECK(y.b.recv().to_string() == "y");
    CHECK(p.wait(0ms) == 0);
}

TEST_CASE("poller errors are clear: duplicates, unknown entries, closed sockets", "[poller]") {
    zmqraii::context ctx;
    pair_link link(ctx, "errors");
    zmqraii::poller p;
    auto nop = [](poll_events) {};
    p.add(link.b, poll_events::in, nop);

    auto [code, what] = error_of([&] { p.add(link.b, poll_events::out, nop); });
    CHECK(code == std::errc::invalid_argument);
    CHECK_THAT(what, contains("poller add socket 'errors b'"));
    CHECK_THAT(what, contains("already registered"));

    std::tie(code, what) = error_of([&] { p.modify(link.a, poll_events::in); });
    CHECK_THAT(what, contains("poller modify socket 'errors a'"));
    CHECK_THAT(what, contains("not registered"));
    std::tie(code, what) = error_of([&] { p.remove(link.a); });
    CHECK_THAT(what, contains("not registered"));
    std::tie(code, what) = error_of([&] { p.add(link.a, poll_events::in, nullptr); });
    CHECK_THAT(what, contains("handler is empty"));
    std::tie(code, what) = error_of([&] { p.add(-1, poll_events::in, nop); });
    CHECK(code == std::errc::bad_file_descriptor);
    std::tie(code, what) = error_of([&] { p.remove(42); });
    CHECK_THAT(what, contains("poller remove fd 42: not registered"));

    // A handler must not wait on its own poller.
    p.add(link.a, poll_events::out, [&](poll_events) { p.wait(0ms); });
    std::tie(code, what) = error_of([&] { p.wait(0ms); });
    CHECK_THAT(what, contains("from inside one of its handlers"));
    p.remove(link.a);
    CHECK(p.wait(0ms) == 0);  // consistent after the exception

    // A registered socket closed behind the poller's back is named by wait().
    link.b.close();
    std::tie(code, what) = error_of([&] { p.wait(0ms); });
    CHECK_THAT(what, contains("poller wait on socket 'errors b'"));
    CHECK_THAT(what, contains("closed"));
    p.remove(link.b);  // by address: fine on a closed socket
    CHECK(p.size() == 0);

    // A moved-from poller refuses use; the moved-to one works.
    zmqraii::poller q = std::move(p);
    std::tie(code, what) = error_of([&] { p.wait(0ms); });
    CHECK_THAT(what, contains("moved-from"));
    CHECK(q.wait(0ms) == 0);
}

TEST_CASE("poller refuses other threads and other threads' sockets", "[poller][thread]") {
    zmqraii::context ctx;
    zmqraii::poller p;
    std::string from_other;
    std::thread([&] {
        try {
            p.wait(0ms);
        } catch (const zmqraii::wrong_thread& e) {
            from_other = e.what();
        }
    }).join();
    CHECK_THAT(from_other, contains("wrong thread: poller wait on poller (created at"));
    CHECK_THAT(from_other, contains("test_poller.cpp"));
    // contains() and size() too: the entries change under the owner without a lock.
    std::string contains_what, size_what;
    zmqraii::socket mine(ctx, zmqraii::socket_type::pair, "mine");
    std::thread([&] {
        try {
            (void)p.contains(mine);
        } catch (const zmqraii::wrong_thread& e) {
            contains_what = e.what();
        }
        try {
            (void)p.size();
        } catch (const zmqraii::wrong_thread& e) {
            size_what = e.what();
        }
    }).join();
    CHECK_THAT(contains_what, contains("wrong thread: poller contains"));
    CHECK_THAT(size_what, contains("wrong thread: poller size"));

    // A socket owned by a live other thread cannot be added here.
    std::promise<zmqraii::socket*> made;
    std::promise<void> done;
    std::thread owner([&] {
        zmqraii::socket theirs(ctx, zmqraii::socket_type::pair, "theirs");
        made.set_value(&theirs);
        done.get_future().wait();
    });
    zmqraii::socket* theirs = made.get_future().get();
    std::string what;
    try {
        p.add(*theirs, poll_events::in, [](poll_events) {});
    } catch (const zmqraii::wrong_thread& e) {
        what = e.what();
    }
    done.set_value();
    owner.join();
    CHECK_THAT(what, contains("wrong thread: poller add on socket 'theirs'"));
    CHECK(p.size() == 0);
}

TEST_CASE("stop wakes a thread blocked in poller wait with stopped", "[poller][stop]") {
    zmqraii::context ctx;
    std::promise<void> ready;
    std::promise<std::string> outcome;
    std::thread t([&] {
        outcome.set_value(zmqraii_test::ending_of([&] {
            zmqraii::socket s(ctx, zmqraii::socket_type::pull, "polled");
            s.bind("inproc://poller-stop");
            zmqraii::poller p;
            p.add(s, poll_events::in, [](poll_events) {});
            ready.set_value();
            p.wait(std::chrono::milliseconds(-1));
        }));
    });
    ready.get_future().wait();
    REQUIRE(ctx.stop_for(30s));
    t.join();
    CHECK_THAT(outcome.get_future().get(), contains("stopped: poller wait"));
}

TEST_CASE("the poller snippet of docs/messaging.md serves jobs until the pipe says stop",
          "[poller][docs]") {
    zmqraii::context ctx;
    pipe_fds wake;
    std::promise<void> bound;
    std::promise<int> result;
    std::thread worker([&] {
        zmqraii::socket jobs(ctx, zmqraii::socket_type::pull, "jobs");
        jobs.bind("inproc://poller-docs");
        bound.set_value();
        result.set_value(serve(jobs, wake.read_end()));
    });
    bound.get_future().wait();
    zmqraii::socket push(ctx, zmqraii::socket_type::push, "job source");
    push.connect("inproc://poller-docs");
    for (int i = 0; i < 3; ++i) push.send("job");
    wake.poke();
    CHECK(result.get_future().get() == 3);
    worker.join();
}
