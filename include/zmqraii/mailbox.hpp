// SPDX-License-Identifier: MIT
/// @file mailbox.hpp
/// zmqraii::mailbox<T>: hand values from any thread to the thread that owns a
/// socket, and wake that thread's poller.
///
/// A socket belongs to one thread. When other threads have something for it to
/// send (a reply computed on a pool thread, a command from a GUI thread), they
/// push it into a mailbox; the owner thread polls the mailbox's file descriptor
/// beside its sockets and sends. The mailbox is a bounded FIFO queue guarded by a
/// mutex, with an eventfd (a pipe where eventfd does not exist) that is readable
/// exactly while the queue holds something.
#ifndef ZMQRAII_MAILBOX_HPP_INCLUDED
#define ZMQRAII_MAILBOX_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/context.hpp>
#include <zmqraii/detail/platform.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/poller.hpp>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace zmqraii {

/// A push into a mailbox that was closed.
/**
 * Thrown by mailbox::push(), try_push() and push_for() once close() was called,
 * including to a producer that was blocked in push() when the mailbox closed. The
 * value the producer tried to push is left unchanged. code() is EPIPE.
 */
class mailbox_closed : public error {
public:
    /// @param what_arg the operation, e.g. "mailbox push: mailbox is closed".
    explicit mailbox_closed(const std::string& what_arg) : error(EPIPE, what_arg) {}
};

ZMQRAII_ABI_BEGIN

/// A bounded queue that any thread pushes into and a socket's owner thread
/// drains, with a file descriptor that wakes the owner's poller.
/**
 * Typical use: the thread that owns a socket registers the mailbox with its
 * poller (add_to(), or poller::add(fd(), poll_events::in, ...)); other threads
 * push(); the owner's handler pops and sends on the socket it owns. `T` is any
 * movable type: a message, a multipart, a struct with a routing id and a reply.
 *
 * @par Order
 * One FIFO queue: values leave in the order they entered, so the values of each
 * producer arrive in the order that producer pushed them.
 *
 * @par Back-pressure (bounded capacity)
 * The mailbox holds at most capacity() values. push() blocks the producer until
 * there is room, the mailbox is closed (throws mailbox_closed) or its context
 * stops (throws stopped). try_push() never blocks: it returns false when full.
 * push_for() blocks at most a timeout, then returns false. A push that fails
 * leaves the value with the caller.
 *
 * @par Close and stop: nothing is silently lost
 * close() refuses further pushes (mailbox_closed) and wakes producers blocked in
 * push() with mailbox_closed. Values already queued stay: the consumer drains them
 * with try_pop() or pop() after close. pop() returns an empty optional only once
 * the mailbox is closed and empty. The destructor reports (diagnostic handler,
 * severity::report) values that nobody popped; clear() discards them explicitly.
 *
 * @par Tied to a context, or not
 * A mailbox made with `mailbox(ctx, capacity)` is tied to `ctx`: once the context
 * is stopping, pushes throw zmqraii::stopped, producers blocked in push() and
 * consumers blocked in pop() wake (within 10 ms: a context has no stop callback,
 * so a tied mailbox re-checks the context while it waits), and queued values stay
 * for the consumer to drain, as after close(). Tie a mailbox when its producers
 * or consumers own sockets: then context::stop(), which waits for their sockets,
 * cannot be held up by a thread blocked in the mailbox. The context must outlive
 * the mailbox and must not be moved while the mailbox is in use (the usual
 * layout, a context in main() declared before everything else, does both). An
 * untied mailbox (`mailbox(capacity)`) is a plain queue: only close() ends it.
 *
 * @par Thread Safety
 * Every member function may be called from any thread, concurrently: push from
 * many producers, pop from one or several consumers. The object must not be
 * moved or destroyed while another thread uses it; declare it before the threads
 * that use it and join them before it goes. A mailbox registered with a poller
 * must be removed (remove_from()) or outlived by the poller's last wait().
 */
template <class T>
class mailbox {
    static_assert(std::is_move_constructible_v<T>, "mailbox<T> needs a movable T");

public:
    /// The capacity of a mailbox made without one (libzmq's default HWM).
    static constexpr std::size_t default_capacity = 1000;

    /// An untied mailbox of `capacity` values.
    /// @throws error EINVAL when capacity is 0; error when no eventfd/pipe is left.
    explicit mailbox(std::size_t capacity = default_capacity)
        : state_(std::make_unique<state>(capacity, nullptr)) {}

    /// A mailbox tied to `ctx`: the context's stop ends it (see the class notes).
    /// @throws as mailbox(capacity); stopped when ctx is stopping already.
    explicit mailbox(const context& ctx, std::size_t capacity = default_capacity)
        : state_(std::make_unique<state>(capacity, &ctx)) {
        if (ctx.stopping()) throw stopped("mailbox create: context is stopping");
    }

    mailbox(const mailbox&) = delete;
    mailbox& operator=(const mailbox&) = delete;
    /// Takes over `other`'s queue; `other` becomes empty (every use throws).
    mailbox(mailbox&&) noexcept = default;
    /// Reports this mailbox's undelivered values (as the destructor does), then
    /// takes over `other`'s queue.
    mailbox& operator=(mailbox&& other) noexcept {
        if (this != &other) {
            report_leftovers();
            state_ = std::move(other.state_);
        }
        return *this;
    }

    /// Reports, through the diagnostic handler, values that were never popped.
    ~mailbox() { report_leftovers(); }

    // ---- producers ------------------------------------------------------------

    /// Appends `value`, blocking while the mailbox is full.
    /**
     * @throws mailbox_closed once close() was called (also when it is called
     *   while this push waits); stopped once a tied context is stopping. On a
     *   throw `value` is unchanged.
     */
    void push(T&& value) {
        state& s = get("push");
        std::unique_lock<std::mutex> lock(s.mutex);
        for (;;) {
            s.check_open_locked("push");
            if (s.queue.size() < s.capacity) break;
            s.wait_locked(s.not_full, lock, never());
        }
        s.enqueue_locked(std::move(value));
    }

    /// Appends `value` when there is room. @return false when full (`value` unchanged).
    /// @throws mailbox_closed, stopped as push(); never blocks.
    [[nodiscard]] bool try_push(T&& value) {
        state& s = get("try_push");
        std::lock_guard<std::mutex> lock(s.mutex);
        s.check_open_locked("try_push");
        if (s.queue.size() >= s.capacity) return false;
        s.enqueue_locked(std::move(value));
        return true;
    }

    /// Appends `value`, waiting at most `timeout` for room.
    /// @return false when the mailbox stayed full (`value` unchanged).
    /// @throws mailbox_closed, stopped as push().
    template <class Rep, class Period>
    [[nodiscard]] bool push_for(T&& value, std::chrono::duration<Rep, Period> timeout) {
        state& s = get("push_for");
        const auto deadline = deadline_after(timeout);
        std::unique_lock<std::mutex> lock(s.mutex);
        for (;;) {
            s.check_open_locked("push_for");
            if (s.queue.size() < s.capacity) break;
            if (std::chrono::steady_clock::now() >= deadline) return false;
            s.wait_locked(s.not_full, lock, deadline);
        }
        s.enqueue_locked(std::move(value));
        return true;
    }

    // ---- consumers ------------------------------------------------------------

    /// Takes the oldest value without blocking; works after close() too.
    /// @return an empty optional when the mailbox is empty.
    [[nodiscard]] std::optional<T> try_pop() {
        state& s = get("try_pop");
        std::lock_guard<std::mutex> lock(s.mutex);
        return s.dequeue_locked();
    }

    /// Takes the oldest value, blocking while the mailbox is empty and open.
    /**
     * @return the value; an empty optional once the mailbox is closed (or its
     *   tied context is stopping) and empty.
     */
    std::optional<T> pop() {
        state& s = get("pop");
        std::unique_lock<std::mutex> lock(s.mutex);
        for (;;) {
            if (!s.queue.empty()) return s.dequeue_locked();
            if (s.closed_or_stopping_locked()) return std::nullopt;
            s.wait_locked(s.not_empty, lock, never());
        }
    }

    /// Takes the oldest value, waiting at most `timeout`.
    /// @return an empty optional on timeout, or once closed (or stopping) and empty.
    template <class Rep, class Period>
    [[nodiscard]] std::optional<T> pop_for(std::chrono::duration<Rep, Period> timeout) {
        state& s = get("pop_for");
        const auto deadline = deadline_after(timeout);
        std::unique_lock<std::mutex> lock(s.mutex);
        for (;;) {
            if (!s.queue.empty()) return s.dequeue_locked();
            if (s.closed_or_stopping_locked()) return std::nullopt;
            if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
            s.wait_locked(s.not_empty, lock, deadline);
        }
    }

    /// Pops up to `max` values, calling `fn(T&&)` on each outside the lock.
    /**
     * @return the number of values handed to `fn`.
     * @note When `fn` throws, the value it was given is the caller's; the values
     *   behind it stay queued.
     */
    template <class Fn>
    std::size_t drain(Fn&& fn, std::size_t max = std::numeric_limits<std::size_t>::max()) {
        std::size_t n = 0;
        while (n < max) {
            std::optional<T> v = try_pop();
            if (!v) break;
            ++n;
            fn(std::move(*v));
        }
        return n;
    }

    /// Registers the mailbox with `p`: when values are queued, `p.wait()` calls
    /// `fn(T&&)` for each value that was queued when the handler started.
    /**
     * Call on the thread that owns `p` (normally the thread that owns the socket
     * the values are for). The handler drains a bounded batch so that a busy
     * producer cannot starve the poller's other sockets.
     * @throws whatever poller::add throws (e.g. when the mailbox is registered
     *   already).
     */
    void add_to(poller& p, std::function<void(T&&)> fn) {
        state* s = &get("add_to");
        p.add(s->wake.fd(), poll_events::in, [s, f = std::move(fn)](poll_events) {
            std::size_t batch = 0;
            {
                std::lock_guard<std::mutex> lock(s->mutex);
                batch = s->queue.size();
            }
            for (std::size_t i = 0; i < batch; ++i) {
                std::optional<T> v;
                {
                    std::lock_guard<std::mutex> lock(s->mutex);
                    v = s->dequeue_locked();
                }
                if (!v) break;
                f(std::move(*v));
            }
        });
    }

    /// Removes the mailbox from `p` (safe from inside a handler of `p`).
    void remove_from(poller& p) { p.remove(get("remove_from").wake.fd()); }

    // ---- state ----------------------------------------------------------------

    /// Refuses further pushes and wakes producers blocked in push() (they throw
    /// mailbox_closed) and consumers blocked in pop(). Queued values stay.
    /// Idempotent.
    void close() {
        state& s = get("close");
        {
            std::lock_guard<std::mutex> lock(s.mutex);
            s.closed = true;
        }
        s.not_full.notify_all();
        s.not_empty.notify_all();
    }

    /// True once close() was called or a tied context is stopping.
    bool closed() const {
        state& s = get("closed");
        std::lock_guard<std::mutex> lock(s.mutex);
        return s.closed_or_stopping_locked();
    }

    /// Discards every queued value (wakes blocked producers). @return how many.
    std::size_t clear() {
        state& s = get("clear");
        std::deque<T> gone;
        {
            std::lock_guard<std::mutex> lock(s.mutex);
            gone.swap(s.queue);
            s.update_wake_locked();
        }
        s.not_full.notify_all();
        return gone.size();
    }

    /// The number of queued values (a snapshot).
    std::size_t size() const {
        state& s = get("size");
        std::lock_guard<std::mutex> lock(s.mutex);
        return s.queue.size();
    }

    /// True when nothing is queued (a snapshot).
    bool empty() const { return size() == 0; }

    /// The most values the mailbox holds.
    std::size_t capacity() const { return get("capacity").capacity; }

    /// True for a mailbox tied to a context.
    bool tied() const { return get("tied").ctx != nullptr; }

    /// The file descriptor to poll for reading: readable exactly while values
    /// are queued. Only poll it; never read or write it.
    int fd() const { return get("fd").wake.fd(); }

    /// False for a moved-from mailbox.
    explicit operator bool() const noexcept { return state_ != nullptr; }

#if ZMQRAII_HAS_COROUTINES
    /// The awaitable of async_pop() (defined in zmqraii/task.hpp).
    class pop_awaiter;
    /// `co_await mb.async_pop()`: the oldest value, suspending the calling task
    /// while the mailbox is empty; an empty optional once it is closed (or its
    /// tied context is stopping) and empty, as pop(). Defined in zmqraii/task.hpp.
    pop_awaiter async_pop();
#endif

private:
    using time_point = std::chrono::steady_clock::time_point;

    static time_point never() noexcept { return time_point::max(); }

    template <class Rep, class Period>
    static time_point deadline_after(std::chrono::duration<Rep, Period> timeout) {
        const auto now = std::chrono::steady_clock::now();
        if (timeout <= std::chrono::duration<Rep, Period>::zero()) return now;
        if (std::chrono::duration<double>(timeout) >= std::chrono::duration<double>(never() - now))
            return never();
        return now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
    }

    struct state {
        state(std::size_t cap, const context* c) : capacity(cap), ctx(c) {
            if (cap == 0) throw error(EINVAL, "mailbox create: capacity must be at least 1");
        }

        // Throws when pushes are refused.
        void check_open_locked(const char* op) {
            if (closed) throw mailbox_closed(std::string("mailbox ") + op + ": mailbox is closed");
            if (ctx_stopping())
                throw stopped(std::string("mailbox ") + op + ": context is stopping");
        }

        bool closed_or_stopping_locked() { return closed || ctx_stopping(); }

        bool ctx_stopping() {
            if (!stop_seen && ctx != nullptr && ctx->stopping()) stop_seen = true;
            return stop_seen;
        }

        // Waits on `cv` until notified or `deadline`; a tied mailbox wakes every
        // 10 ms to look at its context.
        void wait_locked(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                         time_point deadline) {
            if (ctx != nullptr) {
                const auto slice = std::chrono::steady_clock::now() + std::chrono::milliseconds(10);
                cv.wait_until(lock, deadline < slice ? deadline : slice);
            } else if (deadline == never()) {
                cv.wait(lock);
            } else {
                cv.wait_until(lock, deadline);
            }
        }

        void enqueue_locked(T&& value) {
            queue.push_back(std::move(value));
            update_wake_locked();
            not_empty.notify_one();
        }

        std::optional<T> dequeue_locked() {
            if (queue.empty()) return std::nullopt;
            std::optional<T> v(std::move(queue.front()));
            queue.pop_front();
            update_wake_locked();
            not_full.notify_one();
            return v;
        }

        // The fd is readable exactly while the queue is not empty.
        void update_wake_locked() noexcept {
            const bool want = !queue.empty();
            if (want == signalled) return;
            if (want)
                wake.set();
            else
                wake.clear();
            signalled = want;
        }

        detail::process_origin origin;
        mutable std::mutex mutex;
        std::condition_variable not_full;
        std::condition_variable not_empty;
        std::deque<T> queue;
        const std::size_t capacity;
        const context* const ctx;
        bool closed = false;
        bool stop_seen = false;
        bool signalled = false;
        detail::wake_fd wake;
    };

    state& get(const char* op) const {
        if (!state_)
            throw error(EFAULT, std::string("mailbox ") + op + ": mailbox is empty (moved from)");
        // Its descriptor is shared with the parent, its mutex may be held by a
        // thread that does not exist here: a forked child must make its own.
        if (ZMQRAII_UNLIKELY(state_->origin.forked()))
            state_->origin.throw_forked(std::string("mailbox ") + op);
        return *state_;
    }

    void report_leftovers() noexcept {
        if (!state_) return;
        if (state_->origin.forked()) {  // not ours to lock, report or close: leave it
            (void)state_.release();
            return;
        }
        std::size_t n = 0;
        {
            std::lock_guard<std::mutex> lock(state_->mutex);
            n = state_->queue.size();
        }
        if (n == 0) return;
        try {
            report_diagnostic(severity::report,
                              "mailbox destroyed with " + std::to_string(n) +
                                  " value(s) that nobody popped; drain it with try_pop() after "
                                  "close(), or discard them explicitly with clear()");
        } catch (...) {}
    }

    std::unique_ptr<state> state_;
};

ZMQRAII_ABI_END
}  // namespace zmqraii

#endif  // ZMQRAII_MAILBOX_HPP_INCLUDED
