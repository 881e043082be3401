// SPDX-License-Identifier: MIT
// impl/cert_file.ipp: definitions for detail/cert_file.hpp (see ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_CERT_FILE_IPP_INCLUDED
#define ZMQRAII_IMPL_CERT_FILE_IPP_INCLUDED

#include <zmqraii/curve.hpp>
#include <zmqraii/detail/cert_file.hpp>
#include <zmqraii/error.hpp>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace zmqraii::detail {

std::string shell_word(const std::string& path) {
    const bool plain = !path.empty() && std::all_of(path.begin(), path.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("/._-+,:@%=").find(c) != std::string_view::npos;
    });
    if (plain) return path;
    std::string out = "'";
    for (char c : path) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string error_text(const error& e) {
    std::string text = e.what();
    const std::string suffix = ": " + e.code().message();
    if (text.size() >= suffix.size() &&
        text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0)
        text.resize(text.size() - suffix.size());
    return text;
}

bool zpl_name_char(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("$-_@.&+/").find(c) != std::string_view::npos;
}

std::optional<zpl_line> parse_zpl_line(std::string_view line, const std::string& where,
                                       std::size_t line_no) {
    const auto at = [&](const std::string& what) {
        return error(EINVAL, where + ": line " + std::to_string(line_no) + ": " + what);
    };
    const auto skip_blanks = [](std::string_view& v) {
        v.remove_prefix(std::min(v.size(), v.find_first_not_of(" \t")));
    };
    const std::size_t indent = line.find_first_not_of(' ');
    if (indent == std::string_view::npos || line[indent] == '#') return std::nullopt;  // blank
    if (line[indent] == '\t') throw at("indentation must be spaces, not tabs");
    if (indent % 4 != 0) throw at("indentation must be a multiple of 4 spaces");
    std::string_view body = line.substr(indent);
    // name [= value]
    std::size_t name_end = 0;
    while (name_end < body.size() && zpl_name_char(body[name_end])) ++name_end;
    zpl_line out;
    out.indent = indent;
    out.name = std::string(body.substr(0, name_end));
    if (out.name.empty()) throw at("expected a name, found " + printable_char(body[0]));
    std::string_view rest = body.substr(name_end);
    skip_blanks(rest);
    if (!rest.empty() && rest[0] == '=') {
        rest.remove_prefix(1);
        skip_blanks(rest);
        if (!rest.empty() && (rest[0] == '"' || rest[0] == '\'')) {
            // Quoted: everything up to the same quote (ZPL has no escapes).
            const std::size_t close = rest.find(rest[0], 1);
            if (close == std::string_view::npos) throw at("unterminated quoted value");
            out.value = std::string(rest.substr(1, close - 1));
            rest.remove_prefix(close + 1);
        } else {
            // Unquoted: up to a comment, without trailing blanks.
            const std::size_t stop = std::min(rest.find('#'), rest.size());
            std::string_view v = rest.substr(0, stop);
            while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
            out.value = std::string(v);
            rest.remove_prefix(stop);
        }
        skip_blanks(rest);
    }
    if (!rest.empty() && rest[0] != '#') throw at("unexpected text after the value");
    return out;
}

}  // namespace zmqraii::detail

#endif  // ZMQRAII_IMPL_CERT_FILE_IPP_INCLUDED
