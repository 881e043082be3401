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
ZMQRAII_DECL std::string escape_text(std::string_view text, std::size_t max_bytes);

// `"<escaped text>"`; when `text` is longer than `max_bytes`, its first
// `max_bytes` bytes and, after the closing quote, `...(<size> bytes)`.
ZMQRAII_DECL std::string quoted(std::string_view text, std::size_t max_bytes = 128);

}  // namespace zmqraii::detail

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/log_text.ipp>
#endif

#endif  // ZMQRAII_DETAIL_LOG_TEXT_HPP_INCLUDED
