// SPDX-License-Identifier: MIT
// impl/log_text.ipp: definitions for detail/log_text.hpp (see ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_LOG_TEXT_IPP_INCLUDED
#define ZMQRAII_IMPL_LOG_TEXT_IPP_INCLUDED

#include <zmqraii/detail/log_text.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace zmqraii::detail {

std::string escape_text(std::string_view text, std::size_t max_bytes) {
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

std::string quoted(std::string_view text, std::size_t max_bytes) {
    std::string out = "\"" + escape_text(text, max_bytes) + "\"";
    if (text.size() > max_bytes) out += "...(" + std::to_string(text.size()) + " bytes)";
    return out;
}

}  // namespace zmqraii::detail

#endif  // ZMQRAII_IMPL_LOG_TEXT_IPP_INCLUDED
