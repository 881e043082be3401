// SPDX-License-Identifier: MIT
// impl/socket.ipp: definitions for socket.hpp (see ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_SOCKET_IPP_INCLUDED
#define ZMQRAII_IMPL_SOCKET_IPP_INCLUDED

#include <zmqraii/socket.hpp>

namespace zmqraii {
ZMQRAII_ABI_BEGIN

socket::socket(context& ctx, socket_type type, std::string_view name,
               const detail::source_site& site) {
    const auto& st = detail::context_access::state(ctx, "socket");
    attach(st->open(st, type, std::string(name), site));
}

void socket::close() {
    if (!entry() || is_closed_object()) {
        mark_closed(entry() != nullptr);
        return;
    }
    if (entry()->ctx->forked()) entry()->ctx->throw_forked("close", entry()->describe());
    if (!detail::may_close(*entry())) throw_wrong_thread("close");
    entry()->ctx->close(*entry());
    mark_closed(true);
}

std::thread::id socket::owner() const noexcept {
    const detail::socket_entry* e = any_thread_entry();
    if (e == nullptr) return std::thread::id();
    try {
        return e->ctx->owner_id(*e);
    } catch (...) {  // std::system_error from the mutex: nothing to report
        return std::thread::id();
    }
}

std::string socket::describe() const {
    if (!entry()) return "socket (empty)";
    std::string s = entry()->describe();
    s.pop_back();  // the closing ')'
    s += ", owned by ";
    s += entry()->ctx->owner_label(*entry());
    s += ')';
    return s;
}

socket socket_handoff::adopt() && {
    if (!entry_) throw error(ENOTSOCK, "adopt on an empty socket_handoff");
    auto e = std::move(entry_);
    if (detail::adopt_entry(*e)) return socket(std::move(e));
    throw stopped("adopt of " + e->describe() + ": context is stopping");
}

socket_handoff socket::release() && {
    if (!entry() || is_closed_object()) detail::throw_closed("release", entry().get());
    if (entry()->ctx->forked()) entry()->ctx->throw_forked("release", entry()->describe());
    if (!detail::may_close(*entry())) {
        if (entry()->closed.load(std::memory_order_acquire))
            detail::throw_closed_by_stop("release", *entry());
        throw_wrong_thread("release");
    }
    detail::release_entry(*entry());
    auto e = take_entry();
    mark_closed();
    return socket_handoff(std::move(e));
}

ZMQRAII_ABI_END
}  // namespace zmqraii

#endif  // ZMQRAII_IMPL_SOCKET_IPP_INCLUDED
