// SPDX-License-Identifier: MIT
// 07-multithreaded-server: a TCP request/reply server whose requests are served
// by several threads: a ROUTER/DEALER proxy in front of REP workers on inproc.
//
//   client threads (x4)        proxy thread                     worker threads (x3)
//   -------------------        ------------                     -------------------
//   REQ "client i" --tcp-->    ROUTER "frontend"
//                              (bind tcp://127.0.0.1:*)
//                                  zmqraii::proxy()
//                              DEALER "backend"          <----  REP "worker i"
//                              (bind inproc://workers)          (connect)
//
// The ROUTER remembers which client sent each request, the DEALER spreads the
// requests over the workers, and replies find their way back through both.
// Start handshake: the proxy thread binds, then hands the resolved TCP
// endpoint (the port was "*") to main through a promise; the clients connect
// only after that, so they know where to connect.
//
// How it stops: every client checks all its replies and returns (closing its
// REQ); main joins them and calls ctx.stop(). zmqraii::proxy() throws stopped
// in the proxy thread, the workers' recv() throws stopped, every socket closes
// as its thread unwinds, stop() returns, main joins. Exit status 0 only when
// every reply was right and every server thread ended through stopped.
#include <zmqraii/zmqraii.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

int main() {
    constexpr int clients_n = 4;
    constexpr int workers_n = 3;
    constexpr int requests = 100;  // per client
    zmqraii::context ctx;
    std::atomic<int> stopped_threads{0};

    std::promise<std::string> endpoint;
    std::thread proxy([&] {
        bool announced = false;
        try {
            zmqraii::socket frontend(ctx, zmqraii::socket_type::router, "frontend");
            zmqraii::socket backend(ctx, zmqraii::socket_type::dealer, "backend");
            frontend.bind("tcp://127.0.0.1:*");
            backend.bind("inproc://workers");
            endpoint.set_value(frontend.last_endpoint());
            announced = true;
            zmqraii::proxy(frontend, backend);  // returns only by throwing
        } catch (const zmqraii::stopped&) {
            ++stopped_threads;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "proxy: %s\n", e.what());
            if (!announced) endpoint.set_exception(std::current_exception());
        }
    });

    std::vector<std::thread> workers;
    for (int w = 0; w < workers_n; ++w)
        workers.emplace_back([&, w] {
            try {
                zmqraii::socket rep(ctx, zmqraii::socket_type::rep, "worker " + std::to_string(w));
                rep.connect("inproc://workers");
                for (;;) {
                    const std::string q = rep.recv().to_string();
                    rep.send(q + " done by worker " + std::to_string(w));
                }
            } catch (const zmqraii::stopped&) {
                ++stopped_threads;
            } catch (const std::exception& e) {
                std::fprintf(stderr, "worker %d: %s\n", w, e.what());
            }
        });

    std::atomic<int> right{0};
    try {
        const std::string ep = endpoint.get_future().get();
        std::printf("server listening on %s\n", ep.c_str());
        std::vector<std::thread> clients;
        for (int c = 0; c < clients_n; ++c)
            clients.emplace_back([&, c] {
                try {
                    zmqraii::socket req(ctx, zmqraii::socket_type::req,
                                        "client " + std::to_string(c));
                    req.connect(ep);
                    for (int i = 0; i < requests; ++i) {
                        const std::string q = "c" + std::to_string(c) + "/" + std::to_string(i);
                        req.send(q);
                        auto a = req.recv_for(std::chrono::seconds(10));
                        if (!a) throw std::runtime_error("no reply for 10 s");
                        if (a->to_string().rfind(q + " done by worker ", 0) == 0) ++right;
                    }
                } catch (const std::exception& e) {
                    std::fprintf(stderr, "client %d: %s\n", c, e.what());
                }
            });
        for (auto& t : clients) t.join();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "main: %s\n", e.what());
    }

    ctx.stop();  // the proxy and the workers wake with stopped and close their sockets
    proxy.join();
    for (auto& t : workers) t.join();

    const int total = clients_n * requests;
    const bool ok = right == total && stopped_threads == 1 + workers_n;
    std::printf("%d/%d replies right, %d/%d server threads stopped in order: %s\n", right.load(),
                total, stopped_threads.load(), 1 + workers_n, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
