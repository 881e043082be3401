// SPDX-License-Identifier: MIT
// Fuzz target: Z85 (curve.hpp) and CURVE key parsing (cert.hpp).
//
// For any text: z85_decode() succeeds exactly when z85_problem() finds nothing
// and exactly when libzmq's zmq_z85_decode() does; what it decodes encodes back
// to the same text; a refusal is one EINVAL whose message states the problem
// once, and never quotes a character when asked not to (secret keys). For any
// bytes: encode then decode is the identity. For 40 characters: from_public()
// and from_secret() accept exactly valid Z85, and a secret key's public key is
// libzmq's.
#include "fuzz_support.hpp"

#include <zmqraii/cert.hpp>
#include <zmqraii/curve.hpp>

#include <zmq.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

using zmqraii_fuzz::contains;
using zmqraii_fuzz::count_of;

void check_text(const std::string& text) {
    const std::string problem = zmqraii::detail::z85_problem(text);
    const std::string unquoted = zmqraii::detail::z85_problem(text, false);
    ZMQRAII_FUZZ_CHECK(problem.empty() == unquoted.empty(), problem);
    ZMQRAII_FUZZ_CHECK(!contains(unquoted, "'"), unquoted);  // no character shown
    ZMQRAII_FUZZ_CHECK(zmqraii_fuzz::printable_ascii(problem), problem);

    // libzmq agrees (it reads a C string and refuses empty text).
    if (!text.empty() && text.find('\0') == std::string::npos) {
        std::vector<std::uint8_t> out(text.size() / 5 * 4 + 4);
        const bool libzmq_ok = zmq_z85_decode(out.data(), text.c_str()) != nullptr;
        ZMQRAII_FUZZ_CHECK(libzmq_ok == problem.empty(), problem);
    }

    try {
        const std::vector<std::byte> bytes = zmqraii::z85_decode(text);
        ZMQRAII_FUZZ_CHECK(problem.empty(), problem);
        ZMQRAII_FUZZ_CHECK(bytes.size() == text.size() / 5 * 4, text);
        ZMQRAII_FUZZ_CHECK(zmqraii::z85_encode(bytes) == text, text);
    } catch (const zmqraii::error& e) {
        const std::string what = e.what();
        ZMQRAII_FUZZ_CHECK(!problem.empty(), what);
        ZMQRAII_FUZZ_CHECK(e.num() == EINVAL, what);
        ZMQRAII_FUZZ_CHECK(what == "z85_decode: " + problem + ": " + e.code().message(), what);
        ZMQRAII_FUZZ_CHECK(count_of(what, e.code().message()) == 1, what);
    }
}

void check_bytes(const std::string& raw) {
    const std::string whole = raw.substr(0, raw.size() / 4 * 4);
    const std::string text = zmqraii::z85_encode(whole);
    ZMQRAII_FUZZ_CHECK(text.size() == whole.size() / 4 * 5, text);
    ZMQRAII_FUZZ_CHECK(zmqraii::detail::z85_problem(text).empty(), text);
    ZMQRAII_FUZZ_CHECK(zmqraii::z85_decode_to_string(text) == whole, text);
    if (raw.size() % 4 != 0) {
        bool refused = false;
        try {
            zmqraii::z85_encode(raw);
        } catch (const zmqraii::error& e) {
            refused = e.num() == EINVAL;
        }
        ZMQRAII_FUZZ_CHECK(refused, "z85_encode of a size that is not a multiple of 4");
    }
}

void check_key(const std::string& key) {
    const bool valid = key.size() == 40 && zmqraii::detail::z85_problem(key).empty();
    try {
        const auto c = zmqraii::certificate::from_public(key);
        ZMQRAII_FUZZ_CHECK(valid, key);
        ZMQRAII_FUZZ_CHECK(c.public_key() == key && !c.has_secret(), key);
    } catch (const zmqraii::error& e) {
        ZMQRAII_FUZZ_CHECK(!valid && e.num() == EINVAL, e.what());
    }
    try {
        const auto c = zmqraii::certificate::from_secret(key);
        ZMQRAII_FUZZ_CHECK(valid, "from_secret accepted an invalid key");
        char pub[41] = {};
        ZMQRAII_FUZZ_CHECK(zmq_curve_public(pub, key.c_str()) == 0, "zmq_curve_public");
        ZMQRAII_FUZZ_CHECK(c.public_key() == std::string(pub, 40), "public key");
        ZMQRAII_FUZZ_CHECK(c.secret_key() == key, "secret key");
        // The pair is accepted as a pair, and a wrong public key is refused.
        const zmqraii::certificate same(zmqraii::curve_keypair{c.public_key(), key});
        ZMQRAII_FUZZ_CHECK(same.public_key() == c.public_key(), "pair");
    } catch (const zmqraii::error& e) {
        const std::string what = e.what();
        ZMQRAII_FUZZ_CHECK(!valid && e.num() == EINVAL, what);
        // Exactly one of two messages, neither of which shows any of the key.
        const std::string expected =
            key.size() != 40
                ? "certificate::from_secret: the secret key must be 40 Z85 characters, got " +
                      std::to_string(key.size())
                : "certificate::from_secret: secret key: " +
                      zmqraii::detail::z85_problem(key, false);
        ZMQRAII_FUZZ_CHECK(what == expected + ": " + e.code().message(), what);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): bytes as text
    const std::string text(reinterpret_cast<const char*>(data), size);
    check_text(text);
    check_bytes(text);
    check_key(text.substr(0, 40));
    if (size >= 32) check_key(zmqraii::z85_encode(text.substr(0, 32)));  // a valid key
    return 0;
}
