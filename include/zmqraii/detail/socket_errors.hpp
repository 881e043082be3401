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

[[noreturn]] ZMQRAII_COLD_DECL ZMQRAII_DECL void throw_wrong_thread(const char* op,
                                                                    const socket_entry& e);

/// The error for a closed socket (`e`), or for an empty (moved-from) one (null).
[[noreturn]] ZMQRAII_COLD_DECL ZMQRAII_DECL void throw_closed(const char* op,
                                                              const socket_entry* e);

[[noreturn]] ZMQRAII_COLD_DECL ZMQRAII_DECL void throw_closed_by_stop(const char* op,
                                                                      const socket_entry& e);

/// The owner part of the slow path: returns when the calling thread may use the
/// socket whose gate is `g`; throws closed, the fork error or wrong_thread.
ZMQRAII_COLD_DECL ZMQRAII_DECL void check_owner_slow(const char* op, const gate_word* g);

/// The flags part of the slow path: `f` is the context's flags word (or the
/// closed word of a closed object); `e` the entry (null for an empty object).
ZMQRAII_COLD_DECL ZMQRAII_DECL void throw_for_flags(const char* op, unsigned f,
                                                    const socket_entry* e);

/// Ends the calling thread's mark, then throws for a failed libzmq call. ETERM:
/// the call was woken by a stop; the stopper is told, so that it closes the
/// socket at once.
[[noreturn]] ZMQRAII_COLD_DECL ZMQRAII_DECL void throw_call_error(int err, const char* op,
                                                                  const socket_entry& e);

/// Ends the mark; EAGAIN of a blocking call on which the user set a timeout option.
[[noreturn]] ZMQRAII_COLD_DECL ZMQRAII_DECL void throw_timed_out(const char* op, const char* why,
                                                                 const socket_entry& e);

}  // namespace zmqraii::detail

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/socket_errors.ipp>
#endif

#endif  // ZMQRAII_DETAIL_SOCKET_ERRORS_HPP_INCLUDED
