// SPDX-License-Identifier: MIT
/// @file multipart.hpp
/// zmqraii::multipart: a message of several parts, sent and received all or nothing,
/// and the routing-envelope helpers for ROUTER/DEALER/REQ.
///
/// @par How "all or nothing" is achieved (details and residual cases: docs/messaging.md)
/// - Before the first part: the multipart must not be empty, and the socket must be
///   open, owned by the calling thread and its context not stopping. A failure here
///   sends nothing and leaves the multipart unchanged.
/// - The first part decides. libzmq counts its high-water mark in whole messages and
///   checks it only when a message starts, so a refused first part (EAGAIN, and
///   EHOSTUNREACH, EFSM, ENOTSUP...) means nothing was queued. try_send_multipart()
///   sends it with ZMQ_DONTWAIT and returns false with the multipart unchanged.
/// - Once the first part is queued, libzmq accepts the rest of that message whatever
///   the high-water mark, and a peer sees none of it until the last part is queued
///   (libzmq publishes a message to its peer only when it is complete). The other
///   parts are sent blocking, retrying EINTR (and EAGAIN, possible only when the user
///   set option::sndtimeo and the peer went away), so the message is always finished.
/// - When the context stops between two parts, `stopped` is thrown; the socket is
///   then closed as the exception unwinds, and libzmq discards the unfinished message
///   (it rolls back an incomplete outbound message when a pipe terminates): a peer
///   never receives a part of it.
/// - Receiving: libzmq delivers whole messages, so after the first part the others
///   are already there. recv_multipart() refuses to start in the middle of a message
///   (after a recv() that took only some parts) instead of returning a tail.
#ifndef ZMQRAII_MULTIPART_HPP_INCLUDED
#define ZMQRAII_MULTIPART_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/detail/time.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/socket.hpp>

#include <zmq.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace zmqraii {

/// A message of one or more parts (frames), each a zmqraii::message.
/**
 * A sequence container of message parts: push_back()/emplace_back() strings, bytes or
 * messages, iterate, index, pop_front() a routing id. Move-only, as message is;
 * clone() copies (libzmq shares large part buffers by reference count).
 *
 * @code
 * zmqraii::multipart m{"header", "body"};
 * m.push_back(std::string(4096, 'x'));  // zero-copy hand-over of the string
 * zmqraii::send_multipart(s, std::move(m));
 * @endcode
 *
 * @par Thread Safety
 * A value: any thread may use it, one thread at a time.
 */
class multipart {
public:
    using value_type = message;                                   ///< A part.
    using size_type = std::size_t;                                ///< Part counts and indexes.
    using iterator = std::vector<message>::iterator;              ///< Iterates over parts.
    using const_iterator = std::vector<message>::const_iterator;  ///< Iterates, read-only.

    /// No parts.
    multipart() noexcept = default;
    /// Parts copied from text: `multipart{"topic", "payload"}`.
    multipart(std::initializer_list<std::string_view> parts) {
        parts_.reserve(parts.size());
        for (std::string_view p : parts) parts_.emplace_back(p);
    }
    /// Takes over a vector of parts.
    explicit multipart(std::vector<message>&& parts) noexcept : parts_(std::move(parts)) {}

    multipart(const multipart&) = delete;
    multipart& operator=(const multipart&) = delete;
    /// Takes over `other`'s parts; `other` is left empty.
    multipart(multipart&& other) noexcept = default;
    /// Drops this multipart's parts and takes over `other`'s.
    multipart& operator=(multipart&& other) noexcept = default;
    ~multipart() = default;

    // ---- adding parts ----------------------------------------------------------

    /// Appends a message part (moved in).
    void push_back(message&& part) { parts_.push_back(std::move(part)); }
    /// Appends a copy of `text`.
    void push_back(std::string_view text) { parts_.emplace_back(text); }
    /// Appends a copy of a C string (without its terminator).
    void push_back(const char* text) { parts_.emplace_back(text); }
    /// Appends a string, taking over its buffer (zero-copy for large strings).
    void push_back(std::string&& text) { parts_.emplace_back(std::move(text)); }
    /// Appends a copy of `bytes`.
    void push_back(byte_view bytes) { parts_.emplace_back(bytes); }
    /// Appends a copy of `size` bytes at `data`.
    void push_back(const void* data, std::size_t size) { parts_.emplace_back(data, size); }
    /// Appends a part built from any message constructor's arguments.
    /// @return the new part.
    template <class... Args>
    message& emplace_back(Args&&... args) {
        return parts_.emplace_back(std::forward<Args>(args)...);
    }

    /// Prepends a message part (an envelope frame, a delimiter).
    void push_front(message&& part) { parts_.insert(parts_.begin(), std::move(part)); }
    /// Prepends a copy of `text` (`push_front("")` adds an empty delimiter).
    void push_front(std::string_view text) { parts_.insert(parts_.begin(), message(text)); }
    /// Prepends a copy of a C string.
    void push_front(const char* text) { push_front(std::string_view(text)); }

    /// Inserts a part before `pos`. @return an iterator to the new part.
    iterator insert(const_iterator pos, message&& part) {
        return parts_.insert(pos, std::move(part));
    }
    /// Removes the part at `pos`. @return an iterator to the part after it.
    iterator erase(const_iterator pos) { return parts_.erase(pos); }

    /// Removes and returns the first part. @throws std::out_of_range when empty.
    message pop_front() {
        if (parts_.empty()) throw std::out_of_range("multipart::pop_front on an empty multipart");
        message m = std::move(parts_.front());
        parts_.erase(parts_.begin());
        return m;
    }
    /// Removes and returns the last part. @throws std::out_of_range when empty.
    message pop_back() {
        if (parts_.empty()) throw std::out_of_range("multipart::pop_back on an empty multipart");
        message m = std::move(parts_.back());
        parts_.pop_back();
        return m;
    }

    /// Removes every part.
    void clear() noexcept { parts_.clear(); }
    /// Reserves room for `n` parts.
    void reserve(size_type n) { parts_.reserve(n); }

    // ---- access ----------------------------------------------------------------

    /// Number of parts.
    size_type size() const noexcept { return parts_.size(); }
    /// True when there are no parts.
    bool empty() const noexcept { return parts_.empty(); }
    /// Sum of the parts' sizes in bytes.
    std::size_t total_size() const noexcept {
        std::size_t n = 0;
        for (const message& m : parts_) n += m.size();
        return n;
    }

    /// Part `i`. @pre i < size().
    message& operator[](size_type i) noexcept { return parts_[i]; }
    /// Part `i`. @pre i < size().
    const message& operator[](size_type i) const noexcept { return parts_[i]; }
    /// Part `i`. @throws std::out_of_range naming the index and the size.
    message& at(size_type i) { return parts_.at(check_index(i)); }
    /// Part `i`. @throws std::out_of_range naming the index and the size.
    const message& at(size_type i) const { return parts_.at(check_index(i)); }
    /// The first part. @pre !empty().
    message& front() noexcept { return parts_.front(); }
    /// The first part. @pre !empty().
    const message& front() const noexcept { return parts_.front(); }
    /// The last part. @pre !empty().
    message& back() noexcept { return parts_.back(); }
    /// The last part. @pre !empty().
    const message& back() const noexcept { return parts_.back(); }

    /// The first part's position.
    iterator begin() noexcept { return parts_.begin(); }
    /// Past the last part.
    iterator end() noexcept { return parts_.end(); }
    /// The first part's position.
    const_iterator begin() const noexcept { return parts_.begin(); }
    /// Past the last part.
    const_iterator end() const noexcept { return parts_.end(); }
    /// The first part's position, read-only.
    const_iterator cbegin() const noexcept { return parts_.cbegin(); }
    /// Past the last part, read-only.
    const_iterator cend() const noexcept { return parts_.cend(); }

    /// A copy of every part (zmq_msg_copy: large buffers are shared, not copied).
    multipart clone() const {
        multipart out;
        out.parts_.reserve(parts_.size());
        for (const message& m : parts_) out.parts_.emplace_back().copy_from(m);
        return out;
    }

    /// Gives up the parts as a vector; the multipart is left empty.
    std::vector<message> release() && noexcept { return std::move(parts_); }

    /// Same number of parts with the same bytes.
    friend bool operator==(const multipart& a, const multipart& b) noexcept {
        return a.parts_.size() == b.parts_.size() &&
               std::equal(a.parts_.begin(), a.parts_.end(), b.parts_.begin());
    }
    friend bool operator!=(const multipart& a, const multipart& b) noexcept { return !(a == b); }

private:
    size_type check_index(size_type i) const {
        if (i >= parts_.size())
            throw std::out_of_range("multipart::at(" + std::to_string(i) + ") on a multipart of " +
                                    std::to_string(parts_.size()) + " part(s)");
        return i;
    }

    std::vector<message> parts_;
};

/// The parts of `m`, one line each: "1/3 [5] hello" (see dump(const message&));
/// "(no parts)" for an empty multipart. No newline after the last line.
inline std::string dump(const multipart& m) {
    if (m.empty()) return "(no parts)";
    std::string out;
    const std::string n = std::to_string(m.size());
    for (std::size_t i = 0; i < m.size(); ++i) {
        if (i != 0) out += '\n';
        out += std::to_string(i + 1);
        out += '/';
        out += n;
        out += ' ';
        out += dump(m[i]);
    }
    return out;
}

/// Writes dump(m): one line per part (zhelpers' `s_dump`, cppzmq's `multipart_t::str()`).
template <class CharT, class Traits>
std::basic_ostream<CharT, Traits>& operator<<(std::basic_ostream<CharT, Traits>& os,
                                              const multipart& m) {
    const std::string d = dump(m);
    for (const char c : d) os.put(os.widen(c));
    return os;
}

namespace detail {

// " (part 2 of 3)", or nothing for n == 0 (a wait, not a part).
inline std::string part_of(std::size_t i, std::size_t n) {
    if (n == 0) return std::string();
    return " (part " + std::to_string(i + 1) + " of " + std::to_string(n) + ")";
}

// A libzmq call of a multipart operation failed with `e` at part i of n.
[[noreturn]] ZMQRAII_COLD inline void throw_multipart_error(socket& s, int e, const char* op,
                                                            std::size_t i, std::size_t n) {
    std::string what = std::string(op) + " on " + s.describe() + part_of(i, n);
    if (e == ETERM) {
        socket_access::note_stopped(s);
        what += ": context was stopped";
        if (i > 0) what += "; libzmq discards the unfinished message when the socket closes";
        throw stopped(what);
    }
    throw error(e, what);
}

// Inside the caller's scope on `s`: waits up to `ms` (-1 = forever) for
// `events`. False on timeout.
inline bool multipart_wait(socket& s, const char* op, short events, long ms) {
    for (;;) {
        socket_access::check(s, op);
        zmq_pollitem_t item{socket_access::raw(s), 0, events, 0};
        const int rc = zmq_poll(&item, 1, ms);
        if (rc > 0) return true;
        if (rc == 0) return false;
        const int e = zmq_errno();
        if (e != EINTR) throw_multipart_error(s, e, op, 0, 0);
    }
}

// Waits (its own scope) until `events` or the deadline. False on timeout.
inline bool multipart_wait_until(socket& s, const char* op, short events, steady_time deadline) {
    const auto in = socket_access::enter(s, op);
    const long ms = ms_until(deadline);
    if (ms == 0) return false;
    return multipart_wait(s, op, events, ms);
}

// Sends every part of `m`; see the file comment for why this is all or nothing.
// Returns false (nothing sent, `m` unchanged) only when `first_dontwait` and the
// first part would block. One scope: the socket stays marked in use from the
// first part to the last, so a stop cannot close it mid-message.
inline bool send_parts(socket& s, multipart& m, const char* op, bool first_dontwait) {
    const std::size_t n = m.size();
    const auto in = socket_access::enter(s, op);
    void* const h = socket_access::raw(s);
    if (n == 0)
        throw error(EINVAL, std::string(op) + " on " + s.describe() +
                                ": a message needs at least one part (the multipart is empty)");
    const int first_flags = (n > 1 ? ZMQ_SNDMORE : 0) | (first_dontwait ? ZMQ_DONTWAIT : 0);
    for (std::size_t i = 0; i < n; ++i) detail::tsan_before_send(m[i].handle());
    while (zmq_msg_send(m[0].handle(), h, first_flags) < 0) {
        const int e = zmq_errno();
        if (e == EAGAIN && first_dontwait) return false;
        if (e == EAGAIN)
            throw error(e, std::string(op) + " on " + s.describe() +
                               ": timed out before the first part was queued (option sndtimeo "
                               "is set; use send_multipart_for for timeouts); nothing was sent");
        if (e != EINTR) throw_multipart_error(s, e, op, 0, n);
        socket_access::check(s, op);  // a stop during the signal wins
    }
    for (std::size_t i = 1; i < n; ++i) {
        const int flags = i + 1 < n ? ZMQ_SNDMORE : 0;
        for (;;) {
            socket_access::check(s, op);
            if (zmq_msg_send(m[i].handle(), h, flags) >= 0) break;
            const int e = zmq_errno();
            if (e == EINTR) continue;
            // Only with option::sndtimeo set: libzmq gave up on a peer that went away
            // mid-message and drops the rest; keep sending so that the socket ends
            // the message (and the next one starts clean).
            if (e == EAGAIN) {
                multipart_wait(s, op, ZMQ_POLLOUT, 10);
                continue;
            }
            throw_multipart_error(s, e, op, i, n);
        }
    }
    m.clear();
    return true;
}

// Receives one whole message into `out`. Returns false (nothing received) only when
// `first_dontwait` and no message is ready. One scope, as send_parts.
inline bool recv_parts(socket& s, multipart& out, const char* op, bool first_dontwait) {
    multipart result;
    message part;
    const auto in = socket_access::enter(s, op);
    void* const h = socket_access::raw(s);
    int more = 0;
    std::size_t len = sizeof more;
    if (zmq_getsockopt(h, ZMQ_RCVMORE, &more, &len) != 0)
        throw_multipart_error(s, zmq_errno(), op, 0, 0);
    if (more)
        throw error(EFSM, std::string(op) + " on " + s.describe() +
                              ": the socket is in the middle of a multipart message (an earlier "
                              "recv() took only some of its parts); receive the rest with recv() "
                              "first");
    while (zmq_msg_recv(part.handle(), h, first_dontwait ? ZMQ_DONTWAIT : 0) < 0) {
        const int e = zmq_errno();
        if (e == EAGAIN && first_dontwait) return false;
        if (e == EAGAIN)
            throw error(e, std::string(op) + " on " + s.describe() +
                               ": timed out (option rcvtimeo is set; use recv_multipart_for for "
                               "timeouts)");
        if (e != EINTR) throw_multipart_error(s, e, op, 0, 0);
        socket_access::check(s, op);
    }
    detail::tsan_after_recv(part.handle());
    bool more_parts = part.more();
    result.push_back(std::move(part));
    while (more_parts) {
        message next;
        for (;;) {
            socket_access::check(s, op);
            if (zmq_msg_recv(next.handle(), h, ZMQ_DONTWAIT) >= 0) {
                detail::tsan_after_recv(next.handle());
                break;
            }
            const int e = zmq_errno();
            if (e == EINTR) continue;
            // libzmq delivers whole messages, so this does not happen; wait, bounded.
            if (e == EAGAIN) {
                multipart_wait(s, op, ZMQ_POLLIN, 10);
                continue;
            }
            throw_multipart_error(s, e, op, result.size(), result.size() + 1);
        }
        more_parts = next.more();
        result.push_back(std::move(next));
    }
    out = std::move(result);
    return true;
}

}  // namespace detail

/// Sends every part of `m` as one message, blocking until the first part is queued.
/**
 * All or nothing (see the file comment and docs/messaging.md). On success `m` is
 * empty. When it throws before the first part was queued, `m` is unchanged.
 * @throws stopped when the context stops; error EINVAL for an empty multipart;
 *   error naming the socket and the part otherwise; wrong_thread.
 */
inline void send_multipart(socket& s, multipart&& m) {
    detail::send_parts(s, m, "send_multipart", false);
}

/// Sends every part of `m` as one message if it can start without blocking.
/**
 * @return false where the first part would block (high-water mark reached, no peer):
 *   then nothing was sent and `m` is unchanged, so it can be sent again later.
 * @throws as send_multipart().
 */
[[nodiscard]] inline bool try_send_multipart(socket& s, multipart&& m) {
    return detail::send_parts(s, m, "try_send_multipart", true);
}

/// Sends every part of `m` as one message, waiting at most `timeout` for it to start.
/// @return false on timeout (nothing sent, `m` unchanged). @throws as send_multipart().
template <class Rep, class Period>
[[nodiscard]] bool send_multipart_for(socket& s, multipart&& m,
                                      std::chrono::duration<Rep, Period> timeout) {
    const auto deadline = detail::deadline_after(timeout);
    for (;;) {
        if (detail::send_parts(s, m, "send_multipart_for", true)) return true;
        if (!detail::multipart_wait_until(s, "send_multipart_for", ZMQ_POLLOUT, deadline))
            return false;
    }
}

// The socket's multipart verbs (declared in socket.hpp): the same as the free
// functions, with the verb names every other send uses.
inline void socket::send(multipart&& m) { detail::send_parts(*this, m, "send", false); }
inline bool socket::try_send(multipart&& m) {
    return detail::send_parts(*this, m, "try_send", true);
}
template <class Rep, class Period>
bool socket::send_for(multipart&& m, std::chrono::duration<Rep, Period> timeout) {
    const auto deadline = detail::deadline_after(timeout);
    for (;;) {
        if (detail::send_parts(*this, m, "send_for", true)) return true;
        if (!detail::multipart_wait_until(*this, "send_for", ZMQ_POLLOUT, deadline)) return false;
    }
}

/// Receives one whole message, blocking.
/**
 * @return every part, in order (at least one).
 * @throws stopped when the context stops (a message partly received is discarded);
 *   error EFSM when an earlier recv() left the socket in the middle of a message.
 */
inline multipart recv_multipart(socket& s) {
    multipart m;
    detail::recv_parts(s, m, "recv_multipart", false);
    return m;
}

/// Receives one whole message without blocking. @return empty where none is ready.
[[nodiscard]] inline std::optional<multipart> try_recv_multipart(socket& s) {
    multipart m;
    if (!detail::recv_parts(s, m, "try_recv_multipart", true)) return std::nullopt;
    return std::optional<multipart>(std::move(m));
}

/// Receives one whole message, waiting at most `timeout`. @return empty on timeout.
/// @throws stopped when the context stops while it waits.
template <class Rep, class Period>
[[nodiscard]] std::optional<multipart> recv_multipart_for(
    socket& s, std::chrono::duration<Rep, Period> timeout) {
    const auto deadline = detail::deadline_after(timeout);
    for (;;) {
        multipart m;
        if (detail::recv_parts(s, m, "recv_multipart_for", true))
            return std::optional<multipart>(std::move(m));
        if (!detail::multipart_wait_until(s, "recv_multipart_for", ZMQ_POLLIN, deadline))
            return std::nullopt;
    }
}

// ---- routing envelopes ----------------------------------------------------------

/// How a ROUTER's peer frames its messages.
enum class envelope_kind {
    /// Routing ids up to and including an empty delimiter frame: messages from REQ
    /// (and from DEALERs that talk to REP), possibly through several ROUTER hops.
    delimited,
    /// Exactly one routing-id frame and no delimiter: a ROUTER talking to a DEALER
    /// that sends its body directly.
    routing_id,
};

/// A received message split into its routing envelope and its body.
/**
 * @par Thread Safety
 * A value: any thread may use it, one thread at a time.
 */
struct routed_message {
    /// The frames a reply must carry to reach the sender (with the delimiter, if any).
    multipart envelope;
    /// The application's parts.
    multipart body;

    /// A reply to the sender: a copy of the envelope followed by `reply_body`.
    multipart reply(multipart&& reply_body) const;
};

/// Splits a message received on a ROUTER into envelope and body.
/**
 * @param m the message as recv_multipart() returned it.
 * @param kind envelope_kind::delimited (default): the envelope is every frame up to
 *   and including the first empty frame. envelope_kind::routing_id: the envelope is
 *   the first frame.
 * @throws error EPROTO when a delimited message has no empty frame, or the message
 *   has no parts (m is then unchanged).
 */
inline routed_message split_envelope(multipart&& m, envelope_kind kind = envelope_kind::delimited) {
    std::size_t env_size = 0;
    if (kind == envelope_kind::routing_id) {
        if (m.empty()) throw error(EPROTO, "split_envelope: an empty message has no routing id");
        env_size = 1;
    } else {
        auto it = std::find_if(m.begin(), m.end(), [](const message& p) { return p.empty(); });
        if (it == m.end())
            throw error(EPROTO, "split_envelope: no empty delimiter frame in a message of " +
                                    std::to_string(m.size()) +
                                    " part(s); a peer that sends no delimiter (a DEALER) needs "
                                    "envelope_kind::routing_id");
        env_size = static_cast<std::size_t>(it - m.begin()) + 1;
    }
    std::vector<message> parts = std::move(m).release();
    routed_message r;
    r.envelope.reserve(env_size);
    r.body.reserve(parts.size() - env_size);
    for (std::size_t i = 0; i < parts.size(); ++i)
        (i < env_size ? r.envelope : r.body).push_back(std::move(parts[i]));
    return r;
}

/// A reply with a copy of `envelope` followed by the parts of `body`.
inline multipart make_reply(const multipart& envelope, multipart&& body) {
    multipart out = envelope.clone();
    out.reserve(envelope.size() + body.size());
    for (message& p : body) out.push_back(std::move(p));
    body.clear();
    return out;
}

/// A reply that takes over `envelope` (no copy), followed by the parts of `body`.
inline multipart make_reply(multipart&& envelope, multipart&& body) {
    multipart out = std::move(envelope);
    out.reserve(out.size() + body.size());
    for (message& p : body) out.push_back(std::move(p));
    body.clear();
    return out;
}

inline multipart routed_message::reply(multipart&& reply_body) const {
    return make_reply(envelope, std::move(reply_body));
}

static_assert(!std::is_copy_constructible_v<multipart>, "multipart is move-only");
static_assert(std::is_nothrow_move_constructible_v<multipart> &&
                  std::is_nothrow_move_assignable_v<multipart>,
              "multipart moves without throwing");

}  // namespace zmqraii

#endif  // ZMQRAII_MULTIPART_HPP_INCLUDED
