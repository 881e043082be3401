// SPDX-License-Identifier: MIT
// impl/socket_lifetime.ipp: definitions for detail/socket_lifetime.hpp (see
// ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_SOCKET_LIFETIME_IPP_INCLUDED
#define ZMQRAII_IMPL_SOCKET_LIFETIME_IPP_INCLUDED

#include <zmqraii/detail/socket_lifetime.hpp>

namespace zmqraii::detail {

void report_wrong_thread_destroy(std::shared_ptr<socket_entry>& entry) noexcept {
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

void destroy_entry(std::shared_ptr<socket_entry>& entry) noexcept {
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

void release_entry(socket_entry& e) {
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

bool adopt_entry(socket_entry& e) {
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

void discard_entry(std::shared_ptr<socket_entry>& e) noexcept {
    if (!e) return;
    if (!e->ctx->forked())
        e->ctx->close(*e);
    else
        leave_to_exit(std::move(e));
    e.reset();
}

}  // namespace zmqraii::detail

#endif  // ZMQRAII_IMPL_SOCKET_LIFETIME_IPP_INCLUDED
