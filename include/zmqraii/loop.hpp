// SPDX-License-Identifier: MIT
/// @file loop.hpp
/// zmqraii::loop: the event loop of one owner thread: readiness handlers for its
/// sockets, raw descriptors and mailboxes, timers, and functions posted from
/// other threads. With C++20, zmqraii/task.hpp adds coroutines on top of it.
#ifndef ZMQRAII_LOOP_HPP_INCLUDED
#define ZMQRAII_LOOP_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/context.hpp>
#include <zmqraii/detail/loop_core.hpp>
#include <zmqraii/detail/owner.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/mailbox.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/multipart.hpp>
#include <zmqraii/socket.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

namespace zmqraii {
ZMQRAII_ABI_BEGIN

#if ZMQRAII_HAS_COROUTINES
template <class T>
class task;
#endif

/// One thread's event loop: many sockets, timers and hand-ins from other threads.
/**
 * @code
 * zmqraii::loop loop(ctx);
 * loop.on_readable(jobs, [&] { work(jobs.recv()); });   // once per message
 * loop.every(std::chrono::seconds(1), [&] { heartbeat(); });
 * auto t = loop.after(std::chrono::seconds(5), [&] { loop.stop(); });
 * loop.run();                                           // until loop.stop()
 * @endcode
 *
 * A socket's owner thread is exactly an event loop's thread: the loop belongs to
 * the thread that creates it, and every socket it serves must belong to that
 * thread too. Handlers, timers, posted functions and (C++20) coroutines all run
 * on it, inside run().
 *
 * @par One iteration of run()
 * zmq_poll waits on every registered socket and descriptor until the earliest
 * timer is due; then, in order: functions posted from other threads; each ready
 * source (the coroutines waiting on it, then its handler); the timers that were
 * due; the coroutines that are ready to go on. A socket handler is called again
 * while its socket stays readable (libzmq's ZMQ_EVENTS), so a handler that
 * receives one message per call drains the socket before the next poll: a busy
 * socket costs no poll per message. A descriptor's handler is called once per
 * iteration in which it is readable. docs/loop-and-coroutines.md draws it.
 *
 * @par Handlers
 * Handlers may register and remove handlers (their own included), add and
 * cancel timers, post() and stop(). A handler must not call run(), nor move or
 * destroy the loop. An exception from a handler, a timer or a posted function
 * leaves run() at once; the loop stays consistent, and run() may be called again.
 * Sockets and mailboxes are held by reference: they must stay alive and in place
 * while registered (remove() them first).
 *
 * @par Timers
 * after() and every() return a loop::timer for cancel(). Timers run in deadline
 * order (equal deadlines in the order they were added), never earlier than due;
 * a periodic timer that falls behind skips the periods it missed rather than
 * running them in a burst.
 *
 * @par Stop
 * stop() (any thread) ends run() once the handler that is running returns.
 * When the context stops, run() throws zmqraii::stopped, as every blocking call
 * does (even when the loop waits only on timers: it keeps an idle socket of its
 * own in the context for that), and every coroutine suspended in an operation
 * resumes by throwing stopped. Let it unwind: the sockets close as their owners
 * go, which is what the stop waits for.
 *
 * @par Thread Safety
 * Owned by the thread that constructed it: every member function but post(),
 * stop() and owner() throws zmqraii::wrong_thread on another thread (compiled
 * out by ZMQRAII_THREAD_CHECKS=0). post() and stop() may be called from any
 * thread, concurrently, while the loop lives and is not being moved. The
 * destructor runs on the owner thread (or once the owner has exited): it
 * destroys the coroutine frames of tasks that are still alive.
 */
class loop {
public:
    /// A handler: called on the loop's thread.
    using handler = std::function<void()>;
    /// The loop's clock: timers use steady time.
    using clock = std::chrono::steady_clock;

    /// A timer of after() or every(), for cancel(). A value; the default one is no timer.
    class timer {
    public:
        /// No timer.
        timer() noexcept = default;
        /// True for a timer that after() or every() returned (pending or not).
        explicit operator bool() const noexcept { return id_ != 0; }
        /// Equal when both name the same timer.
        friend bool operator==(timer a, timer b) noexcept { return a.id_ == b.id_; }
        /// Not equal when they name different timers.
        friend bool operator!=(timer a, timer b) noexcept { return a.id_ != b.id_; }

    private:
        friend class loop;
        explicit timer(std::uint64_t id) noexcept : id_(id) {}
        std::uint64_t id_ = 0;
    };

    /// A loop owned by the calling thread, serving sockets of `ctx`.
    /**
     * @param ctx the context whose stop ends run() (with zmqraii::stopped). The
     *   loop keeps one idle socket in it, named "zmqraii::loop ...".
     * @param site where the loop is created (filled in by default), for reports.
     * @throws stopped when `ctx` is stopping; error when no socket or eventfd is left.
     */
    explicit loop(context& ctx, detail::source_site site = {})
        : core_(std::make_unique<detail::loop_core>(ctx, site)) {}

    loop(const loop&) = delete;
    loop& operator=(const loop&) = delete;
    /// Takes over `other`'s state (not while either runs); `other` becomes empty.
    loop(loop&&) noexcept = default;
    /// Destroys this loop's state (as the destructor does), then takes over `other`'s.
    loop& operator=(loop&& other) noexcept {
        if (this != &other) {
            destroy();
            core_ = std::move(other.core_);
        }
        return *this;
    }

    /// Destroys the frames of tasks still alive (their sockets close), drops
    /// handlers, timers and posted functions that did not run.
    /**
     * On a thread that does not own the loop while the owner lives, it touches
     * nothing and reports a fatal diagnostic (the default handler aborts), as a
     * socket's destructor does.
     */
    ~loop() { destroy(); }

    // ---- readiness ------------------------------------------------------------

    /// Calls `fn` on the loop's thread while `s` is readable.
    /**
     * Three kinds of handler, told apart by what `fn` takes:
     * - `fn()`: a readiness handler. It receives by itself (`s.recv()` does not
     *   block there; a loop of `s.try_recv()` takes everything that is there).
     *   The loop calls it again as long as libzmq says the socket is readable
     *   (one ZMQ_EVENTS query per call) before it polls again.
     * - `fn(zmqraii::message&)` (or `message&&`): the loop receives each part
     *   for it with try_recv(), into one reused message, until none is left.
     * - `fn(zmqraii::multipart&&)`: the loop receives whole messages for it
     *   (all their parts, as recv_multipart()), until none is left.
     *
     * A busy socket costs no poll per message: the loop drains it first, up to
     * 256 calls per iteration so that its other sources and timers get their
     * turn.
     * @throws wrong_thread when the loop or `s` belongs to another thread;
     *   stopped when s's context is stopping; error ENOTSOCK for a closed socket,
     *   EINVAL for an empty handler, a socket that has a handler already, or one
     *   that coroutines are waiting to receive from.
     */
    template <class Fn>
    void on_readable(socket& s, Fn fn) {
        detail::loop_core& c = core("on_readable");
        if (detail::is_empty_callable(fn)) throw_empty_handler(s);
        constexpr const char* op = "loop on_readable";
        if constexpr (std::is_invocable_v<Fn&, multipart&&>) {
            c.add_handler(
                s,
                [&s, f = std::move(fn)]() mutable {
                    multipart m;
                    if (!detail::recv_parts(s, m, "loop on_readable", true)) return false;
                    f(std::move(m));
                    return true;
                },
                detail::handler_mode::until_empty, op);
        } else if constexpr (std::is_invocable_v<Fn&, message&> ||
                             std::is_invocable_v<Fn&, message&&>) {
            c.add_handler(
                s,
                [&s, f = std::move(fn), m = message()]() mutable {
                    if (!s.try_recv(m)) return false;
                    if constexpr (std::is_invocable_v<Fn&, message&>)
                        f(m);
                    else
                        f(std::move(m));
                    return true;
                },
                detail::handler_mode::until_empty, op);
        } else {
            static_assert(std::is_invocable_v<Fn&>,
                          "loop::on_readable(socket&, fn): fn takes nothing, a zmqraii::message& "
                          "(or &&) or a zmqraii::multipart&&");
            c.add_handler(
                s,
                [f = std::move(fn)]() mutable {
                    f();
                    return true;
                },
                detail::handler_mode::while_readable, op);
        }
    }

    /// Calls `fn` once per iteration in which the descriptor `fd` is readable.
    /// @throws error EBADF for a negative descriptor, EINVAL for an empty handler
    ///   or a descriptor that has a handler already.
    void on_readable(int fd, handler fn) {
        detail::loop_core& c = core("on_readable");
        if (!fn) c.add_handler(fd, nullptr, false, "loop on_readable");  // throws EBADF or EINVAL
        c.add_handler(
            fd,
            [f = std::move(fn)] {
                f();
                return true;
            },
            false, "loop on_readable");
    }

    /// Calls `fn(T&&)` on the loop's thread for the values pushed into `mb`.
    /**
     * Any thread may push; each readiness drains the values that were queued
     * when it started (a bounded batch, so a busy producer cannot starve the
     * loop's other sources). `fn` may also take no argument: it is then called
     * once per readiness and pops by itself.
     * @throws error EINVAL for a mailbox that has a handler already or a
     *   moved-from one.
     */
    template <class T, class Fn>
    void on_readable(mailbox<T>& mb, Fn fn) {
        static_assert(std::is_invocable_v<Fn&, T&&> || std::is_invocable_v<Fn&>,
                      "loop::on_readable(mailbox<T>&, fn): fn takes a T&& (or nothing)");
        detail::loop_core& c = core("on_readable");
        const int fd = mb.fd();
        constexpr const char* op = "loop on_readable (mailbox)";
        if (detail::is_empty_callable(fn)) c.add_handler(fd, nullptr, true, op);  // throws EINVAL
        if constexpr (std::is_invocable_v<Fn&, T&&>) {
            c.add_handler(
                fd,
                [m = &mb, f = std::move(fn)]() mutable {
                    for (std::size_t n = m->size(); n > 0; --n) {
                        std::optional<T> v = m->try_pop();
                        if (!v) break;
                        f(std::move(*v));
                    }
                    return true;
                },
                true, op);
        } else {
            c.add_handler(
                fd,
                [f = std::move(fn)]() mutable {
                    f();
                    return true;
                },
                true, op);
        }
    }

    /// Removes the handler of `s` (compared by address, so it may be closed
    /// already). Safe from inside a handler, its own included.
    /// @throws error EINVAL when `s` has no handler.
    void remove(socket& s) {
        if (!core("remove").remove_handler(s))
            throw error(EINVAL, "loop remove: this socket has no handler");
    }
    /// Removes the handler of a descriptor. @throws error EINVAL when it has none.
    void remove(int fd) {
        if (!core("remove").remove_handler(fd))
            throw error(EINVAL, "loop remove fd " + std::to_string(fd) + ": it has no handler");
    }
    /// Removes the handler of a mailbox. @throws error EINVAL when it has none.
    template <class T>
    void remove(mailbox<T>& mb) {
        if (!core("remove").remove_handler(mb.fd()))
            throw error(EINVAL, "loop remove: this mailbox has no handler");
    }

    /// True when `s` has a handler.
    bool contains(const socket& s) const { return core("contains").has_handler(s); }
    /// True when the descriptor `fd` (or the mailbox whose fd() it is) has a handler.
    bool contains(int fd) const { return core("contains").has_handler(fd); }

    // ---- timers ---------------------------------------------------------------

    /// Calls `fn` once, on the loop's thread, `delay` from now.
    /// @throws error EINVAL for an empty function.
    timer after(clock::duration delay, handler fn) {
        detail::loop_core& c = core("after");
        if (!fn) throw error(EINVAL, "loop after: the function is empty");
        return timer(c.add_timer(delay, clock::duration::zero(), std::move(fn)));
    }

    /// Calls `fn` every `period`, on the loop's thread, first `period` from now.
    /// @throws error EINVAL for an empty function or a period that is not positive.
    timer every(clock::duration period, handler fn) {
        detail::loop_core& c = core("every");
        if (!fn) throw error(EINVAL, "loop every: the function is empty");
        if (period <= clock::duration::zero())
            throw error(EINVAL, "loop every: the period must be positive");
        return timer(c.add_timer(period, period, std::move(fn)));
    }

    /// Cancels a timer. Safe from inside any handler, the timer's own included.
    /// @return false when the timer had run (one-shot) or was cancelled already.
    bool cancel(timer t) { return core("cancel").cancel_timer(t.id_); }

    // ---- any thread -------------------------------------------------------------

    /// Runs `fn` on the loop's thread, in the next iteration of run(). Any thread.
    /**
     * Functions run in the order they were posted. Posted before run() (or
     * while it is not running), they wait for the next run().
     * @throws error EINVAL for an empty function, EFAULT on a moved-from loop.
     */
    void post(handler fn) { any_thread_core("post").post(std::move(fn)); }

    /// Makes run() return: the current one once the handler that is running
    /// returns, or the next one at once. Any thread; idempotent.
    /// @throws error EFAULT on a moved-from loop.
    void stop() { any_thread_core("stop").request_stop(); }

    // ---- running ----------------------------------------------------------------

    /// Runs handlers, timers, posted functions and coroutines until stop().
    /**
     * @throws stopped when the loop's context stops (after every suspended
     *   coroutine has resumed with stopped), and on every later call; whatever a
     *   handler, a timer or a posted function throws; error EINVAL when called
     *   from inside the loop; error naming a registered socket that was closed
     *   while it had a handler.
     */
    void run() {
        detail::loop_core& c = core("run");
        struct current {
            detail::loop_core* core;
            loop* facade;
            current(detail::loop_core* c, loop* l) noexcept
                : core(std::exchange(detail::running_core, c)),
                  facade(std::exchange(detail::running_loop, l)) {}
            current(const current&) = delete;
            current& operator=(const current&) = delete;
            current(current&&) = delete;
            current& operator=(current&&) = delete;
            ~current() {
                detail::running_core = core;
                detail::running_loop = facade;
            }
        } scope(&c, this);
        c.run();
    }

    /// True while run() runs (on the owner thread).
    bool running() const { return core("running").running(); }

    /// Number of registered handlers (sockets, descriptors, mailboxes).
    std::size_t size() const { return core("size").handler_count(); }
    /// Number of pending timers of after() and every().
    std::size_t timers() const { return core("timers").timer_count(); }

    /// The owner thread's id (a default id for a moved-from loop). Any thread.
    std::thread::id owner() const noexcept { return core_ ? core_->owner_id() : std::thread::id(); }

    /// False for a moved-from loop.
    explicit operator bool() const noexcept { return core_ != nullptr; }

#if ZMQRAII_HAS_COROUTINES
    // ---- coroutines (C++20; defined in zmqraii/task.hpp) ----------------------

    /// The awaitable of sleep_for().
    class sleep_awaiter;

    /// Starts `t` on this loop: it runs inside run(), from the next iteration.
    /**
     * The loop owns the task's frame: a task that ends is freed at once, and
     * the loop's destructor destroys the frames of tasks still suspended. An
     * exception that escapes the task is reported through the diagnostic
     * handler (severity::report), except zmqraii::stopped, the normal end of a
     * task at a context stop.
     * @throws error EINVAL for an empty task or one that was started already.
     */
    void spawn(task<void> t);

    /// `co_await loop.sleep_for(d)`: resumes the calling coroutine `d` from now
    /// (at the next iteration for zero or less). Throws stopped at a stop.
    sleep_awaiter sleep_for(clock::duration d);

    /// Number of spawned tasks that have not ended yet.
    std::size_t tasks() const { return core("tasks").task_count(); }
#endif

private:
    [[noreturn]] static void throw_empty_handler(const socket& s) {
        throw error(EINVAL, "loop on_readable " + s.describe() + ": the handler is empty");
    }

    detail::loop_core& core(const char* op) const {
        if (!core_)
            throw error(EFAULT, std::string("loop ") + op + " on an empty (moved-from) loop");
        core_->check(op);
        return *core_;
    }

    detail::loop_core& any_thread_core(const char* op) const {
        if (!core_)
            throw error(EFAULT, std::string("loop ") + op + " on an empty (moved-from) loop");
        return *core_;
    }

    void destroy() noexcept {
        if (!core_) return;
        bool mine = false;
        try {
            mine = core_->on_owner_thread() || !core_->owner_alive();
        } catch (...) {
            mine = !core_->owner_alive();
        }
        if (!mine) {
            report_diagnostic(severity::fatal,
                              "loop destroyed on the wrong thread: its owner thread is alive; "
                              "zmqraii left it alone (its tasks and sockets belong to the owner). "
                              "Destroy a loop on the thread that created it.");
            detail::abandon(std::move(core_));  // a handler that returns: kept, never touched
            return;
        }
        core_.reset();
    }

    std::unique_ptr<detail::loop_core> core_;
};

/// The loop running on the calling thread (inside its run()).
/// @throws error EINVAL when no loop is running on this thread.
inline loop& this_loop() {
    loop* l = detail::running_loop;
    if (l == nullptr)
        throw error(EINVAL,
                    "this_loop: no zmqraii::loop is running on this thread (this_loop() works "
                    "inside handlers, timers, posted functions and tasks of a running loop)");
    return *l;
}

static_assert(!std::is_copy_constructible_v<loop>, "loop is move-only");
static_assert(std::is_nothrow_move_constructible_v<loop> && std::is_nothrow_move_assignable_v<loop>,
              "loop moves without throwing");

ZMQRAII_ABI_END
}  // namespace zmqraii

#endif  // ZMQRAII_LOOP_HPP_INCLUDED
