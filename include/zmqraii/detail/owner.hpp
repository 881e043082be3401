// SPDX-License-Identifier: MIT
// detail/owner.hpp: who is the calling thread, and where was a thing created.
//
// Ownership is per thread lifetime, not per std::thread::id (glibc hands a joined
// thread's id to the next new thread). Each thread gets a heap thread_record the
// first time it touches zmqraii; a thread_local holder marks it dead (release) when
// the thread exits. Sockets keep a shared_ptr to their owner's record, so the record
// outlives the thread and "owner has exited" can be read from any thread (acquire).
//
// The hot path compares one raw thread_local pointer with the socket's owner
// pointer: a TLS load and a compare.
#ifndef ZMQRAII_DETAIL_OWNER_HPP_INCLUDED
#define ZMQRAII_DETAIL_OWNER_HPP_INCLUDED

#include <zmqraii/config.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#if ZMQRAII_HAS_SOURCE_LOCATION
#include <source_location>
#endif

#include <sys/types.h>
#include <unistd.h>

namespace zmqraii::detail {

/// One thread's lifetime.
struct thread_record {
    std::thread::id id = std::this_thread::get_id();
    std::uint64_t serial = next_serial();
    std::atomic<bool> alive{true};

    static std::uint64_t next_serial() noexcept {
        static std::atomic<std::uint64_t> counter{0};
        return ++counter;
    }

    /// "thread 140234 (#2)" or "thread 140234 (#2, exited)".
    std::string label() const {
        std::ostringstream os;
        os << "thread " << id << " (#" << serial;
        if (!alive.load(std::memory_order_acquire)) os << ", exited";
        os << ')';
        return os.str();
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
        // alive == false (acquire) also sees everything this thread did.
        if (record) record->alive.store(false, std::memory_order_release);
    }
};

inline thread_holder& this_thread_holder() noexcept {
    thread_local thread_holder holder;
    return holder;
}

/// The calling thread's record (created on first use).
inline const std::shared_ptr<thread_record>& this_thread_record() {
    thread_holder& holder = this_thread_holder();
    if (!holder.record) {
        holder.record = std::make_shared<thread_record>();
        current_thread = holder.record.get();
    }
    return holder.record;
}

/// In a forked child: the forking thread drops its record (the parent's sockets
/// keep theirs) and gets a new one on next use, so no socket gate matches it.
inline void forget_thread_record_after_fork() noexcept {
    current_thread = nullptr;
    this_thread_holder().record.reset();
}

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

    std::string to_string() const {
        std::string s = file ? file : "";
        s += ':';
        s += std::to_string(line);
        return s;
    }
};

/// Process id, for fork reports.
inline long current_pid() noexcept { return static_cast<long>(::getpid()); }

}  // namespace zmqraii::detail

#endif  // ZMQRAII_DETAIL_OWNER_HPP_INCLUDED
