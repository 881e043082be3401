// SPDX-License-Identifier: MIT
// detail/socket_core.hpp: a socket's state and the machinery behind its public
// operations (socket.hpp): the owner and stop check with its in-call mark, the
// non-blocking calls the timed ones are built on, the option and endpoint
// calls, and what closing and destroying do. zmqraii::socket derives from it
// privately; nothing here is API.
#ifndef ZMQRAII_DETAIL_SOCKET_CORE_HPP_INCLUDED
#define ZMQRAII_DETAIL_SOCKET_CORE_HPP_INCLUDED

#include <zmqraii/buffer.hpp>
#include <zmqraii/config.hpp>
#include <zmqraii/detail/option_traits.hpp>
#include <zmqraii/detail/owner.hpp>
#include <zmqraii/detail/registry.hpp>
#include <zmqraii/detail/socket_errors.hpp>
#include <zmqraii/detail/socket_lifetime.hpp>
#include <zmqraii/detail/text.hpp>
#include <zmqraii/detail/time.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/options.hpp>

#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace zmqraii {

/// Flags of a send.
enum class send_flags : int {
    none = 0,
    /// More parts of the same message follow (ZMQ_SNDMORE).
    more = ZMQ_SNDMORE,
};

namespace detail {
ZMQRAII_ABI_BEGIN

class socket_core {
public:
    socket_core() noexcept = default;
    socket_core(const socket_core&) = delete;
    socket_core& operator=(const socket_core&) = delete;

    socket_core(socket_core&& other) noexcept
        : handle_(std::exchange(other.handle_, nullptr)),
          gate_(other.gate_.exchange(&closed_gate(), std::memory_order_relaxed)),
          flags_(other.flags_.exchange(&closed_flags(), std::memory_order_relaxed)),
          entry_(std::move(other.entry_)) {}

    // Closes this socket (as the destructor does), then takes over `other`.
    socket_core& operator=(socket_core&& other) noexcept {
        if (this != &other) {
            destroy();
            handle_ = std::exchange(other.handle_, nullptr);
            gate_.store(other.gate_.exchange(&closed_gate(), std::memory_order_relaxed),
                        std::memory_order_relaxed);
            flags_.store(other.flags_.exchange(&closed_flags(), std::memory_order_relaxed),
                         std::memory_order_relaxed);
            entry_ = std::move(other.entry_);
        }
        return *this;
    }

    ~socket_core() { destroy(); }

protected:
    void attach(std::shared_ptr<socket_entry> e) noexcept {
        handle_ = e->handle;
        gate_.store(e.get(), std::memory_order_relaxed);
        flags_.store(&e->ctx->flags(), std::memory_order_relaxed);
        entry_ = std::move(e);
    }

    // The object no longer works. With `keep_entry` (close()) it still names the
    // socket in errors: the gate stays the entry's, whose closed bit is set.
    const void* wide_mark_context() const noexcept {
        return entry_ ? static_cast<const void*>(entry_->ctx.get()) : nullptr;
    }

    void mark_closed(bool keep_entry = false) noexcept {
        handle_ = nullptr;
        if (!keep_entry) gate_.store(&closed_gate(), std::memory_order_relaxed);
        flags_.store(&closed_flags(), std::memory_order_relaxed);
    }

    bool is_closed_object() const noexcept {
        return flags_.load(std::memory_order_relaxed) == &closed_flags();
    }

    // The entry as any thread may read it: through the atomic gate pointer,
    // never through entry_ (which the owner's release() moves away).
    const socket_entry* any_thread_entry() const noexcept {
        return entry_of(gate_.load(std::memory_order_acquire));
    }

    // The check every operation starts with, one compare on the fast path: the
    // socket's gate word (owner record | stop bit) against the calling thread's
    // record. A stop sets the bit in every gate, a closed socket points to a gate
    // no thread matches, and a forked child's thread has a new record: each of
    // them lands in enter_slow(). With ZMQRAII_THREAD_CHECKS=0 only the context's
    // flags word (stopping, forked) is tested. Before the check, the calling
    // thread marks itself inside libzmq with this socket (the stop protocol);
    // the returned scope ends the mark.
    call_scope enter(const char* op) const {
        mark_and_check(op);
        return {};
    }

    // The same without a scope, for the hot paths: the caller ends the mark with
    // unmark_call(), and every function that throws inside the marked
    // region ends it first (so no cleanup code is needed on the fast path).
    ZMQRAII_HOT_INLINE void mark_and_check(const char* op) const {
        const gate_word* g = gate_.load(std::memory_order_relaxed);
        mark_call(g);
        check_marked(g, op);
    }

    // The same check inside an operation that is already marked (EINTR retries).
    void recheck(const char* op) const { check_marked(gate_.load(std::memory_order_relaxed), op); }

    ZMQRAII_HOT_INLINE void check_marked([[maybe_unused]] const gate_word* g,
                                         const char* op) const {
#if ZMQRAII_THREAD_CHECKS
        if (ZMQRAII_UNLIKELY(g->word.load(gate_order) != gate_of(current_thread))) enter_slow(op);
#else
        if (ZMQRAII_UNLIKELY(flags_.load(std::memory_order_relaxed)->load(gate_order) != 0))
            enter_slow(op);
#endif
    }

    // Closed, wrong thread, forked child, stopping: in that order of precedence.
    // Ends the mark before it throws (detail/socket_errors.hpp).
    ZMQRAII_COLD ZMQRAII_DECL void enter_slow(const char* op) const;

    [[noreturn]] ZMQRAII_COLD ZMQRAII_DECL void throw_wrong_thread(const char* op) const;

    // The non-blocking calls, with the public operation's name for errors
    // (send_for and recv_for are built on them).
    ZMQRAII_HOT_INLINE bool try_send_as(const char* op, const void* data, std::size_t size,
                                        send_flags flags) {
        mark_and_check(op);
        const int f = static_cast<int>(flags) | ZMQ_DONTWAIT;
        bool sent = true;
        while (ZMQRAII_UNLIKELY(zmq_send(handle_, data, size, f) < 0))
            if (!try_failed(op)) {
                sent = false;
                break;
            }
        unmark_call();
        return sent;
    }
    ZMQRAII_HOT_INLINE bool try_send_as(const char* op, message& m, send_flags flags) {
        mark_and_check(op);
        const int f = static_cast<int>(flags) | ZMQ_DONTWAIT;
        tsan_before_send(m.handle());
        bool sent = true;
        while (ZMQRAII_UNLIKELY(zmq_msg_send(m.handle(), handle_, f) < 0))
            if (!try_failed(op)) {
                sent = false;
                break;
            }
        unmark_call();
        return sent;
    }
    ZMQRAII_HOT_INLINE bool try_recv_as(const char* op, message& m) {
        mark_and_check(op);
        bool got = true;
        while (ZMQRAII_UNLIKELY(zmq_msg_recv(m.handle(), handle_, ZMQ_DONTWAIT) < 0))
            if (!try_failed(op)) {
                got = false;
                break;
            }
        unmark_call();
        if (got) tsan_after_recv(m.handle());
        return got;
    }
    std::optional<recv_result> try_recv_into_as(const char* op, void* buf, std::size_t capacity) {
        const auto in = enter(op);
        int n = 0;
        while (ZMQRAII_UNLIKELY((n = zmq_recv(handle_, buf, capacity, ZMQ_DONTWAIT)) < 0))
            if (!try_failed(op)) return std::nullopt;
        return into_result(n, capacity, op);
    }

    // Inside the caller's scope: libzmq's RCVMORE for the part just received.
    recv_result into_result(int n, std::size_t capacity, const char* op) {
        int more = 0;
        std::size_t len = sizeof more;
        if (zmq_getsockopt(handle_, ZMQ_RCVMORE, &more, &len) != 0) throw_op_error(zmq_errno(), op);
        const auto full = static_cast<std::size_t>(n);
        return recv_result{full < capacity ? full : capacity, full, more != 0};
    }

    // Called when a blocking call failed: returns to retry on EINTR, else ends
    // the mark and throws.
    ZMQRAII_COLD ZMQRAII_DECL void send_failed(const char* op);
    ZMQRAII_COLD ZMQRAII_DECL void recv_failed(const char* op);
    // Non-blocking call failed: false for would-block, true to retry (EINTR).
    ZMQRAII_COLD ZMQRAII_DECL bool try_failed(const char* op);

    [[noreturn]] void throw_timed_out(const char* op, const char* why) const {
        detail::throw_timed_out(op, why, *entry_);
    }
    [[noreturn]] void throw_op_error(int e, const char* op) const {
        detail::throw_call_error(e, op, *entry_);
    }
    // "bind tcp://x on socket ...", "get ZMQ_X on socket ...": ETERM as a stop.
    [[noreturn]] ZMQRAII_COLD ZMQRAII_DECL void throw_arg_error(int e, const char* op,
                                                                std::string_view arg) const;

    ZMQRAII_DECL void endpoint_call(const char* op, std::string_view endpoint,
                                    int (*fn)(void*, const char*), const source_site& site);

    template <int Id, class T, access A>
    void set_as(const char* op, socket_option<Id, T, A> opt,
                typename option_traits<T>::arg_type value) {
        {
            const auto in = enter(op);
            if (option_traits<T>::set(handle_, Id, value) != 0) {
                const int e = zmq_errno();
                if (e == ETERM) throw_op_error(e, op);
                throw error(
                    e, concat({op, " ", opt.name, " = ", option_traits<T>::text(value, opt.name),
                               " on ", entry_->describe()}));
            }
        }
        if constexpr (Id == ZMQ_LINGER) entry_->ctx->note_linger(value);
    }

    template <int Id, class T, access A>
    typename option_traits<T>::result_type get_as(const char* op, socket_option<Id, T, A> opt) {
        typename option_traits<T>::result_type out{};
        const auto in = enter(op);
        if (option_traits<T>::get(handle_, Id, out) != 0)
            throw_arg_error(zmq_errno(), op, opt.name);
        return out;
    }

    // Waits with zmq_poll until `events` or the deadline. False on timeout.
    ZMQRAII_DECL bool wait_for_event(const char* op, short events, steady_time deadline);

    ZMQRAII_DECL void destroy() noexcept;

    // The raw libzmq socket (owner only; after a check).
    void* raw_handle() const noexcept { return handle_; }
    // The registry's entry (owner only; null for an empty object).
    const std::shared_ptr<socket_entry>& entry() const noexcept { return entry_; }
    // Moves the entry out (release()); the object then calls mark_closed().
    std::shared_ptr<socket_entry> take_entry() noexcept { return std::move(entry_); }

private:
    void* handle_ = nullptr;  // owner only
    // Read by any thread (the owner check runs before anything else is known).
    std::atomic<const gate_word*> gate_{&closed_gate()};
    std::atomic<const std::atomic<unsigned>*> flags_{&closed_flags()};
    std::shared_ptr<socket_entry> entry_;  // owner only: keeps the entry alive
};

ZMQRAII_ABI_END
}  // namespace detail
}  // namespace zmqraii

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/socket_core.ipp>
#endif

#endif  // ZMQRAII_DETAIL_SOCKET_CORE_HPP_INCLUDED
