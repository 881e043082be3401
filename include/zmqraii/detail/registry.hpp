// SPDX-License-Identifier: MIT
// detail/registry.hpp: the heap state of a context, shared by its sockets.
//
// context_state owns the zmq context, the stop flag every operation checks, and
// the registry of live sockets (what stop() waits for and live_sockets() lists).
// Sockets point to it through socket_entry, so moving or destroying the context
// object never leaves a socket dangling.
//
// Locking: one mutex per context_state guards the registry and every
// zmq_close of its sockets, so a socket is closed exactly once, by a thread
// allowed to close it. The flags word is atomic and read without the lock on
// the hot path.
//
// Fork: every context_state is listed in a process-wide list. A pthread_atfork
// child handler marks them all `forked`, so objects inherited by a child refuse
// use and do nothing in their destructors.
#ifndef ZMQRAII_DETAIL_REGISTRY_HPP_INCLUDED
#define ZMQRAII_DETAIL_REGISTRY_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/detail/owner.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/options.hpp>

#include <zmq.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>

namespace zmqraii {

/// One open socket, as context::live_sockets() and stop reports list it.
struct socket_info {
    std::string name;  ///< The name given at creation, or empty.
    zmqraii::socket_type type = zmqraii::socket_type::pair;  ///< The socket type.
    std::string created_at;   ///< "file:line" of the constructor call.
    std::thread::id owner;    ///< Owner thread's id (default id while handed off).
    std::string owner_label;  ///< "thread 1402 (#3)", "(handed off)", "... exited".
    bool owner_alive = true;  ///< False once the owner thread has exited.

    /// "socket 'results' (pull, created at main.cpp:12, owned by thread 1402 (#3))".
    std::string to_string() const {
        std::string s = "socket ";
        if (!name.empty()) s += "'" + name + "' ";
        // Appended piece by piece: g++ 12 -O3 reports a false -Wrestrict on
        // `"(" + std::string&&` (GCC bug 105651).
        s += '(';
        s += zmqraii::to_string(type);
        s += ", created at ";
        s += created_at;
        s += ", owned by ";
        s += owner_label;
        s += ')';
        return s;
    }
};

namespace detail {

enum state_flag : unsigned {
    flag_stopping = 1u,  // stop() began: operations throw stopped
    flag_forked = 2u,    // this is a forked child: refuse everything
    flag_closed = 4u,    // only in the static word that closed sockets point to
};

/// The flags word that closed and moved-from sockets point to.
inline const std::atomic<unsigned>& closed_flags() noexcept {
    static const std::atomic<unsigned> word{flag_closed};
    return word;
}

/// The owner part of a gate with no owner thread (thread-safe types, handed off):
/// a value no record address and no null record can equal.
inline constexpr std::uintptr_t gate_no_owner = 2u;

/// The gate word that closed and moved-from sockets point to (no owner matches it).
inline const std::atomic<std::uintptr_t>& closed_gate() noexcept {
    static const std::atomic<std::uintptr_t> word{flag_closed};
    return word;
}

class context_state;

/// A socket as the registry knows it.
struct socket_entry {
    std::shared_ptr<context_state> ctx;
    void* handle = nullptr;
    std::string name;
    socket_type type = socket_type::pair;
    source_site site;
    std::shared_ptr<thread_record> owner;  // null while handed off; guarded by ctx mutex
    bool thread_safe = false;
    std::atomic<bool> closed{false};  // written under the ctx mutex; read anywhere
    /// What the socket's hot path compares with the calling thread's record:
    /// gate_of(owner) | flag_stopping once stop began; gate_no_owner as owner
    /// part while handed off and for thread-safe types. Written under the ctx mutex.
    std::atomic<std::uintptr_t> gate{0};
    std::uint64_t id = 0;
    long pid = 0;

    std::string describe() const {
        std::string s = "socket ";
        if (!name.empty()) s += "'" + name + "' ";
        s += '(';  // piece by piece, see socket_info::to_string()
        s += to_string(type);
        s += ", created at ";
        s += site.to_string();
        s += ')';
        return s;
    }
};

/// The process-wide list of context states, for the fork handler.
struct fork_list {
    std::mutex mutex;
    std::vector<context_state*> states;
    static fork_list& get() {
        static auto* list = new fork_list;  // never destroyed: usable at exit
        return *list;
    }
};

inline void mark_forked_child() noexcept;

inline void install_fork_handler() {
    static const bool installed = [] {
        ::pthread_atfork([] { fork_list::get().mutex.lock(); },
                         [] { fork_list::get().mutex.unlock(); }, [] { mark_forked_child(); });
        return true;
    }();
    (void)installed;
}

class context_state {
public:
    struct settings {
        std::chrono::milliseconds linger;
        std::chrono::milliseconds stop_report_after;
    };

    context_state(void* ctx, settings s) : ctx_(ctx), settings_(s), pid_(current_pid()) {
        install_fork_handler();
        std::lock_guard<std::mutex> lock(fork_list::get().mutex);
        fork_list::get().states.push_back(this);
    }

    context_state(const context_state&) = delete;
    context_state& operator=(const context_state&) = delete;

    ~context_state() {
        {
            std::lock_guard<std::mutex> lock(fork_list::get().mutex);
            auto& v = fork_list::get().states;
            v.erase(std::remove(v.begin(), v.end(), this), v.end());
        }
        if (terminator_.joinable()) {
            if (forked())
                terminator_.detach();  // not our thread: it does not exist here
            else
                terminator_.join();
        }
        if (!forked() && !terminated_ && ctx_ != nullptr) {
            // Last resort (the context object was moved into nothing that stopped
            // it): every socket entry is gone, so term cannot wait on sockets.
            while (zmq_ctx_term(ctx_) != 0 && zmq_errno() == EINTR) {}
        }
    }

    void* handle() const noexcept { return ctx_; }
    const std::atomic<unsigned>& flags() const noexcept { return flags_; }
    bool forked() const noexcept {
        return (flags_.load(std::memory_order_acquire) & flag_forked) != 0;
    }
    bool stopping() const noexcept {
        return (flags_.load(std::memory_order_acquire) & flag_stopping) != 0;
    }
    long pid() const noexcept { return pid_; }
    const settings& config() const noexcept { return settings_; }
    std::mutex& mutex() noexcept { return mutex_; }

    /// Creates and registers a socket. Throws stopped on a stopping context.
    std::shared_ptr<socket_entry> open(const std::shared_ptr<context_state>& self, socket_type type,
                                       std::string name, source_site site) {
        auto e = std::make_shared<socket_entry>();
        e->ctx = self;
        e->type = type;
        e->name = std::move(name);
        e->site = site;
        e->owner = this_thread_record();
        e->pid = pid_;
        std::lock_guard<std::mutex> lock(mutex_);
        check_usable_locked("create", e->describe());
        void* h = zmq_socket(ctx_, static_cast<int>(type));
        if (h == nullptr) {
            const int err = zmq_errno();
            throw_error(err, "socket",
                        to_string(type) + (e->name.empty() ? "" : " '" + e->name + "'"));
        }
        int linger = static_cast<int>(settings_.linger.count());
        if (zmq_setsockopt(h, ZMQ_LINGER, &linger, sizeof linger) != 0) {
            const int err = zmq_errno();
            zmq_close(h);
            throw_error(err, "socket set linger");
        }
        int ts = 0;
        std::size_t len = sizeof ts;
        if (zmq_getsockopt(h, ZMQ_THREAD_SAFE, &ts, &len) == 0) e->thread_safe = ts != 0;
        e->handle = h;
        e->gate.store(e->thread_safe ? gate_no_owner : gate_of(e->owner.get()),
                      std::memory_order_release);
        e->id = ++next_id_;
        ever_opened_.store(true, std::memory_order_release);
        live_.emplace(e->id, e);
        max_linger_ = std::max(max_linger_, settings_.linger);
        if (settings_.linger.count() < 0) infinite_linger_ = true;
        return e;
    }

    /// Records a linger change made through a socket (for stop reports).
    void note_linger(std::chrono::milliseconds l) {
        std::lock_guard<std::mutex> lock(mutex_);
        max_linger_ = std::max(max_linger_, l);
        if (l.count() < 0) infinite_linger_ = true;
    }

    /// Closes `e` (caller holds no lock). Returns false when it was closed already.
    bool close(socket_entry& e) noexcept {
        std::lock_guard<std::mutex> lock(mutex_);
        return close_locked(e);
    }

    /// Removes a socket from the registry without closing it (forked child only).
    void forget(socket_entry& e) noexcept {
        std::lock_guard<std::mutex> lock(mutex_);
        live_.erase(e.id);
    }

    std::vector<socket_info> live_sockets() const {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<socket_info> out;
        out.reserve(live_.size());
        for (const auto& kv : live_) out.push_back(info_locked(*kv.second));
        return out;
    }

    /// Throws the error for an unusable context (stopping or forked child).
    void check_usable_locked(const char* op, const std::string& what) const {
        const unsigned f = flags_.load(std::memory_order_acquire);
        if (f & flag_forked) throw_forked(op, what);
        if (f & flag_stopping)
            throw stopped(std::string(op) + " " + what + ": context is stopping");
    }

    [[noreturn]] ZMQRAII_COLD void throw_forked(const char* op, const std::string& what) const {
        throw error(ENOTSUP, std::string(op) + " on " + what + ": this object belongs to process " +
                                 std::to_string(pid_) + " but is used in forked child process " +
                                 std::to_string(current_pid()) +
                                 "; a child must create its own context");
    }

    // ---- the stop protocol -------------------------------------------------

    /// Step 1: set the flag (once) and wake every blocked call.
    void begin_stop() noexcept {
        std::lock_guard<std::mutex> lock(mutex_);
        if (flags_.load(std::memory_order_relaxed) & flag_stopping) return;
        flags_.fetch_or(flag_stopping, std::memory_order_acq_rel);
        // Every gate mismatches from now on, so every operation takes the slow
        // path, which reads flags_ (set above) and throws stopped.
        for (auto& kv : live_) kv.second->gate.fetch_or(flag_stopping, std::memory_order_acq_rel);
        if (!forked()) zmq_ctx_shutdown(ctx_);
    }

    /// Steps 2 and 3 with a deadline. Returns true once zmq_ctx_term returned.
    /// `reported` (unbounded stop) makes it report once after stop_report_after.
    template <class Clock = std::chrono::steady_clock>
    bool finish_stop(typename Clock::time_point deadline, bool report_when_late) {
        const auto start = Clock::now();
        const auto report_at = start + settings_.stop_report_after;
        bool reported = false;
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            if (terminated_) return true;
            close_closable_locked();
            if (live_.empty() && !terminator_started_) start_terminator_locked();
            if (terminated_) return true;
            const auto now = Clock::now();
            if (report_when_late && !reported && now >= report_at) {
                reported = true;
                std::string text = report_locked();
                lock.unlock();
                report_diagnostic(severity::report, std::move(text));
                lock.lock();
                continue;
            }
            if (now >= deadline) return false;
            // Owner exits are not signalled, so wake at least every 10 ms.
            auto wake =
                std::min<typename Clock::time_point>(deadline, now + std::chrono::milliseconds(10));
            cv_.wait_until(lock, wake);
        }
    }

    /// What a stop that has not finished is waiting for.
    std::string stop_report() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return report_locked();
    }

    /// True once any socket was created in this context.
    bool ever_opened() const noexcept { return ever_opened_.load(std::memory_order_acquire); }

    bool terminated() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return terminated_;
    }

    /// "thread 1402 (#3)" or "(handed off, not adopted yet)", read under the mutex.
    std::string owner_label(const socket_entry& e) const {
        std::lock_guard<std::mutex> lock(mutex_);
        return info_locked(e).owner_label;
    }

    /// Called by the fork child handler.
    void mark_forked() noexcept { flags_.fetch_or(flag_forked, std::memory_order_acq_rel); }

private:
    socket_info info_locked(const socket_entry& e) const {
        socket_info i;
        i.name = e.name;
        i.type = e.type;
        i.created_at = e.site.to_string();
        if (e.owner) {
            i.owner = e.owner->id;
            i.owner_alive = e.owner->alive.load(std::memory_order_acquire);
            i.owner_label = e.owner->label();
        } else {
            i.owner_label = "(handed off, not adopted yet)";
        }
        return i;
    }

    bool close_locked(socket_entry& e) noexcept {
        if (e.closed.load(std::memory_order_relaxed)) return false;
        e.closed.store(true, std::memory_order_release);
        if (!forked()) zmq_close(e.handle);
        live_.erase(e.id);
        cv_.notify_all();
        return true;
    }

    // Closes what stop itself may close: sockets of the calling thread, of
    // threads that have exited, and sockets in hand-off (nobody uses them).
    void close_closable_locked() noexcept {
        thread_record* me = current_thread;
        for (auto it = live_.begin(); it != live_.end();) {
            socket_entry& e = *it->second;
            ++it;  // close_locked erases e
            const bool mine = e.owner && e.owner.get() == me;
            const bool orphan = !e.owner || !e.owner->alive.load(std::memory_order_acquire);
            if (mine || orphan) close_locked(e);
        }
    }

    void start_terminator_locked() noexcept {
        terminator_started_ = true;
        if (forked()) {
            terminated_ = true;
            return;
        }
        try {
            terminator_ = std::thread([this] {
                while (zmq_ctx_term(ctx_) != 0 && zmq_errno() == EINTR) {}
                std::lock_guard<std::mutex> lock(mutex_);
                terminated_ = true;
                cv_.notify_all();
            });
        } catch (...) {
            // No thread to be had: terminate inline (bounded by the sockets' linger).
            while (zmq_ctx_term(ctx_) != 0 && zmq_errno() == EINTR) {}
            terminated_ = true;
        }
    }

    std::string report_locked() const {
        std::string s;
        if (!live_.empty()) {
            s = "context stop is waiting for " + std::to_string(live_.size()) +
                " open socket(s); each must be closed (or destroyed) by its owner thread:";
            for (const auto& kv : live_) s += "\n  " + info_locked(*kv.second).to_string();
        } else if (terminator_started_ && !terminated_) {
            s = "context stop: every socket is closed; zmq_ctx_term is waiting for pending "
                "outbound messages to be sent (linger ";
            s += infinite_linger_ ? std::string("-1 = forever on some socket")
                                  : "up to " + std::to_string(max_linger_.count()) + " ms";
            s += ")";
        } else if (terminated_) {
            s = "context stopped";
        } else {
            s = "context is running";
        }
        return s;
    }

    void* ctx_;
    settings settings_;
    long pid_;
    std::atomic<unsigned> flags_{0};
    std::atomic<bool> ever_opened_{false};
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::map<std::uint64_t, std::shared_ptr<socket_entry>> live_;
    std::uint64_t next_id_ = 0;
    std::chrono::milliseconds max_linger_{0};
    bool infinite_linger_ = false;
    bool terminator_started_ = false;
    bool terminated_ = false;
    std::thread terminator_;
};

inline void mark_forked_child() noexcept {
    // Runs in the child right after fork(): only this thread exists, and the
    // prepare handler holds the list mutex, so the list is consistent.
    fork_list& list = fork_list::get();
    for (context_state* s : list.states) s->mark_forked();
    list.mutex.unlock();
    forget_thread_record_after_fork();
}

}  // namespace detail
}  // namespace zmqraii

#endif  // ZMQRAII_DETAIL_REGISTRY_HPP_INCLUDED
