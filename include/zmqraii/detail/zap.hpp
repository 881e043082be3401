// SPDX-License-Identifier: MIT
// detail/zap.hpp: what zmqraii::authenticator (auth.hpp) decides with, apart
// from its thread: the policies of the ZAP domains, the decision on one ZAP
// request (RFC 27's envelope read frame by frame), and the parsers of a
// passwords file and of allow()/deny() addresses.
#ifndef ZMQRAII_DETAIL_ZAP_HPP_INCLUDED
#define ZMQRAII_DETAIL_ZAP_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/detail/ip_address.hpp>
#include <zmqraii/zap_decision.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace zmqraii::detail {

// The settings of one ZAP domain (or of all domains).
struct zap_policy {
    std::set<ip_address> allow;  // non-empty: only these
    std::set<ip_address> deny;   // refused
    // PLAIN users; absent: this domain uses the all-domains users.
    std::optional<std::map<std::string, std::string>> plain_users;
    // CURVE keys (Z85); absent: this domain uses the all-domains keys.
    std::optional<std::set<std::string>> curve_keys;
    bool curve_any = false;  // meaningful when curve_keys has a value

    // `peer` is the request's address, parsed; empty when it is no IP address
    // (ipc, or none): it fails an allow list and passes a deny list.
    ZMQRAII_DECL bool address_ok(const std::optional<ip_address>& peer, std::string& why) const;
};

// The settings of every domain; "*" (authenticator::all_domains) is all of them.
using zap_policies = std::map<std::string, zap_policy, std::less<>>;

// What the parent's configuration calls and the worker thread share.
struct zap_shared {
    std::mutex mutex;
    zap_policies policies;  // guarded by mutex
    // Held while the log callback runs, so that set_log() returns only once the
    // previous callback is no longer running (its target may then go).
    std::mutex log_mutex;
    std::function<void(const zap_decision&)> log;  // guarded by log_mutex
};

// Compares without an early exit on the first difference (the time taken does
// not tell an attacker how much of a password was right).
ZMQRAII_DECL bool equal_secret(std::string_view a, std::string_view b) noexcept;

// The answer to one ZAP request: the decision, and the request id to echo.
struct zap_verdict {
    zap_decision decision;
    std::string request_id;  // empty when the request's layout could not be read
};

// Decides one ZAP request, as the authenticator's handler thread does.
//
// `frames` are the request's frames after the routing id that the handler's
// ROUTER socket adds: the empty delimiter frame, then RFC 27's version ("1.0"),
// request id, domain, address, identity, mechanism, and the credentials of the
// mechanism (NULL none, PLAIN user name and password, CURVE the client's 32-byte
// public key). A request whose layout differs gets 500, and its decision keeps
// none of its fields: when frames are missing or shifted, a password may sit in
// any of them. Credentials never reach the decision but for the PLAIN user name
// and the CURVE public key. Reads `policies` only (the caller holds the lock).
ZMQRAII_DECL zap_verdict zap_decide(const zap_policies& policies,
                                    const std::vector<std::string_view>& frames);

// The users of a passwords file's text (see authenticator::load_plain_users()).
// `where` names the file in errors, which give the line number, never its text.
ZMQRAII_DECL std::map<std::string, std::string> parse_plain_users(std::string_view text,
                                                                  const std::string& where);

// The address of allow() or deny(); throws EINVAL naming `op` when it is not
// an IP address.
ZMQRAII_DECL ip_address parse_filter_address(std::string_view address, const char* op);

// The largest passwords file load_plain_users() reads.
inline constexpr std::size_t max_passwords_file_bytes = 1024 * 1024;

}  // namespace zmqraii::detail

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/zap.ipp>
#endif

#endif  // ZMQRAII_DETAIL_ZAP_HPP_INCLUDED
