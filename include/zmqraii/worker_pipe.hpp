// SPDX-License-Identifier: MIT
/// @file worker_pipe.hpp
/// zmqraii::worker_pipe: one end of the pipe between a worker thread and the
/// thread that started it (see worker.hpp).
///
/// The pipe is an inproc PAIR pair: the parent end is created by the thread that
/// constructs the worker (and owned by it), the worker end by the worker thread.
/// Every message on the pipe starts with a one-byte header part, so that the stop
/// request ("the parent wants the worker to stop") and the end notice ("the worker
/// body has ended") can never be confused with what the user sends; worker_pipe
/// adds and removes the headers, the user sees only their own parts.
#ifndef ZMQRAII_WORKER_PIPE_HPP_INCLUDED
#define ZMQRAII_WORKER_PIPE_HPP_INCLUDED

#include <zmqraii/buffer.hpp>
#include <zmqraii/config.hpp>
#include <zmqraii/detail/time.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/multipart.hpp>
#include <zmqraii/socket.hpp>

#include <zmq.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#if ZMQRAII_HAS_STOP_TOKEN
#include <stop_token>
#endif

namespace zmqraii {

ZMQRAII_ABI_BEGIN
class worker;
ZMQRAII_ABI_END

namespace detail {

ZMQRAII_ABI_BEGIN
template <class Body>
struct worker_run;
ZMQRAII_ABI_END

// Header part of every pipe message.
inline constexpr char pipe_frame_message = 'm';  // user parts follow
inline constexpr char pipe_frame_stop = 's';     // parent -> worker: stop
inline constexpr char pipe_frame_done = 'd';     // worker -> parent: the body ended

// What the parent and the worker thread share.
struct worker_state {
    std::string name;      // "worker 'x'" or "worker"
    std::string endpoint;  // inproc endpoint of the pipe

    std::mutex mutex;
    std::condition_variable cv;
    bool ready = false;        // guarded: the body signalled ready
    bool ended = false;        // guarded: the body has ended
    std::exception_ptr error;  // guarded: what the body threw (not stopped after ready)
    std::atomic<bool> ended_flag{false};
    std::atomic<bool> stop_flag{false};
#if ZMQRAII_HAS_STOP_TOKEN
    std::stop_source source;
#endif

    void signal_ready() {
        std::lock_guard<std::mutex> lock(mutex);
        if (ready) return;
        ready = true;
        cv.notify_all();
    }
    bool is_ready() {
        std::lock_guard<std::mutex> lock(mutex);
        return ready;
    }
    void signal_ended(std::exception_ptr e) noexcept {
        std::lock_guard<std::mutex> lock(mutex);
        error = std::move(e);
        ended = true;
        ended_flag.store(true, std::memory_order_release);
        cv.notify_all();
    }
    void request_stop() noexcept {
        stop_flag.store(true, std::memory_order_release);
#if ZMQRAII_HAS_STOP_TOKEN
        source.request_stop();
#endif
    }
    static std::string next_endpoint() {
        static std::atomic<std::uint64_t> counter{0};
        return "inproc://zmqraii.worker." + std::to_string(++counter);
    }
};

}  // namespace detail

ZMQRAII_ABI_BEGIN

/// One end of the pipe between a worker and its parent.
/**
 * Send and receive as on a PAIR socket (multipart with send_flags::more and
 * message::more()); the pipe's own header parts are invisible. A receive that
 * meets the other end's stop throws zmqraii::stopped: on the worker end when the
 * parent called worker::stop() (or destroyed the worker), on the parent end once
 * the worker body has ended. Every later receive throws the same at once.
 *
 * socket() is there to register the pipe with a poller: when it polls readable,
 * call recv() or try_recv() on the pipe (never on the socket, which would see the
 * headers). Do not close it.
 *
 * @par Thread Safety
 * Like a socket: only the thread that owns the end may use it (the worker end
 * belongs to the worker thread, the parent end to the thread that constructed
 * the worker); other threads get wrong_thread.
 */
class worker_pipe {
public:
    /// An empty pipe end; every operation throws.
    worker_pipe() noexcept = default;
    worker_pipe(const worker_pipe&) = delete;
    worker_pipe& operator=(const worker_pipe&) = delete;
    /// Takes over `other`'s end; `other` becomes empty.
    worker_pipe(worker_pipe&& other) noexcept = default;
    /// Closes this end (on its owner thread), then takes over `other`'s.
    worker_pipe& operator=(worker_pipe&& other) noexcept = default;
    ~worker_pipe() = default;

    // send, try_send and send_for take the same arguments as the socket's:
    // bytes (a const_buffer: string literal, std::string, any contiguous
    // container...), a message (moved) or a multipart (all of it).

    /// Sends one part; send_flags::more says that more parts of it follow.
    /**
     * On the worker end this blocks like a PAIR send (a context stop wakes it),
     * and throws stopped once the parent asked the worker to stop (the parent
     * would drop what it sends). On the parent end it throws instead of blocking
     * for ever once the worker ended.
     * @throws stopped when the context stops, and as said above; error otherwise.
     *   On a throw a message is unchanged.
     */
    void send(const_buffer bytes, send_flags flags = send_flags::none) {
        (void)begin_send("send", never());
        socket_.send(bytes, flags);
        note_sent(flags);
    }
    /// Sends a message part (moved). @throws as send(const_buffer).
    void send(message&& m, send_flags flags = send_flags::none) {
        (void)begin_send("send", never());
        socket_.send(std::move(m), flags);
        note_sent(flags);
    }
    /// Sends every part of `m` as one message. @throws as send(const_buffer).
    void send(multipart&& m) { (void)send_parts("send", std::move(m), never()); }

    /// Sends one part if it can go without blocking. @return false (nothing sent)
    /// otherwise. @throws as send().
    [[nodiscard]] bool try_send(const_buffer bytes, send_flags flags = send_flags::none) {
        if (!begin_send("try_send", clock::now())) return false;
        socket_.send(bytes, flags);  // after the first part, the rest never blocks
        note_sent(flags);
        return true;
    }
    /// Sends a message part without blocking; on false `m` is unchanged.
    [[nodiscard]] bool try_send(message&& m, send_flags flags = send_flags::none) {
        if (!begin_send("try_send", clock::now())) return false;
        socket_.send(std::move(m), flags);
        note_sent(flags);
        return true;
    }
    /// Sends every part of `m` if it can start without blocking.
    [[nodiscard]] bool try_send(multipart&& m) {
        return send_parts("try_send", std::move(m), clock::now());
    }

    /// Sends one part, waiting at most `timeout`. @return false on timeout.
    template <class Rep, class Period>
    [[nodiscard]] bool send_for(const_buffer bytes, std::chrono::duration<Rep, Period> timeout,
                                send_flags flags = send_flags::none) {
        if (!begin_send("send_for", detail::deadline_after(timeout))) return false;
        socket_.send(bytes, flags);
        note_sent(flags);
        return true;
    }
    /// Sends a message part, waiting at most `timeout`; on false `m` is unchanged.
    template <class Rep, class Period>
    [[nodiscard]] bool send_for(message&& m, std::chrono::duration<Rep, Period> timeout,
                                send_flags flags = send_flags::none) {
        if (!begin_send("send_for", detail::deadline_after(timeout))) return false;
        socket_.send(std::move(m), flags);
        note_sent(flags);
        return true;
    }
    /// Sends every part of `m`, waiting at most `timeout` for it to start.
    template <class Rep, class Period>
    [[nodiscard]] bool send_for(multipart&& m, std::chrono::duration<Rep, Period> timeout) {
        return send_parts("send_for", std::move(m), detail::deadline_after(timeout));
    }

    /// Receives one part, blocking.
    /// @throws stopped when the other end stopped or ended, or the context stops.
    message recv() { return *receive("recv", never()); }

    /// Receives one part without blocking. @return an empty optional when none is
    /// ready. @throws as recv().
    [[nodiscard]] std::optional<message> try_recv() { return receive("try_recv", clock::now()); }

    /// Receives one part, waiting at most `timeout`. @return an empty optional on
    /// timeout. @throws as recv().
    template <class Rep, class Period>
    [[nodiscard]] std::optional<message> recv_for(std::chrono::duration<Rep, Period> timeout) {
        const auto now = clock::now();
        const auto left = never() - now;
        if (std::chrono::duration<double>(timeout) >= std::chrono::duration<double>(left))
            return receive("recv_for", never());
        if (timeout <= std::chrono::duration<Rep, Period>::zero()) return receive("recv_for", now);
        return receive("recv_for", now + std::chrono::duration_cast<clock::duration>(timeout));
    }

    /// The underlying PAIR socket, to register with a poller. Do not read, write
    /// or close it directly.
    zmqraii::socket& socket() noexcept { return socket_; }

    /// True once a receive met the other end's stop (or end) notice.
    bool peer_stopped() const noexcept { return peer_stopped_; }

    /// False for an empty (moved-from) pipe end.
    explicit operator bool() const noexcept { return socket_.is_open(); }

private:
    friend class worker;
    template <class Body>
    friend struct detail::worker_run;

    using clock = std::chrono::steady_clock;
    static clock::time_point never() noexcept { return clock::time_point::max(); }
    static constexpr std::chrono::milliseconds slice{100};

    worker_pipe(zmqraii::socket s, bool parent_end, std::shared_ptr<detail::worker_state> st)
        : socket_(std::move(s)), state_(std::move(st)), parent_end_(parent_end) {}

    bool worker_ended() const noexcept {
        return state_ && state_->ended_flag.load(std::memory_order_acquire);
    }

    [[noreturn]] void throw_peer(const char* op) const {
        const std::string what =
            std::string(op) + " on the pipe of " + (state_ ? state_->name : std::string("worker"));
        if (parent_end_) throw stopped(what + ": the worker has ended");
        throw stopped(what + ": the parent asked the worker to stop");
    }

    // Sends the header of a new message unless a multipart send is under way.
    // False when `deadline` passed first (nothing sent). Once the header part is
    // queued, the parts after it never block (libzmq counts whole messages
    // against the high-water mark).
    bool begin_send(const char* op, clock::time_point deadline) {
        if (parent_end_ ? (peer_stopped_ || worker_ended())
                        : (state_ && state_->stop_flag.load(std::memory_order_acquire)))
            throw_peer(op);
        if (send_mid_) return true;
        const char h = detail::pipe_frame_message;
        const std::string_view header(&h, 1);
        for (;;) {
            const auto now = clock::now();
            if (deadline <= now) return socket_.try_send(header, send_flags::more);
            // The parent end waits in slices and gives up once the worker has
            // ended, rather than block for ever.
            auto until = deadline;
            if (parent_end_ && deadline - now > slice) until = now + slice;
            if (!parent_end_ && deadline == never()) {
                socket_.send(header, send_flags::more);
                return true;
            }
            if (socket_.send_for(header, until - now, send_flags::more)) return true;
            if (parent_end_ && worker_ended()) throw_peer(op);
        }
    }

    void note_sent(send_flags flags) noexcept {
        send_mid_ = (static_cast<int>(flags) & ZMQ_SNDMORE) != 0;
    }

    // A whole multipart message behind one header; false when `deadline` passed
    // before it could start (`m` unchanged).
    bool send_parts(const char* op, multipart&& m, clock::time_point deadline) {
        if (m.empty())
            throw error(EINVAL, std::string(op) + " on the pipe of " +
                                    (state_ ? state_->name : std::string("worker")) +
                                    ": a message needs at least one part (the multipart is empty)");
        if (send_mid_)
            throw error(EFSM, std::string(op) + " on the pipe of " +
                                  (state_ ? state_->name : std::string("worker")) +
                                  ": a message sent with send_flags::more is not finished");
        if (!begin_send(op, deadline)) return false;
        const std::size_t n = m.size();
        for (std::size_t i = 0; i < n; ++i)
            socket_.send(std::move(m[i]), i + 1 < n ? send_flags::more : send_flags::none);
        m.clear();
        return true;
    }

    // Ends a multipart message the user left unfinished (before a control frame).
    void finish_partial() {
        if (send_mid_) socket_.send(std::string_view());
        send_mid_ = false;
    }

    // The worker end's last words: "the body ended". Blocks like a send; the
    // parent drains its end in join(), stop() and its destructor.
    void send_done() {
        finish_partial();
        const char d = detail::pipe_frame_done;
        socket_.send(std::string_view(&d, 1));
    }

    // Waits for a header part until `deadline`.
    bool next_header(const char* op, message& h, clock::time_point deadline) {
        for (;;) {
            const auto now = clock::now();
            if (deadline <= now) return socket_.try_recv(h);
            if (!parent_end_) {
                if (deadline == never()) {
                    socket_.recv(h);
                    return true;
                }
                return socket_.recv_for(h, deadline - now);
            }
            // Parent end: in slices, so that a worker whose end notice cannot
            // arrive (its pipe was closed by hand) does not block the parent.
            const auto until = (deadline - now > slice) ? now + slice : deadline;
            if (socket_.recv_for(h, until - now)) return true;
            if (worker_ended()) {
                if (socket_.try_recv(h)) return true;
                peer_stopped_ = true;
                throw_peer(op);
            }
        }
    }

    std::optional<message> receive(const char* op, clock::time_point deadline) {
        message m;
        for (;;) {
            if (recv_mid_) {  // the rest of a message: all its parts arrived together
                socket_.recv(m);
                recv_mid_ = m.more();
                return std::optional<message>(std::move(m));
            }
            if (peer_stopped_) throw_peer(op);
            if (!next_header(op, m, deadline)) return std::nullopt;
            const char kind = m.size() == 1 ? *static_cast<const char*>(m.data()) : '\0';
            const bool more = m.more();
            if (kind == detail::pipe_frame_message && more) {
                recv_mid_ = true;
                continue;
            }
            while (m.more()) socket_.recv(m);  // not ours: skip the whole message
            if (!more &&
                kind == (parent_end_ ? detail::pipe_frame_done : detail::pipe_frame_stop)) {
                peer_stopped_ = true;
                if (!parent_end_ && state_) state_->request_stop();
                throw_peer(op);
            }
        }
    }

    zmqraii::socket socket_;
    std::shared_ptr<detail::worker_state> state_;
    bool parent_end_ = false;
    bool send_mid_ = false;
    bool recv_mid_ = false;
    bool peer_stopped_ = false;
};

static_assert(std::is_nothrow_move_constructible_v<worker_pipe>,
              "worker_pipe moves without throwing");

ZMQRAII_ABI_END
}  // namespace zmqraii

#endif  // ZMQRAII_WORKER_PIPE_HPP_INCLUDED
