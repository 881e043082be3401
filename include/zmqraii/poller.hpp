// SPDX-License-Identifier: MIT
/// @file poller.hpp
/// zmqraii::poller: wait on several sockets and file descriptors at once (zmq_poll),
/// calling a handler for each ready one. Owned by one thread, like a socket.
#ifndef ZMQRAII_POLLER_HPP_INCLUDED
#define ZMQRAII_POLLER_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/detail/owner.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/socket.hpp>

#include <zmq.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace zmqraii {

/// What a poller waits for, and what it found: a bit set.
enum class poll_events : short {
    none = 0,
    /// A message can be received / the descriptor is readable (ZMQ_POLLIN).
    in = ZMQ_POLLIN,
    /// A message can be sent / the descriptor is writable (ZMQ_POLLOUT).
    out = ZMQ_POLLOUT,
    /// An error condition on a raw descriptor (ZMQ_POLLERR; never set for sockets).
    err = ZMQ_POLLERR,
};

namespace detail {
constexpr short poll_mask = ZMQ_POLLIN | ZMQ_POLLOUT | ZMQ_POLLERR;
}  // namespace detail

/// Union of two event sets.
constexpr poll_events operator|(poll_events a, poll_events b) noexcept {
    return static_cast<poll_events>(static_cast<short>(a) | static_cast<short>(b));
}
/// Intersection of two event sets.
constexpr poll_events operator&(poll_events a, poll_events b) noexcept {
    return static_cast<poll_events>(static_cast<short>(a) & static_cast<short>(b));
}
/// Events in exactly one of two sets.
constexpr poll_events operator^(poll_events a, poll_events b) noexcept {
    return static_cast<poll_events>(static_cast<short>(a) ^ static_cast<short>(b));
}
/// The complement within in | out | err.
constexpr poll_events operator~(poll_events a) noexcept {
    return static_cast<poll_events>(~static_cast<short>(a) & detail::poll_mask);
}
/// Adds the events of `b` to `a`.
constexpr poll_events& operator|=(poll_events& a, poll_events b) noexcept { return a = a | b; }
/// Keeps in `a` only the events also in `b`.
constexpr poll_events& operator&=(poll_events& a, poll_events b) noexcept { return a = a & b; }
/// Toggles in `a` the events of `b`.
constexpr poll_events& operator^=(poll_events& a, poll_events b) noexcept { return a = a ^ b; }
/// True when any bit is set: `if (any(ev & poll_events::in)) ...`.
constexpr bool any(poll_events e) noexcept { return e != poll_events::none; }

ZMQRAII_ABI_BEGIN

/// Waits on several sockets and raw file descriptors, and calls their handlers.
/**
 * @code
 * zmqraii::poller p;
 * p.add(jobs, zmqraii::poll_events::in, [&](zmqraii::poll_events) { work(jobs.recv()); });
 * p.add(control, zmqraii::poll_events::in, [&](zmqraii::poll_events) { running = false; });
 * while (running) p.wait();
 * @endcode
 *
 * Sockets are held by reference: a socket must stay alive (neither destroyed nor
 * moved from) while it is registered; remove() it first. A socket that was closed
 * or moved from while registered is detected by the next wait(), which throws an
 * error naming it. remove() compares addresses only, so removing a socket that was
 * already closed (or destroyed) is fine.
 *
 * Handlers may add(), modify() and remove() entries, their own included: a removed
 * entry's handler is not called afterwards in the same wait(), an added one takes
 * part from the next wait(). A handler must not call wait(), move or destroy the
 * poller. An exception from a handler propagates out of wait(); the handlers of the
 * entries after it are not called in that wait().
 *
 * @par Stop
 * wait() throws zmqraii::stopped when the context of a registered socket stops
 * (zmq_poll fails with ETERM, or the context's stop flag is seen first): a thread
 * blocked in wait() is woken by context::stop() like one blocked in recv(). A poller
 * with only raw descriptors is not woken by a stop.
 *
 * @par Thread Safety
 * Owned by the thread that constructed it: every member function but owner()
 * throws zmqraii::wrong_thread on another thread (compiled out by
 * ZMQRAII_THREAD_CHECKS=0), contains() and size() included: the entries change
 * under the owner's add() and remove() without a lock. Sockets registered must
 * be owned by the same thread (add() checks). Moving the poller object does not
 * change its owner. In a forked child every member function throws the fork
 * error (zmqraii::error naming both process ids).
 */
class poller {
public:
    /// The handler of an entry; it gets the events that are ready.
    using handler = std::function<void(poll_events)>;

    /// An empty poller owned by the calling thread.
    /// @param site where it is created (filled in by default), for wrong-thread reports.
    explicit poller(detail::source_site site = {})
        : owner_(detail::this_thread_record()), owner_raw_(owner_.get()), site_(site) {}

    poller(const poller&) = delete;
    poller& operator=(const poller&) = delete;
    /// Moves the entries; `other` is left empty (its operations throw).
    poller(poller&& other) noexcept
        : entries_(std::move(other.entries_)),
          items_(std::move(other.items_)),
          owner_(std::move(other.owner_)),
          owner_raw_(std::exchange(other.owner_raw_, nullptr)),
          site_(other.site_),
          origin_(other.origin_),
          active_(std::exchange(other.active_, 0)) {}
    /// Drops this poller's entries and takes over `other`'s; `other` is left empty.
    poller& operator=(poller&& other) noexcept {
        if (this != &other) {
            entries_ = std::move(other.entries_);
            items_ = std::move(other.items_);
            owner_ = std::move(other.owner_);
            owner_raw_ = std::exchange(other.owner_raw_, nullptr);
            site_ = other.site_;
            origin_ = other.origin_;
            active_ = std::exchange(other.active_, 0);
        }
        return *this;
    }
    ~poller() = default;

    /// Registers a socket: `h` is called from wait() when `events` are ready on it.
    /**
     * @throws wrong_thread when the poller or `s` is owned by another thread; stopped
     *   when s's context is stopping; error ENOTSOCK for a closed socket, EINVAL for an
     *   empty handler or a socket already registered (use modify()).
     */
    void add(socket& s, poll_events events, handler h) {
        check("add");
        (void)detail::socket_access::enter(s, "poller add");
        if (!h) throw error(EINVAL, "poller add " + s.describe() + ": the handler is empty");
        if (find(&s, -1) != nullptr)
            throw error(EINVAL, "poller add " + s.describe() +
                                    ": already registered (use modify() to change its events)");
        push(&s, -1, events, std::move(h));
    }

    /// Registers a raw file descriptor (a pipe, an eventfd, a TCP socket).
    /**
     * @throws error EBADF for a negative descriptor, EINVAL for an empty handler or a
     *   descriptor already registered.
     */
    void add(int fd, poll_events events, handler h) {
        check("add");
        if (fd < 0)
            throw error(EBADF, "poller add fd " + std::to_string(fd) + ": not a file descriptor");
        if (!h)
            throw error(EINVAL, "poller add fd " + std::to_string(fd) + ": the handler is empty");
        if (find(nullptr, fd) != nullptr)
            throw error(EINVAL, "poller add fd " + std::to_string(fd) +
                                    ": already registered (use modify() to change its events)");
        push(nullptr, fd, events, std::move(h));
    }

    /// Changes the events a registered socket is polled for (from the next wait()).
    /// @throws error EINVAL when `s` is not registered.
    void modify(socket& s, poll_events events) {
        check("modify");
        entry* e = find(&s, -1);
        if (e == nullptr) throw error(EINVAL, "poller modify " + s.describe() + ": not registered");
        e->events = static_cast<short>(events);
    }
    /// Changes the events a registered descriptor is polled for (from the next wait()).
    /// @throws error EINVAL when `fd` is not registered.
    void modify(int fd, poll_events events) {
        check("modify");
        entry* e = find(nullptr, fd);
        if (e == nullptr)
            throw error(EINVAL, "poller modify fd " + std::to_string(fd) + ": not registered");
        e->events = static_cast<short>(events);
    }

    /// Unregisters a socket (compared by address, so it may be closed already).
    /// Safe from inside a handler. @throws error EINVAL when it is not registered.
    void remove(socket& s) {
        check("remove");
        if (!erase(find(&s, -1)))
            throw error(EINVAL, "poller remove: this socket is not registered");
    }
    /// Unregisters a descriptor. Safe from inside a handler.
    /// @throws error EINVAL when it is not registered.
    void remove(int fd) {
        check("remove");
        if (!erase(find(nullptr, fd)))
            throw error(EINVAL, "poller remove fd " + std::to_string(fd) + ": not registered");
    }

    /// True when `s` is registered (by address). Owner thread only.
    bool contains(const socket& s) const {
        check("contains");
        return find(&s, -1) != nullptr;
    }
    /// True when `fd` is registered. Owner thread only.
    bool contains(int fd) const {
        check("contains");
        return find(nullptr, fd) != nullptr;
    }

    /// Number of registered entries. Owner thread only.
    std::size_t size() const {
        check("size");
        return active_;
    }

    /// The owner thread's id (a default id for a moved-from poller).
    std::thread::id owner() const noexcept { return owner_ ? owner_->id : std::thread::id(); }

    /// Waits until an entry is ready (or the stop), and calls the handler of every
    /// ready entry.
    /**
     * @return how many entries were ready (at least one).
     * @throws stopped when the context of a registered socket stops (also while it
     *   waits); error naming a registered socket that was closed meanwhile; error
     *   EINVAL when called from a handler, or with nothing registered (it would
     *   never return); whatever a handler throws. EINTR is retried.
     */
    std::size_t wait() { return wait_until("wait", "poller wait", detail::steady_time::max()); }

    /// Waits at most `timeout` (any duration; zero or negative only looks) and
    /// calls the handler of every ready entry.
    /**
     * @return how many entries were ready (0 on timeout).
     * @throws as wait(), but nothing registered only sleeps for `timeout`.
     */
    template <class Rep, class Period>
    std::size_t wait_for(std::chrono::duration<Rep, Period> timeout) {
        return wait_until("wait_for", "poller wait_for", detail::deadline_after(timeout));
    }

    /// The same as wait_for(), except that a negative timeout waits forever
    /// (as zmq_poll's -1): `p.wait(-1ms)` is `p.wait()`.
    std::size_t wait(std::chrono::milliseconds timeout) {
        return wait_until(
            "wait", "poller wait",
            timeout.count() < 0 ? detail::steady_time::max() : detail::deadline_after(timeout));
    }

private:
    // `op` for the poller's own checks ("wait"), `full_op` for its sockets'.
    std::size_t wait_until(const char* op, const char* full_op, detail::steady_time deadline) {
        check(op);
        if (dispatching_)
            throw error(EINVAL,
                        std::string("poller ") + op + " called from inside one of its handlers");
        const std::size_t n = entries_.size();  // all active: compacted after each dispatch
        if (n == 0) {
            if (deadline == detail::steady_time::max())
                throw error(EINVAL, std::string("poller ") + op +
                                        ": nothing is registered and there is no timeout; it "
                                        "would never return");
            std::this_thread::sleep_until(deadline);
            return 0;
        }
        items_.resize(n);
        // One wide mark for the sockets handed to zmq_poll: a stop does not close
        // them while it runs, and closes them once it returned (stopped).
        const void* ctx = nullptr;
        for (std::size_t i = 0; i < n; ++i) {
            const socket* sock = entries_[i]->sock;
            if (sock == nullptr) continue;
            const void* c = detail::socket_access::context_of(*sock);
            ctx = (ctx == nullptr || ctx == c) ? c : detail::any_context();
        }
        int rc = 0;
        int err = 0;
        {
            const detail::wide_call in(ctx);
            for (;;) {
                for (std::size_t i = 0; i < n; ++i) {
                    const entry& e = *entries_[i];
                    if (e.sock != nullptr) detail::socket_access::check(*e.sock, full_op);
                    items_[i].socket = e.sock ? detail::socket_access::raw(*e.sock) : nullptr;
                    items_[i].fd = e.sock ? 0 : e.fd;
                    items_[i].events = e.events;
                    items_[i].revents = 0;
                }
                rc = zmq_poll(items_.data(), static_cast<int>(n), detail::ms_until(deadline));
                if (rc >= 0) break;
                err = zmq_errno();
                if (err != EINTR) break;  // EINTR: the loop re-checks every socket: a stop wins
            }
        }
        if (rc < 0) {
            if (err == ETERM) throw_stopped();
            throw error(err, std::string("poller ") + op + " on " + std::to_string(n) + " entries");
        }
        if (rc == 0) return 0;
        dispatch(n);
        return static_cast<std::size_t>(rc);
    }

    struct entry {
        socket* sock;  // null for a raw descriptor
        int fd;
        short events;
        handler fn;
        bool active;
    };

    void check(const char* op) const {
        if (!owner_raw_)
            throw error(EFAULT, std::string("poller ") + op + " on an empty (moved-from) poller");
#if ZMQRAII_THREAD_CHECKS
        if (ZMQRAII_UNLIKELY(detail::current_thread != owner_raw_)) check_owner_slow(op);
#else
        if (ZMQRAII_UNLIKELY(origin_.forked())) check_owner_slow(op);
#endif
    }

    ZMQRAII_COLD void check_owner_slow(const char* op) const {
        // A forked child has no thread of the parent: the fork error, not wrong_thread.
        if (origin_.forked())
            origin_.throw_forked(std::string("poller ") + op + " (created at " + site_.to_string() +
                                 ")");
        if (detail::this_thread_raw() == owner_raw_) return;
        throw wrong_thread(std::string("wrong thread: poller ") + op + " on poller (created at " +
                           site_.to_string() + "), owned by " + owner_->label() + ", called from " +
                           detail::this_thread_record()->label() +
                           ". A poller belongs to the thread that created it, as its sockets do");
    }

    entry* find(const socket* s, int fd) const noexcept {
        for (const auto& e : entries_)
            if (e->active && e->sock == s && (s != nullptr || e->fd == fd)) return e.get();
        return nullptr;
    }

    void push(socket* s, int fd, poll_events events, handler h) {
        entries_.push_back(
            std::make_unique<entry>(entry{s, fd, static_cast<short>(events), std::move(h), true}));
        ++active_;
    }

    // Marks `e` removed; the entry itself goes at the end of a dispatch, so that a
    // handler that removes itself keeps running on a live object.
    bool erase(entry* e) noexcept {
        if (e == nullptr) return false;
        e->active = false;
        --active_;
        if (!dispatching_) compact();
        return true;
    }

    void compact() noexcept {
        entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                      [](const std::unique_ptr<entry>& e) { return !e->active; }),
                       entries_.end());
    }

    // Calls the handlers of the first n entries that are ready and still registered.
    // Entries added meanwhile sit after n; removed ones stay in place until the end.
    void dispatch(std::size_t n) {
        struct guard {
            poller& p;
            explicit guard(poller& q) noexcept : p(q) {}  // not an aggregate in C++20
            guard(const guard&) = delete;
            guard& operator=(const guard&) = delete;
            guard(guard&&) = delete;
            guard& operator=(guard&&) = delete;
            ~guard() {
                p.dispatching_ = false;
                p.compact();
            }
        } g{*this};
        dispatching_ = true;
        for (std::size_t i = 0; i < n; ++i) {
            const short revents = items_[i].revents;
            if (revents == 0) continue;
            entry& e = *entries_[i];
            if (e.active) e.fn(static_cast<poll_events>(revents & detail::poll_mask));
        }
    }

    // zmq_poll said ETERM: name the socket whose context stops (its checks throw).
    [[noreturn]] ZMQRAII_COLD void throw_stopped() {
        for (const auto& e : entries_)
            if (e->sock) {
                detail::socket_access::note_stopped(*e->sock);  // the stopper closes it now
                detail::socket_access::check(*e->sock, "poller wait");
            }
        throw stopped("poller wait: the context of a registered socket was stopped");
    }

    std::vector<std::unique_ptr<entry>> entries_;
    std::vector<zmq_pollitem_t> items_;
    std::shared_ptr<detail::thread_record> owner_;
    const detail::thread_record* owner_raw_ = nullptr;
    detail::source_site site_;
    detail::process_origin origin_;
    std::size_t active_ = 0;
    bool dispatching_ = false;
};

static_assert(!std::is_copy_constructible_v<poller>, "poller is move-only");
static_assert(std::is_nothrow_move_constructible_v<poller> &&
                  std::is_nothrow_move_assignable_v<poller>,
              "poller moves without throwing");

ZMQRAII_ABI_END
}  // namespace zmqraii

#endif  // ZMQRAII_POLLER_HPP_INCLUDED
