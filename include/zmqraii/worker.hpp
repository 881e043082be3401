// SPDX-License-Identifier: MIT
/// @file worker.hpp
/// zmqraii::worker: a thread that owns its sockets (an actor), joined to the
/// thread that started it by a pipe (worker_pipe.hpp), with a start handshake and
/// a stop of its own that leaves the context running.
#ifndef ZMQRAII_WORKER_HPP_INCLUDED
#define ZMQRAII_WORKER_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/context.hpp>
#include <zmqraii/detail/owner.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/socket.hpp>
#include <zmqraii/worker_pipe.hpp>

#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#if ZMQRAII_HAS_STOP_TOKEN
#include <stop_token>
#endif

namespace zmqraii {
ZMQRAII_ABI_BEGIN

/// What a worker body is given: its context, its end of the pipe, the start
/// handshake and the stop request.
/**
 * @par Thread Safety
 * Only the worker thread may use it (it lives on that thread's stack).
 */
class worker_context {
public:
    worker_context(const worker_context&) = delete;
    worker_context& operator=(const worker_context&) = delete;
    worker_context(worker_context&&) = delete;
    worker_context& operator=(worker_context&&) = delete;
    ~worker_context() = default;

    /// The context to create the worker's sockets in.
    zmqraii::context& context() const noexcept { return ctx_; }

    /// The worker's end of the pipe. Implies ready().
    worker_pipe& pipe() {
        ready();
        return pipe_;
    }

    /// Tells the parent that startup is done: the worker's constructor returns.
    /**
     * Call it once the body's sockets are bound or connected, so that the parent
     * may rely on them. pipe(), stop_requested() and the body's end imply it; an
     * exception that leaves the body before it is rethrown by the constructor.
     */
    void ready() {
        if (ready_) return;
        state_.signal_ready();
        ready_ = true;
    }

    /// True once the parent called worker::stop() (or destroyed the worker) or
    /// the context is stopping. Never blocks. Implies ready().
    bool stop_requested() {
        ready();
        if (state_.stop_flag.load(std::memory_order_acquire)) return true;
        if (!ctx_.stopping()) return false;
        state_.request_stop();  // so that the stop_token agrees
        return true;
    }

    /// The worker's name ("worker 'x'").
    const std::string& name() const noexcept { return state_.name; }

#if ZMQRAII_HAS_STOP_TOKEN
    /// A token requested by worker::stop(), the worker's destructor, a stop
    /// notice met on the pipe, and stop_requested() once it saw the context stop.
    std::stop_token stop_token() const noexcept { return state_.source.get_token(); }
#endif

private:
    template <class Body>
    friend struct detail::worker_run;

    worker_context(zmqraii::context& ctx, worker_pipe& pipe, detail::worker_state& st) noexcept
        : ctx_(ctx), pipe_(pipe), state_(st) {}

    zmqraii::context& ctx_;
    worker_pipe& pipe_;
    detail::worker_state& state_;
    bool ready_ = false;
};

ZMQRAII_ABI_END

namespace detail {
ZMQRAII_ABI_BEGIN

// What the worker thread runs: makes its end of the pipe, runs the body, tells
// the parent that the body ended.
template <class Body>
struct worker_run {
    static void run(zmqraii::context& ctx, const std::shared_ptr<detail::worker_state>& st,
                    Body body, detail::source_site site) noexcept {
        std::exception_ptr err;
        worker_pipe pipe;  // closed after signal_ended: a finished stop implies ended()
        try {
            pipe = worker_pipe(
                zmqraii::socket(ctx, socket_type::pair, st->name + " pipe (worker end)", site),
                false, st);
            pipe.socket().connect(st->endpoint);
            worker_context wc(ctx, pipe, *st);
            try {
                invoke(body, wc);
            } catch (const stopped&) {
                // Stop (the worker's or the context's) is the normal end, except
                // during startup: then the constructor rethrows it.
                if (!wc.ready_) err = std::current_exception();
            } catch (...) {
                err = std::current_exception();
            }
            try {
                pipe.send_done();
            } catch (...) {  // the context is stopping: the parent wakes by itself
            }
        } catch (...) {  // the pipe could not be made (context stopping, EMFILE)
            err = std::current_exception();
        }
        st->signal_ended(std::move(err));
    }

    static void invoke(Body& body, worker_context& wc) {
#if ZMQRAII_HAS_STOP_TOKEN
        if constexpr (std::is_invocable_v<Body&, worker_context&, std::stop_token>) {
            body(wc, wc.stop_token());
            return;
        } else
#endif
        {
            body(wc);
        }
    }
};

ZMQRAII_ABI_END
}  // namespace detail

ZMQRAII_ABI_BEGIN

/// True when `Body` can be a worker body.
template <class Body>
inline constexpr bool is_worker_body_v =
#if ZMQRAII_HAS_STOP_TOKEN
    std::is_invocable_v<Body&, worker_context&, std::stop_token> ||
#endif
    std::is_invocable_v<Body&, worker_context&>;

/// A thread that owns its sockets, started with a handshake, stopped on its own.
/**
 * @code
 * zmqraii::worker w(ctx, "echo", [](zmqraii::worker_context& wc) {
 *     zmqraii::socket in(wc.context(), zmqraii::socket_type::pull);
 *     in.bind("inproc://jobs");
 *     wc.ready();                        // the constructor returns now
 *     for (;;) wc.pipe().send(wc.pipe().recv());  // recv throws stopped on stop()
 * });
 * w.pipe().send("hi");
 * assert(w.pipe().recv().to_string() == "hi");
 * w.stop();                              // or let the destructor do it
 * @endcode
 *
 * @par Start
 * The constructor creates the parent end of the pipe (owned by the calling
 * thread), starts the thread, and returns once the body signalled ready (see
 * worker_context::ready()). An exception that leaves the body before that, or a
 * failure to make the worker's end of the pipe, is rethrown by the constructor
 * after the thread was joined.
 *
 * @par Stop
 * stop() asks the body to stop (a stop notice on the pipe, the flag that
 * worker_context::stop_requested() reads, and in C++20 the std::stop_token), then
 * drains the parent end until the body has ended, joins the thread, closes the
 * pipe and rethrows the body's exception, if any. The context keeps running. The
 * body sees the request as zmqraii::stopped from a pipe receive (let it unwind),
 * as stopped from its next pipe send, or as stop_requested() == true; it must
 * watch one of them (poll the pipe with its sockets, or check the flag
 * regularly), or stop() waits until it ends by itself. Messages the worker sent
 * that the parent did not receive are dropped.
 *
 * @par Context stop
 * context::stop() wakes every blocking call of the body with zmqraii::stopped, so
 * every worker ends; the parent end, owned by the parent thread, is closed by the
 * parent's stop() call when it makes it (or by the parent's unwinding). The
 * destructor then only joins: it does not deadlock against a stopping context.
 *
 * @par Exceptions
 * zmqraii::stopped leaving the body after ready is the normal end. Any other
 * exception is captured and rethrown (once) by join() or stop() in the parent;
 * one that nobody collected is reported by the destructor through the diagnostic
 * handler (severity::report).
 *
 * @par Thread Safety
 * The worker object belongs to the thread that constructed it, like the socket
 * of its parent end: stop(), join(), pipe() and the destructor must run there
 * (others get wrong_thread; a destructor on another thread is a fatal
 * diagnostic). name() and ended() may be called from any thread. The worker is
 * never detached: the destructor stops and joins it.
 */
class worker {
public:
    /// An empty worker (no thread).
    worker() noexcept = default;

    /// Starts `body` on a new thread. See the class notes.
    /**
     * @param ctx the context; it must outlive the worker's thread (stop the worker
     *   or the context before the context object goes).
     * @param body `void(worker_context&)`, or in C++20 also
     *   `void(worker_context&, std::stop_token)`; moved to the new thread.
     * @param site where the worker is created (names its pipe sockets).
     * @throws stopped when the context is stopping; whatever the body threw
     *   before it was ready; error when the pipe cannot be made.
     */
    template <class Body, std::enable_if_t<is_worker_body_v<std::decay_t<Body>>, int> = 0>
    worker(zmqraii::context& ctx, Body&& body, detail::source_site site = {})
        : worker(ctx, std::string(), std::forward<Body>(body), site) {}

    /// Starts `body` on a new thread, named `name` in reports and errors.
    template <class Body, std::enable_if_t<is_worker_body_v<std::decay_t<Body>>, int> = 0>
    worker(zmqraii::context& ctx, const std::string& name, Body&& body,
           detail::source_site site = {})
        : owner_(detail::this_thread_record()), site_(site) {
        auto st = std::make_shared<detail::worker_state>();
        st->name = name.empty() ? std::string("worker") : "worker '" + name + "'";
        st->endpoint = detail::worker_state::next_endpoint();
        pipe_ = worker_pipe(
            zmqraii::socket(ctx, socket_type::pair, st->name + " pipe (parent end)", site), true,
            st);
        pipe_.socket().bind(st->endpoint);
        state_ = st;
        thread_ = std::thread(&detail::worker_run<std::decay_t<Body>>::run, std::ref(ctx), st,
                              std::decay_t<Body>(std::forward<Body>(body)), site);
        std::unique_lock<std::mutex> lock(st->mutex);
        st->cv.wait(lock, [&] { return st->ready || st->ended; });
        if (st->ready) return;
        // The body ended before it was ready: a startup failure, or it was done.
        std::exception_ptr e = std::exchange(st->error, nullptr);
        lock.unlock();
        thread_.join();
        pipe_ = worker_pipe();
        if (e) std::rethrow_exception(e);
    }

    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;
    /// Takes over `other`'s thread; `other` becomes empty.
    worker(worker&&) noexcept = default;
    /// Stops this worker (as the destructor does), then takes over `other`'s.
    worker& operator=(worker&& other) noexcept {
        if (this != &other) {
            stop_noexcept();
            state_ = std::move(other.state_);
            pipe_ = std::move(other.pipe_);
            thread_ = std::move(other.thread_);
            origin_ = other.origin_;
            owner_ = std::move(other.owner_);
            site_ = other.site_;
        }
        return *this;
    }

    /// Stops and joins the worker; exceptions are reported, not thrown.
    ~worker() { stop_noexcept(); }

    /// Asks the body to stop, waits for it to end, joins the thread.
    /**
     * Idempotent: returns at once once the worker was joined.
     * @throws the body's exception (other than stopped), once; wrong_thread when
     *   called off the thread that constructed the worker (nothing is stopped).
     */
    void stop() {
        if (!thread_.joinable()) return;
        check_owner("stop");
        drain(true);
        finish();
    }

    /// Waits for the body to end by itself, joins the thread.
    /**
     * Messages the worker sent that the parent did not receive are dropped while
     * join() waits; receive until pipe().recv() throws stopped to keep them.
     * @throws as stop().
     */
    void join() {
        if (!thread_.joinable()) return;
        check_owner("join");
        drain(false);
        finish();
    }

    /// The parent's end of the pipe (owned by the thread that made the worker).
    worker_pipe& pipe() noexcept { return pipe_; }

    /// True while the thread has not been joined.
    bool joinable() const noexcept { return thread_.joinable(); }

    /// True once the body has ended (the thread may still need joining). Any thread.
    bool ended() const noexcept {
        return !state_ || state_->ended_flag.load(std::memory_order_acquire);
    }

    /// "worker 'name'" (or "worker"). Any thread.
    const std::string& name() const noexcept {
        static const std::string none = "worker (empty)";
        return state_ ? state_->name : none;
    }

private:
    // Reads the parent end until the worker's end notice, discarding the rest;
    // sends the stop notice first when asked to, as soon as there is room.
    void drain(bool send_stop) {
        using detail::socket_access;
        zmqraii::socket& s = pipe_.socket_;
        const char* op = send_stop ? "worker stop" : "worker join";
        bool usable = true;
        try {
            (void)socket_access::enter(
                s, op);  // wrong_thread off the owner thread: nothing is stopped
        } catch (const wrong_thread&) {
            throw;
        } catch (const error&) {  // stopped: the body's calls wake by themselves
            usable = false;
        }
        if (send_stop) state_->request_stop();
        if (!usable) return;
        try {
            bool stop_sent = !send_stop;
            if (send_stop) pipe_.finish_partial();
            bool mid = pipe_.recv_mid_;
            bool done = pipe_.peer_stopped_;
            message m;
            while (!done) {
                const auto want = static_cast<short>(ZMQ_POLLIN | (stop_sent ? 0 : ZMQ_POLLOUT));
                int rc = 0;
                short revents = 0;
                {
                    const auto in = socket_access::enter(s, op);
                    zmq_pollitem_t item{socket_access::raw(s), 0, want, 0};
                    rc = zmq_poll(&item, 1, static_cast<long>(worker_pipe::slice.count()));
                    if (rc < 0) {
                        const int e = zmq_errno();
                        if (e == EINTR) continue;
                        socket_access::throw_op_error(s, e, op);
                    }
                    revents = item.revents;
                }
                if (rc == 0) {
                    if (ended()) break;  // its end notice cannot come: its pipe is gone
                    continue;
                }
                if ((revents & ZMQ_POLLOUT) && !stop_sent) {
                    const char c = detail::pipe_frame_stop;
                    stop_sent = s.try_send(std::string_view(&c, 1));
                }
                while (!done && s.try_recv(m)) {
                    if (!mid && !m.more() && m.size() == 1 &&
                        *static_cast<const char*>(m.data()) == detail::pipe_frame_done)
                        done = true;
                    mid = m.more();
                }
            }
        } catch (const wrong_thread&) {
            throw;
        } catch (const error&) {
            // stopped: the context is stopping, so the body's calls wake by
            // themselves. Another error: the pipe is unusable (closed by hand);
            // the body still sees stop_requested().
        }
    }

    // The fork error in a child; wrong_thread off the constructing thread (before
    // anything else: a stop may have closed the pipe, and a foreign thread must
    // still not stop or join the worker).
    void check_owner(const char* op) const {
        origin_.check(op == std::string_view("stop") ? "worker stop" : "worker join");
        if (detail::this_thread_raw() == owner_.get()) return;
        throw wrong_thread(std::string("wrong thread: worker ") + op + " on " + name() +
                           " (created at " + site_.to_string() + "), owned by " + owner_->label() +
                           ", called from " + detail::this_thread_record()->label() +
                           ". A worker is stopped and joined by the thread that started it");
    }

    void finish() {
        thread_.join();
        pipe_ = worker_pipe();  // closes the parent end, on its owner thread
        std::exception_ptr e;
        {
            std::lock_guard<std::mutex> lock(state_->mutex);
            e = std::exchange(state_->error, nullptr);
        }
        if (e) std::rethrow_exception(e);
    }

    void stop_noexcept() noexcept {
        if (!thread_.joinable()) return;
        if (origin_.forked()) {  // the thread is the parent's: not here to join
            detail::process_origin::abandon(thread_);
            return;
        }
        try {
            stop();
            return;
        } catch (const wrong_thread& e) {
            report_diagnostic(severity::fatal,
                              std::string("worker destroyed on the wrong thread: ") + e.what());
        } catch (const std::exception& e) {
            report_uncollected(e.what());
        } catch (...) {
            report_uncollected("an exception not derived from std::exception");
        }
        if (thread_.joinable()) {  // only after a wrong-thread report that returned
            state_->request_stop();
            thread_.join();
        }
    }

    // NOLINTNEXTLINE(readability-make-member-function-const): it reports, it is not a getter
    void report_uncollected(const char* what) noexcept {
        try {
            report_diagnostic(severity::report, name() +
                                                    " ended with an exception that nobody "
                                                    "collected with join() or stop(): " +
                                                    what);
        } catch (...) {}
    }

    std::shared_ptr<detail::worker_state> state_;
    worker_pipe pipe_;
    std::thread thread_;
    detail::process_origin origin_;
    std::shared_ptr<detail::thread_record> owner_;
    detail::source_site site_;
};

static_assert(!std::is_copy_constructible_v<worker> && std::is_nothrow_move_constructible_v<worker>,
              "worker is move-only");

ZMQRAII_ABI_END
}  // namespace zmqraii

#endif  // ZMQRAII_WORKER_HPP_INCLUDED
