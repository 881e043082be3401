// SPDX-License-Identifier: MIT
// detail/socket_errors.hpp: the slow paths of a socket's check and the errors it
// throws, out of line and out of socket.hpp. Each reads only what a thread that
// does not own the socket may read (atomics, and what never changes after the
// socket's creation), and none of them is on the message path.
#ifndef ZMQRAII_DETAIL_SOCKET_ERRORS_HPP_INCLUDED
#define ZMQRAII_DETAIL_SOCKET_ERRORS_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/detail/owner.hpp>
#include <zmqraii/detail/registry.hpp>
#include <zmqraii/detail/text.hpp>
#include <zmqraii/error.hpp>

#include <cerrno>
#include <cstdint>
#include <string>

namespace zmqraii::detail {

/// The owner part of a gate word: the owner's record, or null while handed off
/// and for thread-safe types (gate_no_owner masks to 0).
inline const thread_record* owner_of(const gate_word& g) noexcept {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast,performance-no-int-to-ptr)
    return reinterpret_cast<const thread_record*>(g.word.load(std::memory_order_acquire) &
                                                  ~std::uintptr_t{7});
}

[[noreturn]] ZMQRAII_COLD inline void throw_wrong_thread(const char* op, const socket_entry& e) {
    throw wrong_thread(
        concat({"wrong thread: ", op, " on ", e.describe(), ", owned by ", e.ctx->owner_label(e),
                ", called from ", this_thread_record()->label(),
                // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): a split sentence
                ". A socket belongs to the thread that created it: give each "
                "thread its own socket, or hand it over with release()/adopt()"}));
}

/// The error for a closed socket (`e`), or for an empty (moved-from) one (null).
[[noreturn]] ZMQRAII_COLD inline void throw_closed(const char* op, const socket_entry* e) {
    if (e == nullptr) throw error(ENOTSOCK, concat({op, " on an empty (moved-from) socket"}));
    throw error(ENOTSOCK, concat({op, " on ", e->describe(), ": socket is closed"}));
}

[[noreturn]] ZMQRAII_COLD inline void throw_closed_by_stop(const char* op, const socket_entry& e) {
    throw stopped(concat({op, " on ", e.describe(), ": the context's stop closed this socket"}));
}

/// The owner part of the slow path: returns when the calling thread may use the
/// socket whose gate is `g`; throws closed, the fork error or wrong_thread.
ZMQRAII_COLD inline void check_owner_slow(const char* op, const gate_word* g) {
    const thread_record* me = this_thread_raw();
    const socket_entry* e = entry_of(g);
    if (e == nullptr) throw_closed(op, nullptr);
    // Closed by a stop (stopped) or by close() (error): nobody's socket any more.
    if (e->closed.load(std::memory_order_acquire)) {
        if (e->ctx->stopping()) throw_closed_by_stop(op, *e);
        throw_closed(op, e);
    }
    if (me == owner_of(*g) || e->thread_safe) return;
    // In a forked child no parent thread exists: the fork error, not wrong_thread.
    if (e->ctx->forked()) e->ctx->throw_forked(op, e->describe());
    throw_wrong_thread(op, *e);
}

/// The flags part of the slow path: `f` is the context's flags word (or the
/// closed word of a closed object); `e` the entry (null for an empty object).
ZMQRAII_COLD inline void throw_for_flags(const char* op, unsigned f, const socket_entry* e) {
    if ((f & flag_closed) || e == nullptr) throw_closed(op, e);
    if (f & flag_forked) e->ctx->throw_forked(op, e->describe());
    if (f & flag_stopping)
        throw stopped(concat({op, " on ", e->describe(), ": context is stopping"}));
}

/// Ends the calling thread's mark, then throws for a failed libzmq call. ETERM:
/// the call was woken by a stop; the stopper is told, so that it closes the
/// socket at once.
[[noreturn]] ZMQRAII_COLD inline void throw_call_error(int err, const char* op,
                                                       const socket_entry& e) {
    unmark_call();
    if (err == ETERM) {
        e.ctx->poke();
        throw stopped(concat({op, " on ", e.describe(), ": context was stopped"}));
    }
    throw error(err, concat({op, " on ", e.describe()}));
}

/// Ends the mark; EAGAIN of a blocking call on which the user set a timeout option.
[[noreturn]] ZMQRAII_COLD inline void throw_timed_out(const char* op, const char* why,
                                                      const socket_entry& e) {
    unmark_call();
    throw error(EAGAIN, concat({op, " on ", e.describe(), ": timed out (", why, ")"}));
}

}  // namespace zmqraii::detail

#endif  // ZMQRAII_DETAIL_SOCKET_ERRORS_HPP_INCLUDED
