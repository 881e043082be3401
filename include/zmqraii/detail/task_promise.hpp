// SPDX-License-Identifier: MIT
// detail/task_promise.hpp: the coroutine machinery under zmqraii::task
// (task.hpp): the promise types, the awaiter of a task, and loop_op, the base
// of every co_await operation of sockets, mailboxes and loops. C++20 only (in a
// C++17 build, ZMQRAII_HAS_COROUTINES is 0, it declares nothing).
#ifndef ZMQRAII_DETAIL_TASK_PROMISE_HPP_INCLUDED
#define ZMQRAII_DETAIL_TASK_PROMISE_HPP_INCLUDED

#include <zmqraii/config.hpp>

#if ZMQRAII_HAS_COROUTINES

#include <zmqraii/detail/loop_core.hpp>
#include <zmqraii/detail/time.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/socket.hpp>

#include <coroutine>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace zmqraii {
ZMQRAII_ABI_BEGIN

template <class T = void>
class task;

ZMQRAII_ABI_END
}  // namespace zmqraii

namespace zmqraii::detail {
ZMQRAII_ABI_BEGIN

template <class T>
struct task_promise;

// What every task's promise holds. A task starts when it is first awaited (or
// spawned). Awaited, it runs inline until it suspends; when it ends while
// still inside that first run (inline_start), the awaiting coroutine just goes
// on: no recursion grows with a loop of tasks that complete at once, whatever
// the compiler does with symmetric transfer (g++ 12 without optimization does
// not make it a tail call). When it ends later, resumed by the loop, it
// transfers to the awaiting coroutine.
struct task_promise_base {
    std::coroutine_handle<> continuation;
    std::exception_ptr error;
    bool started = false;
    bool inline_start = false;
    bool finished_inline = false;

    std::suspend_always initial_suspend() const noexcept { return {}; }
    void unhandled_exception() noexcept { error = std::current_exception(); }
};

struct task_final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) const noexcept {
        P& p = h.promise();
        if (p.inline_start) {
            p.finished_inline = true;
            return std::noop_coroutine();
        }
        if (p.continuation) return p.continuation;
        if constexpr (std::is_void_v<typename P::value_type>) p.finish_root();
        return std::noop_coroutine();
    }
    void await_resume() const noexcept {}
};

template <class T>
struct task_promise : task_promise_base {
    using value_type = T;
    std::optional<T> value;

    task<T> get_return_object() noexcept;
    task_final_awaiter final_suspend() const noexcept { return {}; }
    template <class U = T, std::enable_if_t<std::is_convertible_v<U&&, T>, int> = 0>
    void return_value(U&& v) {
        value.emplace(std::forward<U>(v));
    }
    T result() {
        if (error) std::rethrow_exception(error);
        return std::move(*value);
    }
};

// The start of a spawned task, in the loop's ready queue.
struct task_start : loop_waiter {
    void* frame = nullptr;
};

template <>
struct task_promise<void> : task_promise_base {
    using value_type = void;
    loop_root root;
    task_start start;

    task<void> get_return_object() noexcept;
    task_final_awaiter final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    void result() const {
        if (error) std::rethrow_exception(error);
    }

    // A spawned task ended: report what escaped it, and let the loop free it.
    void finish_root() noexcept {
        if (root.core == nullptr) return;
        if (error) report_escaped(error);
        root.core->root_finished(root);
    }

    static void report_escaped(const std::exception_ptr& e) noexcept {
        try {
            std::rethrow_exception(e);
        } catch (const zmqraii::stopped&) {
            // The normal end of a task at a context stop.
        } catch (const std::exception& x) {
            report(std::string("loop: an exception escaped a spawned task: ") + x.what());
        } catch (...) {
            report("loop: an exception (not a std::exception) escaped a spawned task");
        }
    }
    static void report(const char* text) noexcept { report_diagnostic(severity::report, text); }
    static void report(std::string&& text) noexcept {
        report_diagnostic(severity::report, std::move(text));
    }
};

template <class T>
class task_awaiter {
public:
    explicit task_awaiter(std::coroutine_handle<task_promise<T>> h) noexcept : h_(h) {}
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> awaiting) {
        if (!h_) throw error(EINVAL, "co_await on an empty task (moved from)");
        task_promise<T>& p = h_.promise();
        if (p.started)
            throw error(EINVAL, "co_await on a task that was started already (a task runs once)");
        p.started = true;
        p.continuation = awaiting;
        p.inline_start = true;
        h_.resume();
        p.inline_start = false;
        return !p.finished_inline;
    }
    T await_resume() { return h_.promise().result(); }

private:
    std::coroutine_handle<task_promise<T>> h_;
};

// The part every operation shares: the running loop, and the waiter that the
// loop resumes. An operation that completes without blocking does not suspend
// (but yields once every loop_core::max_burst in a row).
class loop_op : protected loop_waiter {
protected:
    // `attempt_fn` completes the operation when the loop finds its source ready
    // (null for operations that wait for time only).
    loop_op(const char* name, bool (*attempt_fn)(loop_waiter&)) noexcept
        : loop_waiter(attempt_fn, &resume_handle, name) {}

    // The awaiter whose base `w` is (each awaiter sets its own attempt function).
    template <class Awaiter>
    static Awaiter& self(loop_waiter& w) noexcept {
        return static_cast<Awaiter&>(w);  // NOLINT(cppcoreguidelines-pro-type-static-cast-downcast)
    }

    // In await_ready: the loop that runs on this thread (error when none).
    loop_core& enter() {
        loop_ = &loop_core::current(op);
        loop_->check_not_stopped(op);
        return *loop_;
    }

    // In await_ready, after the operation completed at once.
    bool completed() noexcept {
        done_ = true;
        return loop_->burst();
    }

    // In await_suspend: yield (done already), or wait until the socket is ready.
    void yield_or_wait_socket(std::coroutine_handle<> h, socket& s, bool write) {
        handle_ = h;
        if (done_)
            loop_->make_ready(*this);
        else
            loop_->wait_socket(s, *this, write);
    }

    // The same for a mailbox's descriptor.
    void yield_or_wait_mailbox(std::coroutine_handle<> h, int fd) {
        handle_ = h;
        if (done_)
            loop_->make_ready(*this);
        else
            loop_->wait_fd(fd, *this, true);
    }

    // In await_suspend: resume at `due` (from the ready queue when `yield`).
    void wait_until(std::coroutine_handle<> h, steady_time due, bool yield) {
        handle_ = h;
        if (yield)
            loop_->make_ready(*this);
        else
            loop_->wait_until(*this, due);
    }

    void rethrow_error() {
        if (error) std::rethrow_exception(std::exchange(error, nullptr));
    }

private:
    static void resume_handle(loop_waiter& w) noexcept { self<loop_op>(w).handle_.resume(); }

    loop_core* loop_ = nullptr;
    std::coroutine_handle<> handle_;
    bool done_ = false;
};

ZMQRAII_ABI_END
}  // namespace zmqraii::detail

#endif  // ZMQRAII_HAS_COROUTINES

#endif  // ZMQRAII_DETAIL_TASK_PROMISE_HPP_INCLUDED
