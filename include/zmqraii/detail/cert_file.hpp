// SPDX-License-Identifier: MIT
// detail/cert_file.hpp: the text files of certificates (cert.hpp) and passwords
// (auth.hpp): the line reader, the ZPL subset of certificate files (ZeroMQ RFC
// 4, see cert.hpp for the format), and the pieces of their error messages. The
// file calls themselves (open, read, write, rename) are in detail/platform.hpp.
#ifndef ZMQRAII_DETAIL_CERT_FILE_HPP_INCLUDED
#define ZMQRAII_DETAIL_CERT_FILE_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/detail/log_text.hpp>
#include <zmqraii/error.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace zmqraii::detail {

// The largest certificate file that certificate::load() reads (and save() writes).
inline constexpr std::size_t max_certificate_file_bytes = 64 * 1024;

// `path` as a shell word: as is when it has only characters a shell leaves
// alone, else in single quotes.
ZMQRAII_DECL std::string shell_word(const std::string& path);

// The message of a zmqraii::error without the ": <errno text>" that
// std::system_error appends: for wrapping it in a message of its own.
ZMQRAII_DECL std::string error_text(const error& e);

/// Calls fn(line_no, line) for every line of `text`: 1-based numbers, without the
/// '\n' and a '\r' before it. `fn` returns nothing; a line it skips just returns.
template <class Fn>
void for_each_line(std::string_view text, Fn&& fn) {
    std::size_t pos = 0;
    std::size_t line_no = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        fn(line_no, line);
    }
}

// A character of a ZPL name (and of a certificate's metadata name).
ZMQRAII_DECL bool zpl_name_char(char c) noexcept;

// One line of a ZPL file: `indent` spaces, a name, and its value if it has one.
struct zpl_line {
    std::size_t indent = 0;
    std::string name;
    std::optional<std::string> value;
};

// Reads line `line_no` of `where` (which names the file in errors): an empty
// optional for a blank or comment line. A value is quoted ('...' or "...", no
// escapes) or runs up to a comment, without trailing blanks.
// @throws error EINVAL naming the line for what is not `name [= value]
//   [# comment]` indented by a multiple of 4 spaces.
ZMQRAII_DECL std::optional<zpl_line> parse_zpl_line(std::string_view line, const std::string& where,
                                                    std::size_t line_no);

}  // namespace zmqraii::detail

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/cert_file.ipp>
#endif

#endif  // ZMQRAII_DETAIL_CERT_FILE_HPP_INCLUDED
