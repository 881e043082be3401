// SPDX-License-Identifier: MIT
// fork(): a child must not use the parent's context. Objects it inherits refuse
// use with an error naming both process ids, and their destructors do nothing;
// a new context made in the child works; the parent is not disturbed.
//
// The child reports through a pipe (one line per check) and its exit code; it
// never runs Catch2 assertions. The parent bounds every wait.
#include <zmqraii/auth.hpp>
#include <zmqraii/context.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/mailbox.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/monitor.hpp>
#include <zmqraii/poller.hpp>
#include <zmqraii/proxy.hpp>
#include <zmqraii/socket.hpp>
#include <zmqraii/worker.hpp>

#include "catch.hpp"
#include "support.hpp"

#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <dirent.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

// The child of this multi-threaded parent (libzmq's I/O threads) starts threads
// of its own (the new context's). glibc allows that; ThreadSanitizer refuses it
// by default.
ZMQRAII_TEST_ALLOW_FORK_UNDER_TSAN();

using zmqraii_test::contains;

namespace {

using namespace std::chrono_literals;

// True when `text` contains `pid` as a whole number (not inside a longer one).
bool mentions_pid(const std::string& text, long pid) {
    const std::string n = std::to_string(pid);
    for (std::size_t at = text.find(n); at != std::string::npos; at = text.find(n, at + 1)) {
        const bool left_ok = at == 0 || !std::isdigit(static_cast<unsigned char>(text[at - 1]));
        const std::size_t end = at + n.size();
        const bool right_ok =
            end == text.size() || !std::isdigit(static_cast<unsigned char>(text[end]));
        if (left_ok && right_ok) return true;
    }
    return false;
}

// True when every other thread of this process is asleep (state S in
// /proc/self/task/<tid>/stat): blocked in a system call such as libzmq's
// epoll_wait, so none of them is inside malloc. The child of fork() inherits
// the allocator's locks as they were: glibc's malloc resets them in the child,
// but AddressSanitizer's allocator (clang 14) does not, and a child forked while
// a libzmq thread was allocating (it does at start-up) hangs in its first
// allocation of that size class.
bool other_threads_asleep() {
    const long self = static_cast<long>(::syscall(SYS_gettid));
    DIR* dir = ::opendir("/proc/self/task");
    if (dir == nullptr) return true;  // no procfs: nothing to wait for
    bool asleep = true;
    while (const dirent* e = ::readdir(dir)) {
        const long tid = std::atol(e->d_name);
        if (tid <= 0 || tid == self) continue;
        std::ifstream stat("/proc/self/task/" + std::string(e->d_name) + "/stat");
        std::string line;
        std::getline(stat, line);
        const std::size_t close_paren = line.rfind(')');
        if (close_paren == std::string::npos || close_paren + 2 >= line.size()) continue;
        if (line[close_paren + 2] != 'S') asleep = false;  // R, D: running or in the kernel
    }
    ::closedir(dir);
    return asleep;
}

// Forks only once the other threads (libzmq's) have settled, see above. Bounded:
// after 5 s it forks anyway.
pid_t fork_when_quiet() {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    int quiet_samples = 0;
    while (quiet_samples < 3 && std::chrono::steady_clock::now() < deadline) {
        quiet_samples = other_threads_asleep() ? quiet_samples + 1 : 0;
        std::this_thread::sleep_for(1ms);
    }
    return ::fork();
}

// The child's side of the report: one line per check, then its exit code.
class child_report {
public:
    explicit child_report(int fd) : fd_(fd) {}

    void check(bool ok, const std::string& what) {
        if (!ok) ++failures_;
        write_line((ok ? "ok: " : "FAIL: ") + what);
    }

    // `f` must throw zmqraii::error naming both pids and the remedy.
    template <class F>
    void expect_fork_error(const std::string& label, long parent, F&& f) {
        const long me = static_cast<long>(::getpid());
        try {
            f();
            check(false, label + ": no exception");
        } catch (const zmqraii::error& e) {
            const std::string w = e.what();
            check(mentions_pid(w, parent) && mentions_pid(w, me) &&
                      w.find("a child must create its own context") != std::string::npos,
                  label + ": " + w);
        } catch (const std::exception& e) {
            check(false, label + ": not a zmqraii::error: " + e.what());
        }
    }

    [[noreturn]] void finish() {
        write_line(failures_ == 0 ? "child done" : "child done with failures");
        ::close(fd_);
        ::_exit(failures_ == 0 ? 0 : 1);
    }

private:
    void write_line(std::string s) {
        s += '\n';
        const char* p = s.data();
        std::size_t left = s.size();
        while (left > 0) {
            const ssize_t n = ::write(fd_, p, left);
            if (n <= 0) return;
            p += n;
            left -= static_cast<std::size_t>(n);
        }
    }

    int fd_;
    int failures_ = 0;
};

struct child_result {
    bool exited = false;  // false: killed after the deadline
    int status = 0;
    std::string report;
};

// Forks; the child runs `body(report, parent_pid)`, which must end with
// report.finish(). The parent collects the report and the exit status, waiting
// at most `bound`.
template <class Body>
child_result run_child(Body&& body, std::chrono::seconds bound = 20s) {
    child_result r;
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const long parent = static_cast<long>(::getpid());
    const pid_t pid = fork_when_quiet();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(fds[0]);
        std::signal(SIGABRT, SIG_DFL);  // not Catch2's handler
        child_report report(fds[1]);
        try {
            body(report, parent);
        } catch (const std::exception& e) {
            report.check(false, std::string("unexpected exception: ") + e.what());
        } catch (...) {
            report.check(false, "unexpected exception");
        }
        report.finish();
    }
    ::close(fds[1]);
    const auto deadline = std::chrono::steady_clock::now() + bound;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fds[0], POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
        char buf[1024];
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;  // EOF: the child closed its end or is gone
        r.report.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    pid_t done = 0;
    while ((done = ::waitpid(pid, &r.status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    if (done == pid) {
        r.exited = true;
    } else {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &r.status, 0);
    }
    return r;
}

void require_clean_exit(const child_result& r) {
    INFO("child report:\n" << r.report);
    REQUIRE(r.exited);  // within the bound
    REQUIRE(WIFEXITED(r.status));
    CHECK(WEXITSTATUS(r.status) == 0);
    CHECK_THAT(r.report, contains("child done"));
    CHECK(r.report.find("FAIL") == std::string::npos);
}

// An inproc round trip on a fresh pair of sockets of `ctx`.
bool round_trip(zmqraii::context& ctx, const std::string& endpoint, const std::string& text) {
    zmqraii::socket a(ctx, zmqraii::socket_type::pair);
    zmqraii::socket b(ctx, zmqraii::socket_type::pair);
    b.bind(endpoint);
    a.connect(endpoint);
    a.send(text);
    const auto got = b.recv_for(5s);
    return got && got->to_string() == text;
}

}  // namespace

TEST_CASE("objects inherited by a forked child refuse use and do nothing when destroyed",
          "[fork]") {
    std::optional<zmqraii::context> ctx(std::in_place);
    std::optional<zmqraii::socket> a;
    std::optional<zmqraii::socket> b;
    a = zmqraii::socket(*ctx, zmqraii::socket_type::pair, "parent a");
    b = zmqraii::socket(*ctx, zmqraii::socket_type::pair, "parent b");
    b->bind("inproc://fork-parent");
    a->connect("inproc://fork-parent");
    a->send("before the fork");
    REQUIRE(b->recv().to_string() == "before the fork");
    a->send("queued in the parent");  // left queued: the child must not get it

    const child_result r = run_child([&](child_report& report, long parent) {
        report.expect_fork_error("send", parent, [&] { a->send("x"); });
        report.expect_fork_error("try_send", parent, [&] { (void)a->try_send("x"); });
        report.expect_fork_error("recv", parent, [&] { (void)b->recv(); });
        report.expect_fork_error("try_recv", parent, [&] { (void)b->try_recv(); });
        report.expect_fork_error("recv_for", parent, [&] { (void)b->recv_for(10ms); });
        report.expect_fork_error("bind", parent, [&] { b->bind("inproc://fork-child"); });
        report.expect_fork_error("connect", parent, [&] { a->connect("inproc://fork-child"); });
        report.expect_fork_error("set", parent, [&] { a->set(zmqraii::option::sndhwm, 5); });
        report.expect_fork_error("close", parent, [&] { a->close(); });
        report.expect_fork_error("release", parent, [&] { (void)std::move(*a).release(); });
        report.expect_fork_error("live_sockets", parent, [&] { (void)ctx->live_sockets(); });
        report.expect_fork_error("stop", parent, [&] { ctx->stop(); });
        report.expect_fork_error("stop_for", parent, [&] { (void)ctx->stop_for(10ms); });
        report.expect_fork_error("new socket", parent,
                                 [&] { zmqraii::socket s(*ctx, zmqraii::socket_type::push); });
        report.check(a->is_open(), "the refused close left the object as it was");

        // The destructors do nothing (no zmq_close, no zmq_ctx_term) and return
        // at once.
        const auto start = std::chrono::steady_clock::now();
        a.reset();
        b.reset();
        ctx.reset();
        const auto took = std::chrono::steady_clock::now() - start;
        report.check(took < 2s,
                     "inherited objects destroyed in " +
                         std::to_string(
                             std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) +
                         " ms");

        // A context of the child's own works.
        zmqraii::context fresh;
        report.check(round_trip(fresh, "inproc://fork-child", "child round trip"),
                     "inproc round trip in a new context");
        report.check(fresh.stop_for(10s), "the child's own context stops");
    });
    require_clean_exit(r);
    CHECK_THAT(r.report, contains("ok: send:"));
    CHECK_THAT(r.report, contains("ok: live_sockets:"));
    CHECK_THAT(r.report, contains("ok: inproc round trip in a new context"));

    // The parent is not disturbed: its queued message is still there, its
    // sockets work, and its context stops normally.
    const auto queued = b->recv_for(5s);
    REQUIRE(queued.has_value());
    CHECK(queued->to_string() == "queued in the parent");
    a->send("after the fork");
    CHECK(b->recv().to_string() == "after the fork");
    CHECK(round_trip(*ctx, "inproc://fork-parent-2", "parent round trip"));
    CHECK(ctx->live_sockets().size() == 2);
    a.reset();
    b.reset();
    CHECK(ctx->stop_for(10s));
    CHECK(ctx->terminated());
}

TEST_CASE("a child that only destroys what it inherited exits promptly", "[fork]") {
    // The common case: fork, then exec or exit, letting RAII run. A context with
    // a socket open must not make the child hang in zmq_ctx_term.
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::push, "inherited");
    // A connection that never completes and a message queued on it: libzmq in the
    // parent would linger on it, and zmq_ctx_term in a child never returns.
    s.connect("tcp://127.0.0.1:1");
    REQUIRE(s.try_send("never delivered"));

    const pid_t pid = fork_when_quiet();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        {
            // Copies of the parent's objects as the child sees them, destroyed here
            // through their moved-to owners as a program's scopes would.
            zmqraii::socket mine(std::move(s));
            zmqraii::context own(std::move(ctx));
        }
        ::_exit(0);
    }
    int status = 0;
    pid_t done = 0;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    if (done != pid) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        FAIL("the child did not exit within 10 s");
    }
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    // The parent's objects are untouched by the child's moves.
    CHECK(s.is_open());
    CHECK(ctx.live_sockets().size() == 1);
    s.set(zmqraii::option::linger, 0ms);  // the parent need not wait for it either
}

TEST_CASE("a child refuses a socket whose owner was another parent thread with the fork error",
          "[fork]") {
    // The socket belongs to a parent thread that does not exist in the child. The
    // child must get the fork error (both pids, make your own context), not a
    // wrong_thread report that suggests release()/adopt().
    zmqraii::context ctx;
    std::optional<zmqraii::socket> s;
    std::thread([&] { s = zmqraii::socket(ctx, zmqraii::socket_type::push, "worker's"); }).join();

    const child_result r = run_child([&](child_report& report, long parent) {
        report.expect_fork_error("send", parent, [&] { s->send("x"); });
        report.expect_fork_error("handle", parent, [&] { (void)s->handle(); });
        s.reset();
    });
    require_clean_exit(r);
    s.reset();
    CHECK(ctx.stop_for(10s));
}

TEST_CASE("threads' objects inherited by a child refuse use and are left alone when destroyed",
          "[fork]") {
    // The worker's, the monitor's and the proxy's threads exist only in the
    // parent: the child must neither join them nor destroy them joinable, and the
    // pollers and mailboxes must refuse use (a mailbox's eventfd is shared with
    // the parent: a push in the child would wake the parent's poller for nothing).
    zmqraii::context ctx;
    std::optional<zmqraii::worker> w(std::in_place, ctx, "echo", [](zmqraii::worker_context& wc) {
        for (;;) wc.pipe().send(wc.pipe().recv());
    });
    std::optional<zmqraii::socket> watched(std::in_place, ctx, zmqraii::socket_type::dealer,
                                           "watched");
    std::optional<zmqraii::monitor_thread> mon(std::in_place, ctx, *watched,
                                               [](const zmqraii::monitor_event&) {});
    std::optional<zmqraii::socket_monitor> smon(std::in_place, ctx, *watched);
    std::optional<zmqraii::steerable_proxy> px(
        std::in_place, ctx,
        zmqraii::proxy_endpoint::bound(zmqraii::socket_type::pull, "inproc://fork-px-in"),
        zmqraii::proxy_endpoint::bound(zmqraii::socket_type::push, "inproc://fork-px-out"));
    std::optional<zmqraii::socket> polled(std::in_place, ctx, zmqraii::socket_type::pull, "polled");
    std::optional<zmqraii::poller> p(std::in_place);
    p->add(*polled, zmqraii::poll_events::in, [](zmqraii::poll_events) {});
    std::optional<zmqraii::mailbox<int>> tied(std::in_place, ctx, 4);
    std::optional<zmqraii::mailbox<int>> untied(std::in_place, 4);
    std::optional<zmqraii::authenticator> auth(std::in_place, ctx);

    const child_result r = run_child([&](child_report& report, long parent) {
        report.expect_fork_error("worker stop", parent, [&] { w->stop(); });
        report.expect_fork_error("worker join", parent, [&] { w->join(); });
        report.expect_fork_error("authenticator stop", parent, [&] { auth->stop(); });
        report.expect_fork_error("monitor_thread stop", parent, [&] { mon->stop(); });
        report.expect_fork_error("steerable_proxy pause", parent, [&] { px->pause(); });
        report.expect_fork_error("steerable_proxy terminate", parent, [&] { px->terminate(); });
        report.expect_fork_error("poller wait", parent, [&] { (void)p->wait(0ms); });
        report.expect_fork_error("poller contains", parent, [&] { (void)p->contains(*polled); });
        report.expect_fork_error("poller size", parent, [&] { (void)p->size(); });
        report.expect_fork_error("tied try_push", parent, [&] { (void)tied->try_push(1); });
        report.expect_fork_error("untied try_push", parent, [&] { (void)untied->try_push(1); });
        report.expect_fork_error("untied try_pop", parent, [&] { (void)untied->try_pop(); });
        const auto start = std::chrono::steady_clock::now();
        w.reset();
        auth.reset();
        mon.reset();
        smon.reset();
        px.reset();
        p.reset();
        tied.reset();
        untied.reset();
        polled.reset();
        watched.reset();
        const auto took = std::chrono::steady_clock::now() - start;
        report.check(took < 2s, "inherited thread objects destroyed at once, none aborted");
    });
    require_clean_exit(r);
    CHECK_THAT(r.report, contains("ok: worker stop:"));
    CHECK_THAT(r.report, contains("ok: poller size:"));

    // The parent's mailbox was not woken by the child: its descriptor is quiet.
    pollfd pf{untied->fd(), POLLIN, 0};
    CHECK(::poll(&pf, 1, 0) == 0);
    CHECK(untied->size() == 0);
    // The parent's objects still work.
    REQUIRE(untied->try_push(7));
    CHECK(*untied->try_pop() == 7);
    w->pipe().send("ping");
    CHECK(w->pipe().recv().to_string() == "ping");
    px->pause();
    px->resume();
    CHECK(p->size() == 1);
    CHECK(auth->running());
    auth.reset();
    w.reset();
    mon.reset();
    smon.reset();
    px.reset();
    p.reset();
    polled.reset();
    watched.reset();
    CHECK(ctx.stop_for(10s));
}
