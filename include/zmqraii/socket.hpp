// SPDX-License-Identifier: MIT
/// @file socket.hpp
/// zmqraii::socket: a ZeroMQ socket owned by the thread that created it, and
/// zmqraii::socket_handoff, the explicit way to give it to another thread.
#ifndef ZMQRAII_SOCKET_HPP_INCLUDED
#define ZMQRAII_SOCKET_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/context.hpp>
#include <zmqraii/detail/owner.hpp>
#include <zmqraii/detail/registry.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/options.hpp>

#include <zmq.h>

#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
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

namespace detail {

inline std::string hidden_or(const char* name, std::string text) {
    const std::string_view n(name);
    if (n.find("secret") != std::string_view::npos || n.find("password") != std::string_view::npos)
        return "<hidden>";
    return text;
}

// How an option value type travels through zmq_setsockopt / zmq_getsockopt.
template <class T>
struct option_traits;

template <>
struct option_traits<int> {
    using arg_type = int;
    using result_type = int;
    static std::string text(int v, const char*) { return std::to_string(v); }
    static int set(void* h, int id, int v) { return zmq_setsockopt(h, id, &v, sizeof v); }
    static int get(void* h, int id, int& out) {
        std::size_t len = sizeof out;
        return zmq_getsockopt(h, id, &out, &len);
    }
};

template <>
struct option_traits<bool> {
    using arg_type = bool;
    using result_type = bool;
    static std::string text(bool v, const char*) { return v ? "true" : "false"; }
    static int set(void* h, int id, bool v) {
        const int i = v ? 1 : 0;
        return zmq_setsockopt(h, id, &i, sizeof i);
    }
    static int get(void* h, int id, bool& out) {
        int i = 0;
        std::size_t len = sizeof i;
        const int rc = zmq_getsockopt(h, id, &i, &len);
        out = i != 0;
        return rc;
    }
};

template <>
struct option_traits<std::chrono::milliseconds> {
    using arg_type = std::chrono::milliseconds;
    using result_type = std::chrono::milliseconds;
    static std::string text(std::chrono::milliseconds v, const char*) {
        return std::to_string(v.count()) + " ms";
    }
    static int set(void* h, int id, std::chrono::milliseconds v) {
        if (v.count() < INT_MIN || v.count() > INT_MAX) {
            errno = EINVAL;
            return -1;
        }
        const int i = static_cast<int>(v.count());
        return zmq_setsockopt(h, id, &i, sizeof i);
    }
    static int get(void* h, int id, std::chrono::milliseconds& out) {
        int i = 0;
        std::size_t len = sizeof i;
        const int rc = zmq_getsockopt(h, id, &i, &len);
        out = std::chrono::milliseconds(i);
        return rc;
    }
};

template <class I>
struct integer_option_traits {
    using arg_type = I;
    using result_type = I;
    static std::string text(I v, const char*) { return std::to_string(v); }
    static int set(void* h, int id, I v) { return zmq_setsockopt(h, id, &v, sizeof v); }
    static int get(void* h, int id, I& out) {
        std::size_t len = sizeof out;
        return zmq_getsockopt(h, id, &out, &len);
    }
};
template <>
struct option_traits<std::int64_t> : integer_option_traits<std::int64_t> {};
template <>
struct option_traits<std::uint64_t> : integer_option_traits<std::uint64_t> {};

template <std::size_t BufferSize>
struct bytes_option_traits {
    using arg_type = std::string_view;
    using result_type = std::string;
    static int set(void* h, int id, std::string_view v) {
        // An empty std::string_view{} has a null data(); give libzmq a real pointer
        // (subscribe to "" means everything).
        return zmq_setsockopt(h, id, v.data() ? v.data() : "", v.size());
    }
    static int get(void* h, int id, std::string& out) {
        char buf[BufferSize];
        std::size_t len = sizeof buf;
        const int rc = zmq_getsockopt(h, id, buf, &len);
        if (rc == 0) out.assign(buf, len);
        return rc;
    }
};

template <>
struct option_traits<std::string> : bytes_option_traits<1024> {
    static std::string text(std::string_view v, const char* name) {
        return hidden_or(name, "\"" + std::string(v) + "\"");
    }
    // libzmq clears a text option (plain_username, socks_proxy, bindtodevice,
    // tcp_accept_filter...) only for a null pointer; "" with a pointer is EINVAL.
    static int set(void* h, int id, std::string_view v) {
        return zmq_setsockopt(h, id, v.empty() ? nullptr : v.data(), v.size());
    }
    static int get(void* h, int id, std::string& out) {
        const int rc = bytes_option_traits<1024>::get(h, id, out);
        // libzmq counts the terminating NUL of string options.
        if (rc == 0 && !out.empty() && out.back() == '\0') out.pop_back();
        return rc;
    }
};

template <>
struct option_traits<binary> : bytes_option_traits<256> {
    static std::string text(std::string_view v, const char* name) {
        std::string t = "<";  // not `"<" + std::string&&`: GCC bug 105651 (-Wrestrict)
        t += std::to_string(v.size());
        t += " bytes>";
        return hidden_or(name, std::move(t));
    }
};

template <>
struct option_traits<curve_key> : bytes_option_traits<41> {
    static std::string text(std::string_view v, const char* name) {
        std::string t = "<key of ";  // see option_traits<binary>::text
        t += std::to_string(v.size());
        t += " bytes>";
        return hidden_or(name, std::move(t));
    }
    static int get(void* h, int id, std::string& out) {
        const int rc = bytes_option_traits<41>::get(h, id, out);  // 41: ask for z85 text
        if (rc == 0 && !out.empty() && out.back() == '\0') out.pop_back();
        return rc;
    }
};

template <>
struct option_traits<native_fd> {
#ifdef _WIN32
    using result_type = std::uintptr_t;
#else
    using result_type = int;
#endif
    static int get(void* h, int id, result_type& out) {
        std::size_t len = sizeof out;
        return zmq_getsockopt(h, id, &out, &len);
    }
};

}  // namespace detail

class socket_handoff;

/// A ZeroMQ socket, owned by the thread that created it.
/**
 * Every operation first checks that the calling thread owns the socket and
 * throws zmqraii::wrong_thread otherwise (compiled out by
 * ZMQRAII_THREAD_CHECKS=0), then that the context is not stopping (throws
 * zmqraii::stopped). Blocking calls woken by context::stop() throw
 * zmqraii::stopped. Would-block is not an error: try_send() returns false,
 * try_recv() an empty optional.
 *
 * The socket is created with the context's default linger
 * (context_options::linger, finite by default).
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
          gate_(std::exchange(other.gate_, &detail::closed_gate())),
          flags_(std::exchange(other.flags_, &detail::closed_flags())),
          entry_(std::move(other.entry_)) {}

    /// Closes this socket (as the destructor does), then takes over `other`.
    socket& operator=(socket&& other) noexcept {
        if (this != &other) {
            destroy();
            handle_ = std::exchange(other.handle_, nullptr);
            gate_ = std::exchange(other.gate_, &detail::closed_gate());
            flags_ = std::exchange(other.flags_, &detail::closed_flags());
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
    void send(const void* data, std::size_t size, send_flags flags = send_flags::none) {
        enter("send");
        const int f = static_cast<int>(flags);
        while (ZMQRAII_UNLIKELY(zmq_send(handle_, data, size, f) < 0)) send_failed("send");
    }
    /// Sends text (copied).
    void send(std::string_view text, send_flags flags = send_flags::none) {
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
    void send(message&& m, send_flags flags = send_flags::none) {
        enter("send");
        const int f = static_cast<int>(flags);
        detail::tsan_before_send(m.handle());
        while (ZMQRAII_UNLIKELY(zmq_msg_send(m.handle(), handle_, f) < 0)) send_failed("send");
    }

    /// Sends without blocking. @return false where the send would block.
    bool try_send(const void* data, std::size_t size, send_flags flags = send_flags::none) {
        return try_send_as("try_send", data, size, flags);
    }
    /// Sends text without blocking. @return false where the send would block.
    bool try_send(std::string_view text, send_flags flags = send_flags::none) {
        return try_send(text.data(), text.size(), flags);
    }
    /// Sends a C string without blocking.
    bool try_send(const char* text, send_flags flags = send_flags::none) {
        return try_send(std::string_view(text), flags);
    }
    /// Sends bytes without blocking.
    bool try_send(byte_view bytes, send_flags flags = send_flags::none) {
        return try_send(bytes.data(), bytes.size(), flags);
    }
    /// Sends a message without blocking; on false or error `m` is unchanged.
    bool try_send(message&& m, send_flags flags = send_flags::none) {
        return try_send_as("try_send", m, flags);
    }

    /// Sends, waiting at most `timeout`. @return false when it timed out (m unchanged).
    template <class Rep, class Period>
    bool send_for(message&& m, std::chrono::duration<Rep, Period> timeout,
                  send_flags flags = send_flags::none) {
        const auto deadline = deadline_after(timeout);
        for (;;) {
            if (try_send_as("send_for", m, flags)) return true;
            if (!wait_for_event("send_for", ZMQ_POLLOUT, deadline)) return false;
        }
    }
    /// Sends text, waiting at most `timeout`.
    template <class Rep, class Period>
    bool send_for(std::string_view text, std::chrono::duration<Rep, Period> timeout,
                  send_flags flags = send_flags::none) {
        const auto deadline = deadline_after(timeout);
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
        recv(m);
        return m;
    }
    /// Receives into `m`, reusing it (no allocation for small messages).
    void recv(message& m) {
        enter("recv");
        while (ZMQRAII_UNLIKELY(zmq_msg_recv(m.handle(), handle_, 0) < 0)) recv_failed("recv");
        detail::tsan_after_recv(m.handle());
    }

    /// Receives without blocking. @return an empty optional where none is ready.
    std::optional<message> try_recv() {
        message m;
        if (!try_recv(m)) return std::nullopt;
        return std::optional<message>(std::move(m));
    }
    /// Receives into `m` without blocking. @return false where none is ready.
    bool try_recv(message& m) { return try_recv_as("try_recv", m); }

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
        const auto deadline = deadline_after(timeout);
        for (;;) {
            if (try_recv_as("recv_for", m)) return true;
            if (!wait_for_event("recv_for", ZMQ_POLLIN, deadline)) return false;
        }
    }

    // ---- buffers ----------------------------------------------------------------
    // Send from any contiguous bytes, receive into a caller's buffer, and the
    // checked raw handle that multipart.hpp and poller.hpp build on.

private:
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

    template <class B>
    static std::size_t byte_size(const B& b) noexcept {
        return static_cast<std::size_t>(b.size()) * sizeof(*b.data());
    }

public:
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
    /// Sends the bytes of a contiguous container without blocking.
    /// @return false where the send would block (nothing was sent).
    template <class Bytes, enable_if_bytes_t<const Bytes&> = 0>
    bool try_send(const Bytes& bytes, send_flags flags = send_flags::none) {
        return try_send(static_cast<const void*>(bytes.data()), byte_size(bytes), flags);
    }

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

private:
    recv_result into_result(int n, std::size_t capacity, const char* op) {
        int more = 0;
        std::size_t len = sizeof more;
        if (zmq_getsockopt(handle_, ZMQ_RCVMORE, &more, &len) != 0) throw_op_error(zmq_errno(), op);
        const auto full = static_cast<std::size_t>(n);
        return recv_result{full < capacity ? full : capacity, full, more != 0};
    }

public:
    /// Receives one message part into `buf`, blocking.
    /**
     * Copies at most `capacity` bytes. A longer part is truncated: the result says so
     * (truncated(), full_size) and libzmq discards the rest of that part. Use recv()
     * for parts of unknown size.
     * @throws stopped when the context stops; error otherwise.
     */
    recv_result recv_into(void* buf, std::size_t capacity) {
        enter("recv_into");
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
        const auto deadline = deadline_after(timeout);
        for (;;) {
            if (auto r = try_recv_into_as("recv_into_for", buf, capacity)) return r;
            if (!wait_for_event("recv_into_for", ZMQ_POLLIN, deadline)) return std::nullopt;
        }
    }

    /// The raw libzmq socket after the checks every operation makes, reported as `op`.
    /**
     * For code built on top of socket (multipart, poller, proxies): throws exactly
     * what send() or recv() would throw before touching libzmq (wrong_thread, a
     * closed-socket error, stopped), with `op` naming the operation in the message.
     * Map a failed libzmq call with describe() and detail::throw_error().
     */
    void* checked_handle(const char* op) {
        enter(op);
        return handle_;
    }

    // ---- options --------------------------------------------------------------

    /// Sets a socket option: `s.set(zmqraii::option::sndhwm, 1000)`.
    /// @throws error naming the option and the value (secrets are not printed).
    template <int Id, class T, access A,
              std::enable_if_t<socket_option<Id, T, A>::writable, int> = 0>
    void set(socket_option<Id, T, A> opt, typename detail::option_traits<T>::arg_type value) {
        set_as("set", opt, value);
    }

private:
    template <int Id, class T, access A>
    void set_as(const char* op, socket_option<Id, T, A> opt,
                typename detail::option_traits<T>::arg_type value) {
        enter(op);
        if (detail::option_traits<T>::set(handle_, Id, value) != 0) {
            const int e = zmq_errno();
            detail::throw_error(e, op,
                                std::string(opt.name) + " = " +
                                    detail::option_traits<T>::text(value, opt.name) + " on " +
                                    entry_->describe());
        }
        if constexpr (Id == ZMQ_LINGER) entry_->ctx->note_linger(value);
    }

    template <int Id, class T, access A>
    typename detail::option_traits<T>::result_type get_as(const char* op,
                                                          socket_option<Id, T, A> opt) {
        enter(op);
        typename detail::option_traits<T>::result_type out{};
        if (detail::option_traits<T>::get(handle_, Id, out) != 0)
            detail::throw_last_error(op, std::string(opt.name) + " on " + entry_->describe());
        return out;
    }

public:
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
        if (!entry_ || flags_ == &detail::closed_flags()) {
            mark_closed();
            return;
        }
        if (entry_->ctx->forked()) entry_->ctx->throw_forked("close", entry_->describe());
        if (!may_close()) throw_wrong_thread("close");
        entry_->ctx->close(*entry_);
        mark_closed();
    }

    /// Gives the socket up for adoption by another thread (see socket_handoff).
    /**
     * Call on the owner thread (or any thread once the owner exited). The socket
     * object becomes empty. Pass the handoff to the new thread through something
     * that synchronizes, and call `std::move(h).adopt()` there.
     */
    socket_handoff release() &&;

    /// True while the socket is open (not closed, not moved from).
    /// False as well once context::stop() closed it (stop on its owner thread).
    bool is_open() const noexcept {
        return entry_ && flags_ != &detail::closed_flags() &&
               !entry_->closed.load(std::memory_order_acquire);
    }
    /// Same as is_open().
    explicit operator bool() const noexcept { return is_open(); }

    /// The owner thread's id (a default id for an empty socket). Any thread.
    std::thread::id owner() const noexcept {
        return (entry_ && entry_->owner) ? entry_->owner->id : std::thread::id();
    }
    /// The name given at creation. Any thread.
    const std::string& name() const noexcept {
        static const std::string none;
        return entry_ ? entry_->name : none;
    }
    /// The socket type. Any thread.
    socket_type type() const noexcept { return entry_ ? entry_->type : socket_type::pair; }
    /// True for thread-safe (draft) socket types, which skip the owner check.
    bool thread_safe() const noexcept { return entry_ && entry_->thread_safe; }
    /// Name, type, creation site and owner, as stop reports print them. Any thread.
    std::string describe() const {
        if (!entry_) return "socket (empty)";
        std::string s = entry_->describe();
        s.pop_back();  // the closing ')'
        s += ", owned by ";
        s += entry_->ctx->owner_label(*entry_);
        s += ')';
        return s;
    }

    /// The raw libzmq socket for calls zmqraii does not wrap (owner thread only).
    void* handle() {
        enter("handle");
        return handle_;
    }

private:
    friend class socket_handoff;

    explicit socket(std::shared_ptr<detail::socket_entry> e) noexcept { attach(std::move(e)); }

    void attach(std::shared_ptr<detail::socket_entry> e) noexcept {
        handle_ = e->handle;
        gate_ = &e->gate;
        flags_ = &e->ctx->flags();
        entry_ = std::move(e);
    }

    void mark_closed() noexcept {
        handle_ = nullptr;
        gate_ = &detail::closed_gate();
        flags_ = &detail::closed_flags();
    }

    // The check every operation starts with, one compare on the fast path:
    // the socket's gate word (owner record | stop bit) against the calling
    // thread's record. A stop sets the bit in every gate, a closed socket
    // points to a gate no thread matches, and a forked child's thread has a new
    // record: each of them lands in enter_slow(). With ZMQRAII_THREAD_CHECKS=0
    // only the context's flags word (stopping, forked) is tested.
    void enter(const char* op) const {
#if ZMQRAII_THREAD_CHECKS
        if (ZMQRAII_UNLIKELY(gate_->load(std::memory_order_acquire) !=
                             detail::gate_of(detail::current_thread)))
            enter_slow(op);
#else
        if (ZMQRAII_UNLIKELY(flags_->load(std::memory_order_acquire) != 0)) flags_slow(op);
#endif
    }

    // The owner part of the gate (null while handed off and for thread-safe types).
    const detail::thread_record* gate_owner() const noexcept {
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast,performance-no-int-to-ptr)
        return reinterpret_cast<const detail::thread_record*>(
            gate_->load(std::memory_order_acquire) & ~std::uintptr_t{7});
    }

    // Closed, wrong thread, forked child, stopping: in that order of precedence.
    ZMQRAII_COLD void enter_slow(const char* op) const {
        check_owner_slow(op);
        if (flags_->load(std::memory_order_acquire) != 0) flags_slow(op);
    }

    ZMQRAII_COLD void check_owner_slow(const char* op) const {
        const detail::thread_record* me = detail::this_thread_raw();
        if (!entry_ || flags_ == &detail::closed_flags()) throw_closed(op);
        if (me == gate_owner() || entry_->thread_safe) return;
        // In a forked child no parent thread exists: the fork error, not wrong_thread.
        if (flags_->load(std::memory_order_acquire) & detail::flag_forked)
            entry_->ctx->throw_forked(op, entry_->describe());
        // Closed by stop (is_open() is false): nobody's socket any more.
        if (entry_->closed.load(std::memory_order_acquire)) throw_closed(op);
        throw_wrong_thread(op);
    }

    [[noreturn]] ZMQRAII_COLD void throw_wrong_thread(const char* op) const {
        const std::string owner =
            entry_->owner ? entry_->owner->label() : std::string("(handed off)");
        throw wrong_thread(std::string("wrong thread: ") + op + " on " + entry_->describe() +
                           ", owned by " + owner + ", called from " +
                           detail::this_thread_record()->label() +
                           ". A socket belongs to the thread that created it: give each thread "
                           "its own socket, or hand it over with release()/adopt()");
    }

    [[noreturn]] ZMQRAII_COLD void throw_closed(const char* op) const {
        if (!entry_) throw error(ENOTSOCK, std::string(op) + " on an empty (moved-from) socket");
        throw error(ENOTSOCK, std::string(op) + " on " + entry_->describe() + ": socket is closed");
    }

    ZMQRAII_COLD void flags_slow(const char* op) const {
        const unsigned f = flags_->load(std::memory_order_acquire);
        if (f & detail::flag_closed) throw_closed(op);
        if (f & detail::flag_forked) entry_->ctx->throw_forked(op, entry_->describe());
        if (f & detail::flag_stopping)
            throw stopped(std::string(op) + " on " + entry_->describe() + ": context is stopping");
    }

    // The non-blocking calls, with the public operation's name for errors
    // (send_for and recv_for are built on them).
    bool try_send_as(const char* op, const void* data, std::size_t size, send_flags flags) {
        enter(op);
        const int f = static_cast<int>(flags) | ZMQ_DONTWAIT;
        while (ZMQRAII_UNLIKELY(zmq_send(handle_, data, size, f) < 0))
            if (!try_failed(op)) return false;
        return true;
    }
    bool try_send_as(const char* op, message& m, send_flags flags) {
        enter(op);
        const int f = static_cast<int>(flags) | ZMQ_DONTWAIT;
        detail::tsan_before_send(m.handle());
        while (ZMQRAII_UNLIKELY(zmq_msg_send(m.handle(), handle_, f) < 0))
            if (!try_failed(op)) return false;
        return true;
    }
    bool try_recv_as(const char* op, message& m) {
        enter(op);
        while (ZMQRAII_UNLIKELY(zmq_msg_recv(m.handle(), handle_, ZMQ_DONTWAIT) < 0))
            if (!try_failed(op)) return false;
        detail::tsan_after_recv(m.handle());
        return true;
    }
    std::optional<recv_result> try_recv_into_as(const char* op, void* buf, std::size_t capacity) {
        enter(op);
        int n = 0;
        while (ZMQRAII_UNLIKELY((n = zmq_recv(handle_, buf, capacity, ZMQ_DONTWAIT)) < 0))
            if (!try_failed(op)) return std::nullopt;
        return into_result(n, capacity, op);
    }

    // Called when a blocking call failed: returns to retry on EINTR, else throws.
    ZMQRAII_COLD void send_failed(const char* op) {
        const int e = zmq_errno();
        if (e == EINTR) {
            enter(op);  // a stop during the signal wins
            return;
        }
        if (e == EAGAIN)
            throw error(e, std::string(op) + " on " + entry_->describe() +
                               ": timed out (option sndtimeo is set; use send_for for timeouts)");
        throw_op_error(e, op);
    }
    ZMQRAII_COLD void recv_failed(const char* op) {
        const int e = zmq_errno();
        if (e == EINTR) {
            enter(op);
            return;
        }
        if (e == EAGAIN)
            throw error(e, std::string(op) + " on " + entry_->describe() +
                               ": timed out (option rcvtimeo is set; use recv_for for timeouts)");
        throw_op_error(e, op);
    }
    // Non-blocking call failed: false for would-block, true to retry (EINTR).
    ZMQRAII_COLD bool try_failed(const char* op) {
        const int e = zmq_errno();
        if (e == EAGAIN) return false;
        if (e == EINTR) {
            enter(op);
            return true;
        }
        throw_op_error(e, op);
    }

    [[noreturn]] ZMQRAII_COLD void throw_op_error(int e, const char* op) const {
        if (e == ETERM)
            throw stopped(std::string(op) + " on " + entry_->describe() + ": context was stopped");
        throw error(e, std::string(op) + " on " + entry_->describe());
    }

    template <class Fn>
    void endpoint_call(const char* op, std::string_view endpoint, Fn fn) {
        enter(op);
        const std::string ep(endpoint);
        if (fn(handle_, ep.c_str()) != 0) {
            const int e = zmq_errno();
            if (e == ETERM) throw_op_error(e, op);
            throw error(e, std::string(op) + " " + ep + " on " + entry_->describe());
        }
    }

    template <class Rep, class Period>
    static std::chrono::steady_clock::time_point deadline_after(
        std::chrono::duration<Rep, Period> timeout) {
        const auto now = std::chrono::steady_clock::now();
        const auto max_wait = std::chrono::steady_clock::time_point::max() - now;
        if (timeout <= std::chrono::duration<Rep, Period>::zero()) return now;
        if (std::chrono::duration_cast<std::chrono::duration<double>>(timeout) >=
            std::chrono::duration_cast<std::chrono::duration<double>>(max_wait))
            return std::chrono::steady_clock::time_point::max();
        return now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
    }

    // Waits with zmq_poll until `events` or the deadline. False on timeout.
    bool wait_for_event(const char* op, short events,
                        std::chrono::steady_clock::time_point deadline) {
        for (;;) {
            enter(op);
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline) return false;
            long ms = -1;
            if (deadline != std::chrono::steady_clock::time_point::max()) {
                const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
                ms = static_cast<long>(
                    std::min<std::chrono::milliseconds::rep>(left.count(), LONG_MAX));
            }
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
        return entry_->owner && !entry_->owner->alive.load(std::memory_order_acquire);
    }

    bool may_close() const {
        const detail::thread_record* me = detail::this_thread_raw();
        return entry_->thread_safe || me == gate_owner() || owner_exited();
    }

    void destroy() noexcept {
        if (!entry_ || flags_ == &detail::closed_flags()) {
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
        if (allowed) {
            ctx.close(*entry_);
        } else {
            std::string text;
            try {
                text = "socket destroyed on the wrong thread: " + entry_->describe() +
                       " is owned by " + entry_->owner->label() + " but destroyed on " +
                       detail::this_thread_record()->label() +
                       "; zmqraii did not close it (closing a socket that another live thread "
                       "owns can hang that thread and zmq_ctx_term). Close or destroy a "
                       "socket on its owner thread, or release()/adopt() it first.";
            } catch (...) {
                text = "socket destroyed on the wrong thread";
            }
            report_diagnostic(severity::fatal, std::move(text));
            // A handler that returns leaves the socket registered: stop() closes it
            // once its owner thread has exited.
        }
        entry_.reset();
        mark_closed();
    }

    void* handle_ = nullptr;
    const std::atomic<std::uintptr_t>* gate_ = &detail::closed_gate();
    const std::atomic<unsigned>* flags_ = &detail::closed_flags();
    std::shared_ptr<detail::socket_entry> entry_;
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
 * so the destroying thread may). context::stop() closes sockets in hand-off;
 * adopt() then throws stopped.
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
                    e->gate.store(detail::gate_of(e->owner.get()), std::memory_order_release);
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
    if (!entry_ || flags_ == &detail::closed_flags()) throw_closed("release");
    detail::context_state& ctx = *entry_->ctx;
    if (ctx.forked()) ctx.throw_forked("release", entry_->describe());
    if (!may_close()) throw_wrong_thread("release");
    {
        std::lock_guard<std::mutex> lock(ctx.mutex());
        if (entry_->closed) throw_closed("release");
        entry_->owner.reset();
        // No owner: the gate matches no thread until adopt() (keeps the stop bit).
        entry_->gate.store((entry_->gate.load(std::memory_order_relaxed) & detail::flag_stopping) |
                               detail::gate_no_owner,
                           std::memory_order_release);
    }
    auto e = std::move(entry_);
    mark_closed();
    return socket_handoff(std::move(e));
}

static_assert(!std::is_copy_constructible_v<socket> && !std::is_copy_assignable_v<socket>,
              "socket is move-only");
static_assert(std::is_nothrow_move_constructible_v<socket> &&
                  std::is_nothrow_move_assignable_v<socket>,
              "socket moves without throwing");
static_assert(std::is_nothrow_move_constructible_v<socket_handoff>,
              "socket_handoff moves without throwing");

}  // namespace zmqraii

#endif  // ZMQRAII_SOCKET_HPP_INCLUDED
