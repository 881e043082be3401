// SPDX-License-Identifier: MIT
// detail/log_text.hpp: text that a peer (or a file) chose, made safe to put in a
// log line or an error message.
//
// A PLAIN user name, a ZAP domain, an address in a forged request: any of them
// may hold a newline and a fake log line after it, terminal escape sequences,
// quotes that end a field early, or megabytes. escape_text() keeps printable
// ASCII as it is and writes everything else as an escape, so the result is one
// line of printable ASCII; quoted() also bounds it and puts it in quotes.
#ifndef ZMQRAII_DETAIL_LOG_TEXT_HPP_INCLUDED
#define ZMQRAII_DETAIL_LOG_TEXT_HPP_INCLUDED

#include <zmqraii/config.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace zmqraii::detail {

// The escaped form of at most `max_bytes` bytes of `text`: `\` and `"` get a
// backslash; newline, carriage return and tab become \n, \r, \t; every other
// byte outside printable ASCII (0x20-0x7e) becomes \xNN (lowercase hex), UTF-8
// included.
inline std::string escape_text(std::string_view text, std::size_t max_bytes) {
    static constexpr char hex[] = "0123456789abcdef";
    if (text.size() > max_bytes) text = text.substr(0, max_bytes);
    std::string out;
    out.reserve(text.size() + 8);
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '"': out += "\\\""; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (u >= 0x20 && u < 0x7f) {
                    out += c;
                } else {
                    out += "\\x";
                    out += hex[u >> 4];
                    out += hex[u & 0xf];
                }
        }
    }
    return out;
}

// `"<escaped text>"`; when `text` is longer than `max_bytes`, its first
// `max_bytes` bytes and, after the closing quote, `...(<size> bytes)`.
inline std::string quoted(std::string_view text, std::size_t max_bytes = 128) {
    std::string out = "\"" + escape_text(text, max_bytes) + "\"";
    if (text.size() > max_bytes) out += "...(" + std::to_string(text.size()) + " bytes)";
    return out;
}

}  // namespace zmqraii::detail

#endif  // ZMQRAII_DETAIL_LOG_TEXT_HPP_INCLUDED
