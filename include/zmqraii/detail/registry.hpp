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
    std::string to_string() const {
        const bool named = !name.empty();
        return detail::concat({"socket ", named ? "'" : "", name, named ? "' (" : "(",
                               zmqraii::to_string(type), ", created at ", created_at, ", owned by ",
                               owner_label, ")"});
    }
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
    ZMQRAII_NOINLINE std::string site_text() const {
        const source_site* u = used_at.load(std::memory_order_acquire);
        if (u == nullptr) return site.to_string();
        return concat({u->to_string(), " (its first use; constructed in ", site.to_string(), ")"});
    }

    ZMQRAII_NOINLINE std::string describe() const {
        const bool named = !name.empty();
        return concat({"socket ", named ? "'" : "", name, named ? "' (" : "(", to_string(type),
                       ", created at ", site_text(), ")"});
    }
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

inline void mark_forked_child() noexcept;

/// How many forks separate this process from the one that started counting:
/// incremented in the child by the fork handler.
inline std::atomic<unsigned>& fork_generation() noexcept {
    static std::atomic<unsigned> generation{0};
    return generation;
}

inline void install_fork_handler() noexcept {
    static const bool installed = [] {
        at_fork([] { fork_list::get().mutex.lock(); }, [] { fork_list::get().mutex.unlock(); },
                [] { mark_forked_child(); });
        return true;
    }();
    (void)installed;
}

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
    [[noreturn]] ZMQRAII_COLD void throw_forked(const std::string& op_and_object) const {
        throw error(ENOTSUP,
                    concat({op_and_object, ": this object belongs to process ", decimal(pid_),
                            " but is used in forked child process ", decimal(current_pid()),
                            "; a child must create its own context and objects"}));
    }

    /// Throws the fork error in a forked child.
    void check(const char* op) const {
        if (ZMQRAII_UNLIKELY(forked())) throw_forked(op);
    }

    /// Leaves `thread` to the child's exit: it names a thread that does not exist
    /// here, which must neither be joined nor destroyed joinable.
    static void abandon(std::thread& thread) noexcept {
        if (!thread.joinable()) return;
        // Kept reachable (never destroyed), so that leak checkers stay quiet.
        static std::mutex m;
        static auto* kept = new std::vector<std::thread>;
        std::lock_guard<std::mutex> lock(m);
        try {
            kept->push_back(std::move(thread));
        } catch (...) {
            new std::thread(std::move(thread));  // no memory: leak it instead
        }
    }

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

    context_state(void* ctx, settings s)
        : ctx_(ctx),
          settings_(s),
          pid_(current_pid()),
          fence_(heavy_fence_setup(&fence_why_)),
          max_linger_(s.linger),
          infinite_linger_(s.linger.count() < 0) {
        install_fork_handler();
        fork_list& list = fork_list::get();
        std::lock_guard<std::mutex> lock(list.mutex);
        fork_next_ = list.head;
        if (list.head != nullptr) list.head->fork_prev_ = this;
        list.head = this;
    }

    context_state(const context_state&) = delete;
    context_state& operator=(const context_state&) = delete;

    ~context_state() {
        {
            fork_list& list = fork_list::get();
            std::lock_guard<std::mutex> lock(list.mutex);
            if (fork_prev_ != nullptr)
                fork_prev_->fork_next_ = fork_next_;
            else
                list.head = fork_next_;
            if (fork_next_ != nullptr) fork_next_->fork_prev_ = fork_prev_;
        }
        if (stopper_.joinable()) {
            // Not our thread in a forked child (it does not exist there).
            if (forked() || stopper_.get_id() == std::this_thread::get_id())
                stopper_.detach();
            else
                stopper_.join();
        }
        if (!forked() && !terminated() && ctx_ != nullptr) {
            // Last resort (the context object was moved into nothing that stopped
            // it): every socket entry is gone, so term cannot wait on sockets.
            while (zmq_ctx_term(ctx_) != 0 && zmq_errno() == EINTR) {}
        }
    }

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
    ZMQRAII_NOINLINE std::shared_ptr<socket_entry> open(const std::shared_ptr<context_state>& self,
                                                        socket_type type, std::string name,
                                                        source_site site) {
        auto e = std::make_shared<socket_entry>();
        e->ctx = self;
        e->type = type;
        e->name = std::move(name);
        e->site = site;
        e->owner = this_thread_record();
        e->pid = pid_;
        struct in_flight {
            context_state& st;
            explicit in_flight(context_state& s) noexcept : st(s) {
                st.creating_.fetch_add(1, std::memory_order_seq_cst);
            }
            in_flight(const in_flight&) = delete;
            in_flight& operator=(const in_flight&) = delete;
            ~in_flight() {
                if (st.creating_.fetch_sub(1, std::memory_order_seq_cst) == 1) st.poke();
            }
        } guard(*this);
        if (flags_.load(std::memory_order_seq_cst) != 0) {
            check_usable_locked("create", e->describe());  // reads only the flags
        }
        void* h = zmq_socket(ctx_, static_cast<int>(type));
        if (h == nullptr) {
            const int err = zmq_errno();
            if (err == ETERM) check_usable_locked("create", e->describe());
            const bool named = !e->name.empty();
            throw_error(err, "socket",
                        concat({to_string(type), named ? " '" : "", e->name, named ? "'" : ""}));
        }
        const int linger = static_cast<int>(settings_.linger.count());
        if (linger != -1 && zmq_setsockopt(h, ZMQ_LINGER, &linger, sizeof linger) != 0) {
            const int err = zmq_errno();
            zmq_close(h);
            throw_error(err, "socket set linger");
        }
        // Only the draft types (12 and up) can be thread-safe: ask libzmq for those.
        if (static_cast<int>(type) >= 12) {
            int ts = 0;
            std::size_t len = sizeof ts;
            if (zmq_getsockopt(h, ZMQ_THREAD_SAFE, &ts, &len) == 0) e->thread_safe = ts != 0;
        }
        e->handle = h;
        e->word.store(e->thread_safe ? gate_no_owner : gate_of(e->owner.get()),
                      std::memory_order_release);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (flags_.load(std::memory_order_acquire) == 0) {
                link_locked(e);
                ever_opened_.store(true, std::memory_order_release);
                return e;
            }
        }
        zmq_close(h);  // a stop began meanwhile: nobody else knows this socket
        check_usable_locked("create", e->describe());
        return e;  // not reached: the flags are set
    }

    /// Records a linger change made through a socket (for stop reports).
    void note_linger(std::chrono::milliseconds l) {
        std::lock_guard<std::mutex> lock(mutex_);
        max_linger_ = std::max(max_linger_, l);
        if (l.count() < 0) infinite_linger_ = true;
    }

    /// Keeps `e` registered after its socket object went without closing it (a
    /// destructor on the wrong thread whose report returned): a stop closes it
    /// when no thread uses it.
    void orphan(std::shared_ptr<socket_entry> e) noexcept {
        std::lock_guard<std::mutex> lock(mutex_);
        if (e->closed.load(std::memory_order_relaxed)) return;
        socket_entry& entry = *e;
        entry.orphan_keep = std::move(e);  // released by close_locked()
    }

    /// Closes `e` (caller holds no lock; the owner or a thread allowed to close).
    /// Returns false when it was closed already. zmq_close runs after the
    /// mutex is released: threads closing sockets at once contend only for the
    /// list removal (zmq_ctx_term waits for the close in any case).
    bool close(socket_entry& e) noexcept {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (e.closed.load(std::memory_order_relaxed)) return false;
            e.closed.store(true, std::memory_order_release);
            e.word.fetch_or(flag_closed, std::memory_order_seq_cst);
            unlink_locked(e);
            cv_.notify_all();
        }
        if (!forked()) zmq_close(e.handle);
        return true;
    }

    ZMQRAII_COLD std::vector<socket_info> live_sockets() const {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<socket_info> out;
        out.reserve(live_count_);
        for (const socket_entry* e = head_; e != nullptr; e = e->next)
            out.push_back(info_locked(*e));
        return out;
    }

    /// Throws the error for an unusable context (stopping or forked child).
    void check_usable_locked(const char* op, const std::string& what) const {
        const unsigned f = flags_.load(std::memory_order_acquire);
        if (f & flag_forked) throw_forked(op, what);
        if (f & flag_stopping) throw_stopping(op, what);
    }

    [[noreturn]] ZMQRAII_COLD void throw_stopping(const char* op, const std::string& what) const {
        throw stopped(concat({op, " ", what, ": context is stopping"}));
    }

    [[noreturn]] ZMQRAII_COLD void throw_forked(const char* op, const std::string& what) const {
        throw error(ENOTSUP,
                    concat({op, " on ", what, ": this object belongs to process ", decimal(pid_),
                            " but is used in forked child process ", decimal(current_pid()),
                            "; a child must create its own context"}));
    }

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
    ZMQRAII_NOINLINE void begin_stop() noexcept {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (flags_.load(std::memory_order_relaxed) & flag_stopping) return;
            flags_.fetch_or(flag_stopping, std::memory_order_seq_cst);
            stop_began_ = std::chrono::steady_clock::now();
            // Every gate mismatches from now on, so every operation takes the slow
            // path, which reads flags_ (set above) and throws stopped.
            for (socket_entry* e = head_; e != nullptr; e = e->next)
                e->word.fetch_or(flag_stopping, std::memory_order_seq_cst);
            if (forked()) return;  // a child does not touch the parent's libzmq state
            zmq_ctx_shutdown(ctx_);
            try {
                stopper_ = std::thread([this] { run_stopper(); });
                return;
            } catch (...) {
                // No thread to be had: the threads that wait in stop() (or the
                // destructor) run the stop themselves.
                stopper_failed_ = true;
            }
        }
        report_diagnostic(severity::report,
                          "context stop: no thread could be started for the stop; it completes "
                          "in stop(), stop_for() or the context's destructor");
    }

    /// Waits until the context is terminated or `deadline`. Returns true once
    /// zmq_ctx_term returned. `report_when_late` (unbounded stop) reports once,
    /// after stop_report_after, what the stop still waits for.
    ZMQRAII_NOINLINE bool wait_stopped(std::chrono::steady_clock::time_point deadline,
                                       bool report_when_late) {
        using clock = std::chrono::steady_clock;
        const thread_record* me = this_thread_raw();
        std::unique_lock<std::mutex> lock(mutex_);
        // A thread waiting here is not inside libzmq: its sockets may be closed
        // whatever its marks say (a raw_call scope open around stop(), say).
        waiter self{me, waiters_};
        waiters_ = &self;
        struct unregister {
            waiter*& head;
            const waiter* self;
            unregister(waiter*& h, const waiter* w) noexcept : head(h), self(w) {}
            unregister(const unregister&) = delete;
            unregister& operator=(const unregister&) = delete;
            ~unregister() {
                for (waiter** p = &head; *p != nullptr; p = &(*p)->next)
                    if (*p == self) {
                        *p = self->next;
                        break;
                    }
            }
        } unreg(waiters_, &self);
        cv_.notify_all();  // the stopper may close this thread's sockets now
        const auto report_at = clock::now() + settings_.stop_report_after;
        bool reported = false;
        for (;;) {
            if (terminated()) return true;
            const auto now = clock::now();
            if (report_when_late && !reported && now >= report_at) {
                reported = true;
                std::string text = report_locked();
                lock.unlock();
                report_diagnostic(severity::report, std::move(text));
                lock.lock();
                continue;
            }
            if (now >= deadline) return false;
            auto until = deadline;
            if (report_when_late && !reported) until = std::min(until, report_at);
            if (stopper_failed_) {
                if (stop_loop(lock, until)) return true;
            } else {
                cv_.wait_until(lock, until);
            }
        }
    }

    /// Wakes the stopper (an owner left a call that the stop woke).
    void poke() noexcept { cv_.notify_all(); }

    /// What a stop that has not finished is waiting for.
    ZMQRAII_COLD std::string stop_report() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return report_locked();
    }

    /// True once any socket was created in this context.
    bool ever_opened() const noexcept { return ever_opened_.load(std::memory_order_acquire); }

    /// True once zmq_ctx_term has returned.
    bool terminated() const noexcept { return terminated_.load(std::memory_order_acquire); }

    /// "thread 1402 (#3)" or "(handed off, not adopted yet)", read under the mutex.
    ZMQRAII_COLD std::string owner_label(const socket_entry& e) const {
        std::lock_guard<std::mutex> lock(mutex_);
        return info_locked(e).owner_label;
    }

    /// The owner thread's id, read under the mutex.
    std::thread::id owner_id(const socket_entry& e) const {
        std::lock_guard<std::mutex> lock(mutex_);
        return e.owner ? e.owner->id : std::thread::id();
    }

    /// Called by the fork child handler.
    void mark_forked() noexcept { flags_.fetch_or(flag_forked, std::memory_order_acq_rel); }

    /// The next state in fork_list (guarded by its mutex).
    context_state* next_in_fork_list() const noexcept { return fork_next_; }

private:
    ZMQRAII_COLD socket_info info_locked(const socket_entry& e) const {
        socket_info i;
        i.name = e.name;
        i.type = e.type;
        i.created_at = e.site_text();
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
        e.word.fetch_or(flag_closed, std::memory_order_seq_cst);  // no owner matches it now
        if (!forked()) zmq_close(e.handle);
        unlink_locked(e);
        cv_.notify_all();
        // Last: this may destroy `e` (an orphan's only owner is its orphan_keep).
        const std::shared_ptr<socket_entry> keep = std::move(e.orphan_keep);
        return true;
    }

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
    ZMQRAII_NOINLINE const char* busy_reason_locked(const socket_entry& e) const {
        if (e.thread_safe) return "a thread-safe socket: closed by the thread that holds it";
        const thread_record* owner = e.owner.get();
        if (owner == nullptr || !owner->alive.load(std::memory_order_acquire) ||
            is_waiter_locked(owner))
            return "";
        if (!fenced_)
            return "no process-wide memory barrier is available here, so only its owner thread "
                   "closes it";
        // The mark first, then raw_taken: handle() sets raw_taken inside a call.
        if (owner->in_call(static_cast<const gate_word*>(&e), this))
            return "its owner thread is inside a libzmq call with it (a call the stop woke ends "
                   "at once; a raw_call() scope or a call on another context's socket does not)";
        if (e.raw_taken.load(std::memory_order_acquire))
            return "its raw handle() was taken, so only its owner thread closes it (use "
                   "raw_call() scopes instead)";
        if (e.fd_waits.load(std::memory_order_acquire) > 0)
            return "an event loop waits on its ZMQ_FD (the stop signals it: the wait ends as soon "
                   "as the loop runs)";
        return "";
    }

    // Closes every socket that no thread is using inside libzmq.
    void close_idle_locked() noexcept {
        for (socket_entry* e = head_; e != nullptr;) {
            socket_entry* next = e->next;  // close_locked unlinks e
            if (*busy_reason_locked(*e) == '\0') close_locked(*e);
            e = next;
        }
    }

    // The stopper thread: the barrier, then the loop until terminated.
    ZMQRAII_NOINLINE void run_stopper() noexcept {
        const bool fenced = heavy_fence(fence_);
        std::unique_lock<std::mutex> lock(mutex_);
        fenced_ = fenced;
        fence_done_ = true;
        stop_loop(lock, std::chrono::steady_clock::time_point::max());
    }

    // Steps 2 and 3 until `deadline`: close what can be closed, rescan (every
    // millisecond at first, then every 10 ms; closes and pokes wake it sooner),
    // and once no socket is left, zmq_ctx_term. True once terminated.
    ZMQRAII_NOINLINE bool stop_loop(std::unique_lock<std::mutex>& lock,
                                    std::chrono::steady_clock::time_point deadline) noexcept {
        using namespace std::chrono;
        if (!fence_done_) {  // run by a waiter (no stopper thread)
            fenced_ = heavy_fence(fence_);
            fence_done_ = true;
        }
        for (;;) {
            if (terminated()) return true;
            if (!term_started_) {
                close_idle_locked();
                if (head_ == nullptr && creating_.load(std::memory_order_seq_cst) == 0) {
                    term_started_ = true;
                    lock.unlock();
                    while (zmq_ctx_term(ctx_) != 0 && zmq_errno() == EINTR) {}
                    lock.lock();
                    terminated_.store(true, std::memory_order_release);
                    cv_.notify_all();
                    return true;
                }
            }
            const auto now = steady_clock::now();
            if (now >= deadline) return false;
            const auto slice =
                now - stop_began_ < milliseconds(200) ? milliseconds(1) : milliseconds(10);
            cv_.wait_until(lock, std::min<steady_clock::time_point>(deadline, now + slice));
        }
    }

    ZMQRAII_COLD std::string report_locked() const {
        if (head_ != nullptr) {
            std::string s =
                concat({"context stop is waiting for ", decimal(live_count_), " open socket(s):"});
            for (const socket_entry* e = head_; e != nullptr; e = e->next) {
                const char* why = busy_reason_locked(*e);
                const bool busy = *why != '\0';
                s += concat({"\n  ", info_locked(*e).to_string(), busy ? ": " : "", why});
            }
            if (!fenced_ && fence_done_ && !fence_why_.empty())
                s += concat({"\n  (", fence_why_, ")"});
            return s;
        }
        if (term_started_ && !terminated()) {
            const bool forever = infinite_linger_;
            return concat(
                // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): a split sentence
                {"context stop: every socket is closed; zmq_ctx_term is waiting for "
                 "pending outbound messages to be sent (linger ",
                 forever ? "-1 = forever on some socket" : "up to ",
                 forever ? std::string_view() : decimal(max_linger_.count()), forever ? "" : " ms",
                 ")"});
        }
        if (terminated()) return "context stopped";
        if (stopping()) return "context stop has begun";
        return "context is running";
    }

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

inline void mark_forked_child() noexcept {
    // Runs in the child right after fork(): only this thread exists, and the
    // prepare handler holds the list mutex, so the list is consistent.
    fork_list& list = fork_list::get();
    fork_generation().fetch_add(1, std::memory_order_acq_rel);
    for (context_state* s = list.head; s != nullptr; s = s->next_in_fork_list()) s->mark_forked();
    list.mutex.unlock();
    forget_thread_record_after_fork();
}

}  // namespace detail
}  // namespace zmqraii

#endif  // ZMQRAII_DETAIL_REGISTRY_HPP_INCLUDED
