// SPDX-License-Identifier: MIT
/// @file monitor.hpp
/// Socket monitors (zmq_socket_monitor): events as typed values (monitor_event.hpp).
///
/// - socket_monitor: read events on the monitored socket's owner thread
///   (try_next(), next_for(), or register socket() in a poller).
/// - monitor_thread: a thread of its own runs a callback per event.
///
/// libzmq sends each event over an inproc PAIR socket that it binds; zmqraii
/// connects a PAIR socket of its own (a normal zmqraii::socket, owned by the thread
/// that reads it) to that endpoint. Stopping always unregisters the monitor first
/// (`zmq_socket_monitor(s, nullptr, 0)`, on the monitored socket's owner thread) and
/// only then closes the reading socket: libzmq's event sends block while its
/// monitor PAIR has no peer, so the other order could stall one of libzmq's threads.
#ifndef ZMQRAII_MONITOR_HPP_INCLUDED
#define ZMQRAII_MONITOR_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/context.hpp>
#include <zmqraii/detail/owner.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/monitor_event.hpp>
#include <zmqraii/options.hpp>
#include <zmqraii/socket.hpp>

#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

namespace zmqraii {

namespace detail {

inline std::string next_monitor_endpoint() {
    static std::atomic<std::uint64_t> counter{0};
    return "inproc://zmqraii.monitor." + std::to_string(counter.fetch_add(1) + 1);
}

// now + timeout, saturated at time_point::max() (no overflow for huge timeouts).
template <class Rep, class Period>
std::chrono::steady_clock::time_point monitor_deadline(std::chrono::duration<Rep, Period> timeout) {
    using clock = std::chrono::steady_clock;
    const auto now = clock::now();
    if (timeout <= std::chrono::duration<Rep, Period>::zero()) return now;
    const std::chrono::duration<double> wanted = timeout;
    const std::chrono::duration<double> room = clock::time_point::max() - now;
    if (wanted >= room) return clock::time_point::max();
    return now + std::chrono::ceil<clock::duration>(timeout);
}

inline std::string monitor_name(const socket& monitored) {
    return monitored.name().empty() ? "monitor of a " + to_string(monitored.type()) + " socket"
                                    : "monitor of '" + monitored.name() + "'";
}

// Reads the second part of an event whose first part is `head`, and decodes it.
inline monitor_event finish_event(socket& reader, const message& head) {
    if (head.size() != 6 || !head.more())
        throw error(EPROTO, "monitor: malformed event (first part of " +
                                std::to_string(head.size()) +
                                " bytes; expected 6 bytes and an endpoint part)");
    message tail;
    reader.recv(tail);
    std::uint16_t kind = 0;
    std::uint32_t value = 0;
    std::memcpy(&kind, head.data(), sizeof kind);
    std::memcpy(&value, static_cast<const char*>(head.data()) + sizeof kind, sizeof value);
    return monitor_event{static_cast<event_kind>(kind), value, tail.to_string()};
}

// Makes `reader` (a new PAIR socket) the monitor of `monitored`. Runs on the
// monitored socket's owner thread. Checks that both live in one context: the
// reader binds the endpoint first, so libzmq's bind of it must fail with
// EADDRINUSE; in another context it would succeed and the reader would never
// connect. The probe asks for no events, so it cannot block on a send.
inline void start_monitor(socket& reader, socket& monitored, event_set events) {
    using detail::socket_access;
    // Owner check; throws stopped on a stopping context.
    (void)socket_access::enter(monitored, "monitor");
    const std::string ep = next_monitor_endpoint();
    const std::string what = "monitor of " + monitored.describe();
    reader.bind(ep);
    int rc = 0;
    int e = 0;
    {
        const auto in = socket_access::enter(monitored, "monitor");
        rc = zmq_socket_monitor(socket_access::raw(monitored), ep.c_str(), 0);
        e = zmq_errno();
        if (rc == 0) zmq_socket_monitor(socket_access::raw(monitored), nullptr, 0);
    }
    if (rc == 0)
        throw error(EINVAL, what +
                                ": the context passed is not the monitored socket's context "
                                "(inproc endpoints only connect sockets of one context)");
    if (e != EADDRINUSE) throw_error(e, "zmq_socket_monitor " + ep, what);
    reader.unbind(ep);
    // Unbounded queue: a slow reader must never block libzmq's event sends.
    reader.set(option::rcvhwm, 0);
    // Connect first: libzmq's bind then attaches the pending connection at once,
    // so no event waits for a peer.
    reader.connect(ep);
    const int bits = events.bits() | ZMQ_EVENT_MONITOR_STOPPED;
    {
        const auto in = socket_access::enter(monitored, "monitor");
        rc = zmq_socket_monitor(socket_access::raw(monitored), ep.c_str(), bits);
        e = zmq_errno();
    }
    if (rc != 0) throw_error(e, "zmq_socket_monitor " + ep, what);
}

// Unregisters the monitor of `monitored` if it is still open and usable.
// Throws wrong_thread when called on a thread that does not own it.
inline void stop_monitor(socket& monitored) {
    if (!monitored.is_open()) return;
    try {
        const auto in = socket_access::enter(monitored, "monitor stop");
        // Fails only with ETERM: nothing left to do.
        zmq_socket_monitor(socket_access::raw(monitored), nullptr, 0);
    } catch (const stopped&) {
        // The context stops: libzmq closes its monitor socket itself.
    }
}

}  // namespace detail

ZMQRAII_ABI_BEGIN

/// The events of one socket, read on that socket's owner thread.
/**
 * @code
 * zmqraii::socket s(ctx, zmqraii::socket_type::dealer);
 * zmqraii::socket_monitor mon(ctx, s);            // after s: destroyed before it
 * s.connect("tcp://127.0.0.1:5555");
 * if (auto e = mon.next_for(std::chrono::seconds(1))) std::puts(e->to_string().c_str());
 * @endcode
 *
 * The monitor reads through a PAIR socket (socket()) that the constructing thread
 * owns; register it in a poller and call try_next() when it is readable. Events
 * queue without bound until read, so that a slow reader never stalls libzmq.
 * libzmq allows one monitor per socket: a new one ends the previous one, which
 * then sees monitor_stopped.
 *
 * stop() and the destructor unregister the monitor from the monitored socket,
 * then close the reading socket. When the context stops, they only close it
 * (libzmq ends its side itself), and reads throw zmqraii::stopped.
 *
 * @pre `ctx` is the monitored socket's context, and the monitored socket outlives
 *   the monitor and is not moved while it is monitored: declare the monitor after
 *   the socket, so that it is destroyed first.
 *
 * @par Thread Safety
 * Construct, use, stop and destroy it on the monitored socket's owner thread (the
 * reading socket belongs to that thread too). Other threads get
 * zmqraii::wrong_thread.
 */
class socket_monitor {
public:
    /// An empty monitor; every operation but stop() throws until one is moved in.
    socket_monitor() noexcept = default;

    /// Starts monitoring `monitored`.
    /**
     * @param ctx the context of `monitored`.
     * @param monitored the socket to watch; owned by the calling thread.
     * @param events the events to report; monitor_stopped is delivered only when
     *   it is in the set.
     * @param site where the monitor is created (filled in by default).
     * @throws wrong_thread when the calling thread does not own `monitored`;
     *   stopped when the context is stopping; error (EINVAL) when `ctx` is not the
     *   monitored socket's context.
     */
    socket_monitor(context& ctx, zmqraii::socket& monitored, event_set events = event_set::all(),
                   detail::source_site site = {})
        : monitored_(&monitored),
          events_(events),
          reader_(ctx, socket_type::pair, detail::monitor_name(monitored), site) {
        detail::start_monitor(reader_, monitored, events);
    }

    socket_monitor(const socket_monitor&) = delete;
    socket_monitor& operator=(const socket_monitor&) = delete;

    /// Takes over `other`'s monitoring; `other` becomes empty.
    socket_monitor(socket_monitor&& other) noexcept
        : origin_(other.origin_),
          monitored_(std::exchange(other.monitored_, nullptr)),
          events_(other.events_),
          ended_(std::exchange(other.ended_, false)),
          reader_(std::move(other.reader_)) {}

    /// Stops this monitor (as the destructor does), then takes over `other`'s.
    socket_monitor& operator=(socket_monitor&& other) noexcept {
        if (this != &other) {
            stop_noexcept();
            origin_ = other.origin_;
            monitored_ = std::exchange(other.monitored_, nullptr);
            events_ = other.events_;
            ended_ = std::exchange(other.ended_, false);
            reader_ = std::move(other.reader_);
        }
        return *this;
    }

    /// Stops monitoring (see stop()); errors are reported, not thrown.
    ~socket_monitor() { stop_noexcept(); }

    /// The next event if one is queued, without blocking.
    /**
     * @return an empty optional when none is queued or monitoring has ended.
     * @throws stopped when the context is stopping.
     */
    [[nodiscard]] std::optional<monitor_event> try_next() {
        message head;
        while (!ended_ && reader_.try_recv(head)) {
            if (auto e = accept(detail::finish_event(reader_, head))) return e;
        }
        return std::nullopt;
    }

    /// The next event, waiting at most `timeout`.
    /**
     * @return an empty optional on timeout or once monitoring has ended.
     * @throws stopped when the context stops while it waits.
     */
    template <class Rep, class Period>
    [[nodiscard]] std::optional<monitor_event> next_for(
        std::chrono::duration<Rep, Period> timeout) {
        using clock = std::chrono::steady_clock;
        const auto deadline = detail::monitor_deadline(timeout);
        message head;
        while (!ended_) {
            const auto left = deadline - clock::now();
            if (!reader_.recv_for(head, left > clock::duration::zero() ? left : clock::duration{}))
                return std::nullopt;
            if (auto e = accept(detail::finish_event(reader_, head))) return e;
        }
        return std::nullopt;
    }

    /// The next event, blocking.
    /**
     * @throws stopped when the context stops; error (EFSM) once monitoring has
     *   ended (the monitored socket was closed), since no event can follow.
     */
    monitor_event next() {
        message head;
        while (!ended_) {
            reader_.recv(head);
            if (auto e = accept(detail::finish_event(reader_, head))) return *std::move(e);
        }
        throw error(EFSM, "socket_monitor next: monitoring has ended (monitor_stopped)");
    }

    /// The reading PAIR socket, to register in a poller (readable = an event is
    /// queued; then call try_next()). Do not read from it directly.
    zmqraii::socket& socket() noexcept { return reader_; }

    /// The events this monitor reports.
    event_set events() const noexcept { return events_; }

    /// True once monitor_stopped arrived (monitoring ended); false while active.
    bool ended() const noexcept { return ended_; }

    /// True until stop() (false for an empty monitor).
    bool is_active() const noexcept { return reader_.is_open(); }

    /// Unregisters the monitor, then closes the reading socket. Idempotent.
    /**
     * When the monitored socket was already closed, waits (at most 2 s) for libzmq
     * to finish with it (monitor_stopped), so that its last events are not sent to
     * a closed reader. When the context is stopping, only closes.
     * @throws wrong_thread on a thread that does not own the monitored socket.
     */
    void stop() {
        if (!reader_.is_open()) return;
        try {
            (void)detail::socket_access::enter(reader_, "monitor stop");  // owner check
        } catch (const stopped&) {
            reader_.close();
            return;
        }
        if (!ended_) {
            if (monitored_->is_open())
                detail::stop_monitor(*monitored_);
            else
                drain_until_ended(std::chrono::seconds(2));
        }
        reader_.close();
    }

private:
    std::optional<monitor_event> accept(monitor_event e) {
        if (e.kind == event_kind::monitor_stopped) ended_ = true;
        if (!events_.contains(e.kind)) return std::nullopt;
        return std::optional<monitor_event>(std::move(e));
    }

    void drain_until_ended(std::chrono::milliseconds limit) {
        try {
            while (!ended_) {
                if (!next_for(limit)) break;
            }
        } catch (const stopped&) {
            return;
        }
        if (!ended_)
            report_diagnostic(severity::report,
                              "socket_monitor stop: the monitored socket was closed but libzmq "
                              "did not end its monitor within " +
                                  std::to_string(limit.count()) + " ms; closing the reader");
    }

    void stop_noexcept() noexcept {
        if (origin_.forked()) return;  // the reader's destructor leaves it to the child's exit
        try {
            stop();
        } catch (const std::exception& e) {
            // wrong_thread: the reader's own destructor reports the wrong thread.
            report_diagnostic(severity::report,
                              std::string("socket_monitor: could not stop: ") + e.what());
        } catch (...) {
            report_diagnostic(severity::report, "socket_monitor: could not stop");
        }
    }

    detail::process_origin origin_;
    zmqraii::socket* monitored_ = nullptr;
    event_set events_;
    bool ended_ = false;
    zmqraii::socket reader_;
};

/// The events of one socket, each passed to a callback on a thread the monitor owns.
/**
 * @code
 * zmqraii::socket s(ctx, zmqraii::socket_type::router);
 * zmqraii::monitor_thread mon(ctx, s, [](const zmqraii::monitor_event& e) {
 *     std::puts(e.to_string().c_str());          // runs on the monitor's thread
 * });
 * s.bind("tcp://127.0.0.1:*");
 * @endcode
 *
 * The reading PAIR socket is created on the constructing thread and handed to the
 * monitor thread (release()/adopt()), which owns it from then on. The thread ends
 * when monitoring ends (monitor_stopped: stop() was called or the monitored socket
 * closed) or when the context stops. If the callback throws, later events are
 * read and dropped (the monitor stays registered, so libzmq never blocks) and
 * stop() rethrows the exception.
 *
 * @pre `ctx` is the monitored socket's context, and the monitored socket outlives
 *   the monitor_thread and is not moved while it is monitored.
 *
 * @par Thread Safety
 * Construct it, call stop() and destroy it on the monitored socket's owner thread
 * (unregistering a monitor is a call on that socket). running() may be called
 * from any thread. The callback runs on the monitor thread, one event at a time.
 * A monitor_thread destroyed on another thread while monitoring is active is
 * reported as a fatal diagnostic (the default handler aborts), as a socket is.
 */
class monitor_thread {
public:
    /// The callback type; it runs on the monitor thread.
    using handler = std::function<void(const monitor_event&)>;

    /// An empty monitor_thread (no thread).
    monitor_thread() noexcept = default;

    /// Starts monitoring `monitored` and the thread that runs `on_event`.
    /**
     * @param ctx the context of `monitored`.
     * @param monitored the socket to watch; owned by the calling thread.
     * @param on_event called on the monitor thread for each event in `events`.
     * @param events the events passed to `on_event` (monitor_stopped, the last one,
     *   only when it is in the set).
     * @param site where the monitor is created (filled in by default).
     * @throws wrong_thread when the calling thread does not own `monitored`;
     *   stopped when the context is stopping; error (EINVAL) for an empty handler
     *   or when `ctx` is not the monitored socket's context; std::system_error when
     *   no thread can be started (the monitor is unregistered first).
     */
    monitor_thread(context& ctx, zmqraii::socket& monitored, handler on_event,
                   event_set events = event_set::all(), detail::source_site site = {}) {
        if (!on_event)
            throw error(EINVAL, "monitor_thread of " + monitored.describe() +
                                    ": the event handler is empty");
        zmqraii::socket reader(ctx, socket_type::pair, detail::monitor_name(monitored), site);
        detail::start_monitor(reader, monitored, events);
        auto st = std::make_shared<shared_state>();
        st->reader = std::move(reader).release();
        try {
            thread_ = std::thread(&monitor_thread::run, st, std::move(on_event), events);
        } catch (...) {
            detail::stop_monitor(monitored);  // before the handoff closes the reader
            throw;
        }
        monitored_ = &monitored;
        state_ = std::move(st);
    }

    monitor_thread(const monitor_thread&) = delete;
    monitor_thread& operator=(const monitor_thread&) = delete;

    /// Takes over `other`'s thread; `other` becomes empty.
    monitor_thread(monitor_thread&& other) noexcept
        : monitored_(std::exchange(other.monitored_, nullptr)),
          state_(std::move(other.state_)),
          thread_(std::move(other.thread_)),
          origin_(other.origin_) {}

    /// Stops this monitor (as the destructor does), then takes over `other`'s.
    monitor_thread& operator=(monitor_thread&& other) noexcept {
        if (this != &other) {
            stop_noexcept();
            monitored_ = std::exchange(other.monitored_, nullptr);
            state_ = std::move(other.state_);
            thread_ = std::move(other.thread_);
            origin_ = other.origin_;
        }
        return *this;
    }

    /// Stops the monitor and joins its thread (see stop()). Errors are reported
    /// through the diagnostic handler.
    ~monitor_thread() { stop_noexcept(); }

    /// Unregisters the monitor, waits for the thread to deliver the last event
    /// and end, and joins it. Idempotent.
    /**
     * When the context is stopping, or the monitored socket was closed, only
     * waits for the thread (it ends by itself).
     * @throws wrong_thread on a thread that does not own the monitored socket
     *   (nothing is stopped then); whatever the callback threw (once).
     */
    void stop() {
        if (!thread_.joinable()) return;
        origin_.check("monitor_thread stop");
        if (!state_->finished.load(std::memory_order_acquire)) detail::stop_monitor(*monitored_);
        thread_.join();
        if (state_->error) std::rethrow_exception(std::exchange(state_->error, nullptr));
    }

    /// True while the monitor thread runs. Any thread.
    bool running() const noexcept {
        return state_ && !state_->finished.load(std::memory_order_acquire);
    }

    /// The monitor thread's id (a default id when there is none).
    std::thread::id thread_id() const noexcept { return thread_.get_id(); }

private:
    struct shared_state {
        socket_handoff reader;  // adopted by the monitor thread
        std::atomic<bool> finished{false};
        std::exception_ptr error;  // written by the monitor thread before it ends
    };

    static void run(const std::shared_ptr<shared_state>& st, const handler& on_event,
                    event_set events) {
        try {
            zmqraii::socket reader = std::move(st->reader).adopt();
            bool failed = false;
            message head;
            for (;;) {
                reader.recv(head);
                const monitor_event e = detail::finish_event(reader, head);
                if (!failed && events.contains(e.kind)) {
                    try {
                        on_event(e);
                    } catch (...) {
                        st->error = std::current_exception();
                        failed = true;  // keep reading: libzmq must never block on us
                    }
                }
                if (e.kind == event_kind::monitor_stopped) break;
            }
        } catch (const stopped&) {
            // the context stops: the reader closes as this unwinds
        } catch (...) {
            if (!st->error) st->error = std::current_exception();
        }
        st->finished.store(true, std::memory_order_release);
    }

    void stop_noexcept() noexcept {
        if (!thread_.joinable()) return;
        if (origin_.forked()) {  // the thread is the parent's: not here to join
            detail::process_origin::abandon(thread_);
            return;
        }
        try {
            if (!state_->finished.load(std::memory_order_acquire))
                detail::stop_monitor(*monitored_);
        } catch (const wrong_thread& e) {
            report_diagnostic(severity::fatal,
                              std::string("monitor_thread destroyed on the wrong thread: it can "
                                          "only be stopped on the monitored socket's owner "
                                          "thread (") +
                                  e.what() + ")");
            // A handler that returns: the thread ends when the context stops.
            thread_.detach();
            return;
        } catch (const std::exception& e) {
            report_diagnostic(severity::report,
                              std::string("monitor_thread: could not unregister the monitor (the "
                                          "thread ends when the context stops): ") +
                                  e.what());
            thread_.detach();
            return;
        }
        thread_.join();
        if (!state_->error) return;
        try {
            std::rethrow_exception(std::exchange(state_->error, nullptr));
        } catch (const std::exception& e) {
            report_diagnostic(severity::report,
                              std::string("monitor_thread: the event handler threw: ") + e.what());
        } catch (...) {
            report_diagnostic(severity::report, "monitor_thread: the event handler threw");
        }
    }

    zmqraii::socket* monitored_ = nullptr;
    std::shared_ptr<shared_state> state_;
    std::thread thread_;
    detail::process_origin origin_;
};

static_assert(!std::is_copy_constructible_v<socket_monitor> &&
                  std::is_nothrow_move_constructible_v<socket_monitor>,
              "socket_monitor is move-only");
static_assert(!std::is_copy_constructible_v<monitor_thread> &&
                  std::is_nothrow_move_constructible_v<monitor_thread>,
              "monitor_thread is move-only");

ZMQRAII_ABI_END
}  // namespace zmqraii

#endif  // ZMQRAII_MONITOR_HPP_INCLUDED
