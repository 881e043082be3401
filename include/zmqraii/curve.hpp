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

#include <cstddef>
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
ZMQRAII_DECL std::string printable_char(char c);

// What is wrong with `text` as Z85, in words; empty when it is valid Z85 (length
// a multiple of 5, every character in the alphabet, every 5-character group at
// most 0xFFFFFFFF). `quote` false keeps characters of secrets out of the text.
// Callers that add their own context (a file and line) use this rather than
// check_z85(), so that the errno text appears once in the final message.
ZMQRAII_DECL std::string z85_problem(std::string_view text, bool quote = true);

// Throws error EINVAL "op: <what is wrong>" unless `text` is valid Z85 (see
// z85_problem()).
ZMQRAII_DECL void check_z85(std::string_view op, std::string_view text, bool quote = true);

}  // namespace detail

/// Encodes bytes as Z85 text (5 characters per 4 bytes).
/**
 * @param data the bytes.
 * @param size how many bytes; a multiple of 4 (Z85 has no padding).
 * @return the text, 5 * size / 4 characters; empty for no bytes.
 * @throws error EINVAL naming the size when it is not a multiple of 4.
 */
ZMQRAII_DECL std::string z85_encode(const void* data, std::size_t size);

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
ZMQRAII_DECL std::vector<std::byte> z85_decode(std::string_view text);

/// Decodes Z85 text to bytes held in a std::string (handy for option values).
/// @throws error EINVAL as z85_decode().
ZMQRAII_DECL std::string z85_decode_to_string(std::string_view text);

/// Generates a new CURVE key pair (zmq_curve_keypair).
/**
 * @throws error ENOTSUP when the linked libzmq was built without CURVE
 *   (see `has("curve")`).
 */
ZMQRAII_DECL curve_keypair generate_curve_keypair();

/// The CURVE public key of a secret key (zmq_curve_public).
/**
 * @param secret_z85 the secret key as 40 Z85 characters.
 * @return the public key as 40 Z85 characters.
 * @throws error EINVAL when `secret_z85` is not 40 valid Z85 characters (the message
 *   never repeats the key); ENOTSUP without CURVE support.
 */
ZMQRAII_DECL std::string curve_public_from_secret(std::string_view secret_z85);

}  // namespace zmqraii

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/curve.ipp>
#endif

#endif  // ZMQRAII_CURVE_HPP_INCLUDED
