// SPDX-License-Identifier: MIT
// 12-asio: a ROUTER server in a standalone Asio program (zmqraii/asio.hpp; built
// where Asio is installed, Debian: libasio-dev). The server thread runs an
// asio::io_context that serves the ROUTER beside Asio's own timers, with
// callbacks (C++17; asio::use_future and asio::use_awaitable work too).
//
//   main thread: 4 DEALERs (blocking calls)    server thread: asio::io_context
//   -----------------------------------------  ----------------------------------
//   DEALER "client i" --connect------------->  ROUTER "server" (bind inproc://server)
//     send "n work_ms"                           async_recv_multipart: per request,
//     recv until "done n" (skips "hb")             an asio::steady_timer of work_ms,
//                                                  then async_send "done n"
//                                                an asio::steady_timer every 20 ms:
//                                                  async_send "hb" to every client
//
// The operations wait on the ROUTER's ZMQ_FD in the io_context's reactor, so
// the socket is only ever touched by the server thread, which owns it.
//
// How it stops: main ends its clients and calls ctx.stop(). The pending
// async_recv_multipart completes with ETERM (the stop signals ZMQ_FD); the
// server then cancels its timers, the io_context runs out of work and run()
// returns; the ROUTER closes as the thread ends. Exit status 0 only when
// every reply was right and heartbeats arrived.
#include <zmqraii/asio.hpp>
#include <zmqraii/zmqraii.hpp>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace {

void serve(zmqraii::context& ctx, std::atomic<bool>& serving) {
    zmqraii::socket router(ctx, zmqraii::socket_type::router, "server");
    router.bind("inproc://server");
    asio::io_context ioc;
    std::set<std::string> clients;
    bool stopping = false;

    auto reply = [&](const std::string& id, const std::string& text) {
        zmqraii::asio::async_send(ioc.get_executor(), router, zmqraii::multipart{id, text},
                                  [](std::error_code) {});  // ETERM once stopping: dropped
    };

    asio::steady_timer heartbeat(ioc);
    std::function<void(std::error_code)> beat = [&](std::error_code ec) {
        if (ec || stopping) return;
        for (const std::string& id : clients) reply(id, "hb");
        heartbeat.expires_after(std::chrono::milliseconds(20));
        heartbeat.async_wait(beat);
    };
    heartbeat.expires_after(std::chrono::milliseconds(20));
    heartbeat.async_wait(beat);

    std::vector<std::unique_ptr<asio::steady_timer>> work;  // one per request in flight
    std::function<void()> receive = [&] {
        zmqraii::asio::async_recv_multipart(
            ioc.get_executor(), router, [&](std::error_code ec, zmqraii::multipart request) {
                if (ec) {  // ETERM: the context stops
                    stopping = true;
                    heartbeat.cancel();
                    for (auto& t : work) t->cancel();
                    return;
                }
                const std::string id = request[0].to_string();
                std::istringstream body(request[1].to_string());
                int n = 0;
                int work_ms = 0;
                body >> n >> work_ms;
                clients.insert(id);
                work.push_back(
                    std::make_unique<asio::steady_timer>(ioc, std::chrono::milliseconds(work_ms)));
                work.back()->async_wait([&, id, n](std::error_code wait_ec) {
                    if (!wait_ec && !stopping) reply(id, "done " + std::to_string(n));
                });
                receive();
            });
    };
    receive();
    serving = true;
    ioc.run();  // until the stop: then nothing is left to do
}

}  // namespace

int main() {
    constexpr int clients_n = 4;
    constexpr int requests = 25;  // per client
    zmqraii::context ctx;
    std::atomic<bool> serving{false};
    std::thread server([&] {
        try {
            serve(ctx, serving);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "server: %s\n", e.what());
        }
    });

    int right = 0;
    int heartbeats = 0;
    {
        std::vector<zmqraii::socket> clients;
        for (int i = 0; i < clients_n; ++i) {
            clients.emplace_back(ctx, zmqraii::socket_type::dealer, "client " + std::to_string(i));
            clients.back().connect("inproc://server");
        }
        for (int n = 0; n < requests; ++n) {
            for (int i = 0; i < clients_n; ++i)
                clients[static_cast<std::size_t>(i)].send(std::to_string(n) + " " +
                                                          std::to_string((i * 7 + n * 13) % 10));
            for (auto& c : clients) {
                for (;;) {
                    auto m = c.recv_for(std::chrono::seconds(5));
                    if (!m) {
                        std::fprintf(stderr, "%s: no reply to request %d\n", c.name().c_str(), n);
                        break;
                    }
                    if (m->to_string() == "hb") {
                        ++heartbeats;
                        continue;
                    }
                    if (m->to_string() == "done " + std::to_string(n)) ++right;
                    break;
                }
            }
        }
    }

    ctx.stop();  // the server's pending receive completes with ETERM; its io_context ends
    server.join();
    const bool ok = serving && right == clients_n * requests && heartbeats > 0;
    std::printf("%d/%d replies right, %d heartbeats, an asio::io_context server: %s\n", right,
                clients_n * requests, heartbeats, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
