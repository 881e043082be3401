// SPDX-License-Identifier: MIT
/// @file proxy.hpp
/// Built-in proxies (zmq_proxy, zmq_proxy_steerable).
///
/// - proxy(): runs zmq_proxy on the calling thread, which owns the sockets, until
///   the context stops (then throws zmqraii::stopped).
/// - steerable_proxy: runs zmq_proxy_steerable on a thread it owns, with
///   pause(), resume(), statistics() and terminate() sent over an inproc PAIR
///   control socket that the creating thread owns.
#ifndef ZMQRAII_PROXY_HPP_INCLUDED
#define ZMQRAII_PROXY_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/context.hpp>
#include <zmqraii/detail/owner.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/options.hpp>
#include <zmqraii/socket.hpp>

#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace zmqraii::detail {

/// A thread's start-up outcome for the thread that waits for it: started, or
/// failed with an exception (std::promise<void>'s job, without <future>).
class start_signal {
public:
    void set_value() { finish(nullptr); }
    void set_exception(std::exception_ptr e) { finish(std::move(e)); }

    /// Waits for the outcome; rethrows the starting thread's exception.
    void get() {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [this] { return done_; });
        if (error_) std::rethrow_exception(error_);
    }

private:
    void finish(std::exception_ptr e) {
        std::lock_guard<std::mutex> lock(mutex_);
        error_ = std::move(e);
        done_ = true;
        cv_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    bool done_ = false;
    std::exception_ptr error_;
};

}  // namespace zmqraii::detail

namespace zmqraii {
ZMQRAII_ABI_BEGIN

/// Forwards messages between `frontend` and `backend` until the context stops.
/**
 * Every message received on one socket is sent on the other (a copy of each part
 * goes to `capture` when given). Runs on the calling thread: it must own every
 * socket passed.
 *
 * @param frontend the socket clients talk to.
 * @param backend the socket workers or subscribers talk to.
 * @param capture optional socket (PUB, PUSH, DEALER or PAIR) that gets a copy of
 *   every message part.
 * @throws wrong_thread when the calling thread does not own a socket; stopped
 *   when the context stops (the normal way out); error when libzmq fails.
 * @note It never returns normally: stop the context to end it, or use
 *   steerable_proxy, which also pauses, resumes and terminates.
 */
[[noreturn]] inline void proxy(socket& frontend, socket& backend, socket* capture = nullptr) {
    using detail::socket_access;
    int e = 0;
    {
        // The sockets are in use while zmq_proxy runs; a stop closes them once it
        // returned (ETERM).
        const detail::wide_call in(socket_access::wide_context({&frontend, &backend, capture}));
        socket_access::check(frontend, "proxy");
        socket_access::check(backend, "proxy");
        if (capture != nullptr) socket_access::check(*capture, "proxy");
        zmq_proxy(socket_access::raw(frontend), socket_access::raw(backend),
                  capture != nullptr ? socket_access::raw(*capture) : nullptr);
        e = zmq_errno();  // zmq_proxy returns only on error; ETERM when the context stops
    }
    if (e == ETERM) socket_access::note_stopped(frontend);
    detail::throw_error(e, "proxy", frontend.describe() + " <-> " + backend.describe());
}

/// The counters of a steerable proxy (zmq_proxy_steerable's STATISTICS reply).
/**
 * A multipart message counts once; its bytes are the sum of its parts.
 */
struct proxy_statistics {
    /// The counters of one side of the proxy.
    struct counters {
        std::uint64_t messages_received = 0;  ///< Messages the proxy read from it.
        std::uint64_t bytes_received = 0;     ///< Bytes of those messages.
        std::uint64_t messages_sent = 0;      ///< Messages the proxy wrote to it.
        std::uint64_t bytes_sent = 0;         ///< Bytes of those messages.
    };
    counters frontend;  ///< The frontend socket's counters.
    counters backend;   ///< The backend socket's counters.
};

/// How a steerable_proxy creates one of its sockets on its own thread.
/**
 * @code
 * auto front = zmqraii::proxy_endpoint::bound(zmqraii::socket_type::router, "tcp://0.0.0.0:5555");
 * front.configure = [](zmqraii::socket& s) { s.set(zmqraii::option::rcvhwm, 10000); };
 * @endcode
 */
struct proxy_endpoint {
    /// The socket type.
    socket_type type = socket_type::pair;
    /// Endpoints to bind, in order.
    std::vector<std::string> bind;
    /// Endpoints to connect, in order (after the binds).
    std::vector<std::string> connect;
    /// Optional: runs on the proxy thread before the binds and connects (options).
    std::function<void(socket&)> configure;
    /// Optional name for error messages and stop reports.
    std::string name;

    /// A socket of type `t` bound to `endpoint`.
    static proxy_endpoint bound(socket_type t, std::string endpoint) {
        proxy_endpoint p;
        p.type = t;
        p.bind.push_back(std::move(endpoint));
        return p;
    }
    /// A socket of type `t` connected to `endpoint`.
    static proxy_endpoint connected(socket_type t, std::string endpoint) {
        proxy_endpoint p;
        p.type = t;
        p.connect.push_back(std::move(endpoint));
        return p;
    }
};

/// zmq_proxy_steerable on a thread of its own, controlled from the creating thread.
/**
 * @code
 * zmqraii::steerable_proxy px(ctx,
 *     zmqraii::proxy_endpoint::bound(zmqraii::socket_type::pull, "tcp://127.0.0.1:*"),
 *     zmqraii::proxy_endpoint::bound(zmqraii::socket_type::push, "tcp://127.0.0.1:*"));
 * std::string in = px.frontend_endpoint();     // wildcard resolved
 * px.pause();  px.resume();
 * zmqraii::proxy_statistics st = px.statistics();
 * px.terminate();                               // or let the destructor do it
 * @endcode
 *
 * The proxy's sockets belong to the proxy thread: it creates them from
 * proxy_endpoint specs, or adopts sockets handed to it (socket_handoff). The
 * constructor returns once they are set up, and rethrows any setup error
 * (a bind that failed names its endpoint).
 *
 * Commands go over an inproc PAIR socket owned by the creating thread. pause()
 * and resume() return once the proxy thread has applied them (each is followed
 * by a STATISTICS round trip, as libzmq sends no acknowledgement).
 *
 * The proxy thread ends on terminate(), on destruction and when the context
 * stops (zmq_proxy_steerable returns ETERM); it closes its sockets as it ends.
 *
 * @note libzmq 4.3.4 copies every control command to the capture socket, and a
 *   paused proxy with messages waiting on its frontend busy-polls a CPU core.
 *
 * @par Thread Safety
 * pause(), resume(), statistics(), terminate() and the destructor must be called
 * on the thread that created the proxy (they use its control socket; other
 * threads get zmqraii::wrong_thread). running() and the endpoint accessors may be
 * called from any thread.
 */
class steerable_proxy {
public:
    /// An empty proxy (no thread).
    steerable_proxy() noexcept = default;

    /// Creates the frontend, backend and (optional) capture sockets on a new
    /// proxy thread, and starts the proxy.
    /**
     * @param ctx the context of every socket; any thread may share it.
     * @param frontend how to create the frontend socket.
     * @param backend how to create the backend socket.
     * @param capture how to create the capture socket, if any.
     * @param site where the proxy is created (names its control socket).
     * @throws error naming the endpoint when a bind or connect fails; stopped when
     *   the context is stopping; whatever a `configure` callback throws.
     */
    steerable_proxy(context& ctx, proxy_endpoint frontend, proxy_endpoint backend,
                    std::optional<proxy_endpoint> capture = std::nullopt,
                    detail::source_site site = {})
        : control_(ctx, socket_type::pair, "steerable_proxy control", site) {
        start(ctx, [&ctx, site, f = std::move(frontend), b = std::move(backend),
                    c = std::move(capture)]() mutable {
            sockets s{make(ctx, f, "frontend", site), make(ctx, b, "backend", site),
                      zmqraii::socket()};
            if (c) s.capture = make(ctx, *c, "capture", site);
            return s;
        });
    }

    /// Adopts sockets created elsewhere on the proxy thread, and starts the proxy.
    /**
     * Release each socket on its owner thread first: `std::move(s).release()`.
     * @param ctx the context of the sockets.
     * @param frontend the frontend socket, handed off.
     * @param backend the backend socket, handed off.
     * @param capture the capture socket, handed off, or an empty handoff for none.
     * @param site where the proxy is created (names its control socket).
     * @throws error (EINVAL) for an empty frontend or backend handoff; stopped when
     *   the context is stopping.
     */
    steerable_proxy(context& ctx, socket_handoff frontend, socket_handoff backend,
                    socket_handoff capture = {}, detail::source_site site = {})
        : control_(ctx, socket_type::pair, "steerable_proxy control", site) {
        if (!frontend || !backend)
            throw error(EINVAL,
                        "steerable_proxy: the frontend and backend handoffs must not "
                        "be empty");
        start(ctx,
              [f = std::move(frontend), b = std::move(backend), c = std::move(capture)]() mutable {
                  sockets s{std::move(f).adopt(), std::move(b).adopt(), zmqraii::socket()};
                  if (c) s.capture = std::move(c).adopt();
                  return s;
              });
    }

    steerable_proxy(const steerable_proxy&) = delete;
    steerable_proxy& operator=(const steerable_proxy&) = delete;

    /// Takes over `other`'s proxy thread; `other` becomes empty.
    steerable_proxy(steerable_proxy&& other) noexcept = default;

    /// Terminates this proxy (as the destructor does), then takes over `other`'s.
    steerable_proxy& operator=(steerable_proxy&& other) noexcept {
        if (this != &other) {
            terminate_noexcept();
            control_ = std::move(other.control_);
            state_ = std::move(other.state_);
            thread_ = std::move(other.thread_);
            origin_ = other.origin_;
        }
        return *this;
    }

    /// Terminates the proxy and joins its thread; errors are reported, not thrown.
    /// In a forked child it does nothing (the proxy thread is the parent's).
    ~steerable_proxy() { terminate_noexcept(); }

    /// Stops forwarding; returns once the proxy thread has applied it.
    /// @throws stopped when the context is stopping; error (EFSM) when the proxy
    ///   has ended; wrong_thread off the creating thread.
    void pause() { command("PAUSE", "pause"); }

    /// Resumes forwarding; returns once the proxy thread has applied it.
    /// @throws as pause().
    void resume() { command("RESUME", "resume"); }

    /// The proxy's message and byte counters.
    /// @throws as pause().
    proxy_statistics statistics() { return ask_statistics("statistics"); }

    /// Ends the proxy and joins its thread. Idempotent; returns at once when the
    /// proxy has already ended (context stop).
    /**
     * @throws wrong_thread off the creating thread (nothing is terminated then);
     *   the error that ended the proxy thread, if one did (once).
     */
    void terminate() {
        if (!thread_.joinable()) return;
        origin_.check("steerable_proxy terminate");
        if (!state_->finished.load(std::memory_order_acquire)) {
            try {
                send_command("TERMINATE", "terminate");
            } catch (const stopped&) {
                // the proxy ends by itself on ETERM
            } catch (const error& e) {
                if (e.num() != EFSM) throw;  // EFSM: it ended meanwhile
            }
        }
        thread_.join();
        if (state_->error) std::rethrow_exception(std::exchange(state_->error, nullptr));
    }

    /// True while the proxy thread runs. Any thread.
    bool running() const noexcept {
        return state_ && !state_->finished.load(std::memory_order_acquire);
    }

    /// The frontend's last bound or connected endpoint, wildcards resolved
    /// ("tcp://127.0.0.1:41234"); empty for an empty proxy. Any thread.
    const std::string& frontend_endpoint() const noexcept { return endpoint(&shared::frontend); }
    /// The backend's last endpoint, as frontend_endpoint(). Any thread.
    const std::string& backend_endpoint() const noexcept { return endpoint(&shared::backend); }
    /// The capture socket's last endpoint; empty without one. Any thread.
    const std::string& capture_endpoint() const noexcept { return endpoint(&shared::capture); }

private:
    struct sockets {
        zmqraii::socket frontend;
        zmqraii::socket backend;
        zmqraii::socket capture;
    };

    struct shared {
        std::atomic<bool> finished{false};
        std::exception_ptr error;      // written by the proxy thread before it ends
        detail::start_signal started;  // the proxy thread's start-up outcome
        // Written by the proxy thread before it signals start-up; read-only after.
        std::string frontend;
        std::string backend;
        std::string capture;
    };

    static zmqraii::socket make(context& ctx, const proxy_endpoint& spec, const char* role,
                                detail::source_site site) {
        const std::string name =
            spec.name.empty() ? std::string("steerable_proxy ") + role : spec.name;
        zmqraii::socket s(ctx, spec.type, name, site);
        if (spec.configure) spec.configure(s);
        for (const auto& ep : spec.bind) s.bind(ep);
        for (const auto& ep : spec.connect) s.connect(ep);
        return s;
    }

    static std::string next_control_endpoint() {
        static std::atomic<std::uint64_t> counter{0};
        return "inproc://zmqraii.proxy-control." + std::to_string(counter.fetch_add(1) + 1);
    }

    static std::string last_endpoint_of(zmqraii::socket& s) {
        return s.is_open() ? s.last_endpoint() : std::string();
    }

    // Binds the control socket and starts the proxy thread, which runs `setup`
    // (creating or adopting the sockets) and reports the outcome before proxying.
    template <class Setup>
    void start(context& ctx, Setup setup) {
        const std::string control_ep = next_control_endpoint();
        control_.bind(control_ep);
        auto st = std::make_shared<shared>();
        thread_ = std::thread([st, &ctx, control_ep, setup = std::move(setup)]() mutable {
            run(st, ctx, control_ep, setup, st->started);
        });
        state_ = std::move(st);
        try {
            state_->started.get();
        } catch (...) {
            thread_.join();
            state_.reset();
            throw;
        }
    }

    template <class Setup>
    static void run(const std::shared_ptr<shared>& st, context& ctx, const std::string& control_ep,
                    Setup& setup, detail::start_signal& started) {
        bool running = false;
        try {
            sockets s = setup();
            zmqraii::socket control(ctx, socket_type::pair, "steerable_proxy control (proxy side)");
            control.connect(control_ep);
            st->frontend = last_endpoint_of(s.frontend);
            st->backend = last_endpoint_of(s.backend);
            st->capture = last_endpoint_of(s.capture);
            using detail::socket_access;
            zmqraii::socket* cap = s.capture.is_open() ? &s.capture : nullptr;
            for (const zmqraii::socket* x : {&s.frontend, &s.backend, cap, &control})
                if (x != nullptr)
                    socket_access::check(*x, "steerable_proxy");  // stopped: startup fails
            running = true;
            started.set_value();  // from here on `ctx` is not used
            int e = 0;
            {
                const detail::wide_call in(
                    socket_access::wide_context({&s.frontend, &s.backend, cap, &control}));
                socket_access::check(s.frontend, "steerable_proxy");
                socket_access::check(s.backend, "steerable_proxy");
                if (cap != nullptr) socket_access::check(*cap, "steerable_proxy");
                socket_access::check(control, "steerable_proxy");
                if (zmq_proxy_steerable(socket_access::raw(s.frontend),
                                        socket_access::raw(s.backend),
                                        cap != nullptr ? socket_access::raw(*cap) : nullptr,
                                        socket_access::raw(control)) != 0)
                    e = zmq_errno();
            }
            if (e == ETERM) socket_access::note_stopped(control);
            if (e != 0 && e != ETERM)
                detail::throw_error(e, "steerable_proxy zmq_proxy_steerable",
                                    s.frontend.describe() + " <-> " + s.backend.describe());
        } catch (...) {
            if (running)
                st->error = std::current_exception();
            else
                started.set_exception(std::current_exception());
        }
        st->finished.store(true, std::memory_order_release);
    }

    const std::string& endpoint(std::string shared::*which) const noexcept {
        static const std::string none;
        return state_ ? (*state_).*which : none;
    }

    [[noreturn]] void throw_ended(const char* op) const {
        throw error(EFSM, std::string("steerable_proxy ") + op +
                              ": the proxy thread has ended (terminated, or its context stopped)");
    }

    void check_running(const char* op) {
        if (!state_) throw error(EFSM, std::string("steerable_proxy ") + op + ": empty proxy");
        // owner and stop checks
        (void)detail::socket_access::enter(control_,
                                           ("steerable_proxy " + std::string(op)).c_str());
        if (state_->finished.load(std::memory_order_acquire)) throw_ended(op);
    }

    // A PAIR whose peer has gone blocks forever: wait in slices and watch the thread.
    void send_command(std::string_view cmd, const char* op) {
        check_running(op);
        for (;;) {
            if (control_.send_for(cmd, std::chrono::milliseconds(100))) return;
            if (state_->finished.load(std::memory_order_acquire)) throw_ended(op);
        }
    }

    message receive_reply(const char* op) {
        message m;
        for (;;) {
            if (control_.recv_for(m, std::chrono::milliseconds(100))) return m;
            if (state_->finished.load(std::memory_order_acquire)) {
                if (control_.try_recv(m)) return m;
                throw_ended(op);
            }
        }
    }

    proxy_statistics ask_statistics(const char* op) {
        send_command("STATISTICS", op);
        std::uint64_t v[8] = {};
        for (int i = 0; i < 8; ++i) {
            message part = receive_reply(op);
            if (part.size() != sizeof(std::uint64_t) || part.more() != (i < 7))
                throw error(EPROTO, std::string("steerable_proxy ") + op +
                                        ": malformed STATISTICS reply (part " +
                                        std::to_string(i + 1) + " of " +
                                        std::to_string(part.size()) + " bytes)");
            std::memcpy(&v[i], part.data(), sizeof v[i]);
        }
        proxy_statistics s;
        s.frontend = {v[0], v[1], v[2], v[3]};
        s.backend = {v[4], v[5], v[6], v[7]};
        return s;
    }

    void command(std::string_view cmd, const char* op) {
        send_command(cmd, op);
        // libzmq does not acknowledge PAUSE/RESUME; commands are handled in order,
        // so the STATISTICS reply proves this one was applied.
        (void)ask_statistics(op);
    }

    void terminate_noexcept() noexcept {
        if (!thread_.joinable()) return;
        if (origin_.forked()) {
            detail::process_origin::abandon(thread_);
            return;
        }
        try {
            terminate();
        } catch (const wrong_thread&) {
            // The control socket's destructor reports the wrong thread (fatal by
            // default). If the handler returns, the proxy ends when the context stops.
            thread_.detach();
        } catch (const std::exception& e) {
            report_diagnostic(severity::report, std::string("steerable_proxy: ") + e.what());
        } catch (...) {
            report_diagnostic(severity::report, "steerable_proxy: unknown error");
        }
    }

    zmqraii::socket control_;
    std::shared_ptr<shared> state_;
    std::thread thread_;
    detail::process_origin origin_;
};

static_assert(!std::is_copy_constructible_v<steerable_proxy> &&
                  std::is_nothrow_move_constructible_v<steerable_proxy>,
              "steerable_proxy is move-only");

ZMQRAII_ABI_END
}  // namespace zmqraii

#endif  // ZMQRAII_PROXY_HPP_INCLUDED
