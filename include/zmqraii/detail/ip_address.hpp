// SPDX-License-Identifier: MIT
// detail/ip_address.hpp: IP addresses as values, for the authenticator's address
// filters (auth.hpp).
//
// libzmq gives the ZAP handler the peer's address as text, and the same address
// has many spellings: a server with option::ipv6 on reports an IPv4 peer as
// "::ffff:127.0.0.1", and IPv6 text may drop zeros or change case. Comparing
// text lets a deny list miss and an allow list refuse. Here every address is
// parsed to its 16 bytes, an IPv4 address a.b.c.d as its IPv4-mapped form
// ::ffff:a.b.c.d (RFC 4291 section 2.5.5.2), so equal addresses compare equal.
//
// The parser follows the text forms of RFC 4291 section 2.2 (what inet_pton
// accepts): IPv4 as four decimal numbers 0-255 without leading zeros; IPv6 as up
// to eight groups of one to four hex digits in either case, at most one "::"
// standing for one or more zero groups, and optionally a dotted IPv4 address in
// the last 32 bits. No host names, no networks, no surrounding blanks. Plain
// C++, no system calls; tests/fuzz/fuzz_zap.cpp checks it against inet_pton.
#ifndef ZMQRAII_DETAIL_IP_ADDRESS_HPP_INCLUDED
#define ZMQRAII_DETAIL_IP_ADDRESS_HPP_INCLUDED

#include <zmqraii/config.hpp>

#include <array>
#include <optional>
#include <string_view>

namespace zmqraii::detail {

// An IP address in its 16-byte IPv6 form (IPv4 as ::ffff:a.b.c.d).
using ip_address = std::array<unsigned char, 16>;

constexpr bool is_decimal_digit(char c) noexcept { return c >= '0' && c <= '9'; }

constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Parses a dotted quad into out[0..3]: exactly four decimal numbers 0-255,
// without leading zeros ("01" could mean octal elsewhere), separated by dots.
ZMQRAII_DECL bool parse_ipv4(std::string_view text, unsigned char* out) noexcept;

// Parses the IPv6 text form (see the file comment).
ZMQRAII_DECL std::optional<ip_address> parse_ipv6(std::string_view text) noexcept;

// Parses an IPv4 or IPv6 address; an IPv4 address becomes ::ffff:a.b.c.d.
ZMQRAII_DECL std::optional<ip_address> parse_ip(std::string_view text) noexcept;

// A peer's address as libzmq reports it: an address that parse_ip() reads, or
// an IPv6 address with a zone ("fe80::1%eth0", the interface of a link-local
// address), whose zone is ignored. Anything else (an ipc peer's
// "localhost:uid:gid:pid", an empty address) is not an IP address.
ZMQRAII_DECL std::optional<ip_address> parse_peer_address(std::string_view text) noexcept;

}  // namespace zmqraii::detail

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/ip_address.ipp>
#endif

#endif  // ZMQRAII_DETAIL_IP_ADDRESS_HPP_INCLUDED
