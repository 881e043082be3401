// SPDX-License-Identifier: MIT
// The baseline: libzmq's C API (zmq.h only), used the way careful C code uses it
// (every return code checked, EINTR retried). The socket is a plain void* local.
#include "harness.hpp"

#include <zmq.h>

#include <cerrno>
#include <cstddef>
#include <string>

namespace {

[[noreturn]] ZMQRAII_BENCH_NOINLINE void zmq_failed(const char* op) {
    throw bench::failure(std::string(op) + ": " + zmq_strerror(zmq_errno()));
}

struct raw_impl {
    static constexpr const char* name = "raw";

    class context {
    public:
        context() : h_(zmq_ctx_new()) {
            if (h_ == nullptr) zmq_failed("zmq_ctx_new");
        }
        context(const context&) = delete;
        context& operator=(const context&) = delete;
        ~context() {
            while (zmq_ctx_term(h_) != 0 && zmq_errno() == EINTR) {}
        }
        void* get() const noexcept { return h_; }

    private:
        void* h_;
    };

    using socket = void*;

    class message {
    public:
        message() noexcept { zmq_msg_init(&m_); }
        message(const message&) = delete;
        message& operator=(const message&) = delete;
        ~message() { zmq_msg_close(&m_); }
        zmq_msg_t* get() noexcept { return &m_; }

    private:
        zmq_msg_t m_;
    };

    static socket open(context& ctx, bench::kind k) {
        int type = ZMQ_PUSH;
        switch (k) {
            case bench::kind::push: type = ZMQ_PUSH; break;
            case bench::kind::pull: type = ZMQ_PULL; break;
            case bench::kind::req: type = ZMQ_REQ; break;
            case bench::kind::rep: type = ZMQ_REP; break;
        }
        void* s = zmq_socket(ctx.get(), type);
        if (s == nullptr) zmq_failed("zmq_socket");
        return s;
    }

    static void set_int(socket s, int option, int value, const char* what) {
        if (zmq_setsockopt(s, option, &value, sizeof value) != 0) zmq_failed(what);
    }

    static void set_options(socket s, int hwm, int linger_ms) {
        set_int(s, ZMQ_SNDHWM, hwm, "zmq_setsockopt ZMQ_SNDHWM");
        set_int(s, ZMQ_RCVHWM, hwm, "zmq_setsockopt ZMQ_RCVHWM");
        set_int(s, ZMQ_LINGER, linger_ms, "zmq_setsockopt ZMQ_LINGER");
    }

    static void bind(socket s, const char* endpoint) {
        if (zmq_bind(s, endpoint) != 0) zmq_failed("zmq_bind");
    }

    static std::string last_endpoint(socket s) {
        char buf[256];
        std::size_t len = sizeof buf;
        if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, buf, &len) != 0) zmq_failed("ZMQ_LAST_ENDPOINT");
        return std::string(buf);  // NUL-terminated by libzmq
    }

    static void connect(socket s, const std::string& endpoint) {
        if (zmq_connect(s, endpoint.c_str()) != 0) zmq_failed("zmq_connect");
    }

    static void send(socket s, const void* data, std::size_t size) {
        while (zmq_send(s, data, size, 0) < 0)
            if (zmq_errno() != EINTR) zmq_failed("zmq_send");
    }

    static std::size_t recv(socket s, message& m) {
        int n = 0;
        while ((n = zmq_msg_recv(m.get(), s, 0)) < 0)
            if (zmq_errno() != EINTR) zmq_failed("zmq_msg_recv");
        return static_cast<std::size_t>(n);
    }

    static const void* data(message& m) { return zmq_msg_data(m.get()); }

    static void close(socket& s) {
        zmq_close(s);
        s = nullptr;
    }
};

}  // namespace

int main(int argc, char** argv) { return bench::main<raw_impl>(argc, argv); }
