// SPDX-License-Identifier: MIT
// What the test programs share: a latch, error capture, diagnostic capture, a
// watchdog that turns a hang into a report, the ThreadSanitizer fork option, and
// two fixtures: a connected PAIR link and a pipe.
#ifndef ZMQRAII_TESTS_SUPPORT_HPP_INCLUDED
#define ZMQRAII_TESTS_SUPPORT_HPP_INCLUDED

#include "catch.hpp"

#include <zmqraii/context.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/socket.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

// ThreadSanitizer, detected as config.hpp does, for tests that must know.
#if defined(__SANITIZE_THREAD__)
#define ZMQRAII_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ZMQRAII_TEST_TSAN 1
#endif
#endif

/// In a test program that forks: under ThreadSanitizer, let the child go on
/// (TSan ends a child that forked from a multi-threaded parent by default).
/// Use once, at namespace scope, in the program's one file.
#if defined(ZMQRAII_TEST_TSAN)
#define ZMQRAII_TEST_ALLOW_FORK_UNDER_TSAN() \
    extern "C" const char* __tsan_default_options() { return "die_after_fork=0"; }
#else
#define ZMQRAII_TEST_ALLOW_FORK_UNDER_TSAN() static_assert(true, "")
#endif

namespace zmqraii_test {

/// Lets a test wait until another thread has reached a point.
class latch {
public:
    void open() {
        std::lock_guard<std::mutex> lock(m_);
        open_ = true;
        cv_.notify_all();
    }
    bool wait_for(std::chrono::milliseconds t) {
        std::unique_lock<std::mutex> lock(m_);
        return cv_.wait_for(lock, t, [&] { return open_; });
    }
    bool is_open() {
        std::lock_guard<std::mutex> lock(m_);
        return open_;
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool open_ = false;
};

/// The code and what() of the zmqraii::error that `fn` throws; fails the test
/// when it throws none.
template <class Fn>
std::pair<std::error_code, std::string> error_of(Fn fn) {
    try {
        fn();
    } catch (const zmqraii::error& e) {
        return {e.code(), e.what()};
    }
    FAIL("expected a zmqraii::error");
    return {};
}

/// The errno and what() of the zmqraii::error `fn` throws; code 0 when it
/// returns normally (for calls that may or may not fail).
struct outcome {
    int code = 0;
    std::string what;
};
template <class Fn>
outcome outcome_of(Fn fn) {
    try {
        fn();
    } catch (const zmqraii::error& e) {
        return {e.num(), e.what()};
    }
    return {};
}

/// How `body` ended, in words: "returned", "stopped: <what()>" for
/// zmqraii::stopped, "other: <what()>" for any other std::exception.
template <class Fn>
std::string ending_of(Fn body) {
    try {
        body();
        return "returned";
    } catch (const zmqraii::stopped& e) {
        return std::string("stopped: ") + e.what();
    } catch (const std::exception& e) {
        return std::string("other: ") + e.what();
    }
}

/// Installs a diagnostic handler that keeps every diagnostic; restores the
/// previous handler when it goes. One at a time per program.
class captured_diagnostics {
public:
    captured_diagnostics() : previous_(zmqraii::set_diagnostic_handler(&handler)) {
        std::lock_guard<std::mutex> lock(store().m);
        store().list.clear();
    }
    captured_diagnostics(const captured_diagnostics&) = delete;
    captured_diagnostics& operator=(const captured_diagnostics&) = delete;
    ~captured_diagnostics() { zmqraii::set_diagnostic_handler(previous_); }

    /// A copy of what was reported so far.
    std::vector<zmqraii::diagnostic> list() const {
        std::lock_guard<std::mutex> lock(store().m);
        return store().list;
    }

private:
    struct storage {
        std::mutex m;
        std::vector<zmqraii::diagnostic> list;
    };
    static storage& store() {
        static storage s;
        return s;
    }
    static void handler(const zmqraii::diagnostic& d) noexcept {
        std::lock_guard<std::mutex> lock(store().m);
        store().list.push_back(d);
    }
    zmqraii::diagnostic_handler previous_;
};

/// Aborts with a report when it is not destroyed within `limit`: the report
/// names what the context's stop waits for, which a bare ctest TIMEOUT would not.
class watchdog {
public:
    watchdog(zmqraii::context& ctx, std::string what, std::chrono::seconds limit)
        : thread_([this, &ctx, what = std::move(what), limit] {
              std::unique_lock<std::mutex> lock(m_);
              if (cv_.wait_for(lock, limit, [this] { return done_; })) return;
              std::fprintf(stderr, "watchdog: %s did not finish in %lld s\nstop_report: %s\n",
                           what.c_str(), static_cast<long long>(limit.count()),
                           ctx.stop_report().c_str());
              for (const auto& s : ctx.live_sockets())
                  std::fprintf(stderr, "  %s\n", s.to_string().c_str());
              std::fflush(stderr);
              std::abort();
          }) {}
    watchdog(const watchdog&) = delete;
    watchdog& operator=(const watchdog&) = delete;
    ~watchdog() {
        {
            std::lock_guard<std::mutex> lock(m_);
            done_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool done_ = false;
    std::thread thread_;
};

/// True when `text` names thread `id` after `role` ("owned by", "called
/// from"), as zmqraii's reports label threads: "thread 1402 (#3)", or
/// "thread 'main' (1402, #1)" for a named thread.
inline bool names_thread(const std::string& text, const std::string& role, const std::string& id) {
    const std::string plain = role + " thread " + id + " (";
    if (text.find(plain) != std::string::npos) return true;
    const std::string named = role + " thread '";
    for (std::size_t at = text.find(named); at != std::string::npos;
         at = text.find(named, at + 1)) {
        const std::size_t close = text.find("' (", at + named.size());
        if (close != std::string::npos && text.compare(close + 3, id.size() + 1, id + ",") == 0)
            return true;
    }
    return false;
}

/// Two connected PAIR sockets on the calling thread ("<name> a" bound, "<name> b"
/// connected, over inproc).
struct pair_link {
    zmqraii::socket a;
    zmqraii::socket b;
    pair_link(zmqraii::context& ctx, const std::string& name)
        : a(ctx, zmqraii::socket_type::pair, name + " a"),
          b(ctx, zmqraii::socket_type::pair, name + " b") {
        a.bind("inproc://pair-link-" + name);
        b.connect("inproc://pair-link-" + name);
    }
};

/// A pipe that closes itself: a file descriptor to poll that a test makes readable.
struct pipe_fds {
    int fds[2] = {-1, -1};
    pipe_fds() { REQUIRE(::pipe(fds) == 0); }
    pipe_fds(const pipe_fds&) = delete;
    pipe_fds& operator=(const pipe_fds&) = delete;
    ~pipe_fds() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    int read_end() const { return fds[0]; }
    void poke() const { REQUIRE(::write(fds[1], "x", 1) == 1); }
    void drain() const {
        char c;
        REQUIRE(::read(fds[0], &c, 1) == 1);
    }
};

/// Seconds since `t0`, for messages.
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace zmqraii_test

#endif  // ZMQRAII_TESTS_SUPPORT_HPP_INCLUDED
