// SPDX-License-Identifier: MIT
// detail/loop_waiter.hpp: the parts of a zmqraii::loop that its coroutines and
// handlers are made of (loop.hpp, task.hpp, detail/loop_core.hpp):
//   - loop_waiter: something suspended on a loop, an intrusive node that lives
//     in a coroutine frame (waiting allocates nothing; a frame destroyed while
//     it waits unlinks itself), and waiter_list, a FIFO of them;
//   - loop_handler: a move-only handler, and the modes a loop calls one in;
//   - loop_source: a socket or descriptor the loop polls, with its handler and
//     its waiters; loop_root: a spawned task's frame, owned by the loop.
#ifndef ZMQRAII_DETAIL_LOOP_WAITER_HPP_INCLUDED
#define ZMQRAII_DETAIL_LOOP_WAITER_HPP_INCLUDED

#include <zmqraii/config.hpp>

#include <zmq.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

namespace zmqraii {
ZMQRAII_ABI_BEGIN

class socket;

ZMQRAII_ABI_END
namespace detail {
ZMQRAII_ABI_BEGIN

class loop_core;
struct loop_source;

/// Something suspended on a loop: a coroutine's awaiter, mostly. The awaiter
/// fills in attempt (for operations that need a ready source), resume and op.
// NOLINTBEGIN(cppcoreguidelines-pro-type-member-init): the link fields are
// written when the loop links the waiter (see below).
struct loop_waiter {
    enum class place : unsigned char { none, readers, writers, timer, ready };

    /// Completes the operation if it can now (receive, send, pop): true when
    /// done. An exception it throws is delivered to the waiter. Null for
    /// timers and the ready queue.
    bool (*attempt)(loop_waiter&) = nullptr;
    /// Resumes whoever waits, once the operation completed or failed (`error`).
    void (*resume)(loop_waiter&) noexcept = nullptr;
    /// The operation's name, for errors ("co_await async_recv").
    const char* op = "";
    /// Set when the operation failed (a stop: zmqraii::stopped).
    std::exception_ptr error;
    /// The start of a spawned task (in the ready queue): not failed at a stop.
    bool starts_task = false;

    // Where it is linked, set by the loop when it links the waiter (an
    // operation that completes at once never is, and pays for none of them).
    loop_core* core = nullptr;  // null while not linked
    loop_source* source;
    loop_waiter* prev;
    loop_waiter* next;
    std::uint64_t timer;
    place at;

    loop_waiter() = default;
    loop_waiter(bool (*attempt_fn)(loop_waiter&), void (*resume_fn)(loop_waiter&) noexcept,
                const char* name) noexcept
        : attempt(attempt_fn), resume(resume_fn), op(name) {}
    loop_waiter(const loop_waiter&) = delete;
    loop_waiter& operator=(const loop_waiter&) = delete;
    loop_waiter(loop_waiter&&) = delete;
    loop_waiter& operator=(loop_waiter&&) = delete;
    ~loop_waiter();  // unlinks a waiter that is still registered
};
// NOLINTEND(cppcoreguidelines-pro-type-member-init)

/// A FIFO list of waiters (intrusive).
class waiter_list {
public:
    bool empty() const noexcept { return head_ == nullptr; }
    std::size_t size() const noexcept { return size_; }
    loop_waiter* front() const noexcept { return head_; }
    void push_back(loop_waiter& w) noexcept {
        w.prev = tail_;
        w.next = nullptr;
        if (tail_ != nullptr)
            tail_->next = &w;
        else
            head_ = &w;
        tail_ = &w;
        ++size_;
    }
    void erase(loop_waiter& w) noexcept {
        if (w.prev != nullptr)
            w.prev->next = w.next;
        else
            head_ = w.next;
        if (w.next != nullptr)
            w.next->prev = w.prev;
        else
            tail_ = w.prev;
        w.prev = w.next = nullptr;
        --size_;
    }

private:
    loop_waiter* head_ = nullptr;
    loop_waiter* tail_ = nullptr;
    std::size_t size_ = 0;
};

/// How the loop calls a source's handler when the source is ready.
enum class handler_mode : unsigned char {
    once,            // once per iteration (descriptors, mailboxes: they drain a batch)
    while_readable,  // again while the socket stays readable (ZMQ_EVENTS)
    until_empty,     // again while it returns true (it received a message)
};

/// A source's handler: returns true when it may be called again at once
/// (until_empty: it received and handled a message; the other modes ignore
/// it). Move-only, unlike std::function, so that a handler may own a message.
class loop_handler {
public:
    loop_handler() noexcept = default;
    loop_handler(std::nullptr_t) noexcept {}  // NOLINT(google-explicit-constructor)
    template <class F, std::enable_if_t<!std::is_same_v<std::decay_t<F>, loop_handler> &&
                                            !std::is_same_v<std::decay_t<F>, std::nullptr_t>,
                                        int> = 0>
    loop_handler(
        F&& f)  // NOLINT(google-explicit-constructor,bugprone-forwarding-reference-overload)
        : fn_(std::make_unique<holder<std::decay_t<F>>>(std::forward<F>(f))) {}

    explicit operator bool() const noexcept { return fn_ != nullptr; }
    bool operator()() { return fn_->call(); }

private:
    struct callable {
        callable() = default;
        callable(const callable&) = delete;
        callable& operator=(const callable&) = delete;
        callable(callable&&) = delete;
        callable& operator=(callable&&) = delete;
        virtual ~callable() = default;
        virtual bool call() = 0;
    };
    template <class F>
    struct holder final : callable {
        explicit holder(F&& x) : f(std::move(x)) {}
        explicit holder(const F& x) : f(x) {}
        bool call() override { return f(); }
        F f;
    };
    std::unique_ptr<callable> fn_;
};

template <class F>
struct is_std_function : std::false_type {};
template <class Sig>
struct is_std_function<std::function<Sig>> : std::true_type {};

/// True for a handler that holds nothing: an empty std::function, a null pointer.
template <class F>
bool is_empty_callable(const F& f) noexcept {
    if constexpr (is_std_function<F>::value)
        return !f;
    else if constexpr (std::is_pointer_v<F> || std::is_member_pointer_v<F>)
        return f == nullptr;
    else
        return false;
}

/// A socket or descriptor the loop polls: its handler and its waiters.
struct loop_source {
    socket* sock = nullptr;  // null for a descriptor
    int fd = -1;
    loop_handler handler;  // on_readable
    handler_mode mode = handler_mode::once;
    bool mailbox = false;          // a mailbox's descriptor (see wait_fd)
    bool drop_after_call = false;  // removed by itself: dropped once its call returns
    waiter_list readers;           // waiting for ZMQ_POLLIN
    waiter_list writers;           // waiting for ZMQ_POLLOUT

    bool has_handler() const noexcept { return handler && !drop_after_call; }
    short events() const noexcept {
        short ev = 0;
        if (has_handler() || !readers.empty()) ev |= ZMQ_POLLIN;
        if (!writers.empty()) ev |= ZMQ_POLLOUT;
        return ev;
    }
    bool idle() const noexcept { return events() == 0; }
};

/// A coroutine frame the loop owns (a task given to loop::spawn). Intrusive,
/// in the frame's promise.
struct loop_root {
    loop_root* prev = nullptr;
    loop_root* next = nullptr;
    loop_core* core = nullptr;
    void* frame = nullptr;                           // the coroutine frame's address
    void (*destroy)(loop_root&) noexcept = nullptr;  // destroys the frame (and this node)
    bool finished = false;
};

ZMQRAII_ABI_END
}  // namespace detail
}  // namespace zmqraii

#endif  // ZMQRAII_DETAIL_LOOP_WAITER_HPP_INCLUDED
