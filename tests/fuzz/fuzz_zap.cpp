// SPDX-License-Identifier: MIT
// Fuzz target: the authenticator's decisions (auth.hpp), checked against a small
// model of the rules docs/security.md states.
//
// The input chooses a configuration (allow and deny lists, PLAIN users, CURVE
// keys, per domain) and a ZAP request (RFC 27 frames after the routing id, some
// well-formed, some with frames missing, added or wrong). detail::zap_decide(),
// which the handler thread runs for each request, must give the model's status,
// user id, client and echoed request id. Addresses in the model are parsed by
// inet_pton(), so the target also checks detail::ip_address.hpp against glibc.
// Whatever the request, the log line (zap_decision::to_string()) is printable
// ASCII, bounded, and holds no credential frame: every frame in a credential
// position but the PLAIN user name and the CURVE key starts with the marker
// "~pw~" (no other frame has a '~'), and the marker must never appear.
#include "fuzz_support.hpp"

#include <zmqraii/auth.hpp>

#include <arpa/inet.h>
#include <zmq.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using zmqraii_fuzz::contains;
using address = std::array<unsigned char, 16>;

const std::string marker = "~pw~";

const char* const address_pool[] = {"127.0.0.1",
                                    "::ffff:127.0.0.1",
                                    "::FFFF:7f00:1",
                                    "::1",
                                    "0:0:0:0:0:0:0:1",
                                    "10.0.0.1",
                                    "::ffff:10.0.0.1",
                                    "2001:db8::1",
                                    "2001:DB8:0::1",
                                    "fe80::1",
                                    "fe80::1%eth0",
                                    "192.0.2.7",
                                    "",
                                    "localhost:0:0:42",
                                    "::7f00:1"};
const char* const domain_pool[] = {"", "d", "*", "other"};
const char* const mechanism_pool[] = {"NULL", "PLAIN", "CURVE", "GSSAPI"};
const char* const user_pool[] = {"alice", "bob", "mallory\nZAP 200 PLAIN domain=\"\": OK"};
// Passwords without the marker: configured and sent with it in front.
const char* const password_pool[] = {"wonderland", "", "x"};

// Three fixed 32-byte CURVE public keys (any bytes will do: only compared).
std::string raw_key(std::size_t k) { return std::string(32, static_cast<char>('A' + k)); }

std::string z85(const std::string& raw) {
    char out[41] = {};
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): bytes for libzmq
    zmq_z85_encode(out, reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
    return std::string(out, 40);
}

// ---- the model -------------------------------------------------------------------

std::optional<address> model_ip(const std::string& text) {
    if (text.find('\0') != std::string::npos) return std::nullopt;
    address a{};
    unsigned char v4[4];
    if (::inet_pton(AF_INET, text.c_str(), v4) == 1) {
        a[10] = a[11] = 0xff;
        std::memcpy(a.data() + 12, v4, 4);
        return a;
    }
    if (::inet_pton(AF_INET6, text.c_str(), a.data()) == 1) return a;
    return std::nullopt;
}

// A request's address: an IP address, or an IPv6 address with a zone (1 to 64
// printable characters, no blank, no '%') that does not count.
std::optional<address> model_peer(const std::string& text) {
    const std::size_t pct = text.find('%');
    if (pct == std::string::npos) return model_ip(text);
    const std::string zone = text.substr(pct + 1);
    if (zone.empty() || zone.size() > 64) return std::nullopt;
    for (const char c : zone)
        if (c <= ' ' || c > '~' || c == '%') return std::nullopt;
    const std::string ip = text.substr(0, pct);
    if (ip.find('\0') != std::string::npos) return std::nullopt;
    address a{};
    if (::inet_pton(AF_INET6, ip.c_str(), a.data()) == 1) return a;
    return std::nullopt;
}

struct model_domain {
    std::set<address> allow, deny;
    std::optional<std::map<std::string, std::string>> users;
    std::optional<std::set<std::string>> keys;
    bool any = false;
};

struct model_verdict {
    int status = 0;
    bool layout_broken = false;  // no field may be kept
    std::string request_id, client, user_id;
};

model_verdict model_decide(const std::map<std::string, model_domain>& cfg,
                           const std::vector<std::string>& f) {
    model_verdict v;
    const auto done = [&v](int status) {
        v.status = status;
        return v;
    };
    if (f.empty() || !f[0].empty()) {
        v.layout_broken = true;
        return done(500);
    }
    if (f.size() >= 3) v.request_id = f[2];
    if (f.size() < 7 || f[1] != "1.0") {
        v.layout_broken = true;
        return done(500);
    }
    const std::string& mech = f[6];
    const std::size_t creds = f.size() - 7;
    if ((mech == "NULL" && creds != 0) || (mech == "PLAIN" && creds != 2) ||
        (mech == "CURVE" && creds != 1))
        return done(500);
    if (mech == "CURVE" && f[7].size() != 32) return done(500);

    const model_domain& all = cfg.at("*");
    const auto own = cfg.find(f[3]);
    const model_domain* dom = own != cfg.end() ? &own->second : nullptr;
    const std::optional<address> peer = model_peer(f[4]);
    for (const model_domain* p : {&all, dom}) {
        if (p == nullptr) continue;
        if (!p->allow.empty() && (!peer || p->allow.count(*peer) == 0)) return done(400);
        if (peer && p->deny.count(*peer) != 0) return done(400);
    }
    if (mech == "NULL") {
        v.user_id = "anonymous";
    } else if (mech == "PLAIN") {
        v.client = f[7];
        const auto& users = (dom && dom->users) ? dom->users : all.users;
        if (!users || users->empty()) return done(400);
        const auto u = users->find(f[7]);
        if (u == users->end() || u->second != f[8]) return done(400);
        v.user_id = f[7];
    } else if (mech == "CURVE") {
        v.client = z85(f[7]);
        const model_domain& p = (dom && dom->keys) ? *dom : all;
        if (!p.any && (!p.keys || p.keys->count(v.client) == 0)) return done(400);
        v.user_id = v.client;
    } else {
        return done(400);
    }
    return done(200);
}

// ---- building the configuration and the request from the input ---------------

std::string no_marker(std::string s) {
    for (char& c : s)
        if (c == '~') c = '-';
    return s;
}

template <std::size_t N>
std::string pick(zmqraii_fuzz::input& in, const char* const (&pool)[N], std::size_t max_len) {
    const std::size_t k = in.below(N + 1);
    return k < N ? std::string(pool[k]) : in.bytes(max_len);
}

// An allow or deny entry: the authenticator's parser against inet_pton.
void add_address(zmqraii_fuzz::input& in, std::set<zmqraii::detail::ip_address>& real,
                 std::set<address>& model) {
    const std::string text = pick(in, address_pool, 48);
    const std::optional<address> want = model_ip(text);
    try {
        const zmqraii::detail::ip_address got =
            zmqraii::detail::parse_filter_address(text, "authenticator deny");
        ZMQRAII_FUZZ_CHECK(want && std::memcmp(got.data(), want->data(), 16) == 0,
                           zmqraii::detail::quoted(text));
        real.insert(got);
        model.insert(*want);
    } catch (const zmqraii::error& e) {
        ZMQRAII_FUZZ_CHECK(!want, zmqraii::detail::quoted(text));
        ZMQRAII_FUZZ_CHECK(e.num() == EINVAL, e.what());
        ZMQRAII_FUZZ_CHECK(zmqraii_fuzz::printable_ascii(e.what()), e.what());
    }
}

void configure(zmqraii_fuzz::input& in, zmqraii::detail::zap_policy& real, model_domain& model) {
    for (std::size_t n = in.below(3); n > 0; --n) add_address(in, real.allow, model.allow);
    for (std::size_t n = in.below(3); n > 0; --n) add_address(in, real.deny, model.deny);
    if (in.flag()) {
        real.plain_users.emplace();
        model.users.emplace();
        for (std::size_t n = in.below(4); n > 0; --n) {
            const std::string user = no_marker(pick(in, user_pool, 16));
            const std::string password = marker + no_marker(pick(in, password_pool, 16));
            (*real.plain_users)[user] = password;
            (*model.users)[user] = password;
        }
    }
    if (in.flag()) {
        real.curve_keys.emplace();
        model.keys.emplace();
        const std::uint8_t which = in.byte();
        for (std::size_t k = 0; k < 3; ++k) {
            if ((which >> k) & 1) {
                real.curve_keys->insert(z85(raw_key(k)));
                model.keys->insert(z85(raw_key(k)));
            }
        }
        real.curve_any = model.any = in.flag();
    }
}

std::vector<std::string> make_request(zmqraii_fuzz::input& in) {
    std::vector<std::string> f;
    f.push_back(in.below(8) != 0 ? std::string() : in.bytes(4));  // delimiter
    f.push_back(in.below(8) != 0 ? std::string("1.0") : in.bytes(4));
    f.push_back(in.bytes(12));  // request id
    f.push_back(pick(in, domain_pool, 16));
    f.push_back(pick(in, address_pool, 48));
    f.push_back(in.bytes(8));  // identity
    f.push_back(pick(in, mechanism_pool, 8));
    for (std::size_t n = in.below(4); n > 0; --n) {
        switch (in.below(5)) {
            case 0: f.push_back(user_pool[in.below(3)]); break;
            case 1: f.push_back(password_pool[in.below(3)]); break;
            case 2: f.push_back(raw_key(in.below(4))); break;  // key 3 is never allowed
            default: f.push_back(in.bytes(40)); break;
        }
    }
    switch (in.below(8)) {  // frames missing or added anywhere
        case 0: f.erase(f.begin() + static_cast<std::ptrdiff_t>(in.below(f.size()))); break;
        case 1:
            f.insert(f.begin() + static_cast<std::ptrdiff_t>(in.below(f.size() + 1)), in.bytes(8));
            break;
        default: break;
    }
    // Credential positions of the final layout carry the marker; no other frame
    // has a '~'. The PLAIN user name and the CURVE key are logged by design.
    const std::string mech = f.size() > 6 ? f[6] : std::string();
    const std::size_t first_secret = (mech == "PLAIN" || mech == "CURVE") ? 8 : 7;
    for (std::size_t i = 0; i < f.size(); ++i) {
        if (i >= first_secret && f.size() > 6) {
            if (f[i].rfind(marker, 0) != 0) f[i] = marker + f[i];
        } else {
            f[i] = no_marker(f[i]);
        }
    }
    return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    zmqraii_fuzz::input in(data, size);
    zmqraii::detail::zap_policies policies;
    std::map<std::string, model_domain> model;
    configure(in, policies["*"], model["*"]);
    if (in.flag()) configure(in, policies["d"], model["d"]);
    if (in.flag()) {  // a domain whose policy exists but sets nothing of its own
        policies["other"];
        model["other"];
    }
    const std::vector<std::string> frames = make_request(in);

    // The request's address: the authenticator's parser against inet_pton.
    if (frames.size() > 4) {
        const auto got = zmqraii::detail::parse_peer_address(frames[4]);
        const auto want = model_peer(frames[4]);
        ZMQRAII_FUZZ_CHECK(
            bool(got) == bool(want) && (!got || std::memcmp(got->data(), want->data(), 16) == 0),
            zmqraii::detail::quoted(frames[4]));
    }

    const std::vector<std::string_view> views(frames.begin(), frames.end());
    const zmqraii::detail::zap_verdict v = zmqraii::detail::zap_decide(policies, views);
    const zmqraii::zap_decision& d = v.decision;
    const model_verdict want = model_decide(model, frames);
    const std::string line = d.to_string();

    ZMQRAII_FUZZ_CHECK(d.status == want.status, line);
    ZMQRAII_FUZZ_CHECK(v.request_id == want.request_id, line);
    ZMQRAII_FUZZ_CHECK(d.client == want.client, line);
    ZMQRAII_FUZZ_CHECK(d.user_id == want.user_id, line);
    ZMQRAII_FUZZ_CHECK(!d.reason.empty(), line);
    if (want.layout_broken) {
        ZMQRAII_FUZZ_CHECK(d.domain.empty() && d.address.empty() && d.mechanism.empty(), line);
    } else {
        ZMQRAII_FUZZ_CHECK(d.domain == frames[3] && d.address == frames[4], line);
        ZMQRAII_FUZZ_CHECK(d.mechanism == frames[6], line);
    }
    // The log line: one line of printable ASCII, bounded, without a credential.
    ZMQRAII_FUZZ_CHECK(zmqraii_fuzz::printable_ascii(line), zmqraii::detail::quoted(line, 4096));
    ZMQRAII_FUZZ_CHECK(line.size() <= 3000, line.substr(0, 200));
    ZMQRAII_FUZZ_CHECK(!contains(line, marker), line);
    for (const std::string* field : {&d.domain, &d.address, &d.mechanism, &d.client, &d.user_id})
        ZMQRAII_FUZZ_CHECK(!contains(*field, marker), line);
    return 0;
}
