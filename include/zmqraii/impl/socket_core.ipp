// SPDX-License-Identifier: MIT
// impl/socket_core.ipp: definitions for detail/socket_core.hpp (see ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_SOCKET_CORE_IPP_INCLUDED
#define ZMQRAII_IMPL_SOCKET_CORE_IPP_INCLUDED

#include <zmqraii/detail/socket_core.hpp>

namespace zmqraii::detail {
ZMQRAII_ABI_BEGIN

void socket_core::enter_slow(const char* op) const {
    try {
#if ZMQRAII_THREAD_CHECKS
        check_owner_slow(op, gate_.load(std::memory_order_acquire));
#endif
        const unsigned f = flags_.load(std::memory_order_relaxed)->load(std::memory_order_acquire);
        if (f != 0) throw_for_flags(op, f, entry_.get());
    } catch (...) {
        unmark_call();
        throw;
    }
}

void socket_core::throw_wrong_thread(const char* op) const {
    const socket_entry* e = any_thread_entry();
    if (e == nullptr) detail::throw_closed(op, nullptr);
    detail::throw_wrong_thread(op, *e);
}

void socket_core::send_failed(const char* op) {
    const int e = zmq_errno();
    if (e == EINTR) {
        recheck(op);  // a stop during the signal wins
        return;
    }
    if (e == EAGAIN) throw_timed_out(op, "option sndtimeo is set; use send_for for timeouts");
    throw_op_error(e, op);
}

void socket_core::recv_failed(const char* op) {
    const int e = zmq_errno();
    if (e == EINTR) {
        recheck(op);
        return;
    }
    if (e == EAGAIN) throw_timed_out(op, "option rcvtimeo is set; use recv_for for timeouts");
    throw_op_error(e, op);
}

bool socket_core::try_failed(const char* op) {
    const int e = zmq_errno();
    if (e == EAGAIN) return false;
    if (e == EINTR) {
        recheck(op);
        return true;
    }
    throw_op_error(e, op);
}

void socket_core::throw_arg_error(int e, const char* op, std::string_view arg) const {
    if (e == ETERM) throw_op_error(e, op);
    throw error(e, concat({op, " ", arg, " on ", entry_->describe()}));
}

void socket_core::endpoint_call(const char* op, std::string_view endpoint,
                                int (*fn)(void*, const char*), const source_site& site) {
    const std::string ep(endpoint);
    const auto in = enter(op);
    entry_->note_use(site);
    if (fn(handle_, ep.c_str()) != 0) throw_arg_error(zmq_errno(), op, ep);
}

bool socket_core::wait_for_event(const char* op, short events, steady_time deadline) {
    for (;;) {
        const auto in = enter(op);
        const long ms = ms_until(deadline);
        if (ms == 0) return false;
        zmq_pollitem_t item{handle_, 0, events, 0};
        const int rc = zmq_poll(&item, 1, ms);
        if (rc > 0) return true;
        if (rc < 0) {
            const int e = zmq_errno();
            if (e != EINTR) throw_op_error(e, op);
        }
    }
}

void socket_core::destroy() noexcept {
    if (entry_ && !is_closed_object()) destroy_entry(entry_);
    entry_.reset();
    mark_closed();
}

ZMQRAII_ABI_END
}  // namespace zmqraii::detail

#endif  // ZMQRAII_IMPL_SOCKET_CORE_IPP_INCLUDED
