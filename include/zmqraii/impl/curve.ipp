// SPDX-License-Identifier: MIT
// impl/curve.ipp: definitions for curve.hpp (see ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_CURVE_IPP_INCLUDED
#define ZMQRAII_IMPL_CURVE_IPP_INCLUDED

#include <zmqraii/curve.hpp>
#include <zmqraii/error.hpp>

#include <zmq.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zmqraii {

namespace detail {

std::string printable_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
    static const char hex[] = "0123456789abcdef";
    return std::string("0x") + hex[u >> 4] + hex[u & 0xf];
}

std::string z85_problem(std::string_view text, bool quote) {
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

void check_z85(std::string_view op, std::string_view text, bool quote) {
    std::string problem = z85_problem(text, quote);
    if (!problem.empty()) throw error(EINVAL, std::string(op) + ": " + problem);
}

}  // namespace detail

std::string z85_encode(const void* data, std::size_t size) {
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

std::vector<std::byte> z85_decode(std::string_view text) {
    detail::check_z85("z85_decode", text);
    std::vector<std::byte> out(text.size() / 5 * 4);
    if (text.empty()) return out;
    const std::string terminated(text);  // libzmq reads a C string
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): std::byte as libzmq's uint8_t
    if (zmq_z85_decode(reinterpret_cast<std::uint8_t*>(out.data()), terminated.c_str()) == nullptr)
        detail::throw_last_error("z85_decode", std::to_string(text.size()) + " characters");
    return out;
}

std::string z85_decode_to_string(std::string_view text) {
    const std::vector<std::byte> bytes = z85_decode(text);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): bytes viewed as chars
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

curve_keypair generate_curve_keypair() {
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

std::string curve_public_from_secret(std::string_view secret_z85) {
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

#endif  // ZMQRAII_IMPL_CURVE_IPP_INCLUDED
