// SPDX-License-Identifier: MIT
// impl/ip_address.ipp: definitions for detail/ip_address.hpp (see ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_IP_ADDRESS_IPP_INCLUDED
#define ZMQRAII_IMPL_IP_ADDRESS_IPP_INCLUDED

#include <zmqraii/detail/ip_address.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace zmqraii::detail {

bool parse_ipv4(std::string_view text, unsigned char* out) noexcept {
    std::size_t i = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (i >= text.size() || text[i] != '.') return false;
            ++i;
        }
        const std::size_t start = i;
        unsigned value = 0;
        while (i < text.size() && is_decimal_digit(text[i]) && i - start < 3) {
            value = value * 10 + static_cast<unsigned>(text[i] - '0');
            ++i;
        }
        const std::size_t digits = i - start;
        if (digits == 0 || value > 255 || (digits > 1 && text[start] == '0')) return false;
        if (i < text.size() && is_decimal_digit(text[i])) return false;  // a 4th digit
        out[part] = static_cast<unsigned char>(value);
    }
    return i == text.size();
}

std::optional<ip_address> parse_ipv6(std::string_view text) noexcept {
    std::uint16_t groups[8] = {};
    int count = 0;
    int gap = -1;  // index of the group where "::" stands, if any
    std::size_t i = 0;
    if (text.size() >= 2 && text[0] == ':' && text[1] == ':') {
        gap = 0;
        i = 2;
    } else if (!text.empty() && text[0] == ':') {
        return std::nullopt;
    }
    while (i < text.size()) {
        if (count == 8) return std::nullopt;
        const std::size_t end = std::min(text.find(':', i), text.size());
        const std::string_view token = text.substr(i, end - i);
        if (token.find('.') != std::string_view::npos) {
            // A dotted IPv4 address: the last 32 bits, nothing after it.
            unsigned char v4[4];
            if (end != text.size() || count > 6 || !parse_ipv4(token, v4)) return std::nullopt;
            groups[count++] = static_cast<std::uint16_t>((v4[0] << 8) | v4[1]);
            groups[count++] = static_cast<std::uint16_t>((v4[2] << 8) | v4[3]);
            break;
        }
        if (token.empty() || token.size() > 4) return std::nullopt;
        unsigned value = 0;
        for (const char c : token) {
            const int h = hex_value(c);
            if (h < 0) return std::nullopt;
            value = value * 16 + static_cast<unsigned>(h);
        }
        groups[count++] = static_cast<std::uint16_t>(value);
        i = end;
        if (i == text.size()) break;
        ++i;                                        // the ':' after the group
        if (i == text.size()) return std::nullopt;  // a single trailing ':'
        if (text[i] == ':') {
            if (gap >= 0) return std::nullopt;  // a second "::"
            gap = count;
            ++i;
        }
    }
    // Without "::", eight groups; with it, it stands for at least one group.
    if (gap < 0 ? count != 8 : count > 7) return std::nullopt;
    ip_address out{};
    const int tail = gap < 0 ? 0 : count - gap;  // groups after "::"
    for (int g = 0; g < count; ++g) {
        const auto slot =
            static_cast<std::size_t>((gap >= 0 && g >= gap) ? 8 - tail + (g - gap) : g);
        out[2 * slot] = static_cast<unsigned char>(groups[g] >> 8);
        out[2 * slot + 1] = static_cast<unsigned char>(groups[g] & 0xff);
    }
    return out;
}

std::optional<ip_address> parse_ip(std::string_view text) noexcept {
    unsigned char v4[4];
    if (parse_ipv4(text, v4)) {
        ip_address out{};
        out[10] = 0xff;
        out[11] = 0xff;
        for (std::size_t k = 0; k < 4; ++k) out[12 + k] = v4[k];
        return out;
    }
    return parse_ipv6(text);
}

std::optional<ip_address> parse_peer_address(std::string_view text) noexcept {
    const std::size_t percent = text.find('%');
    if (percent == std::string_view::npos) return parse_ip(text);
    const std::string_view zone = text.substr(percent + 1);
    if (zone.empty() || zone.size() > 64) return std::nullopt;
    for (const char c : zone)
        if (c <= ' ' || c > '~' || c == '%') return std::nullopt;
    return parse_ipv6(text.substr(0, percent));
}

}  // namespace zmqraii::detail

#endif  // ZMQRAII_IMPL_IP_ADDRESS_IPP_INCLUDED
