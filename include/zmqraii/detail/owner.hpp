// SPDX-License-Identifier: MIT
// detail/owner.hpp: who is the calling thread, what it is doing inside libzmq,
// and where a thing was created.
//
// Ownership is per thread lifetime, not per std::thread::id (glibc hands a joined
// thread's id to the next new thread). Each thread gets a heap thread_record the
// first time it touches zmqraii; a thread_local holder marks it dead (release) when
// the thread exits. Sockets keep a shared_ptr to their owner's record, so the record
// outlives the thread and "owner has exited" can be read from any thread (acquire).
//
// The hot path compares one raw thread_local pointer with the socket's owner
// pointer: a TLS load and a compare.
//
// In-call marks (the stop protocol, DESIGN.md section 3): a stop closes every
// socket that no thread is using inside libzmq, including idle sockets of live
// owners. Each thread has two thread_local words that only it writes:
//   - call_mark: the gate address of the one socket it is calling libzmq with,
//     written before its operation reads the socket's gate (owner and stop bit)
//     and cleared (release) after its last libzmq call of the operation;
//   - wide_mark: a context (or any_context) while it hands several sockets to one
//     libzmq call (poller, proxy, raw_call scopes); saved and restored, so it nests.
// The stopping thread sets the stop bit in every gate, runs the heavy side of an
// asymmetric barrier (detail/platform.hpp), then reads the marks through the
// owner's thread_record: a socket whose owner is not marked inside libzmq with it
// is idle, and its owner's next operation sees the stop bit before it touches
// libzmq. The record holds pointers to the two words while the thread lives.
#ifndef ZMQRAII_DETAIL_OWNER_HPP_INCLUDED
#define ZMQRAII_DETAIL_OWNER_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/detail/platform.hpp>
#include <zmqraii/detail/text.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#if ZMQRAII_HAS_SOURCE_LOCATION
#include <source_location>
#endif

namespace zmqraii::detail {

/// This thread's mark: the gate of the socket it is inside libzmq with, or null.
inline thread_local std::atomic<const void*> call_mark{nullptr};
/// This thread's wide mark: a context_state (or any_context) whose sockets it has
/// handed to one libzmq call (zmq_poll, zmq_proxy), or null. Nests.
inline thread_local std::atomic<const void*> wide_mark{nullptr};

/// The wide mark for a call on sockets of several contexts.
inline const void* any_context() noexcept {
    static const char tag = 0;
    return &tag;
}

/// Memory order of the owner's mark store and gate load. Under ThreadSanitizer
/// both are sequentially consistent (and so is the stopper's side), so that the
/// tool sees a protocol it models; elsewhere the asymmetric barrier orders them.
inline constexpr std::memory_order mark_order =
    ZMQRAII_TSAN ? std::memory_order_seq_cst : std::memory_order_relaxed;
inline constexpr std::memory_order gate_order =
    ZMQRAII_TSAN ? std::memory_order_seq_cst : std::memory_order_acquire;

/// The owner's side of the asymmetric barrier, between its mark and its gate load.
inline void light_fence() noexcept {
    if constexpr (owner_uses_full_fence)
        std::atomic_thread_fence(std::memory_order_seq_cst);
    else
        std::atomic_signal_fence(std::memory_order_seq_cst);
}

/// Marks the calling thread inside libzmq with the socket whose gate is `gate`.
inline void mark_call(const void* gate) noexcept {
    call_mark.store(gate, mark_order);
    light_fence();
}

/// Ends the calling thread's mark: its libzmq calls happen before a stopper's
/// close of the socket (the stopper reads the mark with acquire).
inline void unmark_call() noexcept { call_mark.store(nullptr, std::memory_order_release); }

/// Marks the calling thread inside libzmq with one socket for its lifetime (the
/// mark itself is made by socket::enter(); this ends it).
class [[nodiscard]] call_scope {
public:
    call_scope() noexcept = default;
    call_scope(const call_scope&) = delete;
    call_scope& operator=(const call_scope&) = delete;
    call_scope(call_scope&&) = delete;
    call_scope& operator=(call_scope&&) = delete;
    ~call_scope() { unmark_call(); }
};

/// While it lives, the calling thread's libzmq call on sockets of `ctx` (a
/// context_state, or any_context()) counts as a call on each of them.
class wide_call {
public:
    explicit wide_call(const void* ctx) noexcept
        : saved_(wide_mark.load(std::memory_order_relaxed)) {
        wide_mark.store(saved_ == nullptr || saved_ == ctx ? ctx : any_context(), mark_order);
        light_fence();
    }
    wide_call(const wide_call&) = delete;
    wide_call& operator=(const wide_call&) = delete;
    wide_call(wide_call&&) = delete;
    wide_call& operator=(wide_call&&) = delete;
    ~wide_call() { wide_mark.store(saved_, std::memory_order_release); }

private:
    const void* saved_;
};

/// One thread's lifetime.
struct thread_record {
    std::thread::id id = std::this_thread::get_id();
    unsigned long long number = native_thread_number();  // what `id` prints
    std::uint64_t serial = next_serial();
    std::atomic<bool> alive{true};
    /// The thread's two marks while it lives (guarded by marks_mutex; null once it
    /// exited, when its thread_local storage is gone).
    const std::atomic<const void*>* call = &call_mark;
    const std::atomic<const void*>* wide = &wide_mark;
    mutable std::mutex marks_mutex;  // also guards `name`
    std::string name = is_main_thread() ? "main" : "";

    /// True while the thread is inside libzmq with the socket of `gate` (in
    /// context `ctx`). Any thread; after the stopper's heavy fence.
    bool in_call(const void* gate, const void* ctx) const {
        std::lock_guard<std::mutex> lock(marks_mutex);
        if (call == nullptr) return false;  // exited
        if (call->load(ZMQRAII_TSAN ? std::memory_order_seq_cst : std::memory_order_acquire) ==
            gate)
            return true;
        const void* w =
            wide->load(ZMQRAII_TSAN ? std::memory_order_seq_cst : std::memory_order_acquire);
        return w != nullptr && (w == ctx || w == any_context());
    }

    static std::uint64_t next_serial() noexcept {
        static std::atomic<std::uint64_t> counter{0};
        return ++counter;
    }

    /// "thread 'collector' (140234, #2)", "thread 140234 (#3)", "..., exited)".
    ZMQRAII_NOINLINE ZMQRAII_DECL std::string label() const;

    /// Names the thread in reports (the calling thread only).
    void set_name(std::string n) {
        std::lock_guard<std::mutex> lock(marks_mutex);
        name = std::move(n);
    }
};

// The calling thread's record, constant-initialized so that reading it costs one
// TLS load with no init guard. Null until the thread first needs it.
inline thread_local thread_record* current_thread = nullptr;

struct thread_holder {
    std::shared_ptr<thread_record> record;
    thread_holder() = default;
    thread_holder(const thread_holder&) = delete;
    thread_holder& operator=(const thread_holder&) = delete;
    thread_holder(thread_holder&&) = delete;
    thread_holder& operator=(thread_holder&&) = delete;
    ~thread_holder() {
        // Thread exit hook: publish with release so that a thread that sees
        // alive == false (acquire) also sees everything this thread did. The
        // marks' storage goes with the thread: nobody may read them afterwards.
        if (!record) return;
        std::lock_guard<std::mutex> lock(record->marks_mutex);
        record->call = nullptr;
        record->wide = nullptr;
        record->alive.store(false, std::memory_order_release);
    }
};

/// The calling thread's holder (its thread_local).
ZMQRAII_DECL thread_holder& this_thread_holder() noexcept;

/// The calling thread's record (created on first use).
ZMQRAII_DECL const std::shared_ptr<thread_record>& this_thread_record();

/// In a forked child: the forking thread drops its record (the parent's sockets
/// keep theirs) and gets a new one on next use, so no socket gate matches it.
ZMQRAII_DECL void forget_thread_record_after_fork() noexcept;

/// A socket's gate word: the owner's record address with state bits in the low
/// bits (records are at least 8-byte aligned).
inline std::uintptr_t gate_of(const thread_record* r) noexcept {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): an address as a word
    return reinterpret_cast<std::uintptr_t>(r);
}
static_assert(alignof(thread_record) >= 8, "gate bits live in the low bits of a record address");

/// Raw pointer for the hot-path comparison; initializes the record if needed.
inline thread_record* this_thread_raw() {
    thread_record* t = current_thread;
    if (ZMQRAII_LIKELY(t != nullptr)) return t;
    return this_thread_record().get();
}

/// Where an object was created: file:line. Constructed by default arguments at
/// the caller's site.
struct source_site {
    const char* file = "";
    unsigned line = 0;

#if ZMQRAII_HAS_SOURCE_LOCATION
    constexpr source_site(std::source_location l = std::source_location::current()) noexcept
        : file(l.file_name()), line(static_cast<unsigned>(l.line())) {}
#else
    constexpr source_site(const char* f = __builtin_FILE(), unsigned l = __builtin_LINE()) noexcept
        : file(f), line(l) {}
#endif

    ZMQRAII_NOINLINE ZMQRAII_DECL std::string to_string() const;

    /// True for a site inside the C++ standard library's headers: the object was
    /// constructed by std::make_unique, std::optional::emplace, a container... and
    /// the default argument recorded that call, not the user's.
    bool in_std_library() const noexcept {
        if (file == nullptr) return false;
        for (const char* p = file; *p != '\0'; ++p)
            if (p[0] == '/' && p[1] == 'c' && p[2] == '+' && p[3] == '+' && p[4] == '/')
                return true;  // .../include/c++/12/bits/..., .../include/c++/v1/__memory/...
        return false;
    }
};

}  // namespace zmqraii::detail

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/owner.ipp>
#endif

#endif  // ZMQRAII_DETAIL_OWNER_HPP_INCLUDED
