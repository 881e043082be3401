// SPDX-License-Identifier: MIT
// zmqraii::message: ownership of a zmq_msg_t, copies, zero-copy hand-over of
// std::string / std::vector buffers and of a caller's buffer with a free function,
// accessors, and metadata properties.
#include <zmqraii/context.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/socket.hpp>

#include "catch.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

using zmqraii_test::contains;

namespace {

using namespace std::chrono_literals;

// Polls `done` until it holds or `bound` has passed; for events that libzmq
// signals to nobody (a free function called on an I/O thread).
template <class Pred>
bool wait_until(Pred done, std::chrono::milliseconds bound = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// What a free function saw. libzmq may call the free function from an I/O
// thread, hence the atomics.
struct free_log {
    std::atomic<int> calls{0};
    std::atomic<void*> data{nullptr};
};

void count_free(void* data, void* hint) noexcept {
    auto* log = static_cast<free_log*>(hint);
    log->data.store(data, std::memory_order_relaxed);
    log->calls.fetch_add(1, std::memory_order_release);
}

int free_calls(const free_log& log) { return log.calls.load(std::memory_order_acquire); }

// A connected inproc PAIR pair in `ctx`, for carrying messages.
struct inproc_pair {
    zmqraii::socket tx;
    zmqraii::socket rx;
    inproc_pair(zmqraii::context& ctx, const std::string& endpoint)
        : tx(ctx, zmqraii::socket_type::pair, "tx"), rx(ctx, zmqraii::socket_type::pair, "rx") {
        rx.bind(endpoint);
        tx.connect(endpoint);
    }
};

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
    return s;
}

}  // namespace

TEST_CASE("message is move-only and moves without throwing", "[message]") {
    STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<zmqraii::message>);
    STATIC_REQUIRE_FALSE(std::is_copy_assignable_v<zmqraii::message>);
    STATIC_REQUIRE(std::is_nothrow_move_constructible_v<zmqraii::message>);
    STATIC_REQUIRE(std::is_nothrow_move_assignable_v<zmqraii::message>);
    STATIC_REQUIRE(std::is_nothrow_default_constructible_v<zmqraii::message>);
}

TEST_CASE("a moved-from message is empty and reusable", "[message]") {
    zmqraii::message a("hello");
    REQUIRE(a.to_string() == "hello");

    SECTION("move construction") {
        zmqraii::message b(std::move(a));
        CHECK(b.to_string() == "hello");
        CHECK(a.empty());  // NOLINT(bugprone-use-after-move): documented state
        CHECK(a.size() == 0);
        a = zmqraii::message("again");
        CHECK(a.to_string() == "again");
        CHECK(b.to_string() == "hello");
    }
    SECTION("move assignment releases the target's old content") {
        free_log log;
        char buffer[64] = "caller-owned bytes";
        zmqraii::message b(buffer, sizeof buffer, &count_free, &log);
        b = std::move(a);
        CHECK(free_calls(log) == 1);  // b's old content was released
        CHECK(log.data.load() == buffer);
        CHECK(b.to_string() == "hello");
        CHECK(a.empty());  // NOLINT(bugprone-use-after-move)
    }
    SECTION("a moved-from message can receive") {
        zmqraii::message b(std::move(a));
        zmqraii::context ctx;
        inproc_pair p(ctx, "inproc://message-reuse");
        p.tx.send("received into a moved-from message");
        p.rx.recv(a);
        CHECK(a.to_string() == "received into a moved-from message");
    }
}

TEST_CASE("construction copies from string_view, const char* and byte_view", "[message]") {
    SECTION("std::string_view") {
        std::string source = "string view text";
        zmqraii::message m{std::string_view(source)};
        CHECK(m.size() == source.size());
        CHECK(m.data() != static_cast<const void*>(source.data()));
        source[0] = 'X';  // the message has its own copy
        CHECK(m.to_string() == "string view text");
    }
    SECTION("const char*") {
        char source[] = "c string";
        const char* p = source;
        zmqraii::message m(p);
        CHECK(m.size() == 8);  // without the terminator
        source[0] = 'X';
        CHECK(m.to_string() == "c string");
    }
    SECTION("byte_view") {
        std::vector<std::byte> source{std::byte{0}, std::byte{1}, std::byte{0xff}, std::byte{0}};
        zmqraii::message m(zmqraii::byte_view(source.data(), source.size()));
        REQUIRE(m.size() == 4);
        CHECK(m.data() != static_cast<const void*>(source.data()));
        source[1] = std::byte{7};
        const auto b = m.bytes();
        CHECK(b[0] == std::byte{0});
        CHECK(b[1] == std::byte{1});
        CHECK(b[2] == std::byte{0xff});
        CHECK(b[3] == std::byte{0});
    }
    SECTION("pointer and size, embedded NULs kept") {
        const char source[] = {'a', '\0', 'b'};
        zmqraii::message m(source, sizeof source);
        CHECK(m.to_string() == std::string("a\0b", 3));
    }
    SECTION("empty input") {
        zmqraii::message m{std::string_view()};
        CHECK(m.empty());
        CHECK(m.to_string().empty());
    }
}

TEST_CASE("a large moved-in std::string is handed over without a copy", "[message]") {
    const std::string expected = pattern(4096);
    std::string s = expected;
    const char* original = s.data();

    zmqraii::message m(std::move(s));
    CHECK(m.data() == static_cast<const void*>(original));
    CHECK(m.size() == expected.size());
    CHECK(m.to_string() == expected);

    zmqraii::context ctx;
    inproc_pair p(ctx, "inproc://message-string");
    p.tx.send(std::move(m));
    CHECK(m.empty());  // NOLINT(bugprone-use-after-move): sent messages are emptied
    const zmqraii::message got = p.rx.recv();
    CHECK(got.to_string() == expected);
}

TEST_CASE("a large moved-in std::vector is handed over without a copy", "[message]") {
    SECTION("vector<char>") {
        const std::string expected = pattern(1000);
        std::vector<char> v(expected.begin(), expected.end());
        const char* original = v.data();
        zmqraii::message m(std::move(v));
        CHECK(m.data() == static_cast<const void*>(original));
        CHECK(m.to_string() == expected);

        zmqraii::context ctx;
        inproc_pair p(ctx, "inproc://message-vector");
        p.tx.send(std::move(m));
        CHECK(p.rx.recv().to_string() == expected);
    }
    SECTION("vector<std::byte>") {
        std::vector<std::byte> v(100);
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::byte>(i);
        const std::byte* original = v.data();
        zmqraii::message m(std::move(v));
        CHECK(m.data() == static_cast<const void*>(original));
        REQUIRE(m.size() == 100);
        CHECK(m.bytes()[99] == std::byte{99});
    }
    SECTION("vector<int>: size counts bytes") {
        std::vector<int> v(64);
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int>(i) * 1000;
        const int* original = v.data();
        zmqraii::message m(std::move(v));
        CHECK(m.data() == static_cast<const void*>(original));
        REQUIRE(m.size() == 64 * sizeof(int));
        int last = 0;
        std::memcpy(&last, static_cast<const char*>(m.data()) + 63 * sizeof(int), sizeof last);
        CHECK(last == 63000);
    }
    SECTION("33 bytes, just above the copy threshold, is handed over") {
        std::vector<char> v(33, 'z');
        const char* original = v.data();
        zmqraii::message m(std::move(v));
        CHECK(m.data() == static_cast<const void*>(original));
        CHECK(m.to_string() == std::string(33, 'z'));
    }
}

TEST_CASE("a small moved-in std::string or std::vector is copied correctly", "[message]") {
    SECTION("short string") {
        std::string s = "tiny";
        zmqraii::message m(std::move(s));
        CHECK(m.to_string() == "tiny");
    }
    SECTION("32-byte vector (at the threshold) is copied") {
        const std::string expected = pattern(32);
        std::vector<char> v(expected.begin(), expected.end());
        const char* original = v.data();
        zmqraii::message m(std::move(v));
        CHECK(m.data() != static_cast<const void*>(original));
        CHECK(m.to_string() == expected);
    }
    SECTION("empty string and vector") {
        zmqraii::message a{std::string()};
        zmqraii::message b{std::vector<char>()};
        CHECK(a.empty());
        CHECK(b.empty());
    }
    SECTION("a small copied message survives the inproc round trip") {
        zmqraii::context ctx;
        inproc_pair p(ctx, "inproc://message-small");
        p.tx.send(zmqraii::message(std::string("small payload")));
        CHECK(p.rx.recv().to_string() == "small payload");
    }
}

TEST_CASE("a caller's buffer with a free function is released exactly once", "[message]") {
    static char buffer[256];
    std::memset(buffer, 'q', sizeof buffer);
    free_log log;

    SECTION("never sent: freed when the message is destroyed") {
        {
            zmqraii::message m(buffer, sizeof buffer, &count_free, &log);
            CHECK(m.data() == static_cast<const void*>(buffer));
            CHECK(m.size() == sizeof buffer);
            CHECK(free_calls(log) == 0);
        }
        CHECK(free_calls(log) == 1);
        CHECK(log.data.load() == buffer);
    }
    SECTION("moved: freed once, when the last owner is destroyed") {
        {
            zmqraii::message a(buffer, sizeof buffer, &count_free, &log);
            zmqraii::message b(std::move(a));
            { zmqraii::message c(std::move(b)); }
            CHECK(free_calls(log) == 1);
        }
        CHECK(free_calls(log) == 1);
    }
    SECTION("clear() releases the buffer") {
        zmqraii::message m(buffer, sizeof buffer, &count_free, &log);
        m.clear();
        CHECK(free_calls(log) == 1);
        CHECK(m.empty());
    }
    SECTION("sent over inproc: the receiver holds the same buffer until it is gone") {
        zmqraii::context ctx;
        inproc_pair p(ctx, "inproc://message-free-fn");
        p.tx.send(zmqraii::message(buffer, sizeof buffer, &count_free, &log));
        CHECK(free_calls(log) == 0);
        {
            zmqraii::message got = p.rx.recv();
            CHECK(got.size() == sizeof buffer);
            CHECK(got.data() == static_cast<const void*>(buffer));  // inproc: no copy
            CHECK(free_calls(log) == 0);
        }
        CHECK(free_calls(log) == 1);
        CHECK(log.data.load() == buffer);
    }
    SECTION("sent over tcp: freed once by libzmq after the send") {
        zmqraii::context ctx;
        zmqraii::socket push(ctx, zmqraii::socket_type::push, "push");
        zmqraii::socket pull(ctx, zmqraii::socket_type::pull, "pull");
        pull.bind("tcp://127.0.0.1:*");
        push.connect(pull.last_endpoint());
        push.send(zmqraii::message(buffer, sizeof buffer, &count_free, &log));
        const zmqraii::message got = pull.recv();
        CHECK(got.to_string() == std::string(sizeof buffer, 'q'));
        // libzmq calls the free function from its I/O thread once the bytes are out.
        CHECK(wait_until([&] { return free_calls(log) >= 1; }));
        push.close();
        pull.close();
        ctx.stop();  // every I/O thread is gone: the count is final
        CHECK(free_calls(log) == 1);
        CHECK(log.data.load() == buffer);
    }
}

TEST_CASE("accessors: data, size, to_string, to_string_view, bytes, mutable_data, handle",
          "[message]") {
    zmqraii::message m("accessors");
    CHECK(m.size() == 9);
    CHECK_FALSE(m.empty());
    CHECK(std::memcmp(m.data(), "accessors", 9) == 0);
    CHECK(m.to_string() == "accessors");
    const std::string_view v = m.to_string_view();
    CHECK(v == "accessors");
    CHECK(static_cast<const void*>(v.data()) == m.data());
    const zmqraii::byte_view b = m.bytes();
    CHECK(b.size() == 9);
    CHECK(static_cast<const void*>(b.data()) == m.data());
    CHECK(b[0] == std::byte{'a'});
    CHECK_FALSE(m.more());  // not received: no more parts

    zmqraii::message sized(5);
    CHECK(sized.size() == 5);
    std::memcpy(sized.mutable_data(), "12345", 5);
    CHECK(sized.to_string() == "12345");

    CHECK(zmq_msg_size(m.handle()) == 9);
    const zmqraii::message& cm = m;
    CHECK(zmq_msg_size(const_cast<zmq_msg_t*>(cm.handle())) == 9);

    const zmqraii::message empty;
    CHECK(empty.empty());
    CHECK(empty.to_string_view().empty());
    CHECK(empty.bytes().empty());
}

TEST_CASE("more() is true on every part of a multi-part message but the last", "[message]") {
    zmqraii::context ctx;
    inproc_pair p(ctx, "inproc://message-more");
    p.tx.send("first", zmqraii::send_flags::more);
    p.tx.send("second");
    const zmqraii::message first = p.rx.recv();
    const zmqraii::message second = p.rx.recv();
    CHECK(first.to_string() == "first");
    CHECK(first.more());
    CHECK(second.to_string() == "second");
    CHECK_FALSE(second.more());
}

TEST_CASE("copy_from copies the bytes and shares large buffers", "[message]") {
    SECTION("from itself: nothing happens") {
        // zmq_msg_copy(m, m) would drop the only reference and later trip
        // libzmq's assertion in msg.cpp.
        zmqraii::message small("self");
        small.copy_from(small);
        CHECK(small.to_string() == "self");
        zmqraii::message large(std::string(1000, 'L'));
        large.copy_from(large);
        CHECK(large.size() == 1000);
        CHECK(large.to_string() == std::string(1000, 'L'));
    }
    SECTION("small message") {
        zmqraii::message a("original");
        zmqraii::message b("to be replaced");
        b.copy_from(a);
        CHECK(b.to_string() == "original");
        CHECK(a.to_string() == "original");  // the source is unchanged
        CHECK(a == b);
    }
    SECTION("a free-function buffer is released once, after both copies are gone") {
        static char buffer[128];
        std::memset(buffer, 'c', sizeof buffer);
        free_log log;
        {
            zmqraii::message a(buffer, sizeof buffer, &count_free, &log);
            {
                zmqraii::message b;
                b.copy_from(a);
                CHECK(b.data() == static_cast<const void*>(buffer));  // shared, not copied
                CHECK(b.size() == sizeof buffer);
            }
            CHECK(free_calls(log) == 0);  // a still refers to it
        }
        CHECK(free_calls(log) == 1);
    }
}

TEST_CASE("clear() empties a message, which stays usable", "[message]") {
    zmqraii::message m(std::string(100, 'x'));
    REQUIRE(m.size() == 100);
    m.clear();
    CHECK(m.empty());
    CHECK(m.to_string().empty());
    m = zmqraii::message("refilled");
    CHECK(m.to_string() == "refilled");
}

TEST_CASE("operator== and != compare the bytes", "[message]") {
    const zmqraii::message a("same");
    const zmqraii::message b(std::string_view("same"));
    const zmqraii::message c("diff");
    const zmqraii::message longer("same, longer");
    const zmqraii::message empty1;
    const zmqraii::message empty2{std::string_view()};
    CHECK(a == b);
    CHECK_FALSE(a != b);
    CHECK(a != c);
    CHECK_FALSE(a == c);
    CHECK(a != longer);
    CHECK(empty1 == empty2);
    CHECK(a != empty1);
}

TEST_CASE("property() reads metadata of received messages", "[message]") {
    SECTION("a message that was never received has no properties") {
        const zmqraii::message m("local");
        CHECK(m.property("Socket-Type").empty());
        CHECK(m.property("No-Such-Property").empty());
    }
    SECTION("inproc: libzmq 4.3 attaches no metadata, so Socket-Type is empty") {
        zmqraii::context ctx;
        inproc_pair p(ctx, "inproc://message-property");
        p.tx.send("meta");
        const zmqraii::message m = p.rx.recv();
        CHECK(m.to_string() == "meta");
        CHECK(m.property("Socket-Type").empty());
    }
    SECTION("tcp: Socket-Type is the peer's type, Peer-Address its address") {
        zmqraii::context ctx;
        zmqraii::socket push(ctx, zmqraii::socket_type::push);
        zmqraii::socket pull(ctx, zmqraii::socket_type::pull);
        pull.bind("tcp://127.0.0.1:*");
        push.connect(pull.last_endpoint());
        push.send("meta");
        const zmqraii::message m = pull.recv();
        CHECK(m.property("Socket-Type") == "PUSH");
        CHECK(m.property("Peer-Address") == "127.0.0.1");
        CHECK(m.property("No-Such-Property").empty());
    }
}
