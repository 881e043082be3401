// SPDX-License-Identifier: MIT
// zmqraii::socket: creation of every stable type, send/recv over each transport,
// the non-blocking and timed calls, linger defaults, identity accessors and move
// semantics.
#include <zmqraii/context.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/socket.hpp>

#include "catch.hpp"
#include "support.hpp"

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

using zmqraii_test::contains;

namespace {

using namespace std::chrono_literals;

// Expects `f` to throw zmqraii::error with ENOTSOCK that says the socket is
// moved-from.
template <class F>
void require_moved_from_error(F&& f) {
    try {
        f();
        FAIL("no exception thrown");
    } catch (const zmqraii::error& e) {
        CHECK(e.code().value() == ENOTSOCK);
        CHECK(e.code().category() == zmqraii::zmq_category());
        CHECK_THAT(e.what(), contains("moved-from"));
    }
}

}  // namespace

TEST_CASE("every stable socket type can be created", "[socket]") {
    using zmqraii::socket_type;
    const std::vector<std::pair<socket_type, int>> types{
        {socket_type::pair, ZMQ_PAIR},     {socket_type::pub, ZMQ_PUB},
        {socket_type::sub, ZMQ_SUB},       {socket_type::req, ZMQ_REQ},
        {socket_type::rep, ZMQ_REP},       {socket_type::dealer, ZMQ_DEALER},
        {socket_type::router, ZMQ_ROUTER}, {socket_type::pull, ZMQ_PULL},
        {socket_type::push, ZMQ_PUSH},     {socket_type::xpub, ZMQ_XPUB},
        {socket_type::xsub, ZMQ_XSUB},     {socket_type::stream, ZMQ_STREAM},
    };
    zmqraii::context ctx;
    std::vector<zmqraii::socket> sockets;
    for (const auto& [type, zmq_type] : types) {
        INFO("type " << zmqraii::to_string(type));
        sockets.emplace_back(ctx, type);
        zmqraii::socket& s = sockets.back();
        CHECK(s.is_open());
        CHECK(s.type() == type);
        CHECK(s.get(zmqraii::option::type) == zmq_type);
        CHECK_FALSE(s.thread_safe());
        CHECK_FALSE(s.get(zmqraii::option::thread_safe));
    }
    CHECK(ctx.live_sockets().size() == types.size());
}

TEST_CASE("send and recv over inproc, ipc and tcp", "[socket]") {
    zmqraii::context ctx;
    zmqraii::socket push(ctx, zmqraii::socket_type::push, "push");
    zmqraii::socket pull(ctx, zmqraii::socket_type::pull, "pull");

    std::string endpoint;
    SECTION("inproc") { pull.bind("inproc://socket-transport"); }
    SECTION("ipc") { pull.bind("ipc://*"); }
    SECTION("tcp") { pull.bind("tcp://127.0.0.1:*"); }
    endpoint = pull.last_endpoint();
    INFO("endpoint " << endpoint);
    push.connect(endpoint);

    push.send("text");                    // const char*
    push.send(std::string_view("view"));  // string_view
    const std::byte raw[] = {std::byte{1}, std::byte{2}};
    push.send(zmqraii::byte_view(raw, sizeof raw));   // byte_view
    push.send(static_cast<const void*>("void*"), 5);  // pointer + size
    push.send(zmqraii::message("message"));           // message&&
    push.send("part 1", zmqraii::send_flags::more);   // multi-part
    push.send("part 2");

    CHECK(pull.recv().to_string() == "text");
    CHECK(pull.recv().to_string() == "view");
    const zmqraii::message bytes = pull.recv();
    REQUIRE(bytes.size() == 2);
    CHECK(bytes.bytes()[1] == std::byte{2});
    CHECK(pull.recv().to_string() == "void*");
    zmqraii::message reused;
    pull.recv(reused);
    CHECK(reused.to_string() == "message");
    pull.recv(reused);
    CHECK(reused.to_string() == "part 1");
    CHECK(reused.more());
    CHECK(pull.get(zmqraii::option::rcvmore));
    pull.recv(reused);
    CHECK(reused.to_string() == "part 2");
    CHECK_FALSE(reused.more());
}

TEST_CASE("last_endpoint resolves wildcards", "[socket]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::pull);
    CHECK(s.last_endpoint().empty());
    s.bind("tcp://127.0.0.1:*");
    const std::string ep = s.last_endpoint();
    CHECK_THAT(ep, contains("tcp://127.0.0.1:"));
    CHECK(ep.find('*') == std::string::npos);
    CHECK(ep.back() != '\0');  // the terminating NUL libzmq counts is stripped
}

TEST_CASE("try_send returns false where it would block, true otherwise", "[socket]") {
    zmqraii::context ctx;
    zmqraii::socket push(ctx, zmqraii::socket_type::push, "push");

    // A PUSH with no peer has nowhere to queue a message.
    CHECK_FALSE(push.try_send("nobody listens"));
    CHECK_FALSE(push.try_send(std::string_view("nobody")));
    CHECK_FALSE(push.try_send(static_cast<const void*>("x"), 1));

    zmqraii::socket pull(ctx, zmqraii::socket_type::pull, "pull");
    pull.bind("inproc://socket-try-send");
    push.connect("inproc://socket-try-send");
    CHECK(push.try_send("now there is a peer"));
    zmqraii::message m("a message");
    CHECK(push.try_send(std::move(m)));
    CHECK(m.empty());  // NOLINT(bugprone-use-after-move): a sent message is emptied
    CHECK(pull.recv().to_string() == "now there is a peer");
    CHECK(pull.recv().to_string() == "a message");
}

TEST_CASE("try_send(message&&) that returns false leaves the message unchanged", "[socket]") {
    zmqraii::context ctx;
    zmqraii::socket push(ctx, zmqraii::socket_type::push);
    zmqraii::message m(std::string(200, 'k'));  // large: a zero-copy buffer
    const void* data = m.data();
    CHECK_FALSE(push.try_send(std::move(m)));
    CHECK(m.size() == 200);  // NOLINT(bugprone-use-after-move): nothing lost
    CHECK(m.data() == data);
    CHECK(m.to_string() == std::string(200, 'k'));

    CHECK_FALSE(push.send_for(std::move(m), 20ms));
    CHECK(m.to_string() == std::string(200, 'k'));  // NOLINT(bugprone-use-after-move)

    // ...and it can still be sent once there is a peer.
    zmqraii::socket pull(ctx, zmqraii::socket_type::pull);
    pull.bind("inproc://socket-unchanged");
    push.connect("inproc://socket-unchanged");
    CHECK(push.try_send(std::move(m)));
    CHECK(pull.recv().to_string() == std::string(200, 'k'));
}

TEST_CASE("send(message&&) leaves the message empty on success", "[socket]") {
    zmqraii::context ctx;
    zmqraii::socket a(ctx, zmqraii::socket_type::pair);
    zmqraii::socket b(ctx, zmqraii::socket_type::pair);
    b.bind("inproc://socket-send-empties");
    a.connect("inproc://socket-send-empties");
    zmqraii::message m("payload");
    a.send(std::move(m));
    CHECK(m.empty());  // NOLINT(bugprone-use-after-move)
    CHECK(b.recv().to_string() == "payload");

    zmqraii::message n("timed");
    CHECK(a.send_for(std::move(n), 1s));
    CHECK(n.empty());  // NOLINT(bugprone-use-after-move)
    CHECK(b.recv().to_string() == "timed");
    CHECK(a.send_for("timed text", 1s));
    CHECK(b.recv().to_string() == "timed text");
}

TEST_CASE("try_recv returns nothing when no message is queued", "[socket]") {
    zmqraii::context ctx;
    zmqraii::socket pull(ctx, zmqraii::socket_type::pull);
    pull.bind("inproc://socket-try-recv");
    CHECK_FALSE(pull.try_recv().has_value());
    zmqraii::message m("untouched");
    CHECK_FALSE(pull.try_recv(m));

    zmqraii::socket push(ctx, zmqraii::socket_type::push);
    push.connect("inproc://socket-try-recv");
    push.send("one");
    push.send("two");
    const std::optional<zmqraii::message> got = pull.try_recv();
    REQUIRE(got.has_value());
    CHECK(got->to_string() == "one");
    CHECK(pull.try_recv(m));
    CHECK(m.to_string() == "two");
    CHECK_FALSE(pull.try_recv().has_value());
}

TEST_CASE("recv_for times out without a message and returns one that arrives", "[socket]") {
    zmqraii::context ctx;
    zmqraii::socket pull(ctx, zmqraii::socket_type::pull, "pull");
    pull.bind("inproc://socket-recv-for");

    SECTION("times out, not before the timeout") {
        const auto timeout = 100ms;
        const auto start = std::chrono::steady_clock::now();
        const std::optional<zmqraii::message> got = pull.recv_for(timeout);
        const auto elapsed = std::chrono::steady_clock::now() - start;
        CHECK_FALSE(got.has_value());
        CHECK(elapsed >= timeout - 5ms);
        CHECK(elapsed < 5s);  // loosely: it does return

        zmqraii::message m("kept");
        CHECK_FALSE(pull.recv_for(m, 10ms));
        CHECK_FALSE(pull.recv_for(0ms).has_value());
    }
    SECTION("returns a message that is already queued") {
        zmqraii::socket push(ctx, zmqraii::socket_type::push);
        push.connect("inproc://socket-recv-for");
        push.send("queued");
        const auto got = pull.recv_for(5s);
        REQUIRE(got.has_value());
        CHECK(got->to_string() == "queued");
    }
    SECTION("returns a message sent by another thread while it waits") {
        std::promise<void> go;
        std::thread sender([&ctx, ready = go.get_future()]() mutable {
            zmqraii::socket push(ctx, zmqraii::socket_type::push, "sender");
            push.connect("inproc://socket-recv-for");
            ready.wait();
            // Not a synchronization: the result does not depend on it. It only makes
            // it likely that the message arrives while recv_for is polling.
            std::this_thread::sleep_for(20ms);
            push.send("from another thread");
        });
        go.set_value();
        const auto start = std::chrono::steady_clock::now();
        const std::optional<zmqraii::message> got = pull.recv_for(10s);
        const auto elapsed = std::chrono::steady_clock::now() - start;
        sender.join();
        REQUIRE(got.has_value());
        CHECK(got->to_string() == "from another thread");
        CHECK(elapsed < 10s);
    }
}

TEST_CASE("a new socket's linger is the context's", "[socket]") {
    SECTION("default: 1000 ms") {
        zmqraii::context ctx;
        zmqraii::socket s(ctx, zmqraii::socket_type::push);
        CHECK(s.get(zmqraii::option::linger) == 1000ms);
        CHECK(s.get(zmqraii::option::linger) ==
              std::chrono::milliseconds(ZMQRAII_DEFAULT_LINGER_MS));
    }
    SECTION("custom context_options::linger") {
        zmqraii::context_options opts;
        opts.linger = 250ms;
        zmqraii::context ctx(opts);
        zmqraii::socket a(ctx, zmqraii::socket_type::push);
        zmqraii::socket b(ctx, zmqraii::socket_type::dealer);
        CHECK(a.get(zmqraii::option::linger) == 250ms);
        CHECK(b.get(zmqraii::option::linger) == 250ms);
    }
    SECTION("zero and infinite") {
        zmqraii::context_options opts;
        opts.linger = 0ms;
        zmqraii::context zero(opts);
        opts.linger = -1ms;
        zmqraii::context forever(opts);
        zmqraii::socket a(zero, zmqraii::socket_type::push);
        zmqraii::socket b(forever, zmqraii::socket_type::push);
        CHECK(a.get(zmqraii::option::linger) == 0ms);
        CHECK(b.get(zmqraii::option::linger) == -1ms);
    }
    SECTION("a socket's linger can still be changed") {
        zmqraii::context ctx;
        zmqraii::socket s(ctx, zmqraii::socket_type::push);
        s.set(zmqraii::option::linger, 5ms);
        CHECK(s.get(zmqraii::option::linger) == 5ms);
    }
}

TEST_CASE("name, type, owner, thread_safe and describe", "[socket]") {
    zmqraii::context ctx;
    // clang-format off
    zmqraii::socket named(ctx, zmqraii::socket_type::router, "frontend"); const unsigned line = __LINE__;
    // clang-format on
    zmqraii::socket anonymous(ctx, zmqraii::socket_type::dealer);

    CHECK(named.name() == "frontend");
    CHECK(anonymous.name().empty());
    CHECK(named.type() == zmqraii::socket_type::router);
    CHECK(anonymous.type() == zmqraii::socket_type::dealer);
    CHECK(named.owner() == std::this_thread::get_id());
    CHECK_FALSE(named.thread_safe());
    CHECK(named.is_open());
    CHECK(static_cast<bool>(named));

    const std::string d = named.describe();
    CHECK_THAT(d, contains("'frontend'"));
    CHECK_THAT(d, contains("router"));
    CHECK_THAT(d, contains("test_socket.cpp:" + std::to_string(line)));
    CHECK_THAT(anonymous.describe(), contains("dealer"));

    // The same identity is what live_sockets() reports.
    bool found = false;
    for (const zmqraii::socket_info& info : ctx.live_sockets()) {
        if (info.name != "frontend") continue;
        found = true;
        CHECK(info.type == zmqraii::socket_type::router);
        CHECK_THAT(info.created_at, contains("test_socket.cpp:" + std::to_string(line)));
        CHECK(info.owner == std::this_thread::get_id());
        CHECK(info.owner_alive);
    }
    CHECK(found);

    // Any thread may read the identity.
    std::thread::id seen_owner;
    std::string seen_name;
    std::thread([&] {
        seen_owner = named.owner();
        seen_name = named.name();
    }).join();
    CHECK(seen_owner == std::this_thread::get_id());
    CHECK(seen_name == "frontend");
}

TEST_CASE("socket is move-only and moves without throwing", "[socket]") {
    STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<zmqraii::socket>);
    STATIC_REQUIRE_FALSE(std::is_copy_assignable_v<zmqraii::socket>);
    STATIC_REQUIRE(std::is_nothrow_move_constructible_v<zmqraii::socket>);
    STATIC_REQUIRE(std::is_nothrow_move_assignable_v<zmqraii::socket>);
    STATIC_REQUIRE(std::is_nothrow_default_constructible_v<zmqraii::socket>);
}

TEST_CASE("a moved-to socket keeps working and the registry is unchanged", "[socket]") {
    zmqraii::context ctx;
    zmqraii::socket a(ctx, zmqraii::socket_type::pair, "mover");
    zmqraii::socket peer(ctx, zmqraii::socket_type::pair);
    a.bind("inproc://socket-move");
    peer.connect("inproc://socket-move");
    REQUIRE(ctx.live_sockets().size() == 2);

    zmqraii::socket b(std::move(a));
    CHECK(ctx.live_sockets().size() == 2);
    CHECK(b.name() == "mover");
    CHECK(b.is_open());
    CHECK_FALSE(a.is_open());  // NOLINT(bugprone-use-after-move)
    b.send("after move");
    CHECK(peer.recv().to_string() == "after move");
}

TEST_CASE("every operation on a moved-from socket throws ENOTSOCK", "[socket]") {
    zmqraii::context ctx;
    zmqraii::socket original(ctx, zmqraii::socket_type::sub, "moved");
    zmqraii::socket target(std::move(original));
    zmqraii::socket default_constructed;

    for (zmqraii::socket* sp : {&original, &default_constructed}) {
        zmqraii::socket& s = *sp;
        zmqraii::message m("m");
        require_moved_from_error([&] { s.send("x"); });
        require_moved_from_error([&] { s.send(std::string_view("x")); });
        require_moved_from_error([&] { s.send(zmqraii::byte_view()); });
        require_moved_from_error([&] { s.send(static_cast<const void*>("x"), 1); });
        require_moved_from_error([&] { s.send(std::move(m)); });
        require_moved_from_error([&] { (void)s.try_send("x"); });
        require_moved_from_error([&] { (void)s.try_send(std::move(m)); });
        require_moved_from_error([&] { (void)s.send_for("x", 1ms); });
        require_moved_from_error([&] { (void)s.send_for(std::move(m), 1ms); });
        require_moved_from_error([&] { s.recv(); });
        require_moved_from_error([&] { s.recv(m); });
        require_moved_from_error([&] { (void)s.try_recv(); });
        require_moved_from_error([&] { (void)s.try_recv(m); });
        require_moved_from_error([&] { (void)s.recv_for(1ms); });
        require_moved_from_error([&] { (void)s.recv_for(m, 1ms); });
        require_moved_from_error([&] { s.bind("inproc://moved-from"); });
        require_moved_from_error([&] { s.connect("inproc://moved-from"); });
        require_moved_from_error([&] { s.unbind("inproc://moved-from"); });
        require_moved_from_error([&] { s.disconnect("inproc://moved-from"); });
        require_moved_from_error([&] { s.set(zmqraii::option::sndhwm, 10); });
        require_moved_from_error([&] { s.get(zmqraii::option::sndhwm); });
        require_moved_from_error([&] { s.subscribe("topic"); });
        require_moved_from_error([&] { s.unsubscribe("topic"); });
        require_moved_from_error([&] { s.last_endpoint(); });
        require_moved_from_error([&] { s.handle(); });
        require_moved_from_error([&] { (void)std::move(s).release(); });
        char buf[4];
        const std::vector<char> bytes{'b'};
        require_moved_from_error([&] { s.send(bytes); });
        require_moved_from_error([&] { (void)s.try_send(bytes); });
        require_moved_from_error([&] { (void)s.recv_into(buf, sizeof buf); });
        require_moved_from_error([&] { (void)s.try_recv_into(buf, sizeof buf); });
        require_moved_from_error([&] { (void)s.recv_into_for(buf, sizeof buf, 1ms); });
        require_moved_from_error([&] { (void)s.raw_call(); });
        CHECK(m.to_string() == "m");  // nothing was consumed

        // Read-only identity and close() are harmless on an empty socket.
        CHECK_FALSE(s.is_open());
        CHECK(s.name().empty());
        CHECK(s.owner() == std::thread::id());
        CHECK_FALSE(s.thread_safe());
        CHECK(s.describe() == "socket (empty)");
        CHECK_NOTHROW(s.close());
    }
    CHECK(ctx.live_sockets().size() == 1);  // only `target`
    CHECK(target.is_open());
}

TEST_CASE("destroying a moved-from socket is safe", "[socket]") {
    zmqraii::context ctx;
    std::optional<zmqraii::socket> from(std::in_place, ctx, zmqraii::socket_type::push);
    zmqraii::socket to(std::move(*from));
    from.reset();  // the moved-from shell: closes nothing
    CHECK(ctx.live_sockets().size() == 1);
    CHECK(to.is_open());
    CHECK(to.get(zmqraii::option::linger) == 1000ms);  // still usable
}

TEST_CASE("move assignment closes the socket it replaces", "[socket]") {
    zmqraii::context ctx;
    zmqraii::socket a(ctx, zmqraii::socket_type::push, "replaced");
    zmqraii::socket b(ctx, zmqraii::socket_type::pull, "kept");
    REQUIRE(ctx.live_sockets().size() == 2);

    a = std::move(b);
    const auto live = ctx.live_sockets();
    REQUIRE(live.size() == 1);
    CHECK(live[0].name == "kept");
    CHECK(a.name() == "kept");
    CHECK(a.type() == zmqraii::socket_type::pull);
    CHECK_FALSE(b.is_open());  // NOLINT(bugprone-use-after-move)

    // Assigning into an empty socket closes nothing.
    zmqraii::socket c;
    c = std::move(a);
    CHECK(ctx.live_sockets().size() == 1);
    CHECK(c.name() == "kept");

    // Assigning an empty socket closes the target.
    c = zmqraii::socket();
    CHECK(ctx.live_sockets().empty());
    CHECK_FALSE(c.is_open());
}

TEST_CASE("handle() is the raw libzmq socket", "[socket]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::dealer);
    void* h = s.handle();
    REQUIRE(h != nullptr);
    int type = 0;
    std::size_t len = sizeof type;
    REQUIRE(zmq_getsockopt(h, ZMQ_TYPE, &type, &len) == 0);
    CHECK(type == ZMQ_DEALER);
}

TEST_CASE("describe() names the owner thread, as documented", "[socket]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::pull, "described");
    std::ostringstream owner;
    owner << std::this_thread::get_id();
    INFO("describe(): " << s.describe());
    CHECK(zmqraii_test::names_thread(s.describe(), "owned by", owner.str()));
}
