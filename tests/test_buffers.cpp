// SPDX-License-Identifier: MIT
// Tests of the socket's buffer calls: send from any contiguous bytes without making
// the existing overloads ambiguous, and recv_into a caller's buffer with truncation
// reported, under the same ownership and stop checks as send/recv.
#include "catch.hpp"
#include "support.hpp"

#include <zmqraii/zmqraii.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <future>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#if ZMQRAII_HAS_SPAN
#include <span>
#endif

using namespace std::chrono_literals;
using zmqraii_test::contains;

namespace {

template <class Arg, class = void>
struct can_send : std::false_type {};
template <class Arg>
struct can_send<Arg,
                std::void_t<decltype(std::declval<zmqraii::socket&>().send(std::declval<Arg>()))>>
    : std::true_type {};

template <class Arg, class = void>
struct can_recv_into : std::false_type {};
template <class Arg>
struct can_recv_into<
    Arg, std::void_t<decltype(std::declval<zmqraii::socket&>().recv_into(std::declval<Arg>()))>>
    : std::true_type {};

// What was sendable stays sendable, and unambiguous.
static_assert(can_send<const char (&)[5]>::value, "string literal");
static_assert(can_send<const char*>::value, "C string");
static_assert(can_send<std::string_view>::value, "string_view");
static_assert(can_send<const std::string&>::value, "string");
static_assert(can_send<std::string&&>::value, "string rvalue");
static_assert(can_send<zmqraii::message&&>::value, "message rvalue");
static_assert(can_send<zmqraii::byte_view>::value, "byte_view");
// New: any contiguous trivially copyable bytes.
static_assert(can_send<const std::vector<char>&>::value, "vector<char>");
static_assert(can_send<const std::vector<std::byte>&>::value, "vector<byte>");
static_assert(can_send<const std::array<std::uint8_t, 4>&>::value, "array");
static_assert(can_send<const std::vector<int>&>::value, "vector<int>");
// Never: a message lvalue (no implicit copy), containers of non-trivial elements.
static_assert(!can_send<zmqraii::message&>::value, "message lvalue needs std::move");
static_assert(!can_send<const std::vector<std::string>&>::value, "vector<string>");
// The sibling verbs take the same arguments (issue 12): try_send and send_for.
template <class Arg, class = void>
struct can_try_send : std::false_type {};
template <class Arg>
struct can_try_send<
    Arg, std::void_t<decltype(std::declval<zmqraii::socket&>().try_send(std::declval<Arg>()))>>
    : std::true_type {};
template <class Arg, class = void>
struct can_send_for : std::false_type {};
template <class Arg>
struct can_send_for<Arg, std::void_t<decltype(std::declval<zmqraii::socket&>().send_for(
                             std::declval<Arg>(), std::chrono::milliseconds(1)))>>
    : std::true_type {};
static_assert(can_try_send<const char (&)[5]>::value && can_send_for<const char (&)[5]>::value);
static_assert(can_try_send<const std::string&>::value && can_send_for<const std::string&>::value);
static_assert(can_try_send<zmqraii::byte_view>::value && can_send_for<zmqraii::byte_view>::value);
static_assert(can_try_send<const std::vector<int>&>::value &&
              can_send_for<const std::vector<int>&>::value);
static_assert(can_try_send<zmqraii::message&&>::value && can_send_for<zmqraii::message&&>::value);
static_assert(can_send<zmqraii::multipart&&>::value && can_try_send<zmqraii::multipart&&>::value &&
              can_send_for<zmqraii::multipart&&>::value);
static_assert(!can_try_send<zmqraii::message&>::value && !can_send_for<zmqraii::message&>::value);
static_assert(!can_send<zmqraii::multipart&>::value, "multipart lvalue needs std::move");

// Receive into writable buffers only.
static_assert(can_recv_into<std::array<char, 8>&>::value, "array");
static_assert(can_recv_into<std::vector<std::byte>&>::value, "vector<byte>");
static_assert(can_recv_into<std::string&>::value, "string");
static_assert(!can_recv_into<const std::vector<char>&>::value, "const buffer");
static_assert(!can_recv_into<zmqraii::message&>::value, "message");

struct pair_link {
    zmqraii::context ctx;
    zmqraii::socket a{ctx, zmqraii::socket_type::pair, "sender"};
    zmqraii::socket b{ctx, zmqraii::socket_type::pair, "receiver"};
    explicit pair_link(const std::string& name) {
        a.bind("inproc://buffers-" + name);
        b.connect("inproc://buffers-" + name);
    }
};

}  // namespace

TEST_CASE("send accepts contiguous containers of trivially copyable elements", "[buffers]") {
    pair_link link("containers");
    const std::vector<char> chars{'a', 'b', 'c'};
    link.a.send(chars);
    CHECK(link.b.recv().to_string() == "abc");

    const std::vector<std::byte> bytes{std::byte{0}, std::byte{0xff}};
    link.a.send(bytes);
    CHECK(link.b.recv().to_string() == std::string("\0\xff", 2));

    const std::array<std::uint8_t, 4> arr{1, 2, 3, 4};
    REQUIRE(link.a.try_send(arr));
    CHECK(link.b.recv().to_string() == std::string("\x01\x02\x03\x04", 4));

    const std::vector<std::uint32_t> words{0x01020304u, 0x05060708u};
    link.a.send(words, zmqraii::send_flags::more);
    link.a.send(std::string("tail"));
    const zmqraii::message w = link.b.recv();
    REQUIRE(w.size() == 8);
    CHECK(std::memcmp(w.data(), words.data(), 8) == 0);
    CHECK(w.more());
    CHECK(link.b.recv().to_string() == "tail");

#if ZMQRAII_HAS_SPAN
    const std::span<const char> view(chars.data(), 2);
    link.a.send(view);
    CHECK(link.b.recv().to_string() == "ab");
#endif

    // The existing overloads behave as before.
    link.a.send("text");
    CHECK(link.b.recv().to_string() == "text");  // no terminator
    link.a.send(std::string_view("view"));
    CHECK(link.b.recv().to_string() == "view");
    zmqraii::message m("moved");
    link.a.send(std::move(m));
    CHECK(m.empty());
    CHECK(link.b.recv().to_string() == "moved");

    // Every verb, every argument kind.
    const std::vector<char> vec{'v'};
    REQUIRE(link.a.try_send(vec));
    REQUIRE(link.a.send_for(vec, 1s));
    REQUIRE(link.a.send_for("lit", 1s));
    REQUIRE(link.a.send_for(zmqraii::message("msg"), 1s));
    link.a.send(zmqraii::multipart{"m1", "m2"});
    REQUIRE(link.a.try_send(zmqraii::multipart{"t1", "t2"}));
    REQUIRE(link.a.send_for(zmqraii::multipart{"f1", "f2"}, 1s));
    for (const char* want : {"v", "v", "lit", "msg"}) CHECK(link.b.recv().to_string() == want);
    for (const char* first : {"m1", "t1", "f1"}) {
        const zmqraii::multipart got = zmqraii::recv_multipart(link.b);
        REQUIRE(got.size() == 2);
        CHECK(got[0].to_string() == first);
    }
    std::string room(4, '\0');
    link.a.send("into");
    REQUIRE(link.b.recv_into_for(room, 1s));
    CHECK(room == "into");
    const char* null_text = nullptr;
    CHECK_THROWS_WITH(link.a.send(null_text), contains("null C string"));
}

TEST_CASE("recv_into fills a caller's buffer and reports truncation", "[buffers]") {
    pair_link link("recv-into");
    char buf[8];

    SECTION("a part that fits") {
        link.a.send("hello");
        const auto r = link.b.recv_into(buf, sizeof buf);
        CHECK(r.size == 5);
        CHECK(r.full_size == 5);
        CHECK_FALSE(r.truncated());
        CHECK_FALSE(r.more);
        CHECK(std::string(buf, r.size) == "hello");
    }
    SECTION("a part that does not fit: truncated, and said so") {
        link.a.send("hello, world");
        const auto r = link.b.recv_into(buf, sizeof buf);
        CHECK(r.size == 8);
        CHECK(r.full_size == 12);
        CHECK(r.truncated());
        CHECK(std::string(buf, r.size) == "hello, w");
    }
    SECTION("parts of a multipart message carry `more`") {
        link.a.send("one", zmqraii::send_flags::more);
        link.a.send("two");
        const auto r1 = link.b.recv_into(buf, sizeof buf);
        CHECK(r1.more);
        const auto r2 = link.b.recv_into(buf, sizeof buf);
        CHECK_FALSE(r2.more);
        CHECK(std::string(buf, r2.size) == "two");
    }
    SECTION("containers: the current size is the capacity") {
        link.a.send("abcdef");
        std::array<char, 4> arr{};
        const auto r = link.b.recv_into(arr);
        CHECK(r.size == 4);
        CHECK(r.truncated());
        CHECK(std::string(arr.data(), 4) == "abcd");

        link.a.send("xyz");
        std::vector<std::byte> vec(16);
        const auto r2 = link.b.recv_into(vec);
        CHECK(r2.size == 3);
        CHECK(vec[2] == std::byte{'z'});

        link.a.send("str");
        std::string s(10, '.');
        const auto r3 = link.b.try_recv_into(s);
        REQUIRE(r3.has_value());
        s.resize(r3->size);
        CHECK(s == "str");
    }
    SECTION("zero capacity still receives the part and reports its size") {
        link.a.send("lost");
        const auto r = link.b.recv_into(nullptr, 0);
        CHECK(r.size == 0);
        CHECK(r.full_size == 4);
        CHECK(r.truncated());
    }
    SECTION("nothing there: try and timed variants return empty") {
        CHECK_FALSE(link.b.try_recv_into(buf, sizeof buf).has_value());
        const auto t0 = std::chrono::steady_clock::now();
        CHECK_FALSE(link.b.recv_into_for(buf, sizeof buf, 50ms).has_value());
        CHECK(std::chrono::steady_clock::now() - t0 >= 45ms);
        link.a.send("late");
        const auto r = link.b.recv_into_for(buf, sizeof buf, 5s);
        REQUIRE(r.has_value());
        CHECK(std::string(buf, r->size) == "late");
    }
}

TEST_CASE("buffer calls make the ownership and stop checks of send/recv", "[buffers][thread]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::pair, "buffers owner");
    std::string what;
    std::thread([&] {
        char buf[4];
        try {
            s.recv_into(buf, sizeof buf);
        } catch (const zmqraii::wrong_thread& e) {
            what = e.what();
        }
    }).join();
    CHECK_THAT(what, contains("wrong thread: recv_into on socket 'buffers owner'"));

    std::thread([&] {
        try {
            (void)s.try_send(std::vector<char>{'x'});
        } catch (const zmqraii::wrong_thread& e) {
            what = e.what();
        }
    }).join();
    CHECK_THAT(what, contains("wrong thread: try_send on socket 'buffers owner'"));

    s.close();
    char buf[4];
    CHECK_THROWS_WITH(s.recv_into(buf, sizeof buf), contains("recv_into on socket"));
    CHECK_THROWS_WITH(s.raw_call(), contains("raw_call on socket"));
}

TEST_CASE("stop wakes a thread blocked in recv_into with stopped", "[buffers][stop]") {
    zmqraii::context ctx;
    std::promise<void> ready;
    std::promise<std::string> outcome;
    std::thread t([&] {
        outcome.set_value(zmqraii_test::ending_of([&] {
            zmqraii::socket s(ctx, zmqraii::socket_type::pull, "blocked in recv_into");
            s.bind("inproc://buffers-stop");
            ready.set_value();
            char buf[16];
            s.recv_into(buf, sizeof buf);
        }));
    });
    ready.get_future().wait();
    REQUIRE(ctx.stop_for(30s));
    t.join();
    CHECK_THAT(outcome.get_future().get(), contains("stopped: recv_into on socket"));
}
