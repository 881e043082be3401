// SPDX-License-Identifier: MIT
// impl/zap.ipp: definitions for detail/zap.hpp (see ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_ZAP_IPP_INCLUDED
#define ZMQRAII_IMPL_ZAP_IPP_INCLUDED

#include <zmqraii/curve.hpp>
#include <zmqraii/detail/cert_file.hpp>
#include <zmqraii/detail/ip_address.hpp>
#include <zmqraii/detail/log_text.hpp>
#include <zmqraii/detail/zap.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/zap_decision.hpp>

#include <cerrno>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zmqraii::detail {

bool zap_policy::address_ok(const std::optional<ip_address>& peer, std::string& why) const {
    if (!allow.empty() && (!peer || allow.count(*peer) == 0)) {
        why = peer ? "address is not in the allow list"
                   : "peer has no IP address, and an allow list is set";
        return false;
    }
    if (peer && deny.count(*peer) != 0) {
        why = "address is denied";
        return false;
    }
    return true;
}

bool equal_secret(std::string_view a, std::string_view b) noexcept {
    const std::size_t n = a.size() > b.size() ? a.size() : b.size();
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff = static_cast<unsigned char>(diff | (x ^ y));
    }
    return diff == 0;
}

zap_verdict zap_decide(const zap_policies& policies, const std::vector<std::string_view>& frames) {
    zap_verdict v;
    zap_decision& d = v.decision;
    const auto refuse = [&v](int status, std::string why) {
        v.decision.status = status;
        v.decision.reason = std::move(why);
        return v;
    };
    if (frames.empty() || !frames[0].empty())
        return refuse(500, "malformed ZAP request: no empty delimiter frame after the routing id");
    if (frames.size() >= 3) v.request_id = std::string(frames[2]);
    if (frames.size() < 7)
        return refuse(500, "malformed ZAP request: " + std::to_string(frames.size() - 1) +
                               " frames after the delimiter, expected at least 6 (version, "
                               "request id, domain, address, identity, mechanism)");
    if (frames[1] != "1.0") return refuse(500, "unsupported ZAP version (expected 1.0)");
    d.domain = std::string(frames[3]);
    d.address = std::string(frames[4]);
    d.mechanism = std::string(frames[6]);
    const std::size_t credentials = frames.size() - 7;
    std::size_t expected = 0;
    if (d.mechanism == "PLAIN") expected = 2;
    if (d.mechanism == "CURVE") expected = 1;
    const bool known = d.mechanism == "NULL" || d.mechanism == "PLAIN" || d.mechanism == "CURVE";
    if (known && credentials != expected)
        return refuse(500, "malformed ZAP request: " + d.mechanism + " with " +
                               std::to_string(credentials) + " credential frames, expected " +
                               std::to_string(expected));
    if (d.mechanism == "CURVE" && frames[7].size() != 32)
        return refuse(500, "malformed ZAP request: a CURVE key of " +
                               std::to_string(frames[7].size()) + " bytes, expected 32");

    static const zap_policy nothing;
    const auto all_it = policies.find(std::string_view("*"));
    const zap_policy& all = all_it != policies.end() ? all_it->second : nothing;
    const auto own = policies.find(d.domain);
    const zap_policy* dom = own != policies.end() ? &own->second : nullptr;

    const std::optional<ip_address> peer = parse_peer_address(d.address);
    std::string why;
    if (!all.address_ok(peer, why) || (dom && !dom->address_ok(peer, why))) return refuse(400, why);
    if (d.mechanism == "NULL") {
        d.user_id = "anonymous";
    } else if (d.mechanism == "PLAIN") {
        d.client = std::string(frames[7]);
        const auto& users = (dom && dom->plain_users) ? dom->plain_users : all.plain_users;
        if (!users || users->empty()) return refuse(400, "no PLAIN users are configured");
        const auto u = users->find(d.client);
        // The same answer for an unknown user and a wrong password.
        if (u == users->end() || !equal_secret(u->second, frames[8]))
            return refuse(400, "invalid user name or password");
        d.user_id = d.client;
    } else if (d.mechanism == "CURVE") {
        d.client = z85_encode(frames[7].data(), frames[7].size());
        const zap_policy& p = (dom && dom->curve_keys) ? *dom : all;
        if (!p.curve_any && (!p.curve_keys || p.curve_keys->count(d.client) == 0))
            return refuse(400, p.curve_keys && !p.curve_keys->empty()
                                   ? "client key is not allowed"
                                   : "no CURVE client keys are allowed");
        d.user_id = d.client;
    } else {
        return refuse(400, "mechanism not supported");
    }
    d.status = 200;
    d.reason = "OK";
    return v;
}

std::map<std::string, std::string> parse_plain_users(std::string_view text,
                                                     const std::string& where) {
    std::map<std::string, std::string> users;
    for_each_line(text, [&](std::size_t line_no, std::string_view line) {
        const std::size_t first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos || line[first] == '#') return;
        const std::size_t eq = line.find('=');
        if (eq == std::string_view::npos || eq == 0)
            throw error(EINVAL, where + ": line " + std::to_string(line_no) +
                                    (eq == 0 ? ": empty user name" : ": expected user=password"));
        users[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    });
    return users;
}

ip_address parse_filter_address(std::string_view address, const char* op) {
    if (const auto a = parse_ip(address)) return *a;
    throw error(EINVAL, std::string(op) + " " + quoted(address, 64) +
                            ": is not an IP address (an IPv4 address such as 192.0.2.7 or an "
                            "IPv6 address such as 2001:db8::7; host names, networks and zones "
                            "are not supported)");
}

}  // namespace zmqraii::detail

#endif  // ZMQRAII_IMPL_ZAP_IPP_INCLUDED
