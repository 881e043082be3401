// SPDX-License-Identifier: MIT
/// @file context.hpp
/// zmqraii::context: the process's ZeroMQ context and its ordered stop.
#ifndef ZMQRAII_CONTEXT_HPP_INCLUDED
#define ZMQRAII_CONTEXT_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/detail/registry.hpp>
#include <zmqraii/detail/text.hpp>
#include <zmqraii/detail/time.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/options.hpp>

#include <zmq.h>

#include <chrono>
#include <climits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace zmqraii {

namespace detail {
struct context_access;
}  // namespace detail

/// Settings fixed when a context is created.
struct context_options {
    /// libzmq I/O threads (ZMQ_IO_THREADS). One handles about a gigabyte a second.
    int io_threads = 1;
    /// Maximum number of sockets (ZMQ_MAX_SOCKETS); 0 keeps libzmq's default (1023).
    int max_sockets = 0;
    /// Linger given to every socket at creation (ZMQ_LINGER). Finite by default
    /// (ZMQRAII_DEFAULT_LINGER_MS, 1 s) so that a stop never waits forever on an
    /// undeliverable message; -1 ms waits forever, 0 drops pending messages at once.
    std::chrono::milliseconds linger{ZMQRAII_DEFAULT_LINGER_MS};
    /// How long an unbounded stop() waits before it reports, once, through the
    /// diagnostic handler what it is still waiting for (ZMQRAII_STOP_REPORT_MS).
    std::chrono::milliseconds stop_report_after{ZMQRAII_STOP_REPORT_MS};
    /// Default IPv6 setting of new sockets (ZMQ_IPV6).
    bool ipv6 = false;
};

/// The ZeroMQ context: shared by every thread of the process, stopped in order.
/**
 * A context is thread-safe: any number of threads may create sockets in one
 * context at once, and `inproc://` connects only sockets of the same context.
 * One context per process is the normal layout (not one per thread).
 *
 * The context owns a heap state that its sockets point to, so moving the context
 * object never invalidates a socket.
 *
 * @par The stop sequence (request_stop(), stop(), stop_for() and the destructor)
 * A stop never waits for a thread to do anything; it waits only for linger.
 * 1. The context is marked stopping (an atomic flag every socket operation reads
 *    first) and zmq_ctx_shutdown() wakes every thread blocked in a call on one of
 *    its sockets; each of those calls, and every later operation, throws
 *    zmqraii::stopped. Creating a socket throws stopped.
 * 2. A stopper thread closes every socket that no thread is using inside libzmq:
 *    sockets of exited threads, sockets in hand-off, sockets of threads waiting
 *    in stop(), and idle sockets of live threads (in join(), a lock, a sleep, or
 *    holding the object after catching stopped). The owner's next operation on
 *    such a socket throws stopped without touching libzmq, and its destructor
 *    finds it closed. A socket inside a call is closed as soon as the call
 *    returns. Exceptions: sockets whose raw handle() was taken (see
 *    socket::raw_call()) and thread-safe draft types are closed by their owners.
 * 3. zmq_ctx_term() runs on that thread once no socket is left; it returns once
 *    every socket's pending messages are sent or its linger expired.
 *
 * request_stop() begins the stop and returns at once; stop(), stop_for() and the
 * destructor begin it if needed and wait. A stop never hangs silently:
 * stop_for() returns false when its grace runs out, live_sockets() and
 * stop_report() tell what it waits for, and an unbounded stop() reports the
 * same through the diagnostic handler after context_options::stop_report_after.
 *
 * @par Thread Safety
 * Every member function may be called from any thread, concurrently, except
 * that the object must not be moved or destroyed while another thread uses it.
 *
 * @par Fork
 * A context inherited by a forked child refuses use (zmqraii::error naming both
 * process ids) and its destructor does nothing; the child makes its own context.
 */
class context {
public:
    /// A context with default options.
    context() : context(context_options{}) {}

    /// A context with `io_threads` libzmq I/O threads and default options otherwise
    /// (as cppzmq's `zmq::context_t(int)`).
    explicit context(int io_threads) : context(with_io_threads(io_threads)) {}

    /// A context with the given options.
    /// @throws error when libzmq refuses an option (EINVAL names the option).
    explicit ZMQRAII_DECL context(const context_options& opts);

    context(const context&) = delete;
    context& operator=(const context&) = delete;
    /// Takes over `other`'s context; `other` becomes empty (its sockets stay valid).
    context(context&&) noexcept = default;

    /// Stops this context (if not empty) and takes over `other`'s.
    ZMQRAII_DECL context& operator=(context&& other) noexcept;

    /// Stops the context if the user did not (see the stop sequence above).
    ZMQRAII_DECL ~context();

    /// Begins the stop and returns at once; the stop then completes by itself.
    /**
     * Any thread, including worker bodies, poller handlers, mailbox and monitor
     * callbacks and signal-handling threads (not an asynchronous signal handler:
     * it takes a mutex). Idempotent.
     * @throws error in a forked child, or on an empty (moved-from) context.
     */
    ZMQRAII_DECL void request_stop();

    /// Stops the context and waits until it is terminated.
    /**
     * Waits without bound; after context_options::stop_report_after it reports
     * once through the diagnostic handler what it still waits for (linger, or a
     * socket it may not close). Safe to call again, and from several threads, the
     * calling thread's own sockets included: they are closed for it.
     * @throws error in a forked child, or on an empty (moved-from) context.
     */
    ZMQRAII_DECL void stop();

    /// Stops the context and waits at most `grace` for it to terminate.
    /**
     * @param grace any duration; zero or negative only begins the stop and looks,
     *   a value past the clock's range waits without bound.
     * @return true when the context is terminated; false when sockets are still
     *   open (see live_sockets()) or zmq_ctx_term still waits for linger (see
     *   stop_report()). It may be called again after it returned false.
     */
    template <class Rep, class Period>
    bool stop_for(std::chrono::duration<Rep, Period> grace) {
        check_state("stop_for");
        state_->begin_stop();
        return state_->wait_stopped(detail::deadline_after(grace), false);
    }

    /// The sockets of this context that are still open.
    ZMQRAII_DECL std::vector<socket_info> live_sockets() const;

    /// What a stop still waits for, in words ("context is running" before stop).
    ZMQRAII_DECL std::string stop_report() const;

    /// True once stop began.
    bool stopping() const noexcept { return state_ && state_->stopping(); }

    /// True once the stop has finished: zmq_ctx_term has returned.
    bool terminated() const noexcept { return state_ && state_->terminated(); }

    /// Sets a context option; options that only take effect before the first
    /// socket (io_threads, max_sockets, thread_*) are refused once one exists.
    template <int Id, access A, std::enable_if_t<context_option<Id, A>::writable, int> = 0>
    void set(context_option<Id, A> opt, int value) {
        const std::string what = std::string(opt.name) + " = " + std::to_string(value);
        checked_state("context set").with_live_context("context set", what, [&](void* ctx) {
            if (opt.before_first_socket && created_any_socket())
                throw error(EINVAL, "context set " + what +
                                        ": only takes effect before the first socket is created");
            if (zmq_ctx_set(ctx, Id, value) != 0) detail::throw_last_error("context set", what);
            return 0;
        });
    }

    /// A read-only context option cannot be set (deleted, so that traits can detect it).
    template <int Id, access A, std::enable_if_t<!context_option<Id, A>::writable, int> = 0>
    void set(context_option<Id, A>, int) = delete;  // this context option is read-only

    /// Reads a context option.
    template <int Id, access A, std::enable_if_t<context_option<Id, A>::readable, int> = 0>
    int get(context_option<Id, A> opt) const {
        return checked_state("context get")
            .with_live_context("context get", opt.name, [&](void* ctx) {
                const int v = zmq_ctx_get(ctx, Id);
                if (v < 0) detail::throw_last_error("context get", opt.name);
                return v;
            });
    }
    /// A write-only context option cannot be read (deleted, so that traits can detect it).
    template <int Id, access A, std::enable_if_t<!context_option<Id, A>::readable, int> = 0>
    int get(context_option<Id, A>) const = delete;  // this context option is write-only

    /// The raw libzmq context, for calls zmqraii does not wrap; null once
    /// terminated (and for an empty context).
    void* handle() const noexcept { return state_ ? state_->handle() : nullptr; }

    /// False for a moved-from context.
    explicit operator bool() const noexcept { return state_ != nullptr; }

private:
    friend struct detail::context_access;

    bool created_any_socket() const { return state_->ever_opened(); }

    void check_state(const char* op) const { (void)checked_state(op); }

    // The state after the checks, as a reference: g++ 12 -O3 otherwise warns
    // (-Wnonnull) about the moved-from path it cannot see is a throw.
    detail::context_state& checked_state(const char* op) const {
        detail::context_state* s = state_.get();
        if (s == nullptr) throw_empty(op);
        if (s->forked()) s->throw_forked(op, "context");
        return *s;
    }

    ZMQRAII_DECL void destroy() noexcept;

    [[noreturn]] ZMQRAII_COLD_DECL static ZMQRAII_DECL void throw_empty(const char* op);

    // A context setting failed while constructing: the context goes, then the error.
    [[noreturn]] ZMQRAII_COLD_DECL static ZMQRAII_DECL void fail_set(void* ctx, const char* what,
                                                                     int value);

    [[noreturn]] ZMQRAII_COLD_DECL static ZMQRAII_DECL void throw_out_of_range(
        const char* what, long long v, long long lo, long long hi, const char* unit);

    static context_options with_io_threads(int n) {
        context_options o;
        o.io_threads = n;
        return o;
    }

    // Refuses values that libzmq would take differently from what they say.
    static ZMQRAII_DECL void check_options(const context_options& o);

    std::shared_ptr<detail::context_state> state_;
};

namespace detail {
/// What sockets need of a context: its checked state.
struct context_access {
    static const std::shared_ptr<context_state>& state(context& c, const char* op) {
        c.check_state(op);
        return c.state_;
    }
};
}  // namespace detail

}  // namespace zmqraii

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/context.ipp>
#endif

#endif  // ZMQRAII_CONTEXT_HPP_INCLUDED
