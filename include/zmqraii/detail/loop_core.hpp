// SPDX-License-Identifier: MIT
// detail/loop_core.hpp: the state and the iteration of a zmqraii::loop (loop.hpp).
//
// A loop is one thread's event loop. Its heap state (loop_core) is what waiting
// coroutines point to, so the loop object itself stays movable.
//
// One iteration (loop_core::iterate):
//   1. the poll set: the wake descriptor (post() and stop() from other threads),
//      every source (socket or descriptor) with a handler or a waiter, and, when
//      no socket of the loop's context is among them, the loop's own idle socket,
//      so that a context stop always ends zmq_poll (ETERM);
//   2. zmq_poll under one wide mark (detail/owner.hpp), with the time left to
//      the earliest timer as timeout; every socket is checked (owner, stop,
//      closed) inside the mark, right before the call;
//   3. posted functions; then each ready source: its waiters first (each waiter's
//      attempt completes its operation or leaves it, and the waiters behind it,
//      waiting), then its handler, called again while the socket stays readable
//      (ZMQ_EVENTS), so a busy socket costs no poll per message;
//   4. the timers that were due when the poll returned, in deadline order;
//   5. the ready queue: spawned tasks that start, coroutines that yielded.
//
// Waiters, handlers and sources are in detail/loop_waiter.hpp, the timers in
// detail/loop_timers.hpp. Waiters are intrusive nodes that live in coroutine
// frames: waiting allocates nothing, and a frame destroyed while it waits
// unlinks itself.
// Coroutines resume inline, on the loop's stack; a coroutine whose operations
// complete without blocking keeps running, and after max_burst of them in a row
// its next operation yields once to the loop (fairness to other sources).
//
// At a context stop every waiter is resumed with a stopped exception, later
// awaits throw at once, and run() throws stopped.
#ifndef ZMQRAII_DETAIL_LOOP_CORE_HPP_INCLUDED
#define ZMQRAII_DETAIL_LOOP_CORE_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/context.hpp>
#include <zmqraii/detail/loop_timers.hpp>
#include <zmqraii/detail/loop_waiter.hpp>
#include <zmqraii/detail/owner.hpp>
#include <zmqraii/detail/time.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/mailbox.hpp>
#include <zmqraii/socket.hpp>

#include <zmq.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace zmqraii {
ZMQRAII_ABI_BEGIN

class loop;

ZMQRAII_ABI_END
namespace detail {
ZMQRAII_ABI_BEGIN

/// The loop running on this thread (set by loop::run), for this_loop() and awaiters.
inline thread_local loop* running_loop = nullptr;
inline thread_local loop_core* running_core = nullptr;

/// Whether `e` holds a zmqraii::stopped.
inline bool is_stopped(const std::exception_ptr& e) noexcept {
    try {
        std::rethrow_exception(e);
    } catch (const stopped&) {
        return true;
    } catch (...) {
        return false;
    }
}

class loop_core {
public:
    using clock = std::chrono::steady_clock;
    /// Operations that complete without blocking, in a row, before one yields.
    static constexpr unsigned max_burst = 64;
    /// Calls of one socket handler per iteration, at most.
    static constexpr unsigned max_handler_burst = 256;
    /// How often mailbox waiters look again without a signal (a mailbox's
    /// close() does not make its descriptor readable), as mailbox::pop() does.
    static constexpr long mailbox_recheck_ms = 10;

    loop_core(context& ctx, source_site site)
        : owner_(this_thread_record()),
          owner_raw_(owner_.get()),
          site_(site),
          ctx_sock_(ctx, socket_type::pair, "zmqraii::loop (wakes it at a stop)", site) {}

    loop_core(const loop_core&) = delete;
    loop_core& operator=(const loop_core&) = delete;
    loop_core(loop_core&&) = delete;
    loop_core& operator=(loop_core&&) = delete;

    ~loop_core() {
        // Frames first: their awaiters unlink themselves from what is still here.
        while (roots_ != nullptr) {
            loop_root& r = *roots_;
            unlink_root(r);
            r.destroy(r);
        }
        reap();
        // Waiters no frame of ours holds (a coroutine we do not own): forget them.
        auto detach_all = [](waiter_list& l) noexcept {
            while (loop_waiter* w = l.front()) {
                l.erase(*w);
                w->at = loop_waiter::place::none;
                w->core = nullptr;
                w->source = nullptr;
            }
        };
        detach_all(ready_);
        for (auto& s : sources_) {
            detach_all(s->readers);
            detach_all(s->writers);
        }
        timers_.detach_waiters();
    }

    // ---- ownership ----------------------------------------------------------

    void check(const char* op) const {
#if ZMQRAII_THREAD_CHECKS
        if (ZMQRAII_UNLIKELY(current_thread != owner_raw_)) check_owner_slow(op);
#else
        (void)op;
#endif
    }

    std::thread::id owner_id() const noexcept { return owner_->id; }
    bool owner_alive() const noexcept { return owner_->alive.load(std::memory_order_acquire); }
    bool on_owner_thread() const { return this_thread_raw() == owner_raw_; }
    bool running() const noexcept { return running_; }
    bool stopped() const noexcept { return stopped_; }

    /// The loop running on the calling thread. @throws error when none runs.
    static loop_core& current(const char* op) {
        loop_core* c = running_core;
        if (ZMQRAII_UNLIKELY(c == nullptr)) throw_not_running(op);
        return *c;
    }

    [[noreturn]] ZMQRAII_COLD static void throw_not_running(const char* op) {
        throw error(EINVAL, std::string(op) +
                                ": no zmqraii::loop is running on this thread; co_await the "
                                "operations of zmqraii/task.hpp only in tasks that a running loop "
                                "resumes (loop.spawn(t), then loop.run())");
    }

    /// Throws stopped once the loop's context has stopped (every await checks).
    void check_not_stopped(const char* op) const {
        if (ZMQRAII_UNLIKELY(stopped_)) throw_stopped(op);
    }

    [[noreturn]] ZMQRAII_COLD static void throw_stopped(const char* op) {
        throw zmqraii::stopped(std::string(op) + ": the loop's context was stopped");
    }

    /// Called when an operation completed without suspending: true to go on
    /// without suspending, false (once every max_burst) to yield to the loop.
    bool burst() noexcept { return ++streak_ < max_burst; }

    // ---- handlers -----------------------------------------------------------

    void add_handler(socket& s, loop_handler fn, handler_mode mode, const char* op) {
        (void)socket_access::enter(s, op);  // owner and stop check, like poller::add
        if (!fn)
            throw error(EINVAL, std::string(op) + " " + s.describe() + ": the handler is empty");
        loop_source& src = source_of(s);
        check_free(src, op, s.describe());
        if (!src.readers.empty())
            throw error(EINVAL, std::string(op) + " " + s.describe() +
                                    ": coroutines are waiting to receive from it; a socket's "
                                    "messages go either to one handler or to co_await");
        src.handler = std::move(fn);
        src.mode = mode;
    }

    void add_handler(int fd, loop_handler fn, bool mailbox, const char* op) {
        if (fd < 0)
            throw error(EBADF,
                        std::string(op) + " fd " + std::to_string(fd) + ": not a file descriptor");
        if (!fn)
            throw error(EINVAL,
                        std::string(op) + " fd " + std::to_string(fd) + ": the handler is empty");
        loop_source& src = source_of(fd);
        check_free(src, op, "fd " + std::to_string(fd));
        if (!src.readers.empty())
            throw error(EINVAL, std::string(op) + " fd " + std::to_string(fd) +
                                    ": coroutines are waiting on it (async_pop)");
        src.mailbox = mailbox;
        src.handler = std::move(fn);
        src.mode = handler_mode::once;
    }

    bool remove_handler(const socket& s) noexcept {
        auto it = by_socket_.find(&s);
        return it != by_socket_.end() && drop_handler(*it->second);
    }

    bool remove_handler(int fd) noexcept {
        auto it = by_fd_.find(fd);
        return it != by_fd_.end() && drop_handler(*it->second);
    }

    bool has_handler(const socket& s) const noexcept {
        auto it = by_socket_.find(&s);
        return it != by_socket_.end() && it->second->has_handler();
    }
    bool has_handler(int fd) const noexcept {
        auto it = by_fd_.find(fd);
        return it != by_fd_.end() && it->second->has_handler();
    }

    std::size_t handler_count() const noexcept {
        std::size_t n = 0;
        for (const auto& s : sources_)
            if (s->has_handler()) ++n;
        return n;
    }

    // ---- timers -------------------------------------------------------------

    std::uint64_t add_timer(clock::duration first, clock::duration period,
                            std::function<void()> fn) {
        return timers_.add(first, period, std::move(fn));
    }
    bool cancel_timer(std::uint64_t id) noexcept { return timers_.cancel(id); }
    std::size_t timer_count() const noexcept { return timers_.count(); }

    // ---- waiters (task.hpp) -------------------------------------------------

    /// Waits until `s` is readable (writable), then attempt()s in FIFO order.
    void wait_socket(socket& s, loop_waiter& w, bool write) {
        loop_source& src = source_of(s);
        if (!write && src.has_handler())
            throw error(EINVAL, std::string(w.op) + " on " + s.describe() +
                                    ": the socket has a loop handler (on_readable); a socket's "
                                    "messages go either to one handler or to co_await");
        link(w, src, write ? loop_waiter::place::writers : loop_waiter::place::readers);
    }

    /// Waits until `fd` is readable; a mailbox's waiters also attempt every
    /// mailbox_recheck_ms, since close() does not signal the descriptor.
    void wait_fd(int fd, loop_waiter& w, bool mailbox) {
        loop_source& src = source_of(fd);
        if (src.has_handler())
            throw error(EINVAL, std::string(w.op) +
                                    ": the mailbox has a loop handler (on_readable); its values go "
                                    "either to one handler or to co_await");
        src.mailbox = mailbox;
        link(w, src, loop_waiter::place::readers);
    }

    /// Resumes `w` at `due` (or in the ready queue when that has passed).
    void wait_until(loop_waiter& w, steady_time due) {
        const std::uint64_t id = timers_.add_waiter(w, due);
        w.core = this;
        w.source = nullptr;
        w.timer = id;
        w.at = loop_waiter::place::timer;
    }

    /// Resumes `w` from the ready queue (a yield, a task that starts).
    void make_ready(loop_waiter& w) noexcept {
        w.core = this;
        w.source = nullptr;
        w.timer = 0;
        w.at = loop_waiter::place::ready;
        ready_.push_back(w);
    }

    void unlink(loop_waiter& w) noexcept {
        switch (w.at) {
            case loop_waiter::place::readers: w.source->readers.erase(w); break;
            case loop_waiter::place::writers: w.source->writers.erase(w); break;
            case loop_waiter::place::timer: timers_.erase(w.timer); break;
            case loop_waiter::place::ready: ready_.erase(w); break;
            case loop_waiter::place::none: break;
        }
        w.at = loop_waiter::place::none;
        w.core = nullptr;
        w.source = nullptr;
        w.timer = 0;
    }

    // ---- spawned tasks (task.hpp) -------------------------------------------

    void add_root(loop_root& r) noexcept {
        r.core = this;
        r.prev = nullptr;
        r.next = roots_;
        if (roots_ != nullptr) roots_->prev = &r;
        roots_ = &r;
        ++root_count_;
    }

    /// A spawned task reached its end; its frame is destroyed once the resume
    /// that finished it has returned.
    void root_finished(loop_root& r) noexcept {
        unlink_root(r);
        r.finished = true;
        r.next = finished_;
        finished_ = &r;
        if (!running_) reap();
    }

    std::size_t task_count() const noexcept { return root_count_; }

    // ---- any thread ---------------------------------------------------------

    void post(std::function<void()> fn) {
        if (!fn) throw error(EINVAL, "loop post: the function is empty");
        std::lock_guard<std::mutex> lock(post_mutex_);
        posted_.push_back(std::move(fn));
        signal_locked();
    }

    void request_stop() noexcept {
        stop_requested_.store(true, std::memory_order_release);
        try {
            std::lock_guard<std::mutex> lock(post_mutex_);
            signal_locked();
        } catch (...) {  // std::system_error from the mutex: the flag is set anyway
        }
    }

    // ---- the loop -------------------------------------------------------------

    void run() {
        if (running_)
            throw error(EINVAL,
                        "loop run: the loop is running already (run() called from one of its "
                        "handlers or tasks)");
        struct running_scope {
            loop_core& c;
            explicit running_scope(loop_core& core) noexcept : c(core) { c.running_ = true; }
            running_scope(const running_scope&) = delete;
            running_scope& operator=(const running_scope&) = delete;
            running_scope(running_scope&&) = delete;
            running_scope& operator=(running_scope&&) = delete;
            ~running_scope() {
                c.running_ = false;
                c.reap();
            }
        } scope(*this);
        try {
            if (stopped_) throw zmqraii::stopped("loop run: the loop's context was stopped");
            for (;;) {
                if (stop_requested_.exchange(false, std::memory_order_acq_rel)) return;
                iterate();
            }
        } catch (const zmqraii::stopped&) {
            // A handler's operation saw the stop first: the same end as a poll's.
            if (!stopped_ && context_stopping()) {
                stopped_ = true;
                fail_all();
            }
            throw;
        }
    }

private:
    struct failure {
        loop_source* source;  // null: the loop's own socket
        std::exception_ptr error;
    };

    ZMQRAII_COLD void check_owner_slow(const char* op) const {
        if (this_thread_raw() == owner_raw_) return;
        throw wrong_thread(std::string("wrong thread: loop ") + op + " on loop (created at " +
                           site_.to_string() + "), owned by " + owner_->label() + ", called from " +
                           this_thread_record()->label() +
                           ". A loop belongs to the thread that created it, as its sockets do; "
                           "other threads may only post() to it and stop() it");
    }

    // ---- sources ------------------------------------------------------------

    loop_source& source_of(socket& s) {
        auto it = by_socket_.find(&s);
        if (it != by_socket_.end()) return *it->second;
        auto src = std::make_unique<loop_source>();
        src->sock = &s;
        loop_source& ref = *src;
        sources_.push_back(std::move(src));
        try {
            by_socket_.emplace(&s, &ref);
        } catch (...) {
            sources_.pop_back();
            throw;
        }
        return ref;
    }

    loop_source& source_of(int fd) {
        auto it = by_fd_.find(fd);
        if (it != by_fd_.end()) return *it->second;
        auto src = std::make_unique<loop_source>();
        src->fd = fd;
        loop_source& ref = *src;
        sources_.push_back(std::move(src));
        try {
            by_fd_.emplace(fd, &ref);
        } catch (...) {
            sources_.pop_back();
            throw;
        }
        return ref;
    }

    void check_free(const loop_source& src, const char* op, const std::string& what) const {
        if (src.drop_after_call)
            throw error(EINVAL, std::string(op) + " " + what +
                                    ": a handler cannot register a new handler for its own "
                                    "source after removing itself; post() the registration");
        if (src.handler)
            throw error(EINVAL, std::string(op) + " " + what +
                                    ": a handler is registered already (remove() it first)");
    }

    bool drop_handler(loop_source& src) noexcept {
        if (!src.has_handler()) return false;
        if (executing_ == &src) {
            // It is removing itself: the function object lives until its call returns.
            src.drop_after_call = true;
            return true;
        }
        src.handler = nullptr;
        src.mailbox = false;
        return true;
    }

    void link(loop_waiter& w, loop_source& src, loop_waiter::place where) noexcept {
        w.core = this;
        w.source = &src;
        w.timer = 0;
        w.at = where;
        (where == loop_waiter::place::writers ? src.writers : src.readers).push_back(w);
    }

    // Forgets idle sources (no handler, no waiter) once they are many: a source
    // is kept while idle so that a coroutine that waits on the same socket
    // again and again does not allocate each time.
    void sweep() {
        if (idle_ < 32 || idle_ * 2 < sources_.size()) return;
        idle_ = 0;
        for (auto& s : sources_) {
            if (!s->idle()) continue;
            if (s->sock != nullptr)
                by_socket_.erase(s->sock);
            else
                by_fd_.erase(s->fd);
            s.reset();
        }
        sources_.erase(std::remove(sources_.begin(), sources_.end(), nullptr), sources_.end());
    }

    // ---- the iteration --------------------------------------------------------

    bool stop_pending() const noexcept { return stop_requested_.load(std::memory_order_relaxed); }

    void signal_locked() noexcept {
        if (signalled_) return;
        wake_.set();
        signalled_ = true;
    }

    // True when the loop's context is stopping (its own socket says so).
    bool context_stopping() const {
        try {
            const auto in = socket_access::enter(ctx_sock_, "loop run");
        } catch (const zmqraii::stopped&) {
            return true;
        } catch (...) {
            return false;
        }
        return false;
    }

    void iterate() {
        long timeout = -1;
        if (!ready_.empty()) {
            timeout = 0;
        } else {
            timeout = ms_until(timers_.next_due());
            if (mailbox_waiters_ && (timeout < 0 || timeout > mailbox_recheck_ms))
                timeout = mailbox_recheck_ms;
        }
        const std::size_t n = build_items();
        if (!poll(n, timeout)) return;
        const steady_time now = clock::now();
        streak_ = 0;
        struct dispatch_scope {
            loop_core& c;
            explicit dispatch_scope(loop_core& core) noexcept : c(core) {}
            dispatch_scope(const dispatch_scope&) = delete;
            dispatch_scope& operator=(const dispatch_scope&) = delete;
            dispatch_scope(dispatch_scope&&) = delete;
            dispatch_scope& operator=(dispatch_scope&&) = delete;
            ~dispatch_scope() { c.reap(); }
        } scope(*this);
        if (items_[0].revents != 0) run_posted();
        for (std::size_t i = 1; i < n && !stop_pending(); ++i) {
            loop_source* src = item_src_[i];
            const short rev = items_[i].revents;
            if (src == nullptr) continue;  // the loop's own socket
            if (rev != 0)
                dispatch(*src, rev);
            else if (src->mailbox && !src->readers.empty())
                serve(src->readers);  // a closed mailbox does not signal
        }
        timers_.run_due(now, [this] { return !stop_pending(); });
        if (!stop_pending()) run_ready();
        if (!stop_pending()) sweep();
    }

    // Fills items_ (wake descriptor first) and item_src_; returns the count.
    std::size_t build_items() {
        items_.clear();
        item_src_.clear();
        items_.push_back(zmq_pollitem_t{nullptr, wake_.fd(), ZMQ_POLLIN, 0});
        item_src_.push_back(nullptr);
        mailbox_waiters_ = false;
        idle_ = 0;
        const void* own = socket_access::context_of(ctx_sock_);
        bool own_covered = false;
        for (const auto& up : sources_) {
            loop_source& s = *up;
            const short ev = s.events();
            if (ev == 0) {
                ++idle_;
                continue;
            }
            if (s.mailbox && !s.readers.empty()) mailbox_waiters_ = true;
            if (s.sock != nullptr && socket_access::context_of(*s.sock) == own) own_covered = true;
            items_.push_back(zmq_pollitem_t{nullptr, s.sock != nullptr ? 0 : s.fd, ev, 0});
            item_src_.push_back(&s);
        }
        if (!own_covered) {
            items_.push_back(zmq_pollitem_t{nullptr, 0, ZMQ_POLLIN, 0});
            item_src_.push_back(nullptr);
        }
        return items_.size();
    }

    const socket* socket_at(std::size_t i) const noexcept {
        if (i == 0) return nullptr;
        const loop_source* s = item_src_[i];
        return s != nullptr ? s->sock : &ctx_sock_;
    }

    // zmq_poll on the items, each socket checked inside one wide mark. False
    // when dispatch is to be skipped (a socket failed its check; its waiters
    // got the error).
    bool poll(std::size_t n, long timeout) {
        const void* ctx = nullptr;
        for (std::size_t i = 1; i < n; ++i) {
            const socket* s = socket_at(i);
            if (s == nullptr) continue;
            const void* c = socket_access::context_of(*s);
            ctx = (ctx == nullptr || ctx == c) ? c : any_context();
        }
        failures_.clear();
        int rc = 0;
        int err = 0;
        {
            const wide_call in(ctx);
            for (;;) {
                for (std::size_t i = 1; i < n; ++i) {
                    const socket* s = socket_at(i);
                    items_[i].revents = 0;
                    if (s == nullptr) continue;
                    try {
                        socket_access::check(*s, "loop run");
                        items_[i].socket = socket_access::raw(*s);
                    } catch (...) {
                        failures_.push_back(failure{item_src_[i], std::current_exception()});
                    }
                }
                items_[0].revents = 0;
                if (!failures_.empty()) break;
                rc = zmq_poll(items_.data(), static_cast<int>(n), timeout);
                if (rc >= 0) break;
                err = zmq_errno();
                if (err != EINTR) break;
                timeout = 0;  // the next iteration computes the time left
            }
        }
        if (!failures_.empty()) {
            handle_failures();
            return false;
        }
        if (rc < 0) {
            if (err == ETERM) {
                for (std::size_t i = 1; i < n; ++i)
                    if (const socket* s = socket_at(i)) socket_access::note_stopped(*s);
                context_stopped();
            }
            throw error(err, "loop run: zmq_poll on " + std::to_string(n) + " entries");
        }
        return true;
    }

    // Sockets that failed their check before the poll: a stop stops the loop;
    // a closed socket fails its waiters, and leaves run() if it has a handler
    // (remove() it before closing it), as poller::wait() does.
    void handle_failures() {
        for (const failure& f : failures_)
            if (is_stopped(f.error)) context_stopped();
        std::exception_ptr rethrow;
        for (const failure& f : failures_) {
            if (f.source == nullptr) continue;
            fail_waiters(f.source->readers, f.error);
            fail_waiters(f.source->writers, f.error);
            if (f.source->has_handler() && !rethrow) rethrow = f.error;
        }
        reap();
        if (rethrow) std::rethrow_exception(rethrow);
    }

    void fail_waiters(waiter_list& l, const std::exception_ptr& e) {
        while (loop_waiter* w = l.front()) {
            unlink(*w);
            w->error = e;
            w->resume(*w);
        }
    }

    void dispatch(loop_source& src, short rev) {
        if ((rev & ZMQ_POLLOUT) != 0 && !src.writers.empty()) serve(src.writers);
        if ((rev & (ZMQ_POLLIN | ZMQ_POLLERR)) == 0 || stop_pending()) return;
        if (!src.readers.empty()) serve(src.readers);
        if (src.has_handler() && !stop_pending()) call_handler(src);
    }

    // Completes the operations of the waiters that were there when the source
    // became ready, in order, until one would block.
    void serve(waiter_list& l) {
        for (std::size_t n = l.size(); n > 0 && !stop_pending(); --n) {
            loop_waiter* w = l.front();
            if (w == nullptr) return;
            bool done = false;
            bool stop = false;
            try {
                done = w->attempt(*w);
            } catch (const zmqraii::stopped&) {
                w->error = std::current_exception();
                done = stop = true;
            } catch (...) {
                w->error = std::current_exception();
                done = true;
            }
            if (!done) return;
            unlink(*w);
            w->resume(*w);
            if (stop) context_stopped();
        }
    }

    // A socket's handler runs again while the socket stays readable (or, for a
    // handler that receives, until nothing is left), at most max_handler_burst
    // times per iteration so that the loop's other sources get their turn.
    void call_handler(loop_source& src) {
        struct executing {
            loop_core& c;
            loop_source& s;
            executing(loop_core& core, loop_source& src) noexcept : c(core), s(src) {
                c.executing_ = &s;
            }
            executing(const executing&) = delete;
            executing& operator=(const executing&) = delete;
            executing(executing&&) = delete;
            executing& operator=(executing&&) = delete;
            ~executing() {
                c.executing_ = nullptr;
                if (!s.drop_after_call) return;
                s.drop_after_call = false;
                s.handler = nullptr;
                s.mailbox = false;
            }
        } guard(*this, src);
        for (unsigned budget = max_handler_burst; budget > 0; --budget) {
            const bool again = src.handler();
            if (src.drop_after_call || stop_pending()) return;
            switch (src.mode) {
                case handler_mode::once: return;
                case handler_mode::until_empty:
                    if (!again) return;
                    break;
                case handler_mode::while_readable:
                    if (!readable(*src.sock)) return;
                    break;
            }
        }
    }

    static bool readable(const socket& s) {
        int events = 0;
        std::size_t len = sizeof events;
        const auto in = socket_access::enter(s, "loop run");
        if (zmq_getsockopt(socket_access::raw(s), ZMQ_EVENTS, &events, &len) != 0)
            socket_access::throw_op_error(s, zmq_errno(), "loop run");
        return (events & ZMQ_POLLIN) != 0;
    }

    void run_posted() {
        std::vector<std::function<void()>> batch;
        {
            std::lock_guard<std::mutex> lock(post_mutex_);
            batch.swap(posted_);
            wake_.clear();
            signalled_ = false;
        }
        // What is not run (a function threw, or stop()) goes back to the front.
        struct requeue {
            loop_core& c;
            std::vector<std::function<void()>>& batch;
            std::size_t next = 0;
            requeue(loop_core& core, std::vector<std::function<void()>>& b) noexcept
                : c(core), batch(b) {}
            requeue(const requeue&) = delete;
            requeue& operator=(const requeue&) = delete;
            requeue(requeue&&) = delete;
            requeue& operator=(requeue&&) = delete;
            ~requeue() {
                if (next >= batch.size()) return;
                try {
                    std::lock_guard<std::mutex> lock(c.post_mutex_);
                    c.posted_.insert(
                        c.posted_.begin(),
                        std::make_move_iterator(batch.begin() + static_cast<long>(next)),
                        std::make_move_iterator(batch.end()));
                    c.signal_locked();
                } catch (...) {
                    report_diagnostic(severity::report,
                                      "loop: posted functions were lost (no memory to requeue "
                                      "them after an exception)");
                }
            }
        } rest{*this, batch};
        while (rest.next < batch.size() && !stop_pending()) {
            std::function<void()> fn = std::move(batch[rest.next++]);
            fn();
        }
    }

    void run_ready() {
        for (std::size_t n = ready_.size(); n > 0 && !stop_pending(); --n) {
            loop_waiter* w = ready_.front();
            if (w == nullptr) return;
            unlink(*w);
            w->resume(*w);
        }
    }

    // ---- the context stop -----------------------------------------------------

    // The loop's context stopped: every waiter resumes with stopped, later
    // awaits throw at once, and run() throws stopped.
    [[noreturn]] void context_stopped() {
        stopped_ = true;
        fail_all();
        throw zmqraii::stopped("loop run: the loop's context was stopped");
    }

    void fail_all() {
        for (;;) {
            loop_waiter* w = ready_.front();
            for (std::size_t i = 0; w == nullptr && i < sources_.size(); ++i) {
                loop_source& s = *sources_[i];
                w = s.readers.empty() ? s.writers.front() : s.readers.front();
            }
            if (w == nullptr) w = timers_.any_waiter();
            if (w == nullptr) break;
            std::string text = std::string(w->op);
            if (w->source != nullptr && w->source->sock != nullptr)
                text += " on " + w->source->sock->describe();
            const bool start = w->starts_task;
            unlink(*w);
            // A task that has not started yet starts; its first await throws.
            if (!start)
                w->error = std::make_exception_ptr(
                    zmqraii::stopped(text + ": the context was stopped while it waited"));
            w->resume(*w);
        }
        reap();
    }

    void unlink_root(loop_root& r) noexcept {
        if (r.prev != nullptr)
            r.prev->next = r.next;
        else
            roots_ = r.next;
        if (r.next != nullptr) r.next->prev = r.prev;
        r.prev = r.next = nullptr;
        --root_count_;
    }

    // Destroys the frames of spawned tasks that finished.
    void reap() noexcept {
        while (finished_ != nullptr) {
            loop_root& r = *finished_;
            finished_ = r.next;
            r.destroy(r);
        }
    }

    std::shared_ptr<thread_record> owner_;
    const thread_record* owner_raw_;
    source_site site_;
    socket ctx_sock_;  // idle; in the poll set when no other socket of the context is
    wake_fd wake_;

    std::mutex post_mutex_;
    std::vector<std::function<void()>> posted_;  // guarded by post_mutex_
    bool signalled_ = false;                     // guarded by post_mutex_
    std::atomic<bool> stop_requested_{false};

    std::vector<std::unique_ptr<loop_source>> sources_;
    std::unordered_map<const socket*, loop_source*> by_socket_;
    std::unordered_map<int, loop_source*> by_fd_;
    loop_source* executing_ = nullptr;  // the source whose handler is running

    loop_timers timers_;

    waiter_list ready_;
    loop_root* roots_ = nullptr;
    loop_root* finished_ = nullptr;
    std::size_t root_count_ = 0;

    std::vector<zmq_pollitem_t> items_;
    std::vector<loop_source*> item_src_;
    std::vector<failure> failures_;
    std::size_t idle_ = 0;  // idle sources at the last poll
    unsigned streak_ = 0;
    bool running_ = false;
    bool stopped_ = false;
    bool mailbox_waiters_ = false;
};

/// Keeps the state of a loop destroyed on the wrong thread (reported as fatal;
/// a diagnostic handler that returns gets here): never touched again, reachable
/// until the process ends.
inline void abandon(std::unique_ptr<loop_core> core) noexcept {
    struct abandoned {
        std::mutex mutex;
        std::vector<std::unique_ptr<loop_core>> cores;
    };
    static auto* list = new abandoned;  // never destroyed: the cores must not be
    try {
        std::lock_guard<std::mutex> lock(list->mutex);
        list->cores.push_back(std::move(core));
    } catch (...) {
        (void)core.release();
    }
}

inline loop_waiter::~loop_waiter() {
    if (core != nullptr) core->unlink(*this);
}

ZMQRAII_ABI_END
}  // namespace detail
}  // namespace zmqraii

#endif  // ZMQRAII_DETAIL_LOOP_CORE_HPP_INCLUDED
