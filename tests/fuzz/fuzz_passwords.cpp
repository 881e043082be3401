// SPDX-License-Identifier: MIT
// Fuzz target: PLAIN passwords files (authenticator::load_plain_users, auth.hpp),
// read from bytes.
//
// detail::parse_plain_users() must give what a small model of the documented
// rules gives: one `user=password` per line ('\n' or "\r\n"), the user name
// everything before the first '=', the password everything after it; lines
// that are blank or whose first non-blank character is '#' skipped; a later
// line for the same user wins. A line without '=' or with an empty user name is
// an error that names the file and the line, in one fixed form, and never
// shows the line.
#include "fuzz_support.hpp"

#include <zmqraii/auth.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace {

struct model_result {
    std::map<std::string, std::string> users;
    std::size_t bad_line = 0;  // 0: none
    bool empty_user = false;   // the bad line's problem
};

model_result model(std::string_view text) {
    model_result r;
    std::size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        std::size_t k = 0;
        while (k < line.size() && (line[k] == ' ' || line[k] == '\t')) ++k;
        if (k == line.size() || line[k] == '#') continue;
        const std::size_t eq = line.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            r.bad_line = line_no;
            r.empty_user = eq == 0;
            return r;
        }
        r.users[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): bytes as text
    const std::string text(reinterpret_cast<const char*>(data), size);
    const model_result want = model(text);
    const std::string where = "authenticator load_plain_users fuzz-passwords";
    try {
        const auto users = zmqraii::detail::parse_plain_users(text, where);
        ZMQRAII_FUZZ_CHECK(want.bad_line == 0, "accepted a bad line");
        ZMQRAII_FUZZ_CHECK(users == want.users, "users differ from the model");
        for (const auto& [user, password] : users) {
            ZMQRAII_FUZZ_CHECK(!user.empty(), "empty user name");
            ZMQRAII_FUZZ_CHECK(user.find('=') == std::string::npos, user);
            ZMQRAII_FUZZ_CHECK(user.find('\n') == std::string::npos, user);
            ZMQRAII_FUZZ_CHECK(password.find('\n') == std::string::npos, "newline in a password");
        }
    } catch (const zmqraii::error& e) {
        ZMQRAII_FUZZ_CHECK(want.bad_line != 0, e.what());
        const std::string expected =
            where + ": line " + std::to_string(want.bad_line) +
            (want.empty_user ? ": empty user name" : ": expected user=password") + ": " +
            e.code().message();
        ZMQRAII_FUZZ_CHECK(e.num() == EINVAL && e.what() == expected, e.what());
    }
    return 0;
}
