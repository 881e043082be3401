// SPDX-License-Identifier: MIT
/// @file socket.hpp
/// zmqraii::socket: a ZeroMQ socket owned by the thread that created it, and
/// zmqraii::socket_handoff, the explicit way to give it to another thread.
#ifndef ZMQRAII_SOCKET_HPP_INCLUDED
#define ZMQRAII_SOCKET_HPP_INCLUDED

#include <zmqraii/buffer.hpp>
#include <zmqraii/config.hpp>
#include <zmqraii/context.hpp>
#include <zmqraii/detail/option_traits.hpp>
#include <zmqraii/detail/owner.hpp>
#include <zmqraii/detail/registry.hpp>
#include <zmqraii/detail/socket_core.hpp>
#include <zmqraii/detail/time.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/naming.hpp>
#include <zmqraii/options.hpp>

#include <zmq.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

namespace zmqraii {

class multipart;

namespace detail {
ZMQRAII_ABI_BEGIN
struct socket_access;
ZMQRAII_ABI_END
}  // namespace detail

ZMQRAII_ABI_BEGIN

class socket;
class socket_handoff;
class raw_call_scope;

/// A ZeroMQ socket, owned by the thread that created it.
/**
 * Every operation first checks that the calling thread owns the socket and
 * throws zmqraii::wrong_thread otherwise (compiled out by
 * ZMQRAII_THREAD_CHECKS=0), then that the context is not stopping (throws
 * zmqraii::stopped). Blocking calls woken by a stop throw zmqraii::stopped.
 * Would-block is not an error: try_send() returns false, try_recv() an empty
 * optional.
 *
 * The socket is created with the context's default linger
 * (context_options::linger, finite by default).
 *
 * @par Stop
 * A stop of the context closes the socket as soon as no thread is inside a
 * libzmq call with it, also while its owner thread lives and holds the object:
 * the owner's next operation throws stopped without touching libzmq, is_open()
 * turns false and the destructor finds it closed. Code that calls libzmq with
 * the raw socket does it inside a raw_call() scope (which the stop waits for);
 * a socket whose handle() was taken is closed by its owner only.
 *
 * @par Thread Safety
 * Only the owner thread may call member functions, except owner(), name(),
 * type() and thread_safe(), which any thread may call. To move the socket to
 * another thread, call `std::move(s).release()` on the owner and
 * `std::move(h).adopt()` on the new thread, passing the socket_handoff through
 * something that synchronizes (thread start, a mutex-guarded queue).
 * Closing or destroying the socket is also allowed from any thread once the
 * owner thread has exited. Sockets of the thread-safe draft types
 * (ZMQ_THREAD_SAFE) skip the owner check.
 *
 * The destructor closes the socket. Run on a thread that does not own it while
 * the owner lives, it does not close it (that would hang the owner and the
 * context's termination) and reports a fatal diagnostic instead (the default
 * handler aborts, as std::thread's destructor does for a joinable thread).
 */
class socket : private detail::socket_core {
public:
    /// An empty socket; every operation throws until one is moved in.
    socket() noexcept = default;

    /// Creates a socket owned by the calling thread.
    /**
     * @param ctx the context; it may be used by any number of threads.
     * @param type the socket type.
     * @param name optional name used in error messages and stop reports.
     * @param site where the socket is created (filled in by default).
     * @throws stopped when the context is stopping; error when libzmq refuses
     *   (EMFILE: too many sockets).
     */
    ZMQRAII_DECL socket(context& ctx, socket_type type, std::string_view name = {},
                        const detail::source_site& site = {});

    socket(const socket&) = delete;
    socket& operator=(const socket&) = delete;

    /// Takes over `other`'s socket (same owner thread); `other` becomes empty.
    socket(socket&& other) noexcept = default;
    /// Closes this socket (as the destructor does), then takes over `other`.
    socket& operator=(socket&& other) noexcept = default;
    /// Closes the socket on its owner thread (see the class notes).
    ~socket() = default;

    // ---- connections --------------------------------------------------------

    // The setup calls take the caller's line (filled in by default): a socket
    // made inside the standard library (std::make_unique, std::optional::emplace...)
    // is then reported at its first setup call rather than in a library header.

    /// Binds to an endpoint ("tcp://127.0.0.1:*", "ipc:///tmp/x", "inproc://name").
    /// @throws error naming the endpoint (EADDRINUSE, EPROTONOSUPPORT, EINVAL...).
    void bind(std::string_view endpoint, const detail::source_site& site = {}) {
        endpoint_call("bind", endpoint, &zmq_bind, site);
    }
    /// Connects to an endpoint. @throws error naming the endpoint.
    void connect(std::string_view endpoint, const detail::source_site& site = {}) {
        endpoint_call("connect", endpoint, &zmq_connect, site);
    }
    /// Undoes a bind. @throws error naming the endpoint (ENOENT when not bound).
    void unbind(std::string_view endpoint, const detail::source_site& site = {}) {
        endpoint_call("unbind", endpoint, &zmq_unbind, site);
    }
    /// Undoes a connect. @throws error naming the endpoint.
    void disconnect(std::string_view endpoint, const detail::source_site& site = {}) {
        endpoint_call("disconnect", endpoint, &zmq_disconnect, site);
    }
    /// The endpoint last bound or connected, wildcards resolved.
    std::string last_endpoint() { return get_as("last_endpoint", option::last_endpoint); }

    // ---- sending --------------------------------------------------------------
    // send, try_send and send_for take the same arguments: bytes (copied: a
    // string literal, std::string, std::string_view, byte_view, any contiguous
    // container of trivially copyable elements; see const_buffer), a message
    // (moved), or a multipart (every part, all or nothing; <zmqraii/multipart.hpp>).

    /// Sends bytes (copied), blocking until libzmq queues them.
    /// @throws stopped when the context stops; error otherwise.
    ZMQRAII_HOT_INLINE void send(const void* data, std::size_t size,
                                 send_flags flags = send_flags::none) {
        mark_and_check("send");
        const int f = static_cast<int>(flags);
        while (ZMQRAII_UNLIKELY(zmq_send(raw_handle(), data, size, f) < 0)) send_failed("send");
        detail::unmark_call();
    }
    /// Sends bytes (copied), blocking. `s.send("text")`, `s.send(vec)`.
    ZMQRAII_HOT_INLINE void send(const_buffer bytes, send_flags flags = send_flags::none) {
        send(bytes.data(), bytes.size(), flags);
    }
    /// Sends a message; on success `m` is left empty, on failure it is unchanged.
    ZMQRAII_HOT_INLINE void send(message&& m, send_flags flags = send_flags::none) {
        mark_and_check("send");
        const int f = static_cast<int>(flags);
        detail::tsan_before_send(m.handle());
        while (ZMQRAII_UNLIKELY(zmq_msg_send(m.handle(), raw_handle(), f) < 0)) send_failed("send");
        detail::unmark_call();
    }
    /// Sends every part of `m` as one message (defined in <zmqraii/multipart.hpp>).
    /// All or nothing; on success `m` is empty, on a throw before the first part it
    /// is unchanged.
    void send(multipart&& m);

    /// Sends without blocking. @return false where the send would block.
    [[nodiscard]] bool try_send(const void* data, std::size_t size,
                                send_flags flags = send_flags::none) {
        return try_send_as("try_send", data, size, flags);
    }
    /// Sends bytes (copied) without blocking. @return false where it would block.
    [[nodiscard]] bool try_send(const_buffer bytes, send_flags flags = send_flags::none) {
        return try_send_as("try_send", bytes.data(), bytes.size(), flags);
    }
    /// Sends a message without blocking; on false or error `m` is unchanged.
    [[nodiscard]] bool try_send(message&& m, send_flags flags = send_flags::none) {
        return try_send_as("try_send", m, flags);
    }
    /// Sends every part of `m` if the first can go without blocking (defined in
    /// <zmqraii/multipart.hpp>). @return false (nothing sent, `m` unchanged) otherwise.
    [[nodiscard]] bool try_send(multipart&& m);

    /// Sends bytes (copied), waiting at most `timeout`. @return false on timeout.
    template <class Rep, class Period>
    [[nodiscard]] bool send_for(const_buffer bytes, std::chrono::duration<Rep, Period> timeout,
                                send_flags flags = send_flags::none) {
        const auto deadline = detail::deadline_after(timeout);
        for (;;) {
            if (try_send_as("send_for", bytes.data(), bytes.size(), flags)) return true;
            if (!wait_for_event("send_for", ZMQ_POLLOUT, deadline)) return false;
        }
    }
    /// Sends a message, waiting at most `timeout`. @return false on timeout (m unchanged).
    template <class Rep, class Period>
    [[nodiscard]] bool send_for(message&& m, std::chrono::duration<Rep, Period> timeout,
                                send_flags flags = send_flags::none) {
        const auto deadline = detail::deadline_after(timeout);
        for (;;) {
            if (try_send_as("send_for", m, flags)) return true;
            if (!wait_for_event("send_for", ZMQ_POLLOUT, deadline)) return false;
        }
    }
    /// Sends every part of `m`, waiting at most `timeout` for the first to go
    /// (defined in <zmqraii/multipart.hpp>). @return false on timeout (m unchanged).
    template <class Rep, class Period>
    [[nodiscard]] bool send_for(multipart&& m, std::chrono::duration<Rep, Period> timeout);

    // ---- receiving ------------------------------------------------------------

    /// Receives one message part, blocking.
    /// @throws stopped when the context stops; error otherwise (EAGAIN when the
    ///   user set option::rcvtimeo and it expired).
    message recv() {
        message m;
        (void)recv(m);
        return m;
    }
    /// Receives into `m`, reusing it (no allocation for small messages).
    /// @return the part's size in bytes (what m.size() would say, without asking libzmq again).
    ZMQRAII_HOT_INLINE std::size_t recv(message& m) {
        mark_and_check("recv");
        int n = 0;
        while (ZMQRAII_UNLIKELY((n = zmq_msg_recv(m.handle(), raw_handle(), 0)) < 0))
            recv_failed("recv");
        detail::unmark_call();
        detail::tsan_after_recv(m.handle());
        return static_cast<std::size_t>(n);
    }

    /// Receives without blocking. @return an empty optional where none is ready.
    [[nodiscard]] std::optional<message> try_recv() {
        message m;
        if (!try_recv(m)) return std::nullopt;
        return std::optional<message>(std::move(m));
    }
    /// Receives into `m` without blocking. @return false where none is ready.
    [[nodiscard]] ZMQRAII_HOT_INLINE bool try_recv(message& m) {
        return try_recv_as("try_recv", m);
    }

    /// Receives, waiting at most `timeout`. @return an empty optional on timeout.
    /// @throws stopped when the context stops while it waits.
    template <class Rep, class Period>
    [[nodiscard]] std::optional<message> recv_for(std::chrono::duration<Rep, Period> timeout) {
        message m;
        if (!recv_for(m, timeout)) return std::nullopt;
        return std::optional<message>(std::move(m));
    }
    /// Receives into `m`, waiting at most `timeout`. @return false on timeout.
    template <class Rep, class Period>
    [[nodiscard]] bool recv_for(message& m, std::chrono::duration<Rep, Period> timeout) {
        const auto deadline = detail::deadline_after(timeout);
        for (;;) {
            if (try_recv_as("recv_for", m)) return true;
            if (!wait_for_event("recv_for", ZMQ_POLLIN, deadline)) return false;
        }
    }

    // ---- buffers ----------------------------------------------------------------

    /// What recv_into() wrote (zmqraii::recv_result).
    using recv_result = zmqraii::recv_result;

    /// Receives one message part into `buf`, blocking.
    /**
     * Copies at most `capacity` bytes. A longer part is truncated: the result says so
     * (truncated(), full_size) and libzmq discards the rest of that part. Use recv()
     * for parts of unknown size.
     * @throws stopped when the context stops; error otherwise.
     */
    recv_result recv_into(void* buf, std::size_t capacity) {
        const auto in = enter("recv_into");
        int n = 0;
        while (ZMQRAII_UNLIKELY((n = zmq_recv(raw_handle(), buf, capacity, 0)) < 0))
            recv_failed("recv_into");
        return into_result(n, capacity, "recv_into");
    }
    /// Receives into a writable contiguous container (its current size is the
    /// capacity): `std::vector<char>`, `std::array`, `std::string`, a span.
    recv_result recv_into(mutable_buffer buf) { return recv_into(buf.data(), buf.size()); }

    /// Receives into `buf` without blocking. @return empty where no part is ready.
    [[nodiscard]] std::optional<recv_result> try_recv_into(void* buf, std::size_t capacity) {
        return try_recv_into_as("try_recv_into", buf, capacity);
    }
    /// Receives into a writable contiguous container without blocking.
    [[nodiscard]] std::optional<recv_result> try_recv_into(mutable_buffer buf) {
        return try_recv_into(buf.data(), buf.size());
    }

    /// Receives into `buf`, waiting at most `timeout`. @return empty on timeout.
    /// @throws stopped when the context stops while it waits.
    template <class Rep, class Period>
    std::optional<recv_result> recv_into_for(void* buf, std::size_t capacity,
                                             std::chrono::duration<Rep, Period> timeout) {
        const auto deadline = detail::deadline_after(timeout);
        for (;;) {
            if (auto r = try_recv_into_as("recv_into_for", buf, capacity)) return r;
            if (!wait_for_event("recv_into_for", ZMQ_POLLIN, deadline)) return std::nullopt;
        }
    }
    /// Receives into a writable contiguous container, waiting at most `timeout`.
    template <class Rep, class Period>
    std::optional<recv_result> recv_into_for(mutable_buffer buf,
                                             std::chrono::duration<Rep, Period> timeout) {
        return recv_into_for(buf.data(), buf.size(), timeout);
    }

    // ---- options --------------------------------------------------------------

    /// Sets a socket option: `s.set(zmqraii::option::sndhwm, 1000)`.
    /// @throws error naming the option and the value (secrets are not printed).
    template <int Id, class T, access A,
              std::enable_if_t<socket_option<Id, T, A>::writable, int> = 0>
    void set(socket_option<Id, T, A> opt, typename detail::option_traits<T>::arg_type value,
             const detail::source_site& site = {}) {
        set_as("set", opt, value);
        entry()->note_use(site);
    }
    /// A read-only option cannot be set (deleted, so that traits can detect it).
    template <int Id, class T, access A, class V,
              std::enable_if_t<!socket_option<Id, T, A>::writable, int> = 0>
    void set(socket_option<Id, T, A>, const V&) = delete;  // this socket option is read-only

    /// Reads a socket option: `int hwm = s.get(zmqraii::option::sndhwm)`.
    template <int Id, class T, access A,
              std::enable_if_t<socket_option<Id, T, A>::readable, int> = 0>
    typename detail::option_traits<T>::result_type get(socket_option<Id, T, A> opt) {
        return get_as("get", opt);
    }
    /// A write-only option cannot be read (deleted, so that traits can detect it).
    template <int Id, class T, access A,
              std::enable_if_t<!socket_option<Id, T, A>::readable, int> = 0>
    void get(socket_option<Id, T, A>) = delete;  // this socket option is write-only

    /// SUB/XSUB: receive messages whose first part starts with `topic`.
    void subscribe(std::string_view topic, const detail::source_site& site = {}) {
        set_as("subscribe", option::subscribe, topic);
        entry()->note_use(site);
    }
    /// SUB/XSUB: stop receiving `topic`.
    void unsubscribe(std::string_view topic) { set_as("unsubscribe", option::unsubscribe, topic); }

    // ---- lifetime and ownership ----------------------------------------------

    /// Closes the socket now. Idempotent; afterwards every operation throws.
    /**
     * Allowed on the owner thread, on any thread once the owner has exited, and
     * on any thread for thread-safe socket types.
     * @throws wrong_thread when another live thread owns the socket.
     */
    ZMQRAII_DECL void close();

    /// Gives the socket up for adoption by another thread (see socket_handoff).
    /**
     * Call on the owner thread (or any thread once the owner exited). The socket
     * object becomes empty. Pass the handoff to the new thread through something
     * that synchronizes, and call `std::move(h).adopt()` there.
     * @throws stopped when a stop closed the socket; error for a closed socket;
     *   wrong_thread.
     */
    ZMQRAII_DECL socket_handoff release() &&;

    /// True while the socket is open (not closed, not moved from, not closed by a stop).
    bool is_open() const noexcept {
        return entry() && !is_closed_object() && !entry()->closed.load(std::memory_order_acquire);
    }
    /// Same as is_open().
    explicit operator bool() const noexcept { return is_open(); }

    /// The owner thread's id (a default id for an empty socket or while handed off). Any thread.
    ZMQRAII_DECL std::thread::id owner() const noexcept;
    /// The name given at creation. Any thread.
    const std::string& name() const noexcept {
        static const std::string none;
        const detail::socket_entry* e = any_thread_entry();
        return e != nullptr ? e->name : none;
    }
    /// The socket type. Any thread.
    socket_type type() const noexcept {
        const detail::socket_entry* e = any_thread_entry();
        return e != nullptr ? e->type : socket_type::pair;
    }
    /// True for thread-safe (draft) socket types, which skip the owner check. Any thread.
    bool thread_safe() const noexcept {
        const detail::socket_entry* e = any_thread_entry();
        return e != nullptr && e->thread_safe;
    }
    /// Name, type, creation site and owner, as stop reports print them.
    ZMQRAII_DECL std::string describe() const;

    // ---- raw libzmq -------------------------------------------------------------

    /// A scope for calling libzmq with the raw socket (see zmqraii::raw_call_scope).
    using raw_call_scope = zmqraii::raw_call_scope;

    /// Opens a raw_call_scope. @throws as send() does before it touches libzmq.
    [[nodiscard]] raw_call_scope raw_call();

    /// The raw libzmq socket for calls zmqraii does not wrap (owner thread only).
    /**
     * Taking it opts the socket out of being closed by a stop while its owner
     * lives: a stop cannot see raw calls and waits for the owner to close it.
     * Prefer raw_call(), which lets a stop close the socket once the scope ends.
     */
    void* handle() {
        const auto in = enter("handle");
        entry()->raw_taken.store(true, std::memory_order_release);
        return raw_handle();
    }

#if ZMQRAII_HAS_COROUTINES
    // ---- coroutines (C++20): declared here, defined in zmqraii/task.hpp -------

    class recv_awaiter;
    class recv_reuse_awaiter;
    class recv_multipart_awaiter;
    class send_awaiter;
    class send_multipart_awaiter;

    /// `co_await s.async_recv()`: the next message part (include zmqraii/task.hpp).
    /**
     * Suspends the calling task only when no part is ready; it resumes on the
     * loop's thread once one was received. Like every operation of task.hpp:
     * awaited outside a running zmqraii::loop it throws error EINVAL; at a
     * context stop it throws stopped (also while suspended).
     */
    recv_awaiter async_recv();
    /// `co_await s.async_recv(m)`: receives into `m`, reusing it; gives the part's size.
    recv_reuse_awaiter async_recv(message& m);
    /// `co_await s.async_recv_multipart()`: one whole message (all its parts).
    recv_multipart_awaiter async_recv_multipart();
    /// `co_await s.async_send(std::move(m))`: sends `m`, suspending while it would block.
    /// The message is taken at the call (gone also when the send fails).
    send_awaiter async_send(message&& m, send_flags flags = send_flags::none);
    /// `co_await s.async_send("text")`: sends a copy of the bytes, taken at the call
    /// (what send() accepts: a string literal, std::string, std::string_view, any
    /// contiguous container of trivially copyable elements; see const_buffer).
    send_awaiter async_send(const_buffer bytes, send_flags flags = send_flags::none);
    /// `co_await s.async_send(std::move(parts))`: sends every part as one message,
    /// all or nothing (as send_multipart; multipart is declared in multipart.hpp).
    send_multipart_awaiter async_send(class multipart&& parts);
#endif

private:
    friend class socket_handoff;
    friend class zmqraii::raw_call_scope;
    friend struct detail::socket_access;

    explicit socket(std::shared_ptr<detail::socket_entry> e) noexcept { attach(std::move(e)); }
};

/// A socket in transit between two threads: no operations, only adopt().
/**
 * Made by `std::move(s).release()` on the owner thread; `std::move(h).adopt()`
 * on the receiving thread returns a socket that thread owns. The registry's
 * mutex orders the two, so everything the old owner did to the socket happens
 * before the new owner's first use. Pass the handoff itself through something
 * that synchronizes (std::thread's constructor, a mutex-guarded queue).
 *
 * Destroying a handoff that was never adopted closes the socket (nobody owns it,
 * so the destroying thread may). A stop closes sockets in hand-off; adopt() then
 * throws stopped.
 *
 * @par Thread Safety
 * One thread at a time; it is a value to be moved.
 */
class socket_handoff {
public:
    socket_handoff() noexcept = default;
    socket_handoff(const socket_handoff&) = delete;
    socket_handoff& operator=(const socket_handoff&) = delete;
    /// Takes over `other`'s socket; `other` becomes empty.
    socket_handoff(socket_handoff&&) noexcept = default;
    /// Closes a socket this handoff still holds, then takes over `other`'s.
    socket_handoff& operator=(socket_handoff&& other) noexcept {
        if (this != &other) {
            discard();
            entry_ = std::move(other.entry_);
        }
        return *this;
    }
    ~socket_handoff() { discard(); }

    /// Makes the calling thread the socket's owner.
    /// @throws stopped when the context stopped meanwhile (the socket is closed);
    ///   error on an empty handoff or in a forked child.
    ZMQRAII_DECL socket adopt() &&;

    /// True while it holds a socket.
    explicit operator bool() const noexcept { return entry_ != nullptr; }

    /// The socket's description (name, type, creation site).
    std::string describe() const {
        return entry_ ? entry_->describe() : std::string("socket_handoff (empty)");
    }

private:
    friend class socket;
    explicit socket_handoff(std::shared_ptr<detail::socket_entry> e) noexcept
        : entry_(std::move(e)) {}

    void discard() noexcept { detail::discard_entry(entry_); }

    std::shared_ptr<detail::socket_entry> entry_;
};

/// A scope for calling libzmq with a socket's raw handle (owner thread only).
/**
 * @code
 * {
 *     auto raw = s.raw_call();                       // checks like send() does
 *     zmq_socket_monitor(raw.handle(), "inproc://m", ZMQ_EVENT_ALL);
 * }                                                  // the stop may close s now
 * @endcode
 * While the scope lives, a stop of the context treats the owner's sockets of
 * that context as in use and does not close them; it closes them once the
 * scope ends (if the owner has not). Keep it short, and do not call stop() in
 * it (request_stop() is fine). Not movable.
 *
 * @par Thread Safety
 * Only on the socket's owner thread, for the scope's lifetime.
 */
class raw_call_scope {
public:
    raw_call_scope(const raw_call_scope&) = delete;
    raw_call_scope& operator=(const raw_call_scope&) = delete;
    raw_call_scope(raw_call_scope&&) = delete;
    raw_call_scope& operator=(raw_call_scope&&) = delete;
    ~raw_call_scope() = default;
    /// The raw libzmq socket, valid while the scope lives.
    void* handle() const noexcept { return handle_; }

private:
    friend class socket;
    // The wide mark first (its constructor), then the socket's check.
    template <class Socket>
    explicit raw_call_scope(Socket& s) : wide_(s.wide_mark_context()), handle_(checked_handle(s)) {}
    // The socket's check (its mark ends with it: the wide mark stays), then the handle.
    template <class Socket>
    static void* checked_handle(Socket& s) {
        const auto in = s.enter("raw_call");
        return s.raw_handle();
    }
    detail::wide_call wide_;
    void* handle_ = nullptr;
};

inline raw_call_scope socket::raw_call() { return raw_call_scope(*this); }

static_assert(!std::is_copy_constructible_v<socket> && !std::is_copy_assignable_v<socket>,
              "socket is move-only");
static_assert(std::is_nothrow_move_constructible_v<socket> &&
                  std::is_nothrow_move_assignable_v<socket>,
              "socket moves without throwing");
static_assert(std::is_nothrow_move_constructible_v<socket_handoff>,
              "socket_handoff moves without throwing");

ZMQRAII_ABI_END
}  // namespace zmqraii

// What zmqraii's own headers need of a socket (after the class: it is a friend).
#include <zmqraii/detail/socket_access.hpp>

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/socket.ipp>
#endif

#endif  // ZMQRAII_SOCKET_HPP_INCLUDED
