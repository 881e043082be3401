// SPDX-License-Identifier: MIT
/// @file task.hpp
/// C++20 coroutines on a zmqraii::loop: zmqraii::task<T>, loop::spawn(), and the
/// co_await operations of sockets (async_recv, async_recv_multipart, async_send),
/// mailboxes (async_pop) and loops (sleep_for).
///
/// Every operation suspends the calling task only when it would block, and
/// resumes it on the loop's thread. In a C++17 build (ZMQRAII_HAS_COROUTINES
/// is 0) this header declares nothing.
#ifndef ZMQRAII_TASK_HPP_INCLUDED
#define ZMQRAII_TASK_HPP_INCLUDED

#include <zmqraii/config.hpp>

#if ZMQRAII_HAS_COROUTINES

#include <zmqraii/detail/loop_core.hpp>
#include <zmqraii/detail/task_promise.hpp>
#include <zmqraii/detail/time.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/loop.hpp>
#include <zmqraii/mailbox.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/multipart.hpp>
#include <zmqraii/socket.hpp>

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace zmqraii {
ZMQRAII_ABI_BEGIN

/// A lazy coroutine that returns a T: the unit of work of a zmqraii::loop.
/**
 * @code
 * zmqraii::task<void> echo(zmqraii::socket& s) {
 *     for (;;) {
 *         zmqraii::message m = co_await s.async_recv();  // suspends only if it would block
 *         co_await s.async_send(std::move(m));
 *     }
 * }
 * loop.spawn(echo(sock));
 * loop.run();
 * @endcode
 *
 * A task does nothing until it is awaited (`co_await t`, from another task) or
 * spawned (loop::spawn). It allocates nothing beyond its coroutine frame. An
 * exception it throws reaches the coroutine that awaits it; for a spawned task
 * it is reported through the diagnostic handler. Awaited twice, or empty, it
 * throws error EINVAL.
 *
 * @par Thread Safety
 * A task runs on the thread of the loop that resumes it, as its sockets do.
 * The object is a value to be moved (into co_await or spawn), one thread at a
 * time; destroying it destroys its frame.
 */
template <class T>
class [[nodiscard]] task {
    static_assert(!std::is_reference_v<T>, "task<T&> is not supported: return a pointer");

public:
    /// The coroutine's promise type.
    using promise_type = detail::task_promise<T>;
    /// What co_await on the task gives.
    using value_type = T;

    /// No coroutine.
    task() noexcept = default;
    task(const task&) = delete;
    task& operator=(const task&) = delete;
    /// Takes over `other`'s coroutine; `other` becomes empty.
    task(task&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
    /// Destroys this task's coroutine (if any), then takes over `other`'s.
    task& operator=(task&& other) noexcept {
        if (this != &other) {
            if (h_) h_.destroy();
            h_ = std::exchange(other.h_, nullptr);
        }
        return *this;
    }
    /// Destroys the coroutine frame (running its locals' destructors).
    ~task() {
        if (h_) h_.destroy();
    }

    /// True while it holds a coroutine.
    explicit operator bool() const noexcept { return static_cast<bool>(h_); }
    /// True once the coroutine has ended (returned or thrown).
    bool done() const noexcept { return h_ && h_.done(); }

    /// Starts the task and suspends the awaiting coroutine until it ends.
    /// @return what it returned; rethrows what it threw.
    detail::task_awaiter<T> operator co_await() & noexcept { return detail::task_awaiter<T>(h_); }
    /// Same, for a task that is a temporary: `co_await make_task()`.
    detail::task_awaiter<T> operator co_await() && noexcept { return detail::task_awaiter<T>(h_); }

private:
    friend struct detail::task_promise<T>;
    friend class loop;
    explicit task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}

    std::coroutine_handle<promise_type> h_;
};

ZMQRAII_ABI_END
// The promises' get_return_object(), declared in detail/task_promise.hpp,
// defined here where task is complete. Doxygen skips it: it does not read
// detail/, so it would find definitions without declarations.
/// @cond
namespace detail {
ZMQRAII_ABI_BEGIN

template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
    return task<T>(std::coroutine_handle<task_promise<T>>::from_promise(*this));
}

inline task<void> task_promise<void>::get_return_object() noexcept {
    return task<void>(std::coroutine_handle<task_promise<void>>::from_promise(*this));
}

ZMQRAII_ABI_END
}  // namespace detail
/// @endcond
ZMQRAII_ABI_BEGIN

// ---- socket ------------------------------------------------------------------

/// The awaitable of socket::async_recv(): gives the message.
/**
 * @par Thread Safety
 * Awaited once, on the thread of the running loop that owns the socket.
 */
class socket::recv_awaiter : public detail::loop_op {
public:
    /// Receives from `s`.
    explicit recv_awaiter(socket& s) noexcept : loop_op("co_await async_recv", &try_now), s_(s) {}
    recv_awaiter(const recv_awaiter&) = delete;
    recv_awaiter& operator=(const recv_awaiter&) = delete;
    recv_awaiter(recv_awaiter&&) = delete;
    recv_awaiter& operator=(recv_awaiter&&) = delete;
    ~recv_awaiter() = default;

    /// Receives at once when a part is ready.
    bool await_ready() {
        enter();
        return s_.try_recv_as(op, m_) && completed();
    }
    /// Waits on the loop until the socket is readable.
    void await_suspend(std::coroutine_handle<> h) { yield_or_wait_socket(h, s_, false); }
    /// The part received. @throws stopped at a context stop; error as try_recv().
    message await_resume() {
        rethrow_error();
        return std::move(m_);
    }

private:
    static bool try_now(detail::loop_waiter& w) {
        auto& me = self<recv_awaiter>(w);
        return me.s_.try_recv_as(me.op, me.m_);
    }
    socket& s_;
    message m_;
};

/// The awaitable of socket::async_recv(message&): gives the part's size.
/**
 * @par Thread Safety
 * Awaited once, on the thread of the running loop that owns the socket.
 */
class socket::recv_reuse_awaiter : public detail::loop_op {
public:
    /// Receives from `s` into `m`.
    recv_reuse_awaiter(socket& s, message& m) noexcept
        : loop_op("co_await async_recv", &try_now), s_(s), m_(m) {}
    recv_reuse_awaiter(const recv_reuse_awaiter&) = delete;
    recv_reuse_awaiter& operator=(const recv_reuse_awaiter&) = delete;
    recv_reuse_awaiter(recv_reuse_awaiter&&) = delete;
    recv_reuse_awaiter& operator=(recv_reuse_awaiter&&) = delete;
    ~recv_reuse_awaiter() = default;

    /// Receives at once when a part is ready.
    bool await_ready() {
        enter();
        return s_.try_recv_as(op, m_) && completed();
    }
    /// Waits on the loop until the socket is readable.
    void await_suspend(std::coroutine_handle<> h) { yield_or_wait_socket(h, s_, false); }
    /// The part's size in bytes. @throws stopped at a context stop; error as try_recv().
    std::size_t await_resume() {
        rethrow_error();
        return m_.size();
    }

private:
    static bool try_now(detail::loop_waiter& w) {
        auto& me = self<recv_reuse_awaiter>(w);
        return me.s_.try_recv_as(me.op, me.m_);
    }
    socket& s_;
    message& m_;
};

/// The awaitable of socket::async_recv_multipart(): gives every part of one message.
/**
 * @par Thread Safety
 * Awaited once, on the thread of the running loop that owns the socket.
 */
class socket::recv_multipart_awaiter : public detail::loop_op {
public:
    /// Receives one whole message from `s`.
    explicit recv_multipart_awaiter(socket& s) noexcept
        : loop_op("co_await async_recv_multipart", &try_now), s_(s) {}
    recv_multipart_awaiter(const recv_multipart_awaiter&) = delete;
    recv_multipart_awaiter& operator=(const recv_multipart_awaiter&) = delete;
    recv_multipart_awaiter(recv_multipart_awaiter&&) = delete;
    recv_multipart_awaiter& operator=(recv_multipart_awaiter&&) = delete;
    ~recv_multipart_awaiter() = default;

    /// Receives at once when a message is ready.
    bool await_ready() {
        enter();
        return detail::recv_parts(s_, m_, op, true) && completed();
    }
    /// Waits on the loop until the socket is readable.
    void await_suspend(std::coroutine_handle<> h) { yield_or_wait_socket(h, s_, false); }
    /// The message's parts. @throws stopped at a context stop; error as recv_multipart().
    multipart await_resume() {
        rethrow_error();
        return std::move(m_);
    }

private:
    static bool try_now(detail::loop_waiter& w) {
        auto& me = self<recv_multipart_awaiter>(w);
        return detail::recv_parts(me.s_, me.m_, me.op, true);
    }
    socket& s_;
    multipart m_;
};

/// The awaitable of socket::async_send().
/**
 * @par Thread Safety
 * Awaited once, on the thread of the running loop that owns the socket.
 */
class socket::send_awaiter : public detail::loop_op {
public:
    /// Sends `m` on `s` with `flags`.
    send_awaiter(socket& s, message&& m, send_flags flags) noexcept
        : loop_op("co_await async_send", &try_now), s_(s), m_(std::move(m)), flags_(flags) {}
    send_awaiter(const send_awaiter&) = delete;
    send_awaiter& operator=(const send_awaiter&) = delete;
    send_awaiter(send_awaiter&&) = delete;
    send_awaiter& operator=(send_awaiter&&) = delete;
    ~send_awaiter() = default;

    /// Sends at once when libzmq can queue the message.
    bool await_ready() {
        enter();
        return s_.try_send_as(op, m_, flags_) && completed();
    }
    /// Waits on the loop until the socket is writable.
    void await_suspend(std::coroutine_handle<> h) { yield_or_wait_socket(h, s_, true); }
    /// @throws stopped at a context stop; error as try_send().
    void await_resume() { rethrow_error(); }

private:
    static bool try_now(detail::loop_waiter& w) {
        auto& me = self<send_awaiter>(w);
        return me.s_.try_send_as(me.op, me.m_, me.flags_);
    }
    socket& s_;
    message m_;
    send_flags flags_;
};

/// The awaitable of socket::async_send(multipart&&): all parts or none.
/**
 * @par Thread Safety
 * Awaited once, on the thread of the running loop that owns the socket.
 */
class socket::send_multipart_awaiter : public detail::loop_op {
public:
    /// Sends the parts of `m` on `s` as one message.
    send_multipart_awaiter(socket& s, multipart&& m) noexcept
        : loop_op("co_await async_send", &try_now), s_(s), m_(std::move(m)) {}
    send_multipart_awaiter(const send_multipart_awaiter&) = delete;
    send_multipart_awaiter& operator=(const send_multipart_awaiter&) = delete;
    send_multipart_awaiter(send_multipart_awaiter&&) = delete;
    send_multipart_awaiter& operator=(send_multipart_awaiter&&) = delete;
    ~send_multipart_awaiter() = default;

    /// Sends at once when libzmq can take the first part.
    bool await_ready() {
        enter();
        return detail::send_parts(s_, m_, op, true) && completed();
    }
    /// Waits on the loop until the socket is writable.
    void await_suspend(std::coroutine_handle<> h) { yield_or_wait_socket(h, s_, true); }
    /// @throws stopped at a context stop; error as send_multipart().
    void await_resume() { rethrow_error(); }

private:
    static bool try_now(detail::loop_waiter& w) {
        auto& me = self<send_multipart_awaiter>(w);
        return detail::send_parts(me.s_, me.m_, me.op, true);
    }
    socket& s_;
    multipart m_;
};

inline socket::recv_awaiter socket::async_recv() { return recv_awaiter(*this); }
inline socket::recv_reuse_awaiter socket::async_recv(message& m) {
    return recv_reuse_awaiter(*this, m);
}
inline socket::recv_multipart_awaiter socket::async_recv_multipart() {
    return recv_multipart_awaiter(*this);
}
inline socket::send_awaiter socket::async_send(message&& m, send_flags flags) {
    return send_awaiter(*this, std::move(m), flags);
}
inline socket::send_awaiter socket::async_send(const_buffer bytes, send_flags flags) {
    return send_awaiter(*this, message(bytes.data(), bytes.size()), flags);
}
inline socket::send_multipart_awaiter socket::async_send(multipart&& parts) {
    return send_multipart_awaiter(*this, std::move(parts));
}

// ---- mailbox -------------------------------------------------------------------

/// The awaitable of mailbox::async_pop(): gives the oldest value, or an empty
/// optional once the mailbox is closed and empty.
/**
 * @par Thread Safety
 * Awaited once, on the thread of a running loop; producers push from any thread.
 */
template <class T>
class mailbox<T>::pop_awaiter : public detail::loop_op {
public:
    /// Pops from `mb`.
    explicit pop_awaiter(mailbox<T>& mb) noexcept
        : loop_op("co_await async_pop", &try_now), mb_(mb) {}
    pop_awaiter(const pop_awaiter&) = delete;
    pop_awaiter& operator=(const pop_awaiter&) = delete;
    pop_awaiter(pop_awaiter&&) = delete;
    pop_awaiter& operator=(pop_awaiter&&) = delete;
    ~pop_awaiter() = default;

    /// Pops at once when a value is queued (or the mailbox is closed).
    bool await_ready() {
        enter();
        return take() && completed();
    }
    /// Waits on the loop until a value is queued or the mailbox closes.
    void await_suspend(std::coroutine_handle<> h) { yield_or_wait_mailbox(h, mb_.fd()); }
    /// The value; empty once the mailbox is closed (or its context stopping) and empty.
    /// @throws stopped at a stop of the loop's context.
    std::optional<T> await_resume() {
        rethrow_error();
        return std::move(value_);
    }

private:
    bool take() {
        value_ = mb_.try_pop();
        if (value_) return true;
        if (!mb_.closed()) return false;
        value_ = mb_.try_pop();  // closed: nothing can be pushed any more
        return true;
    }
    static bool try_now(detail::loop_waiter& w) { return self<pop_awaiter>(w).take(); }
    mailbox<T>& mb_;
    std::optional<T> value_;
};

template <class T>
typename mailbox<T>::pop_awaiter mailbox<T>::async_pop() {
    return pop_awaiter(*this);
}

// ---- loop ----------------------------------------------------------------------

/// The awaitable of loop::sleep_for().
/**
 * @par Thread Safety
 * Awaited once, by a task that the loop runs, on the loop's thread.
 */
class loop::sleep_awaiter : public detail::loop_op {
public:
    /// Sleeps `d` on `core`.
    sleep_awaiter(detail::loop_core& core, clock::duration d) noexcept
        : loop_op("co_await sleep_for", nullptr), core_(core), d_(d) {}
    sleep_awaiter(const sleep_awaiter&) = delete;
    sleep_awaiter& operator=(const sleep_awaiter&) = delete;
    sleep_awaiter(sleep_awaiter&&) = delete;
    sleep_awaiter& operator=(sleep_awaiter&&) = delete;
    ~sleep_awaiter() = default;

    /// Never ready: even a zero sleep yields to the loop once.
    bool await_ready() {
        if (&enter() != &core_)
            throw zmqraii::error(EINVAL,
                                 "co_await sleep_for: that loop is not the one running on this "
                                 "thread (use zmqraii::this_loop().sleep_for(d))");
        due_ = detail::deadline_after(d_);
        return false;
    }
    /// Waits on the loop's timers (or its ready queue).
    void await_suspend(std::coroutine_handle<> h) {
        wait_until(h, due_, d_ <= clock::duration::zero());
    }
    /// @throws stopped at a stop of the loop's context.
    void await_resume() { rethrow_error(); }

private:
    detail::loop_core& core_;
    clock::duration d_;
    detail::steady_time due_{};
};

inline loop::sleep_awaiter loop::sleep_for(clock::duration d) {
    return sleep_awaiter(core("sleep_for"), d);
}

inline void loop::spawn(task<void> t) {
    detail::loop_core& c = core("spawn");
    if (!t.h_) throw error(EINVAL, "loop spawn: the task is empty (moved from)");
    detail::task_promise<void>& p = t.h_.promise();
    if (p.started) throw error(EINVAL, "loop spawn: the task was started already");
    p.started = true;
    p.root.frame = t.h_.address();
    p.root.destroy = [](detail::loop_root& r) noexcept {
        std::coroutine_handle<>::from_address(r.frame).destroy();
    };
    p.start.frame = t.h_.address();
    p.start.op = "loop spawn";
    p.start.starts_task = true;
    p.start.resume = [](detail::loop_waiter& w) noexcept {
        // w is the promise's task_start, whose frame this is.
        auto& start = static_cast<detail::task_start&>(w);  // NOLINT(*-static-cast-downcast)
        std::coroutine_handle<>::from_address(start.frame).resume();
    };
    c.add_root(p.root);
    c.make_ready(p.start);
    t.h_ = nullptr;  // the loop owns the frame now
}

ZMQRAII_ABI_END
}  // namespace zmqraii

#endif  // ZMQRAII_HAS_COROUTINES

#endif  // ZMQRAII_TASK_HPP_INCLUDED
