// SPDX-License-Identifier: MIT
/// @file socket.hpp
/// zmqraii::socket: a ZeroMQ socket owned by the thread that created it, and
/// zmqraii::socket_handoff, the explicit way to give it to another thread.
#ifndef ZMQRAII_SOCKET_HPP_INCLUDED
#define ZMQRAII_SOCKET_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/context.hpp>
#include <zmqraii/detail/option_traits.hpp>
#include <zmqraii/detail/owner.hpp>
#include <zmqraii/detail/registry.hpp>
#include <zmqraii/detail/time.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/message.hpp>
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

/// Flags of a send.
enum class send_flags : int {
    none = 0,
    /// More parts of the same message follow (ZMQ_SNDMORE).
    more = ZMQ_SNDMORE,
};

class socket_handoff;

namespace detail {
struct socket_access;

/// Marks the calling thread inside libzmq with one socket for its lifetime (see
/// "in-call marks" in detail/owner.hpp). Made by socket::enter().
class [[nodiscard]] call_scope {
public:
    call_scope() noexcept = default;
    call_scope(const call_scope&) = delete;
    call_scope& operator=(const call_scope&) = delete;
    call_scope(call_scope&&) = delete;
    call_scope& operator=(call_scope&&) = delete;
    ~call_scope() { unmark_call(); }
};
}  // namespace detail

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
class socket {
    // Elements of a contiguous container, when sending or receiving its bytes is
    // meaningful: trivially copyable, and not a message (never copied implicitly).
    // Sending also leaves string-like types to the string_view overloads.
    template <class B>
    using bytes_element_t = std::remove_pointer_t<decltype(std::declval<B>().data())>;
    template <class B, class = decltype(std::declval<B>().size())>
    using enable_if_bytes_t = std::enable_if_t<std::is_trivially_copyable_v<bytes_element_t<B>> &&
                                                   !std::is_same_v<std::decay_t<B>, message> &&
                                                   !std::is_convertible_v<B, std::string_view>,
                                               int>;
    template <class B, class = decltype(std::declval<B&>().size())>
    using enable_if_writable_bytes_t =
        std::enable_if_t<std::is_trivially_copyable_v<bytes_element_t<B&>> &&
                             !std::is_const_v<bytes_element_t<B&>> &&
                             !std::is_same_v<std::decay_t<B>, message>,
                         int>;

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
    socket(context& ctx, socket_type type, std::string_view name = {},
           const detail::source_site& site = {}) {
        ctx.check_state("socket");
        attach(ctx.state_->open(ctx.state_, type, std::string(name), site));
    }

    socket(const socket&) = delete;
    socket& operator=(const socket&) = delete;

    /// Takes over `other`'s socket (same owner thread); `other` becomes empty.
    socket(socket&& other) noexcept
        : handle_(std::exchange(other.handle_, nullptr)),
          gate_(other.gate_.exchange(&detail::closed_gate(), std::memory_order_relaxed)),
          flags_(other.flags_.exchange(&detail::closed_flags(), std::memory_order_relaxed)),
          entry_(std::move(other.entry_)) {}

    /// Closes this socket (as the destructor does), then takes over `other`.
    socket& operator=(socket&& other) noexcept {
        if (this != &other) {
            destroy();
            handle_ = std::exchange(other.handle_, nullptr);
            gate_.store(other.gate_.exchange(&detail::closed_gate(), std::memory_order_relaxed),
                        std::memory_order_relaxed);
            flags_.store(other.flags_.exchange(&detail::closed_flags(), std::memory_order_relaxed),
                         std::memory_order_relaxed);
            entry_ = std::move(other.entry_);
        }
        return *this;
    }

    ~socket() { destroy(); }

    // ---- connections --------------------------------------------------------

    /// Binds to an endpoint ("tcp://127.0.0.1:*", "ipc:///tmp/x", "inproc://name").
    /// @throws error naming the endpoint (EADDRINUSE, EPROTONOSUPPORT, EINVAL...).
    void bind(std::string_view endpoint) { endpoint_call("bind", endpoint, &zmq_bind); }
    /// Connects to an endpoint. @throws error naming the endpoint.
    void connect(std::string_view endpoint) { endpoint_call("connect", endpoint, &zmq_connect); }
    /// Undoes a bind. @throws error naming the endpoint (ENOENT when not bound).
    void unbind(std::string_view endpoint) { endpoint_call("unbind", endpoint, &zmq_unbind); }
    /// Undoes a connect. @throws error naming the endpoint.
    void disconnect(std::string_view endpoint) {
        endpoint_call("disconnect", endpoint, &zmq_disconnect);
    }
    /// The endpoint last bound or connected, wildcards resolved.
    std::string last_endpoint() { return get_as("last_endpoint", option::last_endpoint); }

    // ---- sending --------------------------------------------------------------

    /// Sends bytes (copied), blocking until libzmq queues them.
    /// @throws stopped when the context stops; error otherwise.
    ZMQRAII_HOT_INLINE void send(const void* data, std::size_t size,
                                 send_flags flags = send_flags::none) {
        mark_and_check("send");
        const int f = static_cast<int>(flags);
        while (ZMQRAII_UNLIKELY(zmq_send(handle_, data, size, f) < 0)) send_failed("send");
        detail::unmark_call();
    }
    /// Sends text (copied).
    ZMQRAII_HOT_INLINE void send(std::string_view text, send_flags flags = send_flags::none) {
        send(text.data(), text.size(), flags);
    }
    /// Sends a C string (copied, without the terminator).
    void send(const char* text, send_flags flags = send_flags::none) {
        send(std::string_view(text), flags);
    }
    /// Sends bytes (copied).
    void send(byte_view bytes, send_flags flags = send_flags::none) {
        send(bytes.data(), bytes.size(), flags);
    }
    /// Sends a message; on success `m` is left empty, on failure it is unchanged.
    ZMQRAII_HOT_INLINE void send(message&& m, send_flags flags = send_flags::none) {
        mark_and_check("send");
        const int f = static_cast<int>(flags);
        detail::tsan_before_send(m.handle());
        while (ZMQRAII_UNLIKELY(zmq_msg_send(m.handle(), handle_, f) < 0)) send_failed("send");
        detail::unmark_call();
    }
    /// Sends the bytes of a contiguous container (copied), blocking.
    /**
     * Accepts anything with member data() and size() whose elements are trivially
     * copyable: std::vector, std::array, std::span (C++20), ... String-like types
     * (std::string, std::string_view, const char*) and byte_view take the overloads
     * above; a message is never copied implicitly (send(std::move(m))).
     * @throws stopped when the context stops; error otherwise.
     */
    template <class Bytes, enable_if_bytes_t<const Bytes&> = 0>
    void send(const Bytes& bytes, send_flags flags = send_flags::none) {
        send(static_cast<const void*>(bytes.data()), byte_size(bytes), flags);
    }

    /// Sends without blocking. @return false where the send would block.
    [[nodiscard]] bool try_send(const void* data, std::size_t size,
                                send_flags flags = send_flags::none) {
        return try_send_as("try_send", data, size, flags);
    }
    /// Sends text without blocking. @return false where the send would block.
    [[nodiscard]] bool try_send(std::string_view text, send_flags flags = send_flags::none) {
        return try_send(text.data(), text.size(), flags);
    }
    /// Sends a C string without blocking.
    [[nodiscard]] bool try_send(const char* text, send_flags flags = send_flags::none) {
        return try_send(std::string_view(text), flags);
    }
    /// Sends bytes without blocking.
    [[nodiscard]] bool try_send(byte_view bytes, send_flags flags = send_flags::none) {
        return try_send(bytes.data(), bytes.size(), flags);
    }
    /// Sends a message without blocking; on false or error `m` is unchanged.
    [[nodiscard]] bool try_send(message&& m, send_flags flags = send_flags::none) {
        return try_send_as("try_send", m, flags);
    }
    /// Sends the bytes of a contiguous container without blocking.
    /// @return false where the send would block (nothing was sent).
    template <class Bytes, enable_if_bytes_t<const Bytes&> = 0>
    [[nodiscard]] bool try_send(const Bytes& bytes, send_flags flags = send_flags::none) {
        return try_send(static_cast<const void*>(bytes.data()), byte_size(bytes), flags);
    }

    /// Sends, waiting at most `timeout`. @return false when it timed out (m unchanged).
    template <class Rep, class Period>
    bool send_for(message&& m, std::chrono::duration<Rep, Period> timeout,
                  send_flags flags = send_flags::none) {
        const auto deadline = detail::deadline_after(timeout);
        for (;;) {
            if (try_send_as("send_for", m, flags)) return true;
            if (!wait_for_event("send_for", ZMQ_POLLOUT, deadline)) return false;
        }
    }
    /// Sends text, waiting at most `timeout`.
    template <class Rep, class Period>
    bool send_for(std::string_view text, std::chrono::duration<Rep, Period> timeout,
                  send_flags flags = send_flags::none) {
        const auto deadline = detail::deadline_after(timeout);
        for (;;) {
            if (try_send_as("send_for", text.data(), text.size(), flags)) return true;
            if (!wait_for_event("send_for", ZMQ_POLLOUT, deadline)) return false;
        }
    }

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
        while (ZMQRAII_UNLIKELY((n = zmq_msg_recv(m.handle(), handle_, 0)) < 0))
            recv_failed("recv");
        detail::unmark_call();
        detail::tsan_after_recv(m.handle());
        return static_cast<std::size_t>(n);
    }

    /// Receives without blocking. @return an empty optional where none is ready.
    std::optional<message> try_recv() {
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
    std::optional<message> recv_for(std::chrono::duration<Rep, Period> timeout) {
        message m;
        if (!recv_for(m, timeout)) return std::nullopt;
        return std::optional<message>(std::move(m));
    }
    /// Receives into `m`, waiting at most `timeout`. @return false on timeout.
    template <class Rep, class Period>
    bool recv_for(message& m, std::chrono::duration<Rep, Period> timeout) {
        const auto deadline = detail::deadline_after(timeout);
        for (;;) {
            if (try_recv_as("recv_for", m)) return true;
            if (!wait_for_event("recv_for", ZMQ_POLLIN, deadline)) return false;
        }
    }

    // ---- buffers ----------------------------------------------------------------

    /// What recv_into() wrote. Truncation is reported, never hidden.
    struct recv_result {
        /// Bytes written into the caller's buffer (at most its capacity).
        std::size_t size;
        /// Size of the message part as it was sent.
        std::size_t full_size;
        /// True when the part did not fit: bytes past `size` were discarded.
        bool truncated() const noexcept { return full_size > size; }
        /// True when more parts of the same message follow.
        bool more;
    };

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
        while (ZMQRAII_UNLIKELY((n = zmq_recv(handle_, buf, capacity, 0)) < 0))
            recv_failed("recv_into");
        return into_result(n, capacity, "recv_into");
    }
    /// Receives into a writable contiguous container (its current size is the capacity).
    template <class Buffer, enable_if_writable_bytes_t<Buffer> = 0>
    recv_result recv_into(Buffer&& buf) {
        return recv_into(static_cast<void*>(buf.data()), byte_size(buf));
    }

    /// Receives into `buf` without blocking. @return empty where no part is ready.
    std::optional<recv_result> try_recv_into(void* buf, std::size_t capacity) {
        return try_recv_into_as("try_recv_into", buf, capacity);
    }
    /// Receives into a writable contiguous container without blocking.
    template <class Buffer, enable_if_writable_bytes_t<Buffer> = 0>
    std::optional<recv_result> try_recv_into(Buffer&& buf) {
        return try_recv_into(static_cast<void*>(buf.data()), byte_size(buf));
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

    // ---- options --------------------------------------------------------------

    /// Sets a socket option: `s.set(zmqraii::option::sndhwm, 1000)`.
    /// @throws error naming the option and the value (secrets are not printed).
    template <int Id, class T, access A,
              std::enable_if_t<socket_option<Id, T, A>::writable, int> = 0>
    void set(socket_option<Id, T, A> opt, typename detail::option_traits<T>::arg_type value) {
        set_as("set", opt, value);
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
    void subscribe(std::string_view topic) { set_as("subscribe", option::subscribe, topic); }
    /// SUB/XSUB: stop receiving `topic`.
    void unsubscribe(std::string_view topic) { set_as("unsubscribe", option::unsubscribe, topic); }

    // ---- lifetime and ownership ----------------------------------------------

    /// Closes the socket now. Idempotent; afterwards every operation throws.
    /**
     * Allowed on the owner thread, on any thread once the owner has exited, and
     * on any thread for thread-safe socket types.
     * @throws wrong_thread when another live thread owns the socket.
     */
    void close() {
        if (!entry_ || is_closed_object()) {
            mark_closed(entry_ != nullptr);
            return;
        }
        if (entry_->ctx->forked()) entry_->ctx->throw_forked("close", entry_->describe());
        if (!may_close()) throw_wrong_thread("close");
        entry_->ctx->close(*entry_);
        mark_closed(true);
    }

    /// Gives the socket up for adoption by another thread (see socket_handoff).
    /**
     * Call on the owner thread (or any thread once the owner exited). The socket
     * object becomes empty. Pass the handoff to the new thread through something
     * that synchronizes, and call `std::move(h).adopt()` there.
     * @throws stopped when a stop closed the socket; error for a closed socket;
     *   wrong_thread.
     */
    socket_handoff release() &&;

    /// True while the socket is open (not closed, not moved from, not closed by a stop).
    bool is_open() const noexcept {
        return entry_ && !is_closed_object() && !entry_->closed.load(std::memory_order_acquire);
    }
    /// Same as is_open().
    explicit operator bool() const noexcept { return is_open(); }

    /// The owner thread's id (a default id for an empty socket or while handed off). Any thread.
    std::thread::id owner() const noexcept {
        const detail::socket_entry* e = any_thread_entry();
        if (e == nullptr) return std::thread::id();
        try {
            return e->ctx->owner_id(*e);
        } catch (...) {  // std::system_error from the mutex: nothing to report
            return std::thread::id();
        }
    }
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
    std::string describe() const {
        if (!entry_) return "socket (empty)";
        std::string s = entry_->describe();
        s.pop_back();  // the closing ')'
        s += ", owned by ";
        s += entry_->ctx->owner_label(*entry_);
        s += ')';
        return s;
    }

    // ---- raw libzmq -------------------------------------------------------------

    /// A scope for calling libzmq with the raw socket (owner thread only).
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
        raw_call_scope(socket& s, const void* ctx) : wide_(ctx) {
            const auto in = s.enter("raw_call");
            handle_ = s.handle_;
        }
        detail::wide_call wide_;
        void* handle_ = nullptr;
    };

    /// Opens a raw_call_scope. @throws as send() does before it touches libzmq.
    [[nodiscard]] raw_call_scope raw_call() {
        return raw_call_scope(*this, entry_ ? entry_->ctx.get() : nullptr);
    }

    /// The raw libzmq socket for calls zmqraii does not wrap (owner thread only).
    /**
     * Taking it opts the socket out of being closed by a stop while its owner
     * lives: a stop cannot see raw calls and waits for the owner to close it.
     * Prefer raw_call(), which lets a stop close the socket once the scope ends.
     */
    void* handle() {
        const auto in = enter("handle");
        entry_->raw_taken.store(true, std::memory_order_release);
        return handle_;
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
    /// `co_await s.async_send("text")`: sends a copy of `text`.
    send_awaiter async_send(std::string_view text, send_flags flags = send_flags::none);
    /// `co_await s.async_send(std::move(parts))`: sends every part as one message,
    /// all or nothing (as send_multipart; multipart is declared in multipart.hpp).
    send_multipart_awaiter async_send(class multipart&& parts);
#endif

private:
    friend class socket_handoff;
    friend struct detail::socket_access;

    explicit socket(std::shared_ptr<detail::socket_entry> e) noexcept { attach(std::move(e)); }

    void attach(std::shared_ptr<detail::socket_entry> e) noexcept {
        handle_ = e->handle;
        gate_.store(e.get(), std::memory_order_relaxed);
        flags_.store(&e->ctx->flags(), std::memory_order_relaxed);
        entry_ = std::move(e);
    }

    // The object no longer works. With `keep_entry` (close()) it still names the
    // socket in errors: the gate stays the entry's, whose closed bit is set.
    void mark_closed(bool keep_entry = false) noexcept {
        handle_ = nullptr;
        if (!keep_entry) gate_.store(&detail::closed_gate(), std::memory_order_relaxed);
        flags_.store(&detail::closed_flags(), std::memory_order_relaxed);
    }

    bool is_closed_object() const noexcept {
        return flags_.load(std::memory_order_relaxed) == &detail::closed_flags();
    }

    // The entry as any thread may read it: through the atomic gate pointer,
    // never through entry_ (which the owner's release() moves away).
    const detail::socket_entry* any_thread_entry() const noexcept {
        return detail::entry_of(gate_.load(std::memory_order_acquire));
    }

    template <class B>
    static std::size_t byte_size(const B& b) noexcept {
        return static_cast<std::size_t>(b.size()) * sizeof(*b.data());
    }

    // The check every operation starts with, one compare on the fast path: the
    // socket's gate word (owner record | stop bit) against the calling thread's
    // record. A stop sets the bit in every gate, a closed socket points to a gate
    // no thread matches, and a forked child's thread has a new record: each of
    // them lands in enter_slow(). With ZMQRAII_THREAD_CHECKS=0 only the context's
    // flags word (stopping, forked) is tested. Before the check, the calling
    // thread marks itself inside libzmq with this socket (the stop protocol);
    // the returned scope ends the mark.
    detail::call_scope enter(const char* op) const {
        mark_and_check(op);
        return {};
    }

    // The same without a scope, for the hot paths: the caller ends the mark with
    // detail::unmark_call(), and every function that throws inside the marked
    // region ends it first (so no cleanup code is needed on the fast path).
    ZMQRAII_HOT_INLINE void mark_and_check(const char* op) const {
        const detail::gate_word* g = gate_.load(std::memory_order_relaxed);
        detail::mark_call(g);
        check_marked(g, op);
    }

    // The same check inside an operation that is already marked (EINTR retries).
    void recheck(const char* op) const { check_marked(gate_.load(std::memory_order_relaxed), op); }

    ZMQRAII_HOT_INLINE void check_marked([[maybe_unused]] const detail::gate_word* g,
                                         const char* op) const {
#if ZMQRAII_THREAD_CHECKS
        if (ZMQRAII_UNLIKELY(g->word.load(detail::gate_order) !=
                             detail::gate_of(detail::current_thread)))
            enter_slow(op);
#else
        if (ZMQRAII_UNLIKELY(flags_.load(std::memory_order_relaxed)->load(detail::gate_order) != 0))
            enter_slow(op);
#endif
    }

    // Closed, wrong thread, forked child, stopping: in that order of precedence.
    // Ends the mark before it throws.
    ZMQRAII_COLD void enter_slow(const char* op) const {
        try {
#if ZMQRAII_THREAD_CHECKS
            check_owner_slow(op);
#endif
            if (flags_.load(std::memory_order_relaxed)->load(std::memory_order_acquire) != 0)
                flags_slow(op);
        } catch (...) {
            detail::unmark_call();
            throw;
        }
    }

    // Reads only atomics and what never changes after creation, so that a
    // thread that does not own the socket may run it while the owner closes,
    // moves or releases the socket object.
    ZMQRAII_COLD void check_owner_slow(const char* op) const {
        const detail::thread_record* me = detail::this_thread_raw();
        const detail::gate_word* g = gate_.load(std::memory_order_acquire);
        const detail::socket_entry* e = detail::entry_of(g);
        if (e == nullptr) throw_closed(op, nullptr);
        // Closed by a stop (stopped) or by close() (error): nobody's socket any more.
        if (e->closed.load(std::memory_order_acquire)) {
            if (e->ctx->stopping()) throw_closed_by_stop(op, *e);
            throw_closed(op, e);
        }
        if (me == owner_part(*g) || e->thread_safe) return;
        // In a forked child no parent thread exists: the fork error, not wrong_thread.
        if (e->ctx->forked()) e->ctx->throw_forked(op, e->describe());
        throw_wrong_thread(op, *e);
    }

    static const detail::thread_record* owner_part(const detail::gate_word& g) noexcept {
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast,performance-no-int-to-ptr)
        return reinterpret_cast<const detail::thread_record*>(
            g.word.load(std::memory_order_acquire) & ~std::uintptr_t{7});
    }

    [[noreturn]] ZMQRAII_COLD void throw_wrong_thread(const char* op) const {
        const detail::socket_entry* e = any_thread_entry();
        if (e == nullptr) throw_closed(op, nullptr);
        throw_wrong_thread(op, *e);
    }

    [[noreturn]] ZMQRAII_COLD static void throw_wrong_thread(const char* op,
                                                             const detail::socket_entry& e) {
        throw wrong_thread(std::string("wrong thread: ") + op + " on " + e.describe() +
                           ", owned by " + e.ctx->owner_label(e) + ", called from " +
                           detail::this_thread_record()->label() +
                           ". A socket belongs to the thread that created it: give each thread "
                           "its own socket, or hand it over with release()/adopt()");
    }

    [[noreturn]] ZMQRAII_COLD static void throw_closed(const char* op,
                                                       const detail::socket_entry* e) {
        if (e == nullptr)
            throw error(ENOTSOCK, std::string(op) + " on an empty (moved-from) socket");
        throw error(ENOTSOCK, std::string(op) + " on " + e->describe() + ": socket is closed");
    }

    [[noreturn]] ZMQRAII_COLD static void throw_closed_by_stop(const char* op,
                                                               const detail::socket_entry& e) {
        throw stopped(std::string(op) + " on " + e.describe() +
                      ": the context's stop closed this socket");
    }

    ZMQRAII_COLD void flags_slow(const char* op) const {
        const unsigned f = flags_.load(std::memory_order_relaxed)->load(std::memory_order_acquire);
        if (f & detail::flag_closed) throw_closed(op, entry_ ? entry_.get() : nullptr);
        if (f & detail::flag_forked) entry_->ctx->throw_forked(op, entry_->describe());
        if (f & detail::flag_stopping)
            throw stopped(std::string(op) + " on " + entry_->describe() + ": context is stopping");
    }

    // The non-blocking calls, with the public operation's name for errors
    // (send_for and recv_for are built on them).
    ZMQRAII_HOT_INLINE bool try_send_as(const char* op, const void* data, std::size_t size,
                                        send_flags flags) {
        mark_and_check(op);
        const int f = static_cast<int>(flags) | ZMQ_DONTWAIT;
        bool sent = true;
        while (ZMQRAII_UNLIKELY(zmq_send(handle_, data, size, f) < 0))
            if (!try_failed(op)) {
                sent = false;
                break;
            }
        detail::unmark_call();
        return sent;
    }
    ZMQRAII_HOT_INLINE bool try_send_as(const char* op, message& m, send_flags flags) {
        mark_and_check(op);
        const int f = static_cast<int>(flags) | ZMQ_DONTWAIT;
        detail::tsan_before_send(m.handle());
        bool sent = true;
        while (ZMQRAII_UNLIKELY(zmq_msg_send(m.handle(), handle_, f) < 0))
            if (!try_failed(op)) {
                sent = false;
                break;
            }
        detail::unmark_call();
        return sent;
    }
    ZMQRAII_HOT_INLINE bool try_recv_as(const char* op, message& m) {
        mark_and_check(op);
        bool got = true;
        while (ZMQRAII_UNLIKELY(zmq_msg_recv(m.handle(), handle_, ZMQ_DONTWAIT) < 0))
            if (!try_failed(op)) {
                got = false;
                break;
            }
        detail::unmark_call();
        if (got) detail::tsan_after_recv(m.handle());
        return got;
    }
    std::optional<recv_result> try_recv_into_as(const char* op, void* buf, std::size_t capacity) {
        const auto in = enter(op);
        int n = 0;
        while (ZMQRAII_UNLIKELY((n = zmq_recv(handle_, buf, capacity, ZMQ_DONTWAIT)) < 0))
            if (!try_failed(op)) return std::nullopt;
        return into_result(n, capacity, op);
    }

    // Inside the caller's scope: libzmq's RCVMORE for the part just received.
    recv_result into_result(int n, std::size_t capacity, const char* op) {
        int more = 0;
        std::size_t len = sizeof more;
        if (zmq_getsockopt(handle_, ZMQ_RCVMORE, &more, &len) != 0) throw_op_error(zmq_errno(), op);
        const auto full = static_cast<std::size_t>(n);
        return recv_result{full < capacity ? full : capacity, full, more != 0};
    }

    // Called when a blocking call failed: returns to retry on EINTR, else ends
    // the mark and throws.
    ZMQRAII_COLD void send_failed(const char* op) {
        const int e = zmq_errno();
        if (e == EINTR) {
            recheck(op);  // a stop during the signal wins
            return;
        }
        if (e == EAGAIN) throw_timed_out(op, "option sndtimeo is set; use send_for for timeouts");
        throw_op_error(e, op);
    }
    ZMQRAII_COLD void recv_failed(const char* op) {
        const int e = zmq_errno();
        if (e == EINTR) {
            recheck(op);
            return;
        }
        if (e == EAGAIN) throw_timed_out(op, "option rcvtimeo is set; use recv_for for timeouts");
        throw_op_error(e, op);
    }
    // Non-blocking call failed: false for would-block, true to retry (EINTR).
    ZMQRAII_COLD bool try_failed(const char* op) {
        const int e = zmq_errno();
        if (e == EAGAIN) return false;
        if (e == EINTR) {
            recheck(op);
            return true;
        }
        throw_op_error(e, op);
    }

    [[noreturn]] ZMQRAII_COLD void throw_timed_out(const char* op, const char* why) const {
        detail::unmark_call();
        throw error(EAGAIN,
                    std::string(op) + " on " + entry_->describe() + ": timed out (" + why + ")");
    }

    // Ends the mark, then throws. ETERM: the call was woken by a stop; the
    // stopper is told, so that it closes the socket at once.
    [[noreturn]] ZMQRAII_COLD void throw_op_error(int e, const char* op) const {
        detail::unmark_call();
        if (e == ETERM) {
            entry_->ctx->poke();
            throw stopped(std::string(op) + " on " + entry_->describe() + ": context was stopped");
        }
        throw error(e, std::string(op) + " on " + entry_->describe());
    }

    template <class Fn>
    void endpoint_call(const char* op, std::string_view endpoint, Fn fn) {
        const std::string ep(endpoint);
        const auto in = enter(op);
        if (fn(handle_, ep.c_str()) != 0) {
            const int e = zmq_errno();
            if (e == ETERM) throw_op_error(e, op);
            throw error(e, std::string(op) + " " + ep + " on " + entry_->describe());
        }
    }

    template <int Id, class T, access A>
    void set_as(const char* op, socket_option<Id, T, A> opt,
                typename detail::option_traits<T>::arg_type value) {
        {
            const auto in = enter(op);
            if (detail::option_traits<T>::set(handle_, Id, value) != 0) {
                const int e = zmq_errno();
                if (e == ETERM) throw_op_error(e, op);
                throw error(e, std::string(op) + " " + opt.name + " = " +
                                   detail::option_traits<T>::text(value, opt.name) + " on " +
                                   entry_->describe());
            }
        }
        if constexpr (Id == ZMQ_LINGER) entry_->ctx->note_linger(value);
    }

    template <int Id, class T, access A>
    typename detail::option_traits<T>::result_type get_as(const char* op,
                                                          socket_option<Id, T, A> opt) {
        typename detail::option_traits<T>::result_type out{};
        const auto in = enter(op);
        if (detail::option_traits<T>::get(handle_, Id, out) != 0) {
            const int e = zmq_errno();
            if (e == ETERM) throw_op_error(e, op);
            throw error(e, std::string(op) + " " + opt.name + " on " + entry_->describe());
        }
        return out;
    }

    // Waits with zmq_poll until `events` or the deadline. False on timeout.
    bool wait_for_event(const char* op, short events, detail::steady_time deadline) {
        for (;;) {
            const auto in = enter(op);
            const long ms = detail::ms_until(deadline);
            if (ms == 0) return false;
            zmq_pollitem_t item{handle_, 0, events, 0};
            const int rc = zmq_poll(&item, 1, ms);
            if (rc > 0) return true;
            if (rc < 0) {
                const int e = zmq_errno();
                if (e != EINTR) throw_op_error(e, op);
            }
        }
    }

    bool owner_exited() const noexcept {
        // Null while handed off or for thread-safe types (gate_no_owner masks to 0).
        const detail::thread_record* o = owner_part(*gate_.load(std::memory_order_relaxed));
        return o != nullptr && !o->alive.load(std::memory_order_acquire);
    }

    bool may_close() const {
        const detail::thread_record* me = detail::this_thread_raw();
        return entry_->thread_safe || me == owner_part(*gate_.load(std::memory_order_relaxed)) ||
               owner_exited();
    }

    void destroy() noexcept {
        if (!entry_ || is_closed_object()) {
            entry_.reset();
            mark_closed();
            return;
        }
        detail::context_state& ctx = *entry_->ctx;
        if (ctx.forked()) {
            // A forked child must not touch the parent's sockets; the memory is
            // left to the child's exit.
            new std::shared_ptr<detail::socket_entry>(std::move(entry_));
            mark_closed();
            return;
        }
        bool allowed = false;
        try {
            allowed = may_close();
        } catch (...) {
            allowed = owner_exited();
        }
        // A socket that a stop closed needs nothing more, on any thread.
        if (allowed || entry_->closed.load(std::memory_order_acquire)) {
            ctx.close(*entry_);
        } else {
            std::string text;
            try {
                text = "socket destroyed on the wrong thread: " + entry_->describe() +
                       " is owned by " + ctx.owner_label(*entry_) + " but destroyed on " +
                       detail::this_thread_record()->label() +
                       "; zmqraii did not close it (closing a socket that another live thread "
                       "owns can hang that thread and zmq_ctx_term). Close or destroy a "
                       "socket on its owner thread, or release()/adopt() it first.";
            } catch (...) {
                text = "socket destroyed on the wrong thread";
            }
            report_diagnostic(severity::fatal, std::move(text));
            // A handler that returns leaves the socket registered: a stop closes it
            // when no thread uses it.
        }
        entry_.reset();
        mark_closed();
    }

    void* handle_ = nullptr;  // owner only
    // Read by any thread (the owner check runs before anything else is known).
    std::atomic<const detail::gate_word*> gate_{&detail::closed_gate()};
    std::atomic<const std::atomic<unsigned>*> flags_{&detail::closed_flags()};
    std::shared_ptr<detail::socket_entry> entry_;  // owner only: keeps the entry alive
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
    socket adopt() && {
        if (!entry_) throw error(ENOTSOCK, "adopt on an empty socket_handoff");
        auto e = std::move(entry_);
        detail::context_state& ctx = *e->ctx;
        if (ctx.forked()) ctx.throw_forked("adopt", e->describe());
        auto me = detail::this_thread_record();
        {
            std::lock_guard<std::mutex> lock(ctx.mutex());
            if (!e->closed && !ctx.stopping()) {
                e->owner = std::move(me);
                if (!e->thread_safe)
                    e->word.store(detail::gate_of(e->owner.get()), std::memory_order_release);
                return socket(std::move(e));
            }
        }
        ctx.close(*e);
        throw stopped("adopt of " + e->describe() + ": context is stopping");
    }

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

    void discard() noexcept {
        if (!entry_) return;
        if (!entry_->ctx->forked())
            entry_->ctx->close(*entry_);
        else
            new std::shared_ptr<detail::socket_entry>(std::move(entry_));
        entry_.reset();
    }

    std::shared_ptr<detail::socket_entry> entry_;
};

inline socket_handoff socket::release() && {
    if (!entry_ || is_closed_object()) throw_closed("release", entry_.get());
    detail::context_state& ctx = *entry_->ctx;
    if (ctx.forked()) ctx.throw_forked("release", entry_->describe());
    if (!may_close()) {
        if (entry_->closed.load(std::memory_order_acquire))
            throw_closed_by_stop("release", *entry_);
        throw_wrong_thread("release");
    }
    {
        std::lock_guard<std::mutex> lock(ctx.mutex());
        if (entry_->closed) {
            if (ctx.stopping()) throw_closed_by_stop("release", *entry_);
            throw_closed("release", entry_.get());
        }
        entry_->owner.reset();
        // No owner: the gate matches no thread until adopt() (keeps the stop bit).
        entry_->word.store((entry_->word.load(std::memory_order_relaxed) & detail::flag_stopping) |
                               detail::gate_no_owner,
                           std::memory_order_seq_cst);
    }
    auto e = std::move(entry_);
    mark_closed();
    return socket_handoff(std::move(e));
}

namespace detail {

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
    static void* raw(const socket& s) noexcept { return s.handle_; }
    /// The socket's context state, for a wide_call (null for an empty socket).
    static const void* context_of(const socket& s) noexcept {
        return s.entry_ ? static_cast<const void*>(s.entry_->ctx.get()) : nullptr;
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
        if (s.entry_) s.entry_->ctx->poke();
    }
    /// An event loop begins waiting on the socket's ZMQ_FD (call inside a scope
    /// of enter()); a stop then leaves the socket open until end_fd_wait().
    static void begin_fd_wait(const socket& s) noexcept {
        s.entry_->fd_waits.fetch_add(1, std::memory_order_relaxed);
    }
    /// The wait on ZMQ_FD ended (completed, cancelled or failed); any thread
    /// that the owner's event loop runs on, after the wait's completion.
    static void end_fd_wait(const socket& s) noexcept {
        if (s.entry_) s.entry_->fd_waits.fetch_sub(1, std::memory_order_release);
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

}  // namespace detail

static_assert(!std::is_copy_constructible_v<socket> && !std::is_copy_assignable_v<socket>,
              "socket is move-only");
static_assert(std::is_nothrow_move_constructible_v<socket> &&
                  std::is_nothrow_move_assignable_v<socket>,
              "socket moves without throwing");
static_assert(std::is_nothrow_move_constructible_v<socket_handoff>,
              "socket_handoff moves without throwing");

}  // namespace zmqraii

#endif  // ZMQRAII_SOCKET_HPP_INCLUDED
