// SPDX-License-Identifier: MIT
// detail/socket_lifetime.hpp: who may close a socket, and what closing,
// destroying, releasing and adopting one do to its registry entry. Used by
// socket and socket_handoff; none of it is on the message path.
#ifndef ZMQRAII_DETAIL_SOCKET_LIFETIME_HPP_INCLUDED
#define ZMQRAII_DETAIL_SOCKET_LIFETIME_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/detail/owner.hpp>
#include <zmqraii/detail/registry.hpp>
#include <zmqraii/detail/socket_errors.hpp>
#include <zmqraii/detail/text.hpp>
#include <zmqraii/error.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace zmqraii::detail {

/// True once the owner thread of the socket whose gate is `g` has exited.
inline bool owner_exited(const gate_word& g) noexcept {
    const thread_record* o = owner_of(g);
    return o != nullptr && !o->alive.load(std::memory_order_acquire);
}

/// True when the calling thread may close the socket: its owner, any thread
/// once the owner exited, any thread for a thread-safe type.
inline bool may_close(const socket_entry& e) {
    return e.thread_safe || this_thread_raw() == owner_of(e) || owner_exited(e);
}

/// A forked child must not touch the parent's sockets: the entry is left to
/// the child's exit.
inline void leave_to_exit(std::shared_ptr<socket_entry> e) noexcept {
    new std::shared_ptr<socket_entry>(std::move(e));
}

/// The fatal report of a socket destroyed on a thread that may not close it;
/// a handler that returns leaves the socket registered for a stop to close.
ZMQRAII_COLD inline void report_wrong_thread_destroy(
    std::shared_ptr<socket_entry>& entry) noexcept {
    context_state& ctx = *entry->ctx;
    std::string text;
    try {
        text = concat({"socket destroyed on the wrong thread: ", entry->describe(), " is owned by ",
                       ctx.owner_label(*entry), " but destroyed on ", this_thread_record()->label(),
                       // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): a split sentence
                       "; zmqraii did not close it (closing a socket that another live thread "
                       "owns can hang that thread and zmq_ctx_term). Close or destroy a socket "
                       "on its owner thread, or release()/adopt() it first."});
    } catch (...) {
        text = "socket destroyed on the wrong thread";
    }
    report_diagnostic(severity::fatal, std::move(text));
    ctx.orphan(entry);
}

/// What a socket's destructor does with its still-open entry: closes it where
/// allowed (or when a stop closed it already), else reports a fatal diagnostic
/// and leaves it registered for a stop to close.
inline void destroy_entry(std::shared_ptr<socket_entry>& entry) noexcept {
    context_state& ctx = *entry->ctx;
    if (ctx.forked()) {
        leave_to_exit(std::move(entry));
        return;
    }
    bool allowed = false;
    try {
        allowed = may_close(*entry);
    } catch (...) {  // no memory for this thread's record: it is not the owner
        allowed = owner_exited(*entry);
    }
    if (allowed || entry->closed.load(std::memory_order_acquire)) {
        ctx.close(*entry);
        return;
    }
    // A handler that returns leaves the socket registered: a stop closes it when
    // no thread uses it.
    report_wrong_thread_destroy(entry);
}

/// release(): after the owner checks, takes the owner away under the registry's
/// mutex (the gate then matches no thread until adopt(), and keeps its stop bit).
inline void release_entry(socket_entry& e) {
    context_state& ctx = *e.ctx;
    std::lock_guard<std::mutex> lock(ctx.mutex());
    if (e.closed) {
        if (ctx.stopping()) throw_closed_by_stop("release", e);
        throw_closed("release", &e);
    }
    e.owner.reset();
    e.word.store((e.word.load(std::memory_order_relaxed) & flag_stopping) | gate_no_owner,
                 std::memory_order_seq_cst);
}

/// adopt(): makes the calling thread the owner. False (the socket closed) when
/// the context is stopping or a stop closed it meanwhile.
inline bool adopt_entry(socket_entry& e) {
    context_state& ctx = *e.ctx;
    if (ctx.forked()) ctx.throw_forked("adopt", e.describe());
    auto me = this_thread_record();
    {
        std::lock_guard<std::mutex> lock(ctx.mutex());
        if (!e.closed && !ctx.stopping()) {
            e.owner = std::move(me);
            if (!e.thread_safe) e.word.store(gate_of(e.owner.get()), std::memory_order_release);
            return true;
        }
    }
    ctx.close(e);
    return false;
}

/// A handoff destroyed without adopt(): nobody owns the socket, so close it.
inline void discard_entry(std::shared_ptr<socket_entry>& e) noexcept {
    if (!e) return;
    if (!e->ctx->forked())
        e->ctx->close(*e);
    else
        leave_to_exit(std::move(e));
    e.reset();
}

}  // namespace zmqraii::detail

#endif  // ZMQRAII_DETAIL_SOCKET_LIFETIME_HPP_INCLUDED
