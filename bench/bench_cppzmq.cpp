// SPDX-License-Identifier: MIT
// cppzmq (zmq.hpp), used as its documentation shows: zmq::socket_t,
// send(zmq::const_buffer) and recv(zmq::message_t&). Errors throw zmq::error_t;
// the optional results are empty only for EAGAIN, which blocking calls without
// a timeout never return, so the loops do not test them (the harness checks the
// size of every received message anyway).
#include "harness.hpp"

#include <zmq.hpp>

#include <cstddef>
#include <string>

namespace {

struct cppzmq_impl {
    static constexpr const char* name = "cppzmq";

    using context = zmq::context_t;
    using socket = zmq::socket_t;
    using message = zmq::message_t;

    static socket open(context& ctx, bench::kind k) {
        zmq::socket_type type = zmq::socket_type::push;
        switch (k) {
            case bench::kind::push: type = zmq::socket_type::push; break;
            case bench::kind::pull: type = zmq::socket_type::pull; break;
            case bench::kind::req: type = zmq::socket_type::req; break;
            case bench::kind::rep: type = zmq::socket_type::rep; break;
        }
        return socket(ctx, type);
    }

    static void set_options(socket& s, int hwm, int linger_ms) {
        s.set(zmq::sockopt::sndhwm, hwm);
        s.set(zmq::sockopt::rcvhwm, hwm);
        s.set(zmq::sockopt::linger, linger_ms);
    }

    static void bind(socket& s, const char* endpoint) { s.bind(endpoint); }
    static std::string last_endpoint(socket& s) { return s.get(zmq::sockopt::last_endpoint); }
    static void connect(socket& s, const std::string& endpoint) { s.connect(endpoint); }

    static void send(socket& s, const void* data, std::size_t size) {
        (void)s.send(zmq::const_buffer(data, size), zmq::send_flags::none);
    }

    static std::size_t recv(socket& s, message& m) { return *s.recv(m, zmq::recv_flags::none); }

    static const void* data(message& m) { return m.data(); }

    static void close(socket& s) { s.close(); }
};

}  // namespace

int main(int argc, char** argv) { return bench::main<cppzmq_impl>(argc, argv); }
