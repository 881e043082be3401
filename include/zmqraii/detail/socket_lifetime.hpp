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
ZMQRAII_COLD_DECL ZMQRAII_DECL void report_wrong_thread_destroy(
    std::shared_ptr<socket_entry>& entry) noexcept;

/// What a socket's destructor does with its still-open entry: closes it where
/// allowed (or when a stop closed it already), else reports a fatal diagnostic
/// and leaves it registered for a stop to close.
ZMQRAII_DECL void destroy_entry(std::shared_ptr<socket_entry>& entry) noexcept;

/// release(): after the owner checks, takes the owner away under the registry's
/// mutex (the gate then matches no thread until adopt(), and keeps its stop bit).
ZMQRAII_DECL void release_entry(socket_entry& e);

/// adopt(): makes the calling thread the owner. False (the socket closed) when
/// the context is stopping or a stop closed it meanwhile.
ZMQRAII_DECL bool adopt_entry(socket_entry& e);

/// A handoff destroyed without adopt(): nobody owns the socket, so close it.
ZMQRAII_DECL void discard_entry(std::shared_ptr<socket_entry>& e) noexcept;

}  // namespace zmqraii::detail

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/socket_lifetime.ipp>
#endif

#endif  // ZMQRAII_DETAIL_SOCKET_LIFETIME_HPP_INCLUDED
