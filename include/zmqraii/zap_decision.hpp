// SPDX-License-Identifier: MIT
/// @file zap_decision.hpp
/// zmqraii::zap_decision: one decision of the authenticator (auth.hpp), as its
/// log receives it.
#ifndef ZMQRAII_ZAP_DECISION_HPP_INCLUDED
#define ZMQRAII_ZAP_DECISION_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/detail/log_text.hpp>

#include <algorithm>
#include <cstddef>
#include <string>

namespace zmqraii {

/// One decision of the authenticator, as its log receives it.
/**
 * Never contains a password or a secret key: for PLAIN `client` is the user
 * name, for CURVE the client's public key (Z85), for NULL empty. The fields
 * hold the bytes of the request as they are (a user name may contain any byte);
 * to_string() escapes and bounds them. For a request that does not follow
 * RFC 27's layout (status 500) the fields that could not be trusted are empty.
 *
 * @par Thread Safety
 * A value: any thread may use it, one thread at a time.
 */
struct zap_decision {
    std::string domain;  ///< The ZAP domain of the server socket (may be empty).
    /// The peer's address as libzmq reports it: an IP address for tcp (an IPv4
    /// peer of a server with option::ipv6 on as <tt>\::ffff:a.b.c.d</tt>),
    /// `localhost:uid:gid:pid` for ipc.
    std::string address;
    std::string mechanism;  ///< "NULL", "PLAIN", "CURVE" (or what the request named).
    std::string client;     ///< PLAIN user name or CURVE public key (Z85); never a secret.
    int status = 0;         ///< 200 accepted, 400 refused, 500 request not understood.
    std::string reason;     ///< Why, in words ("OK", "address is denied", ...).
    std::string user_id;    ///< The user id given to an accepted connection.

    /// One line of printable ASCII: `ZAP 400 PLAIN domain="d" address=127.0.0.1
    /// client="bob": invalid user name or password`.
    /**
     * Every field is escaped (`\"`, `\\`, `\n`, `\r`, `\t`, and `\xNN` for any
     * other byte outside printable ASCII), so no field can end the line or fake
     * another field. The domain, client and user id are quoted and cut after
     * 128 bytes, followed by `...(<size> bytes)`; an empty mechanism or
     * address prints as `-`.
     */
    std::string to_string() const {
        std::string s = "ZAP " + std::to_string(status) + " " + word(mechanism, 20) +
                        " domain=" + detail::quoted(domain) + " address=" + word(address, 64);
        if (!client.empty()) s += " client=" + detail::quoted(client);
        s += ": " + detail::escape_text(reason, 256);
        if (status == 200) s += " (user id " + detail::quoted(user_id) + ")";
        return s;
    }

private:
    // `text` as it is when it is short and made of characters that cannot
    // confuse a reader of the line (letters, digits, ". : % _ -"), else quoted.
    static std::string word(const std::string& text, std::size_t max_bytes) {
        if (text.empty()) return "-";
        const bool plain =
            text.size() <= max_bytes && std::all_of(text.begin(), text.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == ':' || c == '%' || c == '_' || c == '-';
            });
        return plain ? text : detail::quoted(text, max_bytes);
    }
};

}  // namespace zmqraii

#endif  // ZMQRAII_ZAP_DECISION_HPP_INCLUDED
