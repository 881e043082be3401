// SPDX-License-Identifier: MIT
// impl/socket_errors.ipp: definitions for detail/socket_errors.hpp (see
// ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_SOCKET_ERRORS_IPP_INCLUDED
#define ZMQRAII_IMPL_SOCKET_ERRORS_IPP_INCLUDED

#include <zmqraii/detail/socket_errors.hpp>

namespace zmqraii::detail {

void throw_wrong_thread(const char* op, const socket_entry& e) {
    throw wrong_thread(
        concat({"wrong thread: ", op, " on ", e.describe(), ", owned by ", e.ctx->owner_label(e),
                ", called from ", this_thread_record()->label(),
                // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): a split sentence
                ". A socket belongs to the thread that created it: give each "
                "thread its own socket, or hand it over with release()/adopt()"}));
}

void throw_closed(const char* op, const socket_entry* e) {
    if (e == nullptr) throw error(ENOTSOCK, concat({op, " on an empty (moved-from) socket"}));
    throw error(ENOTSOCK, concat({op, " on ", e->describe(), ": socket is closed"}));
}

void throw_closed_by_stop(const char* op, const socket_entry& e) {
    throw stopped(concat({op, " on ", e.describe(), ": the context's stop closed this socket"}));
}

void check_owner_slow(const char* op, const gate_word* g) {
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

void throw_for_flags(const char* op, unsigned f, const socket_entry* e) {
    if ((f & flag_closed) || e == nullptr) throw_closed(op, e);
    if (f & flag_forked) e->ctx->throw_forked(op, e->describe());
    if (f & flag_stopping)
        throw stopped(concat({op, " on ", e->describe(), ": context is stopping"}));
}

void throw_call_error(int err, const char* op, const socket_entry& e) {
    unmark_call();
    if (err == ETERM) {
        e.ctx->poke();
        throw stopped(concat({op, " on ", e.describe(), ": context was stopped"}));
    }
    throw error(err, concat({op, " on ", e.describe()}));
}

void throw_timed_out(const char* op, const char* why, const socket_entry& e) {
    unmark_call();
    throw error(EAGAIN, concat({op, " on ", e.describe(), ": timed out (", why, ")"}));
}

}  // namespace zmqraii::detail

#endif  // ZMQRAII_IMPL_SOCKET_ERRORS_IPP_INCLUDED
