// SPDX-License-Identifier: MIT
// zmqraii::proxy and zmqraii::steerable_proxy: messages flow through, pause and
// resume, statistics, terminate, and clean ends on context stop.
#include <zmqraii/proxy.hpp>

#include "catch.hpp"

#include <zmq.h>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

using namespace std::chrono_literals;
using zmqraii::socket_type;
using zmqraii_test::contains;

namespace {

std::string recv_text(zmqraii::socket& s, std::chrono::milliseconds limit = 5s) {
    auto m = s.recv_for(limit);
    REQUIRE(m);
    return m->to_string();
}

// A PUSH into the proxy's frontend and a PULL from its backend.
struct ends {
    zmqraii::socket in;
    zmqraii::socket out;
    ends(zmqraii::context& ctx, const std::string& frontend, const std::string& backend)
        : in(ctx, socket_type::push, "test input"), out(ctx, socket_type::pull, "test output") {
        in.connect(frontend);
        out.connect(backend);
    }
};

zmqraii::steerable_proxy pull_push_proxy(zmqraii::context& ctx) {
    return zmqraii::steerable_proxy(
        ctx, zmqraii::proxy_endpoint::bound(socket_type::pull, "tcp://127.0.0.1:*"),
        zmqraii::proxy_endpoint::bound(socket_type::push, "tcp://127.0.0.1:*"));
}

}  // namespace

TEST_CASE("steerable_proxy is move-only", "[proxy]") {
    STATIC_REQUIRE(!std::is_copy_constructible_v<zmqraii::steerable_proxy>);
    STATIC_REQUIRE(std::is_nothrow_move_constructible_v<zmqraii::steerable_proxy>);
    STATIC_REQUIRE(std::is_nothrow_move_assignable_v<zmqraii::steerable_proxy>);
    zmqraii::steerable_proxy empty;
    CHECK_FALSE(empty.running());
    CHECK(empty.frontend_endpoint().empty());
    CHECK_NOTHROW(empty.terminate());
    CHECK_THROWS_AS(empty.pause(), zmqraii::error);
}

TEST_CASE("proxy() forwards and captures until the context stops", "[proxy][stop]") {
    zmqraii::context ctx;
    std::promise<std::pair<std::string, std::string>> endpoints;
    std::atomic<bool> ended_with_stopped{false};
    std::thread proxy_thread([&] {
        zmqraii::socket front(ctx, socket_type::pull, "front");
        zmqraii::socket back(ctx, socket_type::push, "back");
        zmqraii::socket capture(ctx, socket_type::push, "capture");
        front.bind("tcp://127.0.0.1:*");
        back.bind("tcp://127.0.0.1:*");
        capture.bind("inproc://proxy-capture");
        endpoints.set_value({front.last_endpoint(), back.last_endpoint()});
        try {
            zmqraii::proxy(front, back, &capture);
        } catch (const zmqraii::stopped&) {
            ended_with_stopped = true;
        }
    });
    const auto [front_ep, back_ep] = endpoints.get_future().get();
    ends e(ctx, front_ep, back_ep);
    zmqraii::socket captured(ctx, socket_type::pull);
    captured.connect("inproc://proxy-capture");

    for (int i = 0; i < 3; ++i) e.in.send("job " + std::to_string(i));
    for (int i = 0; i < 3; ++i) {
        CHECK(recv_text(e.out) == "job " + std::to_string(i));
        CHECK(recv_text(captured) == "job " + std::to_string(i));
    }

    CHECK(ctx.stop_for(2s));
    proxy_thread.join();
    CHECK(ended_with_stopped);
}

TEST_CASE("proxy() needs sockets the calling thread owns", "[proxy]") {
    zmqraii::context ctx;
    zmqraii::socket front(ctx, socket_type::pull, "front");
    zmqraii::socket back(ctx, socket_type::push, "back");
    std::string what;
    std::thread([&] {
        try {
            zmqraii::proxy(front, back);
        } catch (const zmqraii::wrong_thread& e) {
            what = e.what();
        }
    }).join();
    CHECK_THAT(what, contains("'front'"));
}

TEST_CASE("steerable_proxy forwards PUSH -> (PULL, PUSH) -> PULL", "[proxy]") {
    zmqraii::context ctx;
    auto px = pull_push_proxy(ctx);
    CHECK(px.running());
    CHECK_THAT(px.frontend_endpoint(), contains("tcp://127.0.0.1:"));
    CHECK(px.frontend_endpoint().find('*') == std::string::npos);
    CHECK(px.capture_endpoint().empty());

    ends e(ctx, px.frontend_endpoint(), px.backend_endpoint());
    for (int i = 0; i < 5; ++i) e.in.send("message " + std::to_string(i));
    for (int i = 0; i < 5; ++i) CHECK(recv_text(e.out) == "message " + std::to_string(i));
}

TEST_CASE("pause() stops the flow and resume() restarts it", "[proxy]") {
    zmqraii::context ctx;
    auto px = pull_push_proxy(ctx);
    ends e(ctx, px.frontend_endpoint(), px.backend_endpoint());
    e.in.send("before");
    CHECK(recv_text(e.out) == "before");

    px.pause();  // returns once the proxy thread applied it
    e.in.send("held");
    CHECK_FALSE(e.out.recv_for(200ms));

    px.resume();
    CHECK(recv_text(e.out) == "held");
    e.in.send("after");
    CHECK(recv_text(e.out) == "after");
}

TEST_CASE("statistics() counts what went through", "[proxy]") {
    zmqraii::context ctx;
    auto px = pull_push_proxy(ctx);
    ends e(ctx, px.frontend_endpoint(), px.backend_endpoint());

    const auto zero = px.statistics();
    CHECK(zero.frontend.messages_received == 0);
    CHECK(zero.backend.messages_sent == 0);

    e.in.send("a");
    e.in.send("bb");
    e.in.send("cccc");
    e.in.send("head", zmqraii::send_flags::more);  // one message of two parts
    e.in.send("tail");
    CHECK(recv_text(e.out) == "a");
    CHECK(recv_text(e.out) == "bb");
    CHECK(recv_text(e.out) == "cccc");
    CHECK(recv_text(e.out) == "head");
    CHECK(recv_text(e.out) == "tail");

    const auto st = px.statistics();
    CHECK(st.frontend.messages_received == 4);
    CHECK(st.frontend.bytes_received == 1 + 2 + 4 + 4 + 4);
    CHECK(st.frontend.messages_sent == 0);
    CHECK(st.frontend.bytes_sent == 0);
    CHECK(st.backend.messages_received == 0);
    CHECK(st.backend.bytes_received == 0);
    CHECK(st.backend.messages_sent == 4);
    CHECK(st.backend.bytes_sent == 15);
}

TEST_CASE("terminate() ends the proxy thread", "[proxy]") {
    zmqraii::context ctx;
    auto px = pull_push_proxy(ctx);
    ends e(ctx, px.frontend_endpoint(), px.backend_endpoint());
    e.in.send("one");
    CHECK(recv_text(e.out) == "one");

    px.terminate();
    CHECK_FALSE(px.running());
    CHECK_NOTHROW(px.terminate());  // idempotent
    try {
        px.pause();
        FAIL("pause() after terminate() did not throw");
    } catch (const zmqraii::error& err) {
        CHECK(err.code().value() == EFSM);
        CHECK_THAT(err.what(), contains("has ended"));
    }
    // Nothing forwards any more.
    (void)e.in.try_send("two");
    CHECK_FALSE(e.out.recv_for(100ms));
}

TEST_CASE("steerable_proxy ends cleanly on context stop", "[proxy][stop]") {
    zmqraii::context ctx;
    auto px = pull_push_proxy(ctx);
    ends e(ctx, px.frontend_endpoint(), px.backend_endpoint());
    e.in.send("x");
    CHECK(recv_text(e.out) == "x");

    const auto t0 = std::chrono::steady_clock::now();
    CHECK(ctx.stop_for(2s));  // closes this thread's sockets; the proxy sees ETERM
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    CHECK_NOTHROW(px.terminate());
    CHECK_FALSE(px.running());
    CHECK_THROWS_AS(px.statistics(), zmqraii::stopped);
}

TEST_CASE("steerable_proxy ends when another thread stops the context", "[proxy][stop]") {
    zmqraii::context ctx;
    std::promise<void> ready;
    std::atomic<bool> controller_stopped{false};
    std::thread controller([&] {
        auto px = pull_push_proxy(ctx);
        ready.set_value();
        try {
            for (;;) (void)px.statistics();  // busy with the proxy until stop
        } catch (const zmqraii::stopped&) {
            controller_stopped = true;
        }
    });
    ready.get_future().wait();
    CHECK(ctx.stop_for(2s));
    controller.join();
    CHECK(controller_stopped);
}

TEST_CASE("steerable_proxy adopts sockets handed to it", "[proxy]") {
    zmqraii::context ctx;
    zmqraii::socket front(ctx, socket_type::pull, "handed front");
    zmqraii::socket back(ctx, socket_type::push, "handed back");
    zmqraii::socket capture(ctx, socket_type::pair, "handed capture");
    front.bind("inproc://handed-front");
    back.bind("inproc://handed-back");
    capture.bind("inproc://handed-capture");
    zmqraii::socket captured(ctx, socket_type::pair);
    captured.connect("inproc://handed-capture");

    zmqraii::steerable_proxy px(ctx, std::move(front).release(), std::move(back).release(),
                                std::move(capture).release());
    CHECK_FALSE(front.is_open());
    CHECK(px.frontend_endpoint() == "inproc://handed-front");
    CHECK(px.capture_endpoint() == "inproc://handed-capture");

    ends e(ctx, "inproc://handed-front", "inproc://handed-back");
    e.in.send("via handoff");
    CHECK(recv_text(e.out) == "via handoff");
    CHECK(recv_text(captured) == "via handoff");

    bool found = false;
    for (const auto& info : ctx.live_sockets())
        if (info.name == "handed front") found = info.owner != std::this_thread::get_id();
    CHECK(found);  // owned by the proxy thread now

    CHECK_THROWS_AS(
        zmqraii::steerable_proxy(ctx, zmqraii::socket_handoff{}, zmqraii::socket_handoff{}),
        zmqraii::error);
}

TEST_CASE("steerable_proxy setup errors reach the constructor", "[proxy]") {
    zmqraii::context ctx;
    zmqraii::socket taken(ctx, socket_type::pull);
    taken.bind("tcp://127.0.0.1:*");
    const std::string ep = taken.last_endpoint();

    try {
        zmqraii::steerable_proxy px(
            ctx, zmqraii::proxy_endpoint::bound(socket_type::pull, ep),
            zmqraii::proxy_endpoint::bound(socket_type::push, "inproc://unused-back"));
        FAIL("a proxy bound to a used endpoint");
    } catch (const zmqraii::error& e) {
        CHECK(e.code().value() == EADDRINUSE);
        CHECK_THAT(e.what(), contains("bind " + ep));
    }

    auto spec = zmqraii::proxy_endpoint::bound(socket_type::pull, "tcp://127.0.0.1:*");
    spec.configure = [](zmqraii::socket&) { throw std::runtime_error("configure failed"); };
    CHECK_THROWS_WITH(zmqraii::steerable_proxy(
                          ctx, std::move(spec),
                          zmqraii::proxy_endpoint::bound(socket_type::push, "tcp://127.0.0.1:*")),
                      "configure failed");

    // The failed proxies left no socket behind.
    CHECK(ctx.live_sockets().size() == 1);
}

TEST_CASE("steerable_proxy is controlled from the thread that created it", "[proxy]") {
    zmqraii::context ctx;
    auto px = pull_push_proxy(ctx);
    bool refused = false;
    std::thread([&] {
        try {
            px.pause();
        } catch (const zmqraii::wrong_thread&) {
            refused = true;
        }
    }).join();
    CHECK(refused);
    CHECK(px.running());
    CHECK_NOTHROW(px.statistics());
}

TEST_CASE("steerable_proxy options apply on the proxy thread", "[proxy]") {
    zmqraii::context ctx;
    std::thread::id configured_on;
    auto front = zmqraii::proxy_endpoint::bound(socket_type::pull, "tcp://127.0.0.1:*");
    front.name = "configured front";
    front.configure = [&configured_on](zmqraii::socket& s) {
        s.set(zmqraii::option::rcvhwm, 7);
        configured_on = std::this_thread::get_id();
    };
    zmqraii::steerable_proxy px(ctx, std::move(front),
                                zmqraii::proxy_endpoint::bound(socket_type::push, "inproc://b"));
    CHECK(configured_on != std::thread::id());
    CHECK(configured_on != std::this_thread::get_id());
    bool named = false;
    for (const auto& info : ctx.live_sockets()) named = named || info.name == "configured front";
    CHECK(named);
}
