// SPDX-License-Identifier: MIT
// detail/socket_access.hpp: what zmqraii's own headers (multipart, poller,
// proxy, monitor, worker, loop) need of a socket and users do not. Included at
// the end of socket.hpp; including it first works too (it includes socket.hpp).
#ifndef ZMQRAII_DETAIL_SOCKET_ACCESS_HPP_INCLUDED
#define ZMQRAII_DETAIL_SOCKET_ACCESS_HPP_INCLUDED

#include <zmqraii/socket.hpp>

#include <initializer_list>

namespace zmqraii::detail {
ZMQRAII_ABI_BEGIN

/// What zmqraii's own headers (multipart, poller, proxy, monitor, worker) need
/// of a socket and users do not: the checked, marked raw handle.
struct socket_access {
    /// Checks like send() and marks the thread inside libzmq with `s` until the
    /// scope ends; raw(s) is then safe to hand to libzmq.
    static call_scope enter(const socket& s, const char* op) { return s.enter(op); }
    /// The same check inside a scope already open (EINTR retries), or inside a
    /// wide_call that covers s's context.
    static void check(const socket& s, const char* op) { s.recheck(op); }
    /// The raw handle, after enter() or check().
    static void* raw(const socket& s) noexcept { return s.raw_handle(); }
    /// The socket's context state, for a wide_call (null for an empty socket).
    static const void* context_of(const socket& s) noexcept {
        return s.entry() ? static_cast<const void*>(s.entry()->ctx.get()) : nullptr;
    }
    /// Throws stopped (or the error for `e`) for a failed libzmq call on `s`,
    /// naming `op`; ends the mark and wakes the stopper for ETERM.
    [[noreturn]] static void throw_op_error(const socket& s, int e, const char* op) {
        s.throw_op_error(e, op);
    }
    /// A call on `s` was woken by a stop (ETERM): ends the calling thread's mark
    /// and wakes the stopper, which then closes the socket at once.
    static void note_stopped(const socket& s) noexcept {
        unmark_call();
        if (s.entry()) s.entry()->ctx->poke();
    }
    /// An event loop begins waiting on the socket's ZMQ_FD (call inside a scope
    /// of enter()); a stop then leaves the socket open until end_fd_wait().
    static void begin_fd_wait(const socket& s) noexcept {
        s.entry()->fd_waits.fetch_add(1, std::memory_order_relaxed);
    }
    /// The wait on ZMQ_FD ended (completed, cancelled or failed); any thread
    /// that the owner's event loop runs on, after the wait's completion.
    static void end_fd_wait(const socket& s) noexcept {
        if (s.entry()) s.entry()->fd_waits.fetch_sub(1, std::memory_order_release);
    }
    /// The wide mark for one libzmq call on `socks` (null entries are skipped):
    /// their context, or any_context() when they belong to several.
    static const void* wide_context(std::initializer_list<const socket*> socks) noexcept {
        const void* ctx = nullptr;
        for (const socket* s : socks) {
            if (s == nullptr) continue;
            const void* c = context_of(*s);
            ctx = (ctx == nullptr || ctx == c) ? c : any_context();
        }
        return ctx;
    }
};

ZMQRAII_ABI_END
}  // namespace zmqraii::detail

#endif  // ZMQRAII_DETAIL_SOCKET_ACCESS_HPP_INCLUDED
