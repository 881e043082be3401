// SPDX-License-Identifier: MIT
// Tests of the typed socket and context options: a round trip for every value
// type, compile-time refusal of misuse (detected, not compiled), errors that name
// the option and the value but never a secret, subscribe/unsubscribe in a real
// PUB/SUB exchange, and context options.
#include "catch.hpp"
#include "support.hpp"

#include <zmqraii/curve.hpp>
#include <zmqraii/zmqraii.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include <fcntl.h>

using namespace std::chrono_literals;
using zmqraii_test::contains;
using zmqraii_test::error_of;
namespace opt = zmqraii::option;
namespace ctx_opt = zmqraii::ctx_option;

namespace {

// ---- detection idiom: can `obj.get(o)` / `obj.set(o, v)` be called? ----------
template <class Obj, class Opt, class = void>
struct can_get : std::false_type {};
template <class Obj, class Opt>
struct can_get<Obj, Opt, std::void_t<decltype(std::declval<Obj&>().get(std::declval<Opt>()))>>
    : std::true_type {};

template <class Obj, class Opt, class Value, class = void>
struct can_set : std::false_type {};
template <class Obj, class Opt, class Value>
struct can_set<
    Obj, Opt, Value,
    std::void_t<decltype(std::declval<Obj&>().set(std::declval<Opt>(), std::declval<Value>()))>>
    : std::true_type {};

using zmqraii::context;
using zmqraii::socket;

// Read-write options can be read and written.
static_assert(can_get<socket, decltype(opt::sndhwm)>::value, "sndhwm is readable");
static_assert(can_set<socket, decltype(opt::sndhwm), int>::value, "sndhwm is writable");
// Write-only options cannot be read.
static_assert(!can_get<socket, decltype(opt::subscribe)>::value, "subscribe is write-only");
static_assert(!can_get<socket, decltype(opt::router_mandatory)>::value, "write-only");
static_assert(can_get<socket, decltype(opt::curve_server)>::value, "curve_server is readable");
// Read-only options cannot be written.
static_assert(!can_set<socket, decltype(opt::rcvmore), bool>::value, "rcvmore is read-only");
static_assert(!can_set<socket, decltype(opt::last_endpoint), std::string_view>::value,
              "last_endpoint is read-only");
static_assert(!can_set<socket, decltype(opt::fd), int>::value, "fd is read-only");
// Times need units.
static_assert(!can_set<socket, decltype(opt::linger), int>::value, "linger needs a duration");
static_assert(can_set<socket, decltype(opt::linger), std::chrono::milliseconds>::value,
              "linger takes milliseconds");
// Context options.
static_assert(can_get<context, decltype(ctx_opt::io_threads)>::value, "io_threads readable");
static_assert(can_set<context, decltype(ctx_opt::io_threads), int>::value, "io_threads writable");
static_assert(!can_get<context, decltype(ctx_opt::thread_priority)>::value, "write-only");
static_assert(!can_set<context, decltype(ctx_opt::socket_limit), int>::value, "read-only");
static_assert(!can_set<context, decltype(ctx_opt::msg_t_size), int>::value, "read-only");

}  // namespace

TEST_CASE("options of every value type round-trip", "[options]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::dealer, "options");

    SECTION("int") {
        s.set(opt::sndhwm, 1234);
        CHECK(s.get(opt::sndhwm) == 1234);
        s.set(opt::rcvhwm, 0);
        CHECK(s.get(opt::rcvhwm) == 0);
    }
    SECTION("bool") {
        s.set(opt::immediate, true);
        CHECK(s.get(opt::immediate));
        s.set(opt::immediate, false);
        CHECK_FALSE(s.get(opt::immediate));
        s.set(opt::conflate, true);
        CHECK(s.get(opt::conflate));
    }
    SECTION("milliseconds") {
        s.set(opt::linger, 250ms);
        CHECK(s.get(opt::linger) == 250ms);
        s.set(opt::reconnect_ivl, 42ms);
        CHECK(s.get(opt::reconnect_ivl) == 42ms);
        s.set(opt::heartbeat_ttl, 2s);  // libzmq stores deciseconds
        CHECK(s.get(opt::heartbeat_ttl) == 2000ms);
    }
    SECTION("int64") {
        s.set(opt::maxmsgsize, std::int64_t{4096});
        CHECK(s.get(opt::maxmsgsize) == 4096);
        s.set(opt::maxmsgsize, std::int64_t{-1});
        CHECK(s.get(opt::maxmsgsize) == -1);
    }
    SECTION("uint64") {
        s.set(opt::affinity, std::uint64_t{3});
        CHECK(s.get(opt::affinity) == 3u);
    }
    SECTION("string, and \"\" clears it") {
        s.set(opt::socks_proxy, "127.0.0.1:1080");
        CHECK(s.get(opt::socks_proxy) == "127.0.0.1:1080");
        s.set(opt::socks_proxy, "");
        CHECK(s.get(opt::socks_proxy).empty());
        s.set(opt::plain_username, "alice");
        CHECK(s.get(opt::plain_username) == "alice");
        CHECK(s.get(opt::mechanism) == ZMQ_PLAIN);
        s.set(opt::plain_username, "");
        CHECK(s.get(opt::mechanism) == ZMQ_NULL);
    }
    SECTION("binary, with embedded zero bytes") {
        const std::string id("\0\x01id\xff", 5);
        s.set(opt::routing_id, id);
        CHECK(s.get(opt::routing_id) == id);
    }
    SECTION("curve_key: z85 in, z85 out; 32 raw bytes in, z85 out") {
        if (!zmqraii::has("curve")) {
            WARN("libzmq without CURVE: curve_key options are refused");
            CHECK_THROWS_AS(s.set(opt::curve_publickey, std::string(40, 'a')), zmqraii::error);
            return;
        }
        const auto keys = zmqraii::generate_curve_keypair();
        s.set(opt::curve_publickey, keys.public_key);
        CHECK(s.get(opt::curve_publickey) == keys.public_key);
        const std::string raw = zmqraii::z85_decode_to_string(keys.secret_key);
        REQUIRE(raw.size() == 32);
        s.set(opt::curve_secretkey, raw);
        CHECK(s.get(opt::curve_secretkey) == keys.secret_key);
    }
    SECTION("fd: a descriptor that exists") {
        const int fd = s.get(opt::fd);
        CHECK(fd >= 0);
        CHECK(::fcntl(fd, F_GETFD) != -1);
    }
    SECTION("read-only options") {
        CHECK(s.get(opt::type) == ZMQ_DEALER);
        CHECK_FALSE(s.get(opt::rcvmore));
        CHECK_FALSE(s.get(opt::thread_safe));
        CHECK(s.get(opt::mechanism) == ZMQ_NULL);
        s.bind("tcp://127.0.0.1:*");
        const std::string ep = s.get(opt::last_endpoint);
        CHECK(ep.rfind("tcp://127.0.0.1:", 0) == 0);
        CHECK(ep == s.last_endpoint());
        CHECK((s.get(opt::events) & ZMQ_POLLIN) == 0);
    }
}

TEST_CASE("a refused value names the option and the value, and changes nothing", "[options]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::push, "refusing");
    s.set(opt::sndhwm, 77);

    SECTION("int") {
        const auto [code, what] = error_of([&] { s.set(opt::sndhwm, -5); });
        CHECK(code == std::errc::invalid_argument);
        CHECK_THAT(what, contains("set sndhwm = -5"));
        CHECK_THAT(what, contains("'refusing'"));
        CHECK_THAT(what, contains("Invalid argument"));
        CHECK(s.get(opt::sndhwm) == 77);
    }
    SECTION("milliseconds, below -1 and beyond an int") {
        const auto [code, what] = error_of([&] { s.set(opt::linger, -2ms); });
        CHECK(code == std::errc::invalid_argument);
        CHECK_THAT(what, contains("set linger = -2 ms"));
        const auto [code2, what2] =
            error_of([&] { s.set(opt::linger, std::chrono::hours(24 * 30)); });
        CHECK(code2 == std::errc::invalid_argument);
        CHECK_THAT(what2, contains("set linger = 2592000000 ms"));
        CHECK_THAT(what2, contains("libzmq takes an int: from -2147483648 to 2147483647 ms"));
        CHECK(s.get(opt::linger) != std::chrono::milliseconds(2592000000LL % (1LL << 32)));
    }
    SECTION("binary") {
        const auto [code, what] = error_of([&] { s.set(opt::routing_id, ""); });
        CHECK(code == std::errc::invalid_argument);
        CHECK_THAT(what, contains("set routing_id = <0 bytes>"));
    }
    SECTION("secrets are never printed") {
        const std::string long_password = "hunter2-" + std::string(300, 'p');
        const auto [code, what] = error_of([&] { s.set(opt::plain_password, long_password); });
        CHECK(code == std::errc::invalid_argument);
        CHECK_THAT(what, contains("set plain_password = <hidden>"));
        CHECK_THAT(what, !contains("hunter2"));

        const auto [code2, what2] =
            error_of([&] { s.set(opt::curve_secretkey, "notakeyhunter2"); });
        CHECK(code2 == std::errc::invalid_argument);
        CHECK_THAT(what2, contains("set curve_secretkey = <hidden>"));
        CHECK_THAT(what2, !contains("hunter2"));

        // A public key is no secret: its size is shown.
        const auto [code3, what3] = error_of([&] { s.set(opt::curve_serverkey, "short"); });
        CHECK(code3 == std::errc::invalid_argument);
        CHECK_THAT(what3, contains("set curve_serverkey = <key of 5 bytes>"));
    }
    SECTION("get on a closed socket names the socket") {
        s.close();
        const auto [code, what] = error_of([&] { (void)s.get(opt::sndhwm); });
        CHECK_THAT(what, contains("'refusing'"));
        CHECK_THAT(what, contains("closed"));
    }
}

TEST_CASE("subscribe and unsubscribe filter a real PUB/SUB exchange", "[options][pubsub]") {
    zmqraii::context ctx;
    zmqraii::socket pub(ctx, zmqraii::socket_type::pub, "publisher");
    zmqraii::socket sub(ctx, zmqraii::socket_type::sub, "subscriber");
    pub.bind("inproc://options-pubsub");
    sub.connect("inproc://options-pubsub");
    sub.subscribe("weather");

    // Publish both topics until a subscribed one arrives (the subscription travels
    // to the publisher asynchronously); nothing of the other topic may arrive.
    auto publish_until = [&](std::string_view wanted, std::string_view unwanted) {
        for (int round = 0; round < 500; ++round) {
            pub.send(std::string(unwanted) + " " + std::to_string(round));
            pub.send(std::string(wanted) + " " + std::to_string(round));
            bool got_wanted = false;
            while (auto m = sub.recv_for(20ms)) {
                const std::string text = m->to_string();
                INFO("received: " << text);
                CHECK(text.rfind(unwanted, 0) != 0);
                if (text.rfind(wanted, 0) == 0) got_wanted = true;
            }
            if (got_wanted) return true;
        }
        return false;
    };
    REQUIRE(publish_until("weather", "sports"));

    // Switch topics: the unsubscribe travels before the subscribe, so once a
    // sports message arrives, weather is filtered.
    sub.unsubscribe("weather");
    sub.subscribe("sports");
    REQUIRE(publish_until("sports", "nothing-subscribed"));
    pub.send("weather after unsubscribe");
    pub.send("sports end");
    const auto next = sub.recv_for(5s);
    REQUIRE(next.has_value());
    CHECK(next->to_string() == "sports end");
}

TEST_CASE("context options: valid set/get, and a clear error once sockets exist",
          "[options][context]") {
    zmqraii::context ctx;
    CHECK(ctx.get(ctx_opt::io_threads) == 1);
    ctx.set(ctx_opt::max_sockets, 512);
    CHECK(ctx.get(ctx_opt::max_sockets) == 512);
    CHECK(ctx.get(ctx_opt::msg_t_size) == static_cast<int>(sizeof(zmq_msg_t)));
    CHECK(ctx.get(ctx_opt::socket_limit) > 0);
    ctx.set(ctx_opt::ipv6, 1);
    CHECK(ctx.get(ctx_opt::ipv6) == 1);
    ctx.set(ctx_opt::max_msgsz, 1 << 20);
    CHECK(ctx.get(ctx_opt::max_msgsz) == (1 << 20));

    const auto [code, what] = error_of([&] { ctx.set(ctx_opt::max_msgsz, -5); });
    CHECK(code == std::errc::invalid_argument);
    CHECK_THAT(what, contains("context set max_msgsz = -5"));

    zmqraii::socket s(ctx, zmqraii::socket_type::pair);
    CHECK(s.get(opt::ipv6));  // the context default reached the socket
    const auto [code2, what2] = error_of([&] { ctx.set(ctx_opt::io_threads, 4); });
    CHECK(code2 == std::errc::invalid_argument);
    CHECK_THAT(what2, contains("context set io_threads = 4"));
    CHECK_THAT(what2, contains("before the first socket"));
    CHECK(ctx.get(ctx_opt::io_threads) == 1);  // unchanged: nothing was lost
    // Options that act at any time still work.
    ctx.set(ctx_opt::max_msgsz, 4096);
    CHECK(ctx.get(ctx_opt::max_msgsz) == 4096);
}
