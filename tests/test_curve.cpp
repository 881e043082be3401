// SPDX-License-Identifier: MIT
// Tests of curve.hpp (Z85, CURVE key pairs) and zmqraii::has(): the RFC 32 test
// vector, round trips, errors that name what is wrong, and a CURVE-encrypted PAIR.
#include "catch.hpp"
#include "support.hpp"

#include <zmqraii/cert.hpp>
#include <zmqraii/curve.hpp>
#include <zmqraii/zmqraii.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

using namespace std::chrono_literals;
using zmqraii_test::contains;
using zmqraii_test::error_of;

namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
    std::vector<std::byte> out;
    for (int v : values) out.push_back(static_cast<std::byte>(v));
    return out;
}

// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
std::vector<std::byte> pseudo_random_bytes(std::size_t n, std::uint32_t seed) {
    std::vector<std::byte> out(n);
    std::uint32_t x = seed;
    for (auto& b : out) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b = static_cast<std::byte>(x & 0xff);
    }
    return out;
}

}  // namespace

TEST_CASE("z85 matches the RFC 32 test vector", "[curve][z85]") {
    const auto hello = bytes_of({0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B});
    CHECK(zmqraii::z85_encode(hello) == "HelloWorld");
    CHECK(zmqraii::z85_decode("HelloWorld") == hello);
    CHECK(zmqraii::z85_decode_to_string("HelloWorld") ==
          std::string(reinterpret_cast<const char*>(hello.data()), hello.size()));
}

TEST_CASE("z85 round-trips bytes of every length that is a multiple of 4", "[curve][z85]") {
    for (std::size_t n : {0u, 4u, 8u, 32u, 1024u}) {
        const auto data = pseudo_random_bytes(n, static_cast<std::uint32_t>(n + 1));
        const std::string text = zmqraii::z85_encode(data);
        CHECK(text.size() == n / 4 * 5);
        CHECK(zmqraii::z85_decode(text) == data);
        // Every character is from the Z85 alphabet.
        CHECK(text.find_first_not_of(zmqraii::detail::z85_alphabet) == std::string::npos);
    }
    // From a string_view of bytes as well.
    const std::string raw("\x00\x01\x02\xff", 4);
    CHECK(zmqraii::z85_decode_to_string(zmqraii::z85_encode(raw)) == raw);
}

TEST_CASE("z85_encode refuses a size that is not a multiple of 4", "[curve][z85]") {
    const auto five = bytes_of({1, 2, 3, 4, 5});
    const auto [code, what] = error_of([&] { zmqraii::z85_encode(five); });
    CHECK(code == std::errc::invalid_argument);
    CHECK_THAT(what, contains("z85_encode"));
    CHECK_THAT(what, contains("multiple of 4"));
    CHECK_THAT(what, contains("5 bytes"));
}

TEST_CASE("z85_decode names what is wrong with bad text", "[curve][z85]") {
    SECTION("length not a multiple of 5") {
        const auto [code, what] = error_of([] { zmqraii::z85_decode("Hell"); });
        CHECK(code == std::errc::invalid_argument);
        CHECK_THAT(what, contains("multiple of 5"));
        CHECK_THAT(what, contains("got 4"));
    }
    SECTION("a character outside the alphabet, with its position") {
        const auto [code, what] = error_of([] { zmqraii::z85_decode("Hello Worl"); });
        CHECK(code == std::errc::invalid_argument);
        CHECK_THAT(what, contains("position 5"));
        CHECK_THAT(what, contains("0x20"));
        CHECK_THAT(what, contains("not in the Z85 alphabet"));
        const auto [code2, what2] = error_of([] { zmqraii::z85_decode("Hell~"); });
        CHECK(code2 == std::errc::invalid_argument);
        CHECK_THAT(what2, contains("'~' at position 4"));
    }
    SECTION("a group whose value does not fit 32 bits") {
        const auto [code, what] = error_of([] { zmqraii::z85_decode("HelloWorld#####"); });
        CHECK(code == std::errc::invalid_argument);
        CHECK_THAT(what, contains("position 10"));
        CHECK_THAT(what, contains("0xFFFFFFFF"));
    }
    SECTION("empty text is zero bytes") { CHECK(zmqraii::z85_decode("").empty()); }
}

TEST_CASE("z85_problem says what is wrong without throwing; errors say it once", "[curve][z85]") {
    using zmqraii::detail::z85_problem;
    CHECK(z85_problem("HelloWorld").empty());
    CHECK(z85_problem("").empty());
    CHECK_THAT(z85_problem("Hell"), contains("multiple of 5 characters long, got 4"));
    CHECK_THAT(z85_problem("Hello~orld"), contains("character '~' at position 5"));
    // Unquoted, for secrets: the position only.
    CHECK(z85_problem("Hello~orld", false) == "character at position 5 is not in the Z85 alphabet");
    CHECK_THAT(z85_problem("HelloWorld#####"), contains("above 0xFFFFFFFF"));

    // The errno text appears once, at the end, whoever adds context.
    const auto once = [](const std::string& what) {
        const std::string text = zmqraii::error(EINVAL, "x").code().message();
        std::size_t n = 0;
        for (std::size_t at = what.find(text); at != std::string::npos;
             at = what.find(text, at + 1))
            ++n;
        return n == 1 && what.size() >= text.size() &&
               what.compare(what.size() - text.size(), text.size(), text) == 0;
    };
    CHECK(once(error_of([] { zmqraii::z85_decode("Hello~orld"); }).second));
    CHECK(once(error_of([] { zmqraii::curve_public_from_secret(std::string(40, '~')); }).second));
    CHECK(once(error_of([] { zmqraii::certificate::from_public(std::string(40, ' ')); }).second));
}

TEST_CASE("has() reports the capabilities of the linked libzmq", "[curve][version]") {
    CHECK(zmqraii::has("curve") == (zmq_has("curve") != 0));
    CHECK(zmqraii::has("ipc") == (zmq_has("ipc") != 0));
    CHECK_FALSE(zmqraii::has("no-such-capability"));
    CHECK_FALSE(zmqraii::has(""));
}

TEST_CASE("generated CURVE key pairs are valid and match their public key", "[curve]") {
    if (!zmqraii::has("curve")) {
        const auto [code, what] = error_of([] { zmqraii::generate_curve_keypair(); });
        CHECK(code == std::errc::not_supported);
        CHECK_THAT(what, contains("without CURVE"));
        return;
    }
    const zmqraii::curve_keypair a = zmqraii::generate_curve_keypair();
    const zmqraii::curve_keypair b = zmqraii::generate_curve_keypair();
    CHECK(a.public_key.size() == 40);
    CHECK(a.secret_key.size() == 40);
    CHECK(zmqraii::z85_decode(a.public_key).size() == 32);
    CHECK(zmqraii::z85_decode(a.secret_key).size() == 32);
    CHECK(a.public_key != b.public_key);
    CHECK(a.secret_key != b.secret_key);
    CHECK(zmqraii::curve_public_from_secret(a.secret_key) == a.public_key);
    CHECK(zmqraii::curve_public_from_secret(b.secret_key) == b.public_key);
}

TEST_CASE("curve_public_from_secret refuses bad keys without printing them", "[curve]") {
    SECTION("wrong length") {
        const auto [code, what] =
            error_of([] { zmqraii::curve_public_from_secret("tooShortSecret"); });
        CHECK(code == std::errc::invalid_argument);
        CHECK_THAT(what, contains("40 Z85 characters, got 14"));
        CHECK_THAT(what, !contains("tooShortSecret"));
    }
    SECTION("raw 32 bytes get a hint") {
        const std::string raw(32, 'k');
        const auto [code, what] = error_of([&] { zmqraii::curve_public_from_secret(raw); });
        CHECK(code == std::errc::invalid_argument);
        CHECK_THAT(what, contains("z85_encode"));
    }
    SECTION("a bad character: position, never the character") {
        const std::string secret = "abcdefghij~bcdefghijabcdefghijabcdefghij";
        REQUIRE(secret.size() == 40);
        const auto [code, what] = error_of([&] { zmqraii::curve_public_from_secret(secret); });
        CHECK(code == std::errc::invalid_argument);
        CHECK_THAT(what, contains("position 10"));
        CHECK_THAT(what, !contains("~"));
        CHECK_THAT(what, !contains("abcdefghij"));
    }
}

TEST_CASE("a CURVE-encrypted PAIR works with generated keys; a wrong server key gets nothing",
          "[curve][tcp]") {
    if (!zmqraii::has("curve")) {
        WARN("libzmq without CURVE: only the ENOTSUP error is checked");
        CHECK_THROWS_AS(zmqraii::generate_curve_keypair(), zmqraii::error);
        return;
    }
    const auto server_keys = zmqraii::generate_curve_keypair();
    const auto client_keys = zmqraii::generate_curve_keypair();
    const auto impostor_keys = zmqraii::generate_curve_keypair();

    zmqraii::context_options opts;
    opts.linger = 0ms;  // the impostor's queued message must not hold up the stop
    zmqraii::context ctx(opts);
    zmqraii::socket server(ctx, zmqraii::socket_type::pair, "curve server");
    server.set(zmqraii::option::curve_server, true);
    server.set(zmqraii::option::curve_secretkey, server_keys.secret_key);
    server.bind("tcp://127.0.0.1:*");
    const std::string endpoint = server.last_endpoint();
    CHECK(server.get(zmqraii::option::mechanism) == ZMQ_CURVE);

    SECTION("the right server key: messages get through both ways") {
        zmqraii::socket client(ctx, zmqraii::socket_type::pair, "curve client");
        client.set(zmqraii::option::curve_serverkey, server_keys.public_key);
        client.set(zmqraii::option::curve_publickey, client_keys.public_key);
        client.set(zmqraii::option::curve_secretkey, client_keys.secret_key);
        client.connect(endpoint);
        client.send("hello over curve");
        const auto got = server.recv_for(10s);
        REQUIRE(got.has_value());
        CHECK(got->to_string() == "hello over curve");
        server.send("and back");
        const auto back = client.recv_for(10s);
        REQUIRE(back.has_value());
        CHECK(back->to_string() == "and back");
    }
    SECTION("a wrong server key: the handshake fails and nothing gets through") {
        zmqraii::socket client(ctx, zmqraii::socket_type::pair, "impostor client");
        client.set(zmqraii::option::curve_serverkey, impostor_keys.public_key);
        client.set(zmqraii::option::curve_publickey, client_keys.public_key);
        client.set(zmqraii::option::curve_secretkey, client_keys.secret_key);
        client.connect(endpoint);
        (void)client.try_send("must not arrive");
        CHECK_FALSE(server.recv_for(500ms).has_value());
        CHECK_FALSE(server.try_send("nobody is there"));
        CHECK_FALSE(client.recv_for(100ms).has_value());
    }
}
