// SPDX-License-Identifier: MIT
// impl/context.ipp: definitions for context.hpp (see ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_CONTEXT_IPP_INCLUDED
#define ZMQRAII_IMPL_CONTEXT_IPP_INCLUDED

#include <zmqraii/context.hpp>

namespace zmqraii {

context::context(const context_options& opts) {
    check_options(opts);
    void* ctx = zmq_ctx_new();
    if (ctx == nullptr) detail::throw_last_error("context create");
    if (opts.io_threads != ZMQ_IO_THREADS_DFLT &&
        zmq_ctx_set(ctx, ZMQ_IO_THREADS, opts.io_threads) != 0)
        fail_set(ctx, "io_threads", opts.io_threads);
    if (opts.max_sockets != 0 && zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, opts.max_sockets) != 0)
        fail_set(ctx, "max_sockets", opts.max_sockets);
    if (opts.ipv6 && zmq_ctx_set(ctx, ZMQ_IPV6, 1) != 0) fail_set(ctx, "ipv6", 1);
    state_ = std::make_shared<detail::context_state>(
        ctx, detail::context_state::settings{opts.linger, opts.stop_report_after});
}

context& context::operator=(context&& other) noexcept {
    if (this != &other) {
        destroy();
        state_ = std::move(other.state_);
    }
    return *this;
}

context::~context() { destroy(); }

void context::request_stop() {
    check_state("request_stop");
    state_->begin_stop();
}

void context::stop() {
    check_state("stop");
    state_->begin_stop();
    state_->wait_stopped(detail::steady_time::max(), true);
}

std::vector<socket_info> context::live_sockets() const {
    return checked_state("live_sockets").live_sockets();
}

std::string context::stop_report() const {
    check_state("stop_report");
    return state_->stop_report();
}

void context::destroy() noexcept {
    if (!state_) return;
    if (!state_->forked()) {
        state_->begin_stop();
        try {
            state_->wait_stopped(detail::steady_time::max(), true);
        } catch (...) {
            // Only std::bad_alloc for this thread's record: the stop goes on by
            // itself, and ~context_state joins it.
        }
    }
    state_.reset();
}

void context::throw_empty(const char* op) {
    throw error(EFAULT, detail::concat({op, ": context is empty (moved from)"}));
}

void context::fail_set(void* ctx, const char* what, int value) {
    const int e = zmq_errno();
    zmq_ctx_term(ctx);
    detail::throw_error(e, "context set", detail::concat({what, " = ", detail::decimal(value)}));
}

void context::throw_out_of_range(const char* what, long long v, long long lo, long long hi,
                                 const char* unit) {
    using detail::decimal;
    throw error(EINVAL, detail::concat({"context_options ", what, " = ", decimal(v), unit,
                                        ": must be in [", decimal(lo), ", ", decimal(hi), "]"}));
}

void context::check_options(const context_options& o) {
    const auto range = [](const char* what, long long v, long long lo, long long hi,
                          const char* unit) {
        if (v < lo || v > hi) throw_out_of_range(what, v, lo, hi, unit);
    };
    range("io_threads", o.io_threads, 0, INT_MAX, "");
    range("max_sockets", o.max_sockets, 0, INT_MAX, "");
    range("linger", o.linger.count(), -1, INT_MAX, " ms");
    range(
        "stop_report_after", o.stop_report_after.count(), 0,
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::hours(24 * 365)).count(),
        " ms");
}

}  // namespace zmqraii

#endif  // ZMQRAII_IMPL_CONTEXT_IPP_INCLUDED
