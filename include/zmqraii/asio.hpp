// SPDX-License-Identifier: MIT
/// @file asio.hpp
/// Optional: zmqraii sockets in standalone Asio programs. zmqraii::asio::async_recv,
/// async_recv_multipart and async_send are Asio asynchronous operations on the
/// socket's ZMQ_FD, so callbacks, asio::use_future and asio::use_awaitable all
/// work, on an io_context run by the socket's owner thread.
///
/// Not part of the umbrella header, and nothing else in zmqraii needs Asio.
/// Where `<asio.hpp>` cannot be included (ZMQRAII_HAS_ASIO is 0), this header
/// declares nothing.
#ifndef ZMQRAII_ASIO_HPP_INCLUDED
#define ZMQRAII_ASIO_HPP_INCLUDED

#include <zmqraii/config.hpp>

#if ZMQRAII_HAS_ASIO

#include <zmqraii/detail/platform.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/multipart.hpp>
#include <zmqraii/socket.hpp>

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/compose.hpp>
#include <asio/error.hpp>
#include <asio/execution/context.hpp>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/query.hpp>
#include <asio/system_executor.hpp>

#include <zmq.h>

#include <cerrno>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace zmqraii {
namespace detail {
ZMQRAII_ABI_BEGIN

// One wait on a socket's ZMQ_FD in an io_context's reactor, through a
// duplicate of the descriptor: libzmq owns the original, and each pending
// operation registers its own (several may wait on one socket). The socket's
// fd_waits count keeps a context stop from closing the socket while the wait
// is pending; the stop signals ZMQ_FD, so the wait ends by itself and the next
// attempt throws stopped.
class zmq_fd_wait {
public:
    // Inside the caller's enter() scope on `s`.
    zmq_fd_wait(const ::asio::any_io_executor& ex, const socket& s, int fd) : s_(s), d_(ex) {
        const int copy = duplicate_fd(fd);
        if (copy < 0) throw error(errno, "zmqraii::asio: dup of ZMQ_FD");
        try {
            d_.assign(copy);
        } catch (...) {
            close_fd(copy);
            throw;
        }
        socket_access::begin_fd_wait(s);
    }
    zmq_fd_wait(const zmq_fd_wait&) = delete;
    zmq_fd_wait& operator=(const zmq_fd_wait&) = delete;
    zmq_fd_wait(zmq_fd_wait&&) = delete;
    zmq_fd_wait& operator=(zmq_fd_wait&&) = delete;
    ~zmq_fd_wait() {
        std::error_code ignored;
        d_.close(ignored);  // the duplicate: deregisters it and closes it
        socket_access::end_fd_wait(s_);
    }

    template <class Handler>
    void async_wait(Handler&& h) {
        d_.async_wait(::asio::posix::descriptor_base::wait_read, std::forward<Handler>(h));
    }

private:
    const socket& s_;
    ::asio::posix::stream_descriptor d_;
};

// What each operation tries when it runs: one non-blocking call.
struct asio_recv_attempt {
    static constexpr short events = ZMQ_POLLIN;
    static constexpr const char* name = "zmqraii::asio::async_recv";
    message m;
    bool operator()(socket& s) { return s.try_recv(m); }
    template <class Self>
    void complete(Self& self, std::error_code ec) {
        self.complete(ec, std::move(m));
    }
};

struct asio_recv_multipart_attempt {
    static constexpr short events = ZMQ_POLLIN;
    static constexpr const char* name = "zmqraii::asio::async_recv_multipart";
    multipart m;
    bool operator()(socket& s) { return recv_parts(s, m, name, true); }
    template <class Self>
    void complete(Self& self, std::error_code ec) {
        self.complete(ec, std::move(m));
    }
};

struct asio_send_attempt {
    static constexpr short events = ZMQ_POLLOUT;
    static constexpr const char* name = "zmqraii::asio::async_send";
    message m;
    bool operator()(socket& s) { return s.try_send(std::move(m)); }
    template <class Self>
    void complete(Self& self, std::error_code ec) {
        self.complete(ec);
    }
};

struct asio_send_multipart_attempt {
    static constexpr short events = ZMQ_POLLOUT;
    static constexpr const char* name = "zmqraii::asio::async_send";
    multipart m;
    bool operator()(socket& s) { return send_parts(s, m, name, true); }
    template <class Self>
    void complete(Self& self, std::error_code ec) {
        self.complete(ec);
    }
};

// The composed operation: attempt; when it would block, ask ZMQ_EVENTS (the
// descriptor is edge-triggered: an attempt that found nothing may have taken
// the signal with it), then wait for the descriptor and attempt again.
template <class Attempt>
class asio_zmq_op {
public:
    asio_zmq_op(socket& s, Attempt a, std::optional<::asio::any_io_executor> ex)
        : s_(&s), attempt_(std::move(a)), ex_(std::move(ex)) {}

    template <class Self>
    void operator()(Self& self, std::error_code ec = {}) {
        wait_.reset();  // a wait ended: release the descriptor
        if (state_ == state::posted) return attempt_.complete(self, result_);
        const bool first = state_ == state::start;
        state_ = state::running;
        if (ec) return attempt_.complete(self, ec);  // cancelled: io_context shut down
        if (first) check_executor(self);             // thrown by the initiating function
        std::error_code result;
        try {
            if (!try_or_wait(self)) return;  // waiting
        } catch (const zmqraii::error& e) {
            result = e.code();
        }
        if (first) {
            // Never complete inside the initiating function.
            result_ = result;
            state_ = state::posted;
            auto ex = io_executor(self);
            ::asio::post(ex, std::move(self));
            return;
        }
        attempt_.complete(self, result);
    }

private:
    enum class state { start, running, posted };

    template <class Self>
    ::asio::any_io_executor io_executor(Self& self) const {
        if (ex_) return *ex_;
        return self.get_executor();
    }

    template <class Self>
    void check_executor(Self& self) const {
        // A plain callback's executor is the system executor: its reactor runs
        // on threads of its own, never on the socket's owner thread.
        const ::asio::any_io_executor ex = io_executor(self);
        if (&::asio::query(ex, ::asio::execution::context) ==
            &::asio::query(::asio::system_executor(), ::asio::execution::context))
            throw zmqraii::error(
                EINVAL, std::string(Attempt::name) +
                            ": the completion handler has no io_context executor; bind "
                            "one (asio::bind_executor(ioc, handler)), pass it "
                            "(zmqraii::asio::async_recv(ioc.get_executor(), s, handler)) or use "
                            "asio::use_awaitable in a coroutine of that io_context");
    }

    // True when the operation completed; false when a wait was started.
    template <class Self>
    bool try_or_wait(Self& self) {
        for (;;) {
            if (attempt_(*s_)) return true;
            int fd = -1;
            {
                const auto in = socket_access::enter(*s_, Attempt::name);
                void* h = socket_access::raw(*s_);
                int events = 0;
                std::size_t len = sizeof events;
                if (zmq_getsockopt(h, ZMQ_EVENTS, &events, &len) != 0)
                    socket_access::throw_op_error(*s_, zmq_errno(), Attempt::name);
                if ((events & Attempt::events) != 0) continue;  // ready after all
                len = sizeof fd;
                if (zmq_getsockopt(h, ZMQ_FD, &fd, &len) != 0)
                    socket_access::throw_op_error(*s_, zmq_errno(), Attempt::name);
                wait_ = std::make_unique<zmq_fd_wait>(io_executor(self), *s_, fd);
            }
            zmq_fd_wait& w = *wait_;
            w.async_wait(std::move(self));
            return false;
        }
    }

    socket* s_;
    Attempt attempt_;
    std::optional<::asio::any_io_executor> ex_;
    std::unique_ptr<zmq_fd_wait> wait_;
    std::error_code result_;
    state state_ = state::start;
};

template <class Executor>
using enable_if_asio_executor = std::enable_if_t<
    ::asio::is_executor<Executor>::value || ::asio::execution::is_executor<Executor>::value, int>;

template <class Signature, class Attempt, class Token>
auto asio_start(socket& s, Attempt a, std::optional<::asio::any_io_executor> ex, Token&& token) {
    // The calling thread must own the socket: wrong_thread is thrown here, not
    // handed to the handler (the other errors are).
    (void)socket_access::enter(s, Attempt::name);
    if (ex) {
        const ::asio::any_io_executor io = *ex;
        return ::asio::async_compose<Token, Signature>(
            asio_zmq_op<Attempt>(s, std::move(a), std::move(ex)), token, io);
    }
    return ::asio::async_compose<Token, Signature>(
        asio_zmq_op<Attempt>(s, std::move(a), std::nullopt), token);
}

ZMQRAII_ABI_END
}  // namespace detail
ZMQRAII_ABI_BEGIN

/// zmqraii sockets as Asio asynchronous operations.
/**
 * @code
 * asio::io_context ioc;          // run by the thread that owns the socket
 * zmqraii::asio::async_recv(s, asio::bind_executor(ioc, [&](std::error_code ec,
 *                                                           zmqraii::message m) { ... }));
 * ioc.run();
 * // in an asio::awaitable<void> on ioc:
 * zmqraii::message m = co_await zmqraii::asio::async_recv(s, asio::use_awaitable);
 * @endcode
 *
 * Each operation tries its libzmq call without blocking; when it would block, it
 * waits for the socket's ZMQ_FD in the io_context's reactor and tries again
 * (ZMQ_FD is edge-triggered: ZMQ_EVENTS is checked before each wait). It never
 * completes inside the initiating function.
 *
 * The io_context is the completion handler's associated executor (bind one,
 * or use asio::use_awaitable in a coroutine of that io_context), or the
 * executor passed first. It must be run by the thread that owns the socket:
 * the operations run their libzmq calls on it. The socket must outlive its
 * operations; several may be pending on one socket (each waits on its own
 * duplicate of ZMQ_FD).
 *
 * Errors go to the handler as a std::error_code in zmqraii::zmq_category()
 * (ETERM when the context stops, also while the operation waits: the stop
 * signals ZMQ_FD), except wrong_thread, a programming error, which is thrown:
 * by the initiating function when it is called by another thread than the
 * socket's owner, and out of io_context::run() when another thread runs it.
 *
 * @par Thread Safety
 * Start operations on the socket's owner thread, and run the io_context there.
 */
namespace asio {

/// Receives one message part: completion signature `void(std::error_code, message)`.
/// @throws wrong_thread when the calling thread does not own `s`.
template <class CompletionToken>
auto async_recv(socket& s, CompletionToken&& token) {
    return detail::asio_start<void(std::error_code, message)>(
        s, detail::asio_recv_attempt{}, std::nullopt, std::forward<CompletionToken>(token));
}

/// The same, waiting in the io_context of `ex`.
template <class Executor, class CompletionToken, detail::enable_if_asio_executor<Executor> = 0>
auto async_recv(const Executor& ex, socket& s, CompletionToken&& token) {
    return detail::asio_start<void(std::error_code, message)>(s, detail::asio_recv_attempt{},
                                                              ::asio::any_io_executor(ex),
                                                              std::forward<CompletionToken>(token));
}

/// Receives one whole message (every part): `void(std::error_code, multipart)`.
/// @throws wrong_thread when the calling thread does not own `s`.
template <class CompletionToken>
auto async_recv_multipart(socket& s, CompletionToken&& token) {
    return detail::asio_start<void(std::error_code, multipart)>(
        s, detail::asio_recv_multipart_attempt{}, std::nullopt,
        std::forward<CompletionToken>(token));
}

/// The same, waiting in the io_context of `ex`.
template <class Executor, class CompletionToken, detail::enable_if_asio_executor<Executor> = 0>
auto async_recv_multipart(const Executor& ex, socket& s, CompletionToken&& token) {
    return detail::asio_start<void(std::error_code, multipart)>(
        s, detail::asio_recv_multipart_attempt{}, ::asio::any_io_executor(ex),
        std::forward<CompletionToken>(token));
}

/// Sends `m` (taken at the call): completion signature `void(std::error_code)`.
/// @throws wrong_thread when the calling thread does not own `s`.
template <class CompletionToken>
auto async_send(socket& s, message m, CompletionToken&& token) {
    return detail::asio_start<void(std::error_code)>(s, detail::asio_send_attempt{std::move(m)},
                                                     std::nullopt,
                                                     std::forward<CompletionToken>(token));
}

/// The same, waiting in the io_context of `ex`.
template <class Executor, class CompletionToken, detail::enable_if_asio_executor<Executor> = 0>
auto async_send(const Executor& ex, socket& s, message m, CompletionToken&& token) {
    return detail::asio_start<void(std::error_code)>(s, detail::asio_send_attempt{std::move(m)},
                                                     ::asio::any_io_executor(ex),
                                                     std::forward<CompletionToken>(token));
}

/// Sends every part of `m` as one message, all or nothing: `void(std::error_code)`.
/// @throws wrong_thread when the calling thread does not own `s`.
template <class CompletionToken>
auto async_send(socket& s, multipart m, CompletionToken&& token) {
    return detail::asio_start<void(std::error_code)>(
        s, detail::asio_send_multipart_attempt{std::move(m)}, std::nullopt,
        std::forward<CompletionToken>(token));
}

/// The same, waiting in the io_context of `ex`.
template <class Executor, class CompletionToken, detail::enable_if_asio_executor<Executor> = 0>
auto async_send(const Executor& ex, socket& s, multipart m, CompletionToken&& token) {
    return detail::asio_start<void(std::error_code)>(
        s, detail::asio_send_multipart_attempt{std::move(m)}, ::asio::any_io_executor(ex),
        std::forward<CompletionToken>(token));
}

}  // namespace asio
ZMQRAII_ABI_END
}  // namespace zmqraii

#endif  // ZMQRAII_HAS_ASIO

#endif  // ZMQRAII_ASIO_HPP_INCLUDED
