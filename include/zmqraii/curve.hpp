// SPDX-License-Identifier: MIT
/// @file curve.hpp
/// CURVE key pairs and the Z85 text encoding of binary keys (ZeroMQ RFC 32).
///
/// - generate_curve_keypair(): a new key pair as two 40-character Z85 strings.
/// - curve_public_from_secret(): the public key that belongs to a secret key.
/// - z85_encode() / z85_decode(): bytes to Z85 text and back, with errors that say
///   what is wrong with the input (length, bad character and its position).
///
/// Use the keys with the socket options option::curve_server, curve_publickey,
/// curve_secretkey and curve_serverkey. Whether the linked libzmq supports CURVE at
/// all is `zmqraii::has("curve")` (version.hpp).
#ifndef ZMQRAII_CURVE_HPP_INCLUDED
#define ZMQRAII_CURVE_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/error.hpp>

#include <zmq.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zmqraii {

/// A CURVE key pair, both keys as 40 Z85 characters.
/**
 * The secret key is a secret: store it like a password and never log it (zmqraii's
 * own error messages print `<hidden>` in its place).
 *
 * @par Thread Safety
 * A value: any thread may use it, one thread at a time.
 */
struct curve_keypair {
    std::string public_key;  ///< 40 Z85 characters (32 bytes).
    std::string secret_key;  ///< 40 Z85 characters (32 bytes).
};

namespace detail {

// The Z85 alphabet of RFC 32, in value order.
inline constexpr std::string_view z85_alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

// Value of a Z85 character, or -1 when it is not in the alphabet.
constexpr int z85_value(char c) noexcept {
    for (std::size_t i = 0; i < z85_alphabet.size(); ++i)
        if (z85_alphabet[i] == c) return static_cast<int>(i);
    return -1;
}

// Printable form of a byte for error messages: 'c' or 0xNN.
inline std::string printable_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
    static const char hex[] = "0123456789abcdef";
    return std::string("0x") + hex[u >> 4] + hex[u & 0xf];
}

// What is wrong with `text` as Z85, in words; empty when it is valid Z85 (length
// a multiple of 5, every character in the alphabet, every 5-character group at
// most 0xFFFFFFFF). `quote` false keeps characters of secrets out of the text.
// Callers that add their own context (a file and line) use this rather than
// check_z85(), so that the errno text appears once in the final message.
inline std::string z85_problem(std::string_view text, bool quote = true) {
    if (text.size() % 5 != 0)
        return "Z85 text must be a multiple of 5 characters long, got " +
               std::to_string(text.size());
    for (std::size_t group = 0; group < text.size(); group += 5) {
        std::uint64_t value = 0;
        for (std::size_t i = group; i < group + 5; ++i) {
            const int v = z85_value(text[i]);
            if (v < 0)
                return "character " + (quote ? printable_char(text[i]) + " " : std::string()) +
                       "at position " + std::to_string(i) + " is not in the Z85 alphabet";
            value = value * 85 + static_cast<std::uint64_t>(v);
        }
        if (value > 0xFFFFFFFFu)
            return "the 5 characters at position " + std::to_string(group) +
                   " encode a value above 0xFFFFFFFF (not valid Z85)";
    }
    return std::string();
}

// Throws error EINVAL "op: <what is wrong>" unless `text` is valid Z85 (see
// z85_problem()).
inline void check_z85(std::string_view op, std::string_view text, bool quote = true) {
    std::string problem = z85_problem(text, quote);
    if (!problem.empty()) throw error(EINVAL, std::string(op) + ": " + problem);
}

}  // namespace detail

/// Encodes bytes as Z85 text (5 characters per 4 bytes).
/**
 * @param data the bytes.
 * @param size how many bytes; a multiple of 4 (Z85 has no padding).
 * @return the text, 5 * size / 4 characters; empty for no bytes.
 * @throws error EINVAL naming the size when it is not a multiple of 4.
 */
inline std::string z85_encode(const void* data, std::size_t size) {
    if (size % 4 != 0)
        throw error(EINVAL, "z85_encode: the input must be a multiple of 4 bytes long, got " +
                                std::to_string(size) + " bytes (Z85 has no padding)");
    if (size == 0) return std::string();
    std::string out(size / 4 * 5 + 1, '\0');
    if (zmq_z85_encode(&out[0], static_cast<const std::uint8_t*>(data), size) == nullptr)
        detail::throw_last_error("z85_encode", std::to_string(size) + " bytes");
    out.pop_back();  // the terminator libzmq writes
    return out;
}

/// Encodes bytes as Z85 text (copies from any std::string_view of bytes).
inline std::string z85_encode(std::string_view bytes) {
    return z85_encode(bytes.data(), bytes.size());
}

/// Encodes bytes as Z85 text.
inline std::string z85_encode(const std::vector<std::byte>& bytes) {
    return z85_encode(bytes.data(), bytes.size());
}

/// Decodes Z85 text to bytes (4 bytes per 5 characters).
/**
 * @param text Z85 characters; the length must be a multiple of 5.
 * @return the bytes; empty for empty text.
 * @throws error EINVAL naming the length, or the bad character and its position.
 */
inline std::vector<std::byte> z85_decode(std::string_view text) {
    detail::check_z85("z85_decode", text);
    std::vector<std::byte> out(text.size() / 5 * 4);
    if (text.empty()) return out;
    const std::string terminated(text);  // libzmq reads a C string
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): std::byte as libzmq's uint8_t
    if (zmq_z85_decode(reinterpret_cast<std::uint8_t*>(out.data()), terminated.c_str()) == nullptr)
        detail::throw_last_error("z85_decode", std::to_string(text.size()) + " characters");
    return out;
}

/// Decodes Z85 text to bytes held in a std::string (handy for option values).
/// @throws error EINVAL as z85_decode().
inline std::string z85_decode_to_string(std::string_view text) {
    const std::vector<std::byte> bytes = z85_decode(text);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): bytes viewed as chars
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

/// Generates a new CURVE key pair (zmq_curve_keypair).
/**
 * @throws error ENOTSUP when the linked libzmq was built without CURVE
 *   (see `has("curve")`).
 */
inline curve_keypair generate_curve_keypair() {
    char pub[41] = {};
    char sec[41] = {};
    if (zmq_curve_keypair(pub, sec) != 0) {
        const int e = zmq_errno();
        if (e == ENOTSUP)
            throw error(e, "generate_curve_keypair: this libzmq was built without CURVE support");
        detail::throw_error(e, "generate_curve_keypair");
    }
    return curve_keypair{std::string(pub, 40), std::string(sec, 40)};
}

/// The CURVE public key of a secret key (zmq_curve_public).
/**
 * @param secret_z85 the secret key as 40 Z85 characters.
 * @return the public key as 40 Z85 characters.
 * @throws error EINVAL when `secret_z85` is not 40 valid Z85 characters (the message
 *   never repeats the key); ENOTSUP without CURVE support.
 */
inline std::string curve_public_from_secret(std::string_view secret_z85) {
    constexpr std::string_view op = "curve_public_from_secret";
    if (secret_z85.size() != 40)
        throw error(EINVAL,
                    std::string(op) + ": the secret key must be 40 Z85 characters, got " +
                        std::to_string(secret_z85.size()) +
                        (secret_z85.size() == 32 ? " (raw bytes? z85_encode() them first)" : ""));
    detail::check_z85(op, secret_z85, false);
    char pub[41] = {};
    const std::string sec(secret_z85);
    if (zmq_curve_public(pub, sec.c_str()) != 0) {
        const int e = zmq_errno();
        if (e == ENOTSUP)
            throw error(e, std::string(op) + ": this libzmq was built without CURVE support");
        detail::throw_error(e, op);
    }
    return std::string(pub, 40);
}

}  // namespace zmqraii

#endif  // ZMQRAII_CURVE_HPP_INCLUDED
