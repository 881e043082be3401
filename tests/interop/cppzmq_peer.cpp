// SPDX-License-Identifier: MIT
// A cppzmq peer for tests/test_interop.cpp, built only where cppzmq (zmq.hpp,
// zmq_addon.hpp) is installed.
//
// Usage: cppzmq_peer MODE ENDPOINT [ARGS...]
//
// The zmqraii side binds and passes its endpoint(s); this peer connects, plays
// its part of the scenario, checks everything it receives and exits by itself:
// 0 on success, 1 when a check failed, 2 on bad usage, 3 on a timeout. Failures
// are explained on stderr. Every receive has a timeout, so the peer never hangs.
//
// The modes and their wire behaviour are those of peer.py (the pyzmq peer).
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <cstdio>
#include <cstring>
#include <functional>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

constexpr int timeout_ms = 10000;
constexpr int linger_ms = 2000;

struct failed : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct timed_out : std::runtime_error {
    timed_out() : std::runtime_error("timed out") {}
};

using parts = std::vector<std::string>;

std::string show(const parts& p) {
    std::string s = "[";
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (i) s += ", ";
        s += "\"";
        for (unsigned char c : p[i]) {
            if (c >= 32 && c < 127) {
                s += static_cast<char>(c);
            } else {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\x%02x", c);
                s += buf;
            }
        }
        s += "\"";
    }
    return s + "]";
}

void expect(const std::string& what, const parts& got, const parts& wanted) {
    if (got != wanted) throw failed(what + ": got " + show(got) + ", expected " + show(wanted));
}

void expect(const std::string& what, const std::string& got, const std::string& wanted) {
    expect(what, parts{got}, parts{wanted});
}

zmq::socket_t make(zmq::context_t& ctx, zmq::socket_type type) {
    zmq::socket_t s(ctx, type);
    s.set(zmq::sockopt::linger, linger_ms);
    s.set(zmq::sockopt::rcvtimeo, timeout_ms);
    s.set(zmq::sockopt::sndtimeo, timeout_ms);
    return s;
}

void send(zmq::socket_t& s, const std::string& text, bool more = false) {
    if (!s.send(zmq::buffer(text), more ? zmq::send_flags::sndmore : zmq::send_flags::none))
        throw timed_out();
}

void send_parts(zmq::socket_t& s, const parts& p) {
    std::vector<zmq::const_buffer> bufs;
    for (const auto& part : p) bufs.push_back(zmq::buffer(part));
    if (!zmq::send_multipart(s, bufs)) throw timed_out();
}

std::string recv_text(zmq::socket_t& s) {
    zmq::message_t m;
    if (!s.recv(m)) throw timed_out();
    return m.to_string();
}

parts recv_parts(zmq::socket_t& s) {
    std::vector<zmq::message_t> msgs;
    if (!zmq::recv_multipart(s, std::back_inserter(msgs))) throw timed_out();
    parts p;
    for (const auto& m : msgs) p.push_back(m.to_string());
    return p;
}

void mode_req(zmq::context_t& ctx, const std::vector<std::string>& a) {
    auto s = make(ctx, zmq::socket_type::req);
    s.connect(a[0]);
    for (int i = 0; i < 5; ++i) {
        send(s, "ping " + std::to_string(i));
        expect("reply " + std::to_string(i), recv_text(s), "pong " + std::to_string(i));
    }
}

void mode_rep(zmq::context_t& ctx, const std::vector<std::string>& a) {
    auto s = make(ctx, zmq::socket_type::rep);
    s.connect(a[0]);
    for (int i = 0; i < 5; ++i) {
        expect("request " + std::to_string(i), recv_text(s), "ask " + std::to_string(i));
        send(s, "answer " + std::to_string(i));
    }
}

void mode_sub(zmq::context_t& ctx, const std::vector<std::string>& a) {
    auto s = make(ctx, zmq::socket_type::sub);
    s.set(zmq::sockopt::subscribe, "weather.");
    s.set(zmq::sockopt::subscribe, "news.");
    s.connect(a[0]);
    std::vector<parts> got;
    for (;;) {
        got.push_back(recv_parts(s));
        if (got.back().at(0) == "news.end") break;
    }
    const std::vector<parts> wanted{
        {"weather.today", "sunny"}, {"news.local", "hello"}, {"news.end", ""}};
    if (got.size() != wanted.size())
        throw failed("got " + std::to_string(got.size()) + " messages, expected 3");
    for (std::size_t i = 0; i < got.size(); ++i)
        expect("message " + std::to_string(i), got[i], wanted[i]);
}

void mode_xpub(zmq::context_t& ctx, const std::vector<std::string>& a) {
    auto s = make(ctx, zmq::socket_type::xpub);
    s.connect(a[0]);
    expect("subscription", recv_text(s), std::string("\x01news.", 6));
    send_parts(s, {"sports.x", "goal"});
    send_parts(s, {"news.1", "first"});
    send_parts(s, {"weather.y", "rain"});
    send_parts(s, {"news.end", "last"});
}

void mode_pushpull(zmq::context_t& ctx, const std::vector<std::string>& a) {
    auto pull = make(ctx, zmq::socket_type::pull);
    auto push = make(ctx, zmq::socket_type::push);
    pull.connect(a[0]);
    push.connect(a[1]);
    int n = 0;
    for (;;) {
        const std::string m = recv_text(pull);
        if (m == "END") break;
        expect("task", m, "task " + std::to_string(n));
        send(push, "done " + std::to_string(n));
        ++n;
    }
    if (n == 0) throw failed("no task arrived before END");
    send(push, "END");
}

void mode_dealer(zmq::context_t& ctx, const std::vector<std::string>& a) {
    auto s = make(ctx, zmq::socket_type::dealer);
    s.set(zmq::sockopt::routing_id, a[1]);
    s.connect(a[0]);
    std::string blob;
    for (int i = 0; i < 256; ++i) blob.push_back(static_cast<char>(i));
    const std::string reversed(blob.rbegin(), blob.rend());
    for (int i = 0; i < 3; ++i) {
        send_parts(s, {"", "request", std::to_string(i), blob});
        expect("reply " + std::to_string(i), recv_parts(s),
               parts{"", "reply", std::to_string(i), reversed});
    }
    send_parts(s, {"", "bye"});
}

void mode_curve_client(zmq::context_t& ctx, const std::vector<std::string>& a) {
    if (!zmq_has("curve")) throw failed("this libzmq has no CURVE");
    auto s = make(ctx, zmq::socket_type::pair);
    s.set(zmq::sockopt::curve_serverkey, a[1]);
    s.set(zmq::sockopt::curve_publickey, a[2]);
    s.set(zmq::sockopt::curve_secretkey, a[3]);
    s.connect(a[0]);
    send(s, "hello over curve");
    expect("reply", recv_text(s), "welcome: hello over curve");
    if (s.get(zmq::sockopt::mechanism) != ZMQ_CURVE) throw failed("mechanism is not CURVE");
}

using mode_fn = void (*)(zmq::context_t&, const std::vector<std::string>&);

}  // namespace

int main(int argc, char** argv) {
    const std::map<std::string, std::pair<mode_fn, int>> modes{
        {"req", {&mode_req, 1}},
        {"rep", {&mode_rep, 1}},
        {"sub", {&mode_sub, 1}},
        {"xpub", {&mode_xpub, 1}},
        {"pushpull", {&mode_pushpull, 2}},
        {"dealer", {&mode_dealer, 2}},
        {"curve-client", {&mode_curve_client, 4}},
    };
    if (argc >= 2 && std::strcmp(argv[1], "check") == 0) {
        int major = 0, minor = 0, patch = 0;
        zmq_version(&major, &minor, &patch);
        std::printf("cppzmq %d.%d.%d, libzmq %d.%d.%d\n", CPPZMQ_VERSION_MAJOR,
                    CPPZMQ_VERSION_MINOR, CPPZMQ_VERSION_PATCH, major, minor, patch);
        return 0;
    }
    const auto it = argc >= 3 ? modes.find(argv[1]) : modes.end();
    if (it == modes.end() || argc - 2 != it->second.second) {
        std::fprintf(stderr,
                     "usage: cppzmq_peer check | MODE ENDPOINT [ARGS...]; modes: req, rep, sub, "
                     "xpub, pushpull, dealer, curve-client\n");
        return 2;
    }
    const std::vector<std::string> args(argv + 2, argv + argc);
    zmq::context_t ctx;
    try {
        it->second.first(ctx, args);
        return 0;
    } catch (const timed_out&) {
        std::fprintf(stderr, "cppzmq_peer %s: timed out after %d ms\n", argv[1], timeout_ms);
        return 3;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cppzmq_peer %s: %s\n", argv[1], e.what());
        return 1;
    }
}
