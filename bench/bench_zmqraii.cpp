// SPDX-License-Identifier: MIT
// zmqraii. Compiled four times by bench/CMakeLists.txt: bench_zmqraii (owner
// check on, the default), bench_zmqraii_nocheck (ZMQRAII_THREAD_CHECKS=0), and
// two programs whose throughput receiver is not a blocking recv() loop:
// bench_zmqraii_loop (ZMQRAII_BENCH_RECEIVER=1: a zmqraii::loop handler that
// receives one message per call) and bench_zmqraii_coro (ZMQRAII_BENCH_RECEIVER=2,
// C++20: a task on a loop, `co_await s.async_recv(m)`).
// Each thread creates its own socket, as zmqraii requires and as the other
// programs do too.
#include "harness.hpp"

#include <zmqraii/zmqraii.hpp>

#ifndef ZMQRAII_BENCH_RECEIVER
#define ZMQRAII_BENCH_RECEIVER 0  // a blocking recv() loop (the harness's)
#endif
#if ZMQRAII_BENCH_RECEIVER >= 1
#include <zmqraii/loop.hpp>
#endif
#if ZMQRAII_BENCH_RECEIVER == 2
#include <zmqraii/task.hpp>
#endif

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

#if ZMQRAII_BENCH_RECEIVER == 2
// The coroutine receiver: one task receives `from`..`to`-1, then stops the loop.
template <class OnMessage>
zmqraii::task<void> receive_task(zmqraii::socket& s, zmqraii::message& m, std::uint64_t from,
                                 std::uint64_t to, OnMessage& on_message) {
    for (std::uint64_t i = from; i < to; ++i) on_message(m, co_await s.async_recv(m), i);
    zmqraii::this_loop().stop();
}
#endif

struct zmqraii_impl {
#if ZMQRAII_BENCH_RECEIVER == 1
    static constexpr const char* name = "zmqraii-loop";
#elif ZMQRAII_BENCH_RECEIVER == 2
    static constexpr const char* name = "zmqraii-coro";
#elif ZMQRAII_THREAD_CHECKS
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

#if ZMQRAII_BENCH_RECEIVER >= 1
    static constexpr bool custom_receive = true;

    template <class OnMessage>
    static void receive(context& ctx, socket& s, message& m, std::uint64_t from, std::uint64_t to,
                        OnMessage& on_message) {
        if (from == to) return;
        zmqraii::loop loop(ctx);
#if ZMQRAII_BENCH_RECEIVER == 1
        std::uint64_t i = from;
        // ZMQRAII_BENCH_HANDLER picks the handler: "message" (the default) takes a
        // message& and the loop receives for it; "readiness" calls s.recv() once
        // per call and the loop asks ZMQ_EVENTS before calling it again; "drain"
        // takes everything that is there with try_recv().
        const char* style = std::getenv("ZMQRAII_BENCH_HANDLER");
        const std::string handler = style != nullptr ? style : "message";
        if (handler == "message") {
            loop.on_readable(s, [&](message& got) {
                on_message(got, got.size(), i);
                if (++i == to) loop.stop();
            });
        } else if (handler == "readiness") {
            loop.on_readable(s, [&] {
                on_message(m, s.recv(m), i);
                if (++i == to) loop.stop();
            });
        } else if (handler == "drain") {
            loop.on_readable(s, [&] {
                while (i < to && s.try_recv(m)) on_message(m, m.size(), i++);
                if (i == to) loop.stop();
            });
        } else {
            throw bench::failure("ZMQRAII_BENCH_HANDLER: message, readiness or drain, not " +
                                 handler);
        }
#else
        loop.spawn(receive_task(s, m, from, to, on_message));
#endif
        loop.run();
    }
#endif
};

}  // namespace

int main(int argc, char** argv) { return bench::main<zmqraii_impl>(argc, argv); }
