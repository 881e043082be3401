// SPDX-License-Identifier: MIT
// zmqraii. Compiled twice by bench/CMakeLists.txt: bench_zmqraii (owner check
// on, the default) and bench_zmqraii_nocheck (ZMQRAII_THREAD_CHECKS=0).
// Each thread creates its own socket, as zmqraii requires and as the other
// programs do too.
#include "harness.hpp"

#include <zmqraii/zmqraii.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace {

struct zmqraii_impl {
#if ZMQRAII_THREAD_CHECKS
    static constexpr const char* name = "zmqraii";
#else
    static constexpr const char* name = "zmqraii-nocheck";
#endif

    using context = zmqraii::context;
    using socket = zmqraii::socket;
    using message = zmqraii::message;

    static socket open(context& ctx, bench::kind k) {
        zmqraii::socket_type type = zmqraii::socket_type::push;
        switch (k) {
            case bench::kind::push: type = zmqraii::socket_type::push; break;
            case bench::kind::pull: type = zmqraii::socket_type::pull; break;
            case bench::kind::req: type = zmqraii::socket_type::req; break;
            case bench::kind::rep: type = zmqraii::socket_type::rep; break;
        }
        return socket(ctx, type);
    }

    static void set_options(socket& s, int hwm, int linger_ms) {
        s.set(zmqraii::option::sndhwm, hwm);
        s.set(zmqraii::option::rcvhwm, hwm);
        s.set(zmqraii::option::linger, std::chrono::milliseconds(linger_ms));
    }

    static void bind(socket& s, const char* endpoint) { s.bind(endpoint); }
    static std::string last_endpoint(socket& s) { return s.last_endpoint(); }
    static void connect(socket& s, const std::string& endpoint) { s.connect(endpoint); }

    static void send(socket& s, const void* data, std::size_t size) { s.send(data, size); }
    static std::size_t recv(socket& s, message& m) { return s.recv(m); }

    static const void* data(message& m) { return m.data(); }

    static void close(socket& s) { s.close(); }
};

}  // namespace

int main(int argc, char** argv) { return bench::main<zmqraii_impl>(argc, argv); }
