// SPDX-License-Identifier: MIT
// Interop with real peers: zmqraii talks over tcp and ipc to a pyzmq peer
// (tests/interop/peer.py, run by Debian's python3-zmq) and a cppzmq peer
// (tests/interop/cppzmq_peer.cpp): REQ/REP, PUB/SUB with topics, PUSH/PULL,
// ROUTER/DEALER with multipart envelopes and a CURVE-encrypted PAIR.
//
// The zmqraii side binds (tcp://127.0.0.1:* or an ipc path in a fresh temp
// directory) and passes the endpoint and a mode on the peer's command line. The
// peer checks what it receives and exits by itself; its exit status is
// asserted, and every wait on this side is bounded and watches the peer, so a
// dead peer fails the test at once instead of hanging it.
//
// A peer is SKIPPED (with a WARN naming the reason) only when it is not
// installed: pyzmq missing (peer.py exits 77), or cppzmq's zmq.hpp not found when
// CMake configured. The paths come from tests/interop/CMakeLists.txt.
#include <zmqraii/curve.hpp>
#include <zmqraii/monitor.hpp>
#include <zmqraii/multipart.hpp>
#include <zmqraii/socket.hpp>
#include <zmqraii/version.hpp>

#include "catch.hpp"

#include <zmq.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

#ifndef ZMQRAII_INTEROP_PYTHON
#define ZMQRAII_INTEROP_PYTHON "/usr/bin/python3"
#endif
#ifndef ZMQRAII_INTEROP_PEER_PY
#define ZMQRAII_INTEROP_PEER_PY ""
#endif
#ifndef ZMQRAII_INTEROP_CPPZMQ_PEER
#define ZMQRAII_INTEROP_CPPZMQ_PEER ""
#endif

using namespace std::chrono_literals;
using zmqraii::socket_type;

namespace {

constexpr auto peer_limit = 20s;  // a peer's own receives time out after 10 s

// A peer process: started with posix_spawn, killed and reaped if still running
// when the object dies.
class child_process {
public:
    explicit child_process(const std::vector<std::string>& argv) {
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        const int rc = ::posix_spawn(&pid_, args[0], nullptr, nullptr, args.data(), environ);
        if (rc != 0) {
            pid_ = -1;
            FAIL("posix_spawn " << argv[0] << ": " << std::strerror(rc));
        }
#ifdef SYS_pidfd_open
        pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
#endif
    }

    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    ~child_process() {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {}
        }
        if (pidfd_ >= 0) ::close(pidfd_);
    }

    /// True once the process has exited (reaps it; never blocks).
    bool exited() {
        if (reaped_) return true;
        const pid_t r = ::waitpid(pid_, &status_, WNOHANG);
        if (r == pid_) reaped_ = true;
        return reaped_;
    }

    /// Waits at most `limit` for the process to exit. True when it did.
    bool wait_for(std::chrono::milliseconds limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        while (!exited()) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            if (pidfd_ >= 0) {
                pollfd p{pidfd_, POLLIN, 0};
                ::poll(&p, 1, static_cast<int>(left.count()));  // readable once it exits
            } else {
                // No pidfd (kernel < 5.3): look again every 10 ms.
                std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(10)));
            }
        }
        return true;
    }

    /// The exit status (-1 when killed by a signal or still running).
    int exit_code() const { return reaped_ && WIFEXITED(status_) ? WEXITSTATUS(status_) : -1; }

    /// "exit status 3", "killed by signal 9", "still running".
    std::string describe() const {
        if (!reaped_) return "still running";
        if (WIFEXITED(status_)) return "exit status " + std::to_string(WEXITSTATUS(status_));
        if (WIFSIGNALED(status_)) return "killed by signal " + std::to_string(WTERMSIG(status_));
        return "status " + std::to_string(status_);
    }

private:
    pid_t pid_ = -1;
    int pidfd_ = -1;
    int status_ = 0;
    bool reaped_ = false;
};

struct peer {
    std::string name;
    std::vector<std::string> command;  // program and leading arguments
    std::string skip_reason;           // non-empty: not installed
};

const std::vector<peer>& peers() {
    static const std::vector<peer> list = [] {
        std::vector<peer> v;

        peer py{"pyzmq", {ZMQRAII_INTEROP_PYTHON, ZMQRAII_INTEROP_PEER_PY}, {}};
        if (std::string(ZMQRAII_INTEROP_PEER_PY).empty()) {
            py.skip_reason = "ZMQRAII_INTEROP_PEER_PY is not defined (build with CMake)";
        } else if (::access(ZMQRAII_INTEROP_PYTHON, X_OK) != 0) {
            py.skip_reason = std::string("no Python interpreter at ") + ZMQRAII_INTEROP_PYTHON;
        } else {
            auto argv = py.command;
            argv.push_back("check");
            child_process check(argv);
            if (check.wait_for(30s) && check.exit_code() == 77)
                py.skip_reason = "python3-zmq (pyzmq) is not installed for " +
                                 std::string(ZMQRAII_INTEROP_PYTHON);
        }
        v.push_back(py);

        peer cpp{"cppzmq", {ZMQRAII_INTEROP_CPPZMQ_PEER}, {}};
        if (std::string(ZMQRAII_INTEROP_CPPZMQ_PEER).empty())
            cpp.skip_reason = "cppzmq (zmq.hpp) was not found when CMake configured the build";
        v.push_back(cpp);
        return v;
    }();
    return list;
}

enum class transport { tcp, ipc };

const char* to_string(transport t) { return t == transport::tcp ? "tcp" : "ipc"; }

// A fresh directory for ipc endpoints, removed with what is left in it.
struct temp_dir {
    std::string path;
    temp_dir() {
        char tmpl[] = "/tmp/zmqraii-interop-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        if (DIR* d = ::opendir(path.c_str())) {
            while (const dirent* e = ::readdir(d)) {
                const std::string name = e->d_name;
                if (name != "." && name != "..") ::unlink((path + "/" + name).c_str());
            }
            ::closedir(d);
        }
        ::rmdir(path.c_str());
    }
};

// Binds `s` on the transport; returns the endpoint to give the peer.
std::string bind_any(zmqraii::socket& s, transport t, const temp_dir& dir, const char* name) {
    if (t == transport::tcp)
        s.bind("tcp://127.0.0.1:*");
    else
        s.bind("ipc://" + dir.path + "/" + name + ".ipc");
    return s.last_endpoint();
}

child_process start_peer(const peer& p, std::vector<std::string> args) {
    std::vector<std::string> argv = p.command;
    argv.insert(argv.end(), args.begin(), args.end());
    return child_process(argv);
}

// Receives one part, failing at once if the peer exits first.
zmqraii::message recv_from(zmqraii::socket& s, child_process& child, const std::string& what) {
    const auto deadline = std::chrono::steady_clock::now() + peer_limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto m = s.recv_for(100ms)) return std::move(*m);
        if (child.exited()) FAIL(what << ": the peer ended (" << child.describe() << ") first");
    }
    FAIL(what << ": nothing from the peer within 20 s");
    return {};
}

// Receives a whole multipart message, failing at once if the peer exits first.
std::vector<std::string> recv_parts(zmqraii::socket& s, child_process& child,
                                    const std::string& what) {
    const auto deadline = std::chrono::steady_clock::now() + peer_limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto m = zmqraii::recv_multipart_for(s, 100ms)) {
            std::vector<std::string> parts;
            for (const auto& part : *m) parts.push_back(part.to_string());
            return parts;
        }
        if (child.exited()) FAIL(what << ": the peer ended (" << child.describe() << ") first");
    }
    FAIL(what << ": nothing from the peer within 20 s");
    return {};
}

// Sends one part, failing at once if the peer exits before it can be queued.
void send_to(zmqraii::socket& s, child_process& child, const std::string& text,
             zmqraii::send_flags flags = zmqraii::send_flags::none) {
    const auto deadline = std::chrono::steady_clock::now() + peer_limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (s.send_for(text, 100ms, flags)) return;
        if (child.exited()) FAIL("send: the peer ended (" << child.describe() << ") first");
    }
    FAIL("send: could not send to the peer within 20 s");
}

// Sends a whole multipart message, failing at once if the peer exits first.
void send_parts(zmqraii::socket& s, child_process& child, const std::vector<std::string>& parts) {
    zmqraii::multipart m;
    for (const auto& part : parts) m.push_back(std::string_view(part));
    const auto deadline = std::chrono::steady_clock::now() + peer_limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (zmqraii::send_multipart_for(s, std::move(m), 100ms)) return;  // unchanged if not
        if (child.exited()) FAIL("send: the peer ended (" << child.describe() << ") first");
    }
    FAIL("send: could not send to the peer within 20 s");
}

void require_success(child_process& child) {
    const bool ended = child.wait_for(peer_limit);
    INFO("peer: " << child.describe() << " (its stderr is above)");
    REQUIRE(ended);
    REQUIRE(child.exit_code() == 0);
}

// Runs `fn(peer, transport)` for every installed peer over tcp and ipc.
template <class Fn>
void for_each_peer(const char* scenario, Fn fn) {
    for (const peer& p : peers()) {
        if (!p.skip_reason.empty()) {
            WARN("SKIPPED: " << scenario << " with " << p.name << ": " << p.skip_reason);
            continue;
        }
        for (transport t : {transport::tcp, transport::ipc}) {
            INFO(scenario << " with " << p.name << " over " << to_string(t));
            fn(p, t);
        }
    }
}

}  // namespace

TEST_CASE("interop: REQ/REP both ways", "[interop]") {
    for_each_peer("REQ/REP", [](const peer& p, transport t) {
        zmqraii::context ctx;
        temp_dir dir;
        {
            zmqraii::socket rep(ctx, socket_type::rep, "rep for the peer's req");
            auto child = start_peer(p, {"req", bind_any(rep, t, dir, "rep")});
            for (int i = 0; i < 5; ++i) {
                CHECK(recv_from(rep, child, "request").to_string() == "ping " + std::to_string(i));
                send_to(rep, child, "pong " + std::to_string(i));
            }
            require_success(child);
        }
        {
            zmqraii::socket req(ctx, socket_type::req, "req for the peer's rep");
            auto child = start_peer(p, {"rep", bind_any(req, t, dir, "req")});
            for (int i = 0; i < 5; ++i) {
                send_to(req, child, "ask " + std::to_string(i));
                CHECK(recv_from(req, child, "reply").to_string() == "answer " + std::to_string(i));
            }
            require_success(child);
        }
    });
}

TEST_CASE("interop: PUB/SUB with topics both ways", "[interop]") {
    for_each_peer("PUB/SUB", [](const peer& p, transport t) {
        zmqraii::context ctx;
        temp_dir dir;
        {
            // zmqraii publishes (XPUB, to see the subscriptions: no slow-joiner
            // sleep); the peer subscribes to "weather." and "news.".
            zmqraii::socket pub(ctx, socket_type::xpub, "publisher");
            auto child = start_peer(p, {"sub", bind_any(pub, t, dir, "pub")});
            std::set<std::string> subscriptions;
            while (subscriptions.size() < 2)
                subscriptions.insert(recv_from(pub, child, "subscription").to_string());
            CHECK(subscriptions ==
                  std::set<std::string>{std::string("\x01news."), std::string("\x01weather.")});
            send_parts(pub, child, {"sports.score", "goal"});
            send_parts(pub, child, {"weather.today", "sunny"});
            send_parts(pub, child, {"sports.other", "miss"});
            send_parts(pub, child, {"news.local", "hello"});
            send_parts(pub, child, {"news.end", ""});
            require_success(child);  // the peer checked it got exactly its topics
        }
        {
            // The peer publishes four topics; zmqraii subscribes to "news." only.
            zmqraii::socket sub(ctx, socket_type::sub, "subscriber");
            sub.subscribe("news.");
            auto child = start_peer(p, {"xpub", bind_any(sub, t, dir, "sub")});
            CHECK(recv_parts(sub, child, "news") == std::vector<std::string>{"news.1", "first"});
            CHECK(recv_parts(sub, child, "news") == std::vector<std::string>{"news.end", "last"});
            require_success(child);
            CHECK_FALSE(sub.try_recv());  // sports and weather were filtered out
        }
    });
}

TEST_CASE("interop: PUSH/PULL pipeline through the peer", "[interop]") {
    for_each_peer("PUSH/PULL", [](const peer& p, transport t) {
        zmqraii::context ctx;
        temp_dir dir;
        zmqraii::socket tasks(ctx, socket_type::push, "tasks");
        zmqraii::socket results(ctx, socket_type::pull, "results");
        const std::string in = bind_any(tasks, t, dir, "tasks");
        const std::string out = bind_any(results, t, dir, "results");
        auto child = start_peer(p, {"pushpull", in, out});
        constexpr int n = 20;
        for (int i = 0; i < n; ++i) send_to(tasks, child, "task " + std::to_string(i));
        send_to(tasks, child, "END");
        for (int i = 0; i < n; ++i)
            CHECK(recv_from(results, child, "result").to_string() == "done " + std::to_string(i));
        CHECK(recv_from(results, child, "end").to_string() == "END");
        require_success(child);
    });
}

TEST_CASE("interop: ROUTER/DEALER with multipart envelopes", "[interop]") {
    for_each_peer("ROUTER/DEALER", [](const peer& p, transport t) {
        zmqraii::context ctx;
        temp_dir dir;
        zmqraii::socket router(ctx, socket_type::router, "router");
        const std::string identity = "peer-" + p.name;
        auto child = start_peer(p, {"dealer", bind_any(router, t, dir, "router"), identity});

        std::string blob;
        for (int i = 0; i < 256; ++i) blob.push_back(static_cast<char>(i));
        const std::string reversed(blob.rbegin(), blob.rend());
        for (int i = 0; i < 3; ++i) {
            const auto req = recv_parts(router, child, "request");
            REQUIRE(req.size() == 5);
            CHECK(req[0] == identity);  // the envelope: the peer's routing id
            CHECK(req[1].empty());      // the delimiter
            CHECK(req[2] == "request");
            CHECK(req[3] == std::to_string(i));
            CHECK(req[4] == blob);  // binary-safe, all 256 byte values
            send_parts(router, child, {identity, "", "reply", std::to_string(i), reversed});
        }
        CHECK(recv_parts(router, child, "bye") == std::vector<std::string>{identity, "", "bye"});
        require_success(child);
    });
}

TEST_CASE("interop: CURVE-encrypted PAIR", "[interop]") {
    if (!zmqraii::has("curve")) {
        WARN("SKIPPED: the linked libzmq was built without CURVE");
        return;
    }
    for_each_peer("CURVE PAIR", [](const peer& p, transport t) {
        const zmqraii::curve_keypair server_keys = zmqraii::generate_curve_keypair();
        const zmqraii::curve_keypair client_keys = zmqraii::generate_curve_keypair();

        zmqraii::context ctx;
        temp_dir dir;
        zmqraii::socket server(ctx, socket_type::pair, "curve server");
        server.set(zmqraii::option::curve_server, true);
        server.set(zmqraii::option::curve_secretkey, server_keys.secret_key);
        zmqraii::socket_monitor handshakes(ctx, server,
                                           zmqraii::event_kind::handshake_succeeded |
                                               zmqraii::event_kind::handshake_failed_no_detail |
                                               zmqraii::event_kind::handshake_failed_protocol |
                                               zmqraii::event_kind::handshake_failed_auth);
        const std::string ep = bind_any(server, t, dir, "curve");
        auto child = start_peer(p, {"curve-client", ep, server_keys.public_key,
                                    client_keys.public_key, client_keys.secret_key});

        const auto hello = recv_from(server, child, "hello").to_string();
        CHECK(hello == "hello over curve");
        CHECK(server.get(zmqraii::option::mechanism) == ZMQ_CURVE);
        send_to(server, child, "welcome: " + hello);
        require_success(child);

        auto e = handshakes.next_for(5s);
        REQUIRE(e);
        CHECK(e->kind == zmqraii::event_kind::handshake_succeeded);
    });
}
