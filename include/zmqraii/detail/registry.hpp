// SPDX-License-Identifier: MIT
// detail/registry.hpp: the heap state of a context, shared by its sockets.
//
// context_state owns the zmq context, the stop flag every operation checks, the
// registry of live sockets (what a stop closes and live_sockets() lists) and the
// stop itself. Sockets point to it through socket_entry, so moving or destroying
// the context object never leaves a socket dangling.
//
// Locking: one mutex per context_state guards the registry and each socket's
// `closed` flag, so a socket is closed exactly once (close() then calls
// zmq_close outside the lock; the stopper calls it under the lock). The flags word and the
// sockets' gate words are atomic and read without the lock on the hot path.
//
// The stop (DESIGN.md section 3): begin_stop() sets the stop bit in the flags
// and in every gate, calls zmq_ctx_shutdown() and starts the stopper thread,
// which runs the heavy side of the asymmetric barrier (detail/platform.hpp) and
// then closes, until none is left, every socket that no thread is using inside
// libzmq: sockets in hand-off, of exited threads, of threads waiting in stop(),
// and idle sockets of live owners (see "in-call marks" in detail/owner.hpp).
// Then it runs zmq_ctx_term(). Nothing in it waits for a user thread to act.
//
// Fork: every context_state is listed in a process-wide list. A pthread_atfork
// child handler marks them all forked (flag_forked), so objects inherited by a child refuse
// use and do nothing in their destructors.
#ifndef ZMQRAII_DETAIL_REGISTRY_HPP_INCLUDED
#define ZMQRAII_DETAIL_REGISTRY_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/detail/owner.hpp>
#include <zmqraii/detail/text.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/options.hpp>

#include <zmq.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
    ZMQRAII_DECL std::string to_string() const;
};

namespace detail {

enum state_flag : unsigned {
    flag_stopping = 1u,  // stop() began: operations throw stopped
    flag_forked = 2u,    // this is a forked child: refuse everything
    flag_closed = 4u,    // a closed socket's gate, and the words moved-from sockets point to
};

/// The flags word that closed and moved-from sockets point to.
inline const std::atomic<unsigned>& closed_flags() noexcept {
    static const std::atomic<unsigned> word{flag_closed};
    return word;
}

/// The owner part of a gate with no owner thread (thread-safe types, handed off):
/// a value no record address and no null record can equal.
inline constexpr std::uintptr_t gate_no_owner = 2u;

struct socket_entry;

/// A socket's gate word: what its hot path compares with the calling thread's
/// record (gate_of(owner) | flag_stopping once the stop began; gate_no_owner as
/// owner part while handed off and for thread-safe types). Its address is also
/// the socket's identity in the in-call marks.
struct gate_word {
    std::atomic<std::uintptr_t> word{0};
    /// The socket entry this gate belongs to; null for closed_gate().
    socket_entry* entry = nullptr;
};

/// The gate that closed and moved-from sockets point to (no owner matches it).
inline const gate_word& closed_gate() noexcept {
    static const gate_word g{{flag_closed}, nullptr};
    return g;
}

class context_state;

/// A socket as the registry knows it.
struct socket_entry : gate_word {
    socket_entry() noexcept { entry = this; }
    std::shared_ptr<context_state> ctx;
    void* handle = nullptr;
    std::string name;
    socket_type type = socket_type::pair;
    source_site site;
    std::shared_ptr<thread_record> owner;  // null while handed off; guarded by ctx mutex
    bool thread_safe = false;
    std::atomic<bool> closed{false};     // written under the ctx mutex; read anywhere
    std::atomic<bool> raw_taken{false};  // handle() was called: only its owner closes it
    /// Event-loop waits on the socket's ZMQ_FD (Asio): written by the owner inside
    /// a marked call, read by the stopper. The stop signals that descriptor, so
    /// such a wait ends at once; closing the socket first would lose the wake-up.
    std::atomic<int> fd_waits{0};
    long pid = 0;
    // The registry's list of live sockets (guarded by the ctx mutex).
    socket_entry* prev = nullptr;
    socket_entry* next = nullptr;
    /// Where the owner first bound, connected or set an option, kept only when
    /// `site` is inside the standard library (see source_site::in_std_library):
    /// written once by the owner (release), read by any thread (acquire).
    std::atomic<const source_site*> used_at{nullptr};
    source_site used_at_storage;
    /// The entry itself while it is an orphan: its socket object went without
    /// closing it (see context_state::orphan); guarded by the ctx mutex.
    std::shared_ptr<socket_entry> orphan_keep;

    /// Records the owner's first setup call when the creation site says nothing.
    void note_use(const source_site& s) noexcept {
        if (used_at.load(std::memory_order_relaxed) != nullptr || !site.in_std_library() ||
            s.in_std_library())
            return;
        used_at_storage = s;
        used_at.store(&used_at_storage, std::memory_order_release);
    }

    /// "app.cpp:12", or for a socket made inside the standard library
    /// "app.cpp:14 (its first use; constructed in .../unique_ptr.h:1065)".
    ZMQRAII_NOINLINE ZMQRAII_DECL std::string site_text() const;

    ZMQRAII_NOINLINE ZMQRAII_DECL std::string describe() const;
};

/// The entry whose gate is `g`, or null for the closed gate.
inline socket_entry* entry_of(const gate_word* g) noexcept {
    return g == nullptr ? nullptr : g->entry;
}

/// The process-wide list of context states, for the fork handler (linked
/// through the states themselves, so that creating a context allocates nothing
/// here).
struct fork_list {
    std::mutex mutex;
    context_state* head = nullptr;
    static fork_list& get() {
        static auto* list = new fork_list;  // never destroyed: usable at exit
        return *list;
    }
};

ZMQRAII_DECL void mark_forked_child() noexcept;

/// How many forks separate this process from the one that started counting:
/// incremented in the child by the fork handler.
inline std::atomic<unsigned>& fork_generation() noexcept {
    static std::atomic<unsigned> generation{0};
    return generation;
}

ZMQRAII_DECL void install_fork_handler() noexcept;

/// The process an object was made in, for objects that are not sockets or
/// contexts (poller, mailbox, worker, monitor_thread, steerable_proxy...): a
/// forked child refuses them, and their destructors do nothing there.
class process_origin {
public:
    process_origin() noexcept : generation_(fork_generation().load(std::memory_order_acquire)) {
        install_fork_handler();
    }

    /// True in a forked child of the process that made the object.
    bool forked() const noexcept {
        return fork_generation().load(std::memory_order_acquire) != generation_;
    }

    /// The error for using such an object in a forked child.
    [[noreturn]] ZMQRAII_COLD ZMQRAII_DECL void throw_forked(
        const std::string& op_and_object) const;

    /// Throws the fork error in a forked child.
    void check(const char* op) const {
        if (ZMQRAII_UNLIKELY(forked())) throw_forked(op);
    }

    /// Leaves `thread` to the child's exit: it names a thread that does not exist
    /// here, which must neither be joined nor destroyed joinable.
    static ZMQRAII_DECL void abandon(std::thread& thread) noexcept;

private:
    unsigned generation_;
    long pid_ = current_pid();
};

class context_state {
public:
    struct settings {
        std::chrono::milliseconds linger;
        std::chrono::milliseconds stop_report_after;
    };

    ZMQRAII_DECL context_state(void* ctx, settings s);

    context_state(const context_state&) = delete;
    context_state& operator=(const context_state&) = delete;

    ZMQRAII_DECL ~context_state();

    /// The zmq context; null once terminated.
    void* handle() const noexcept { return terminated() ? nullptr : ctx_; }
    const std::atomic<unsigned>& flags() const noexcept { return flags_; }
    bool forked() const noexcept {
        return (flags_.load(std::memory_order_acquire) & flag_forked) != 0;
    }
    bool stopping() const noexcept {
        return (flags_.load(std::memory_order_acquire) & flag_stopping) != 0;
    }
    long pid() const noexcept { return pid_; }
    std::mutex& mutex() noexcept { return mutex_; }

    /// Creates and registers a socket. Throws stopped on a stopping context.
    /**
     * libzmq's calls run outside the registry's mutex (libzmq's context is
     * thread-safe), so that threads creating sockets at once contend only for
     * the list insertion. A creation in flight keeps the stopper from running
     * zmq_ctx_term (Dekker's protocol on creating_ and the stop flag, both
     * sequentially consistent); a socket made while a stop began is closed here.
     */
    ZMQRAII_NOINLINE ZMQRAII_DECL std::shared_ptr<socket_entry> open(
        const std::shared_ptr<context_state>& self, socket_type type, std::string name,
        source_site site);

    /// Records a linger change made through a socket (for stop reports).
    ZMQRAII_DECL void note_linger(std::chrono::milliseconds l);

    /// Keeps `e` registered after its socket object went without closing it (a
    /// destructor on the wrong thread whose report returned): a stop closes it
    /// when no thread uses it.
    ZMQRAII_DECL void orphan(std::shared_ptr<socket_entry> e) noexcept;

    /// Closes `e` (caller holds no lock; the owner or a thread allowed to close).
    /// Returns false when it was closed already. zmq_close runs after the
    /// mutex is released: threads closing sockets at once contend only for the
    /// list removal (zmq_ctx_term waits for the close in any case).
    ZMQRAII_DECL bool close(socket_entry& e) noexcept;

    ZMQRAII_COLD ZMQRAII_DECL std::vector<socket_info> live_sockets() const;

    /// Throws the error for an unusable context (stopping or forked child).
    void check_usable_locked(const char* op, const std::string& what) const {
        const unsigned f = flags_.load(std::memory_order_acquire);
        if (f & flag_forked) throw_forked(op, what);
        if (f & flag_stopping) throw_stopping(op, what);
    }

    [[noreturn]] ZMQRAII_COLD ZMQRAII_DECL void throw_stopping(const char* op,
                                                               const std::string& what) const;

    [[noreturn]] ZMQRAII_COLD ZMQRAII_DECL void throw_forked(const char* op,
                                                             const std::string& what) const;

    /// Runs fn(ctx) under the mutex while the context is neither stopping nor
    /// forked (zmq_ctx_get/set must not race with zmq_ctx_term).
    template <class Fn>
    auto with_live_context(const char* op, const std::string& what, Fn fn) const {
        std::lock_guard<std::mutex> lock(mutex_);
        check_usable_locked(op, what);
        return fn(ctx_);
    }

    // ---- the stop protocol -------------------------------------------------

    /// Step 1 (once): the stop flag, the stop bit in every gate, zmq_ctx_shutdown
    /// (wakes every blocked call), and the stopper thread that does the rest.
    /// Returns at once; any thread.
    ZMQRAII_NOINLINE ZMQRAII_DECL void begin_stop() noexcept;

    /// Waits until the context is terminated or `deadline`. Returns true once
    /// zmq_ctx_term returned. `report_when_late` (unbounded stop) reports once,
    /// after stop_report_after, what the stop still waits for.
    ZMQRAII_NOINLINE ZMQRAII_DECL bool wait_stopped(std::chrono::steady_clock::time_point deadline,
                                                    bool report_when_late);

    /// Wakes the stopper (an owner left a call that the stop woke).
    void poke() noexcept { cv_.notify_all(); }

    /// What a stop that has not finished is waiting for.
    ZMQRAII_COLD ZMQRAII_DECL std::string stop_report() const;

    /// True once any socket was created in this context.
    bool ever_opened() const noexcept { return ever_opened_.load(std::memory_order_acquire); }

    /// True once zmq_ctx_term has returned.
    bool terminated() const noexcept { return terminated_.load(std::memory_order_acquire); }

    /// "thread 1402 (#3)" or "(handed off, not adopted yet)", read under the mutex.
    ZMQRAII_COLD ZMQRAII_DECL std::string owner_label(const socket_entry& e) const;

    /// The owner thread's id, read under the mutex.
    ZMQRAII_DECL std::thread::id owner_id(const socket_entry& e) const;

    /// Called by the fork child handler.
    void mark_forked() noexcept { flags_.fetch_or(flag_forked, std::memory_order_acq_rel); }

    /// The next state in fork_list (guarded by its mutex).
    context_state* next_in_fork_list() const noexcept { return fork_next_; }

private:
    ZMQRAII_COLD ZMQRAII_DECL socket_info info_locked(const socket_entry& e) const;

    ZMQRAII_DECL bool close_locked(socket_entry& e) noexcept;

    void link_locked(const std::shared_ptr<socket_entry>& e) noexcept {
        e->next = head_;
        if (head_ != nullptr) head_->prev = e.get();
        head_ = e.get();
        ++live_count_;
        // The list holds raw pointers: the socket object (or handoff) owns the
        // entry, and orphan() keeps one whose object went without closing it.
    }

    void unlink_locked(socket_entry& e) noexcept {
        if (e.prev != nullptr)
            e.prev->next = e.next;
        else if (head_ == &e)
            head_ = e.next;
        else
            return;  // not linked
        if (e.next != nullptr) e.next->prev = e.prev;
        e.prev = e.next = nullptr;
        --live_count_;
        // An orphan is released by whoever closed it, outside the lock.
    }

    bool is_waiter_locked(const thread_record* r) const noexcept {
        for (const waiter* w = waiters_; w != nullptr; w = w->next)
            if (w->thread == r) return true;
        return false;
    }

    // Why a stop cannot close `e` now (empty: it can). See the file comment.
    ZMQRAII_NOINLINE ZMQRAII_DECL const char* busy_reason_locked(const socket_entry& e) const;

    // Closes every socket that no thread is using inside libzmq.
    ZMQRAII_DECL void close_idle_locked() noexcept;

    // The stopper thread: the barrier, then the loop until terminated.
    ZMQRAII_NOINLINE ZMQRAII_DECL void run_stopper() noexcept;

    // Steps 2 and 3 until `deadline`: close what can be closed, rescan (every
    // millisecond at first, then every 10 ms; closes and pokes wake it sooner),
    // and once no socket is left, zmq_ctx_term. True once terminated.
    ZMQRAII_NOINLINE ZMQRAII_DECL bool stop_loop(
        std::unique_lock<std::mutex>& lock,
        std::chrono::steady_clock::time_point deadline) noexcept;

    ZMQRAII_COLD ZMQRAII_DECL std::string report_locked() const;

    void* ctx_;
    settings settings_;
    long pid_;
    std::string fence_why_;
    heavy_fence_kind fence_;
    std::atomic<unsigned> flags_{0};
    std::atomic<bool> ever_opened_{false};
    std::atomic<bool> terminated_{false};
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    socket_entry* head_ = nullptr;  // the live sockets, most recent first
    std::size_t live_count_ = 0;
    std::atomic<int> creating_{0};  // open() calls in flight
    // Threads in wait_stopped(), each a node on its own stack.
    struct waiter {
        const thread_record* thread;
        waiter* next;
    };
    waiter* waiters_ = nullptr;
    context_state* fork_prev_ = nullptr;  // fork_list's links (guarded by its mutex)
    context_state* fork_next_ = nullptr;
    std::chrono::milliseconds max_linger_{0};
    std::chrono::steady_clock::time_point stop_began_;
    bool infinite_linger_ = false;
    bool fence_done_ = false;
    bool fenced_ = false;
    bool term_started_ = false;
    bool stopper_failed_ = false;
    std::thread stopper_;
};

}  // namespace detail
}  // namespace zmqraii

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/registry.ipp>
#endif

#endif  // ZMQRAII_DETAIL_REGISTRY_HPP_INCLUDED
