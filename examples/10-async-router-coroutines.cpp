// SPDX-License-Identifier: MIT
// 10-async-router-coroutines: an asynchronous ROUTER server written with C++20
// coroutines on one zmqraii::loop, serving many DEALER clients that are
// coroutines on a second loop. (C++17: 11-async-router-loop.cpp, the same
// server as loop callbacks.)
//
//   main thread: one loop                      server thread: one loop
//   ---------------------                      -----------------------
//   task client(i), x8, each owns a DEALER     task accept(): ROUTER "server"
//     co_await async_send(request)               co_await async_recv_multipart()
//     co_await async_recv() (skips "hb")         spawn(handle(request)):
//   --connect inproc://server------------->        co_await sleep_for(min(work, deadline))
//                                                  co_await async_send(reply)
//                                              task heartbeat():
//                                                every 20 ms, "hb" to every client
//
// Each request gets its own task, whose sleep is its per-request timer: work
// that fits the deadline is answered "done", the rest "late" when the deadline
// passes. The socket operations suspend only when they would block; every
// task runs on the loop's thread, the owner of its sockets.
//
// How it stops: the clients end, and main stops its loop and then the context.
// Every suspended coroutine of the server resumes by throwing stopped, its
// frame unwinds, and run() throws stopped; the ROUTER closes on its owner
// thread. Exit status 0 only when every reply was right and heartbeats came.
#include <zmqraii/loop.hpp>
#include <zmqraii/task.hpp>
#include <zmqraii/zmqraii.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

using namespace std::chrono_literals;
using zmqraii::task;

namespace {

constexpr auto deadline = 30ms;

// One request: work for `work_ms`, but answer by the deadline.
task<void> handle(zmqraii::socket& router, std::string id, int n, int work_ms) {
    const auto work = std::chrono::milliseconds(work_ms);
    co_await zmqraii::this_loop().sleep_for(std::min<std::chrono::milliseconds>(work, deadline));
    const std::string answer = (work <= deadline ? "done " : "late ") + std::to_string(n);
    zmqraii::multipart reply;
    reply.push_back(id);
    reply.push_back(answer);
    co_await router.async_send(std::move(reply));
}

task<void> accept(zmqraii::socket& router, std::set<std::string>& clients) {
    for (;;) {
        zmqraii::multipart request = co_await router.async_recv_multipart();
        std::string id = request[0].to_string();
        std::istringstream body(request[1].to_string());
        int n = 0;
        int work_ms = 0;
        body >> n >> work_ms;
        clients.insert(id);
        zmqraii::this_loop().spawn(handle(router, std::move(id), n, work_ms));
    }
}

task<void> heartbeat(zmqraii::socket& router, const std::set<std::string>& clients) {
    for (;;) {
        co_await zmqraii::this_loop().sleep_for(20ms);
        for (const std::string& id : clients) {
            zmqraii::multipart hb;
            hb.push_back(id);
            hb.push_back("hb");
            co_await router.async_send(std::move(hb));
        }
    }
}

void serve(zmqraii::context& ctx) {
    zmqraii::socket router(ctx, zmqraii::socket_type::router, "server");
    router.bind("inproc://server");
    std::set<std::string> clients;
    zmqraii::loop loop(ctx);
    loop.spawn(accept(router, clients));
    loop.spawn(heartbeat(router, clients));
    try {
        loop.run();  // until the context stops
    } catch (const zmqraii::stopped&) {
        // Every coroutine above resumed with stopped and ended; the ROUTER closes here.
    }
}

struct tally {
    int right = 0;
    int heartbeats = 0;
    int finished = 0;
};

task<void> client(zmqraii::context& ctx, int index, int requests, tally& t) {
    zmqraii::socket dealer(ctx, zmqraii::socket_type::dealer, "client " + std::to_string(index));
    dealer.connect("inproc://server");
    for (int n = 0; n < requests; ++n) {
        const int work_ms = (index * 7 + n * 13) % 60;
        co_await dealer.async_send(std::to_string(n) + " " + std::to_string(work_ms));
        const std::string expected =
            (std::chrono::milliseconds(work_ms) <= deadline ? "done " : "late ") +
            std::to_string(n);
        for (;;) {
            const std::string text = (co_await dealer.async_recv()).to_string();
            if (text == "hb") {
                ++t.heartbeats;
                continue;
            }
            if (text == expected) ++t.right;
            break;
        }
    }
    ++t.finished;
}  // the DEALER closes here, on the loop's thread

}  // namespace

int main() {
    constexpr int clients_n = 8;
    constexpr int requests = 20;  // per client
    zmqraii::context ctx;
    std::thread server([&] {
        try {
            serve(ctx);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "server: %s\n", e.what());
        }
    });

    tally t;
    {
        zmqraii::loop loop(ctx);
        for (int i = 0; i < clients_n; ++i) loop.spawn(client(ctx, i, requests, t));
        loop.every(5ms, [&] {
            if (t.finished == clients_n) loop.stop();
        });
        loop.after(10s, [&] {
            std::fprintf(stderr, "clients: not done after 10 s\n");
            loop.stop();
        });
        loop.run();
    }

    ctx.stop();  // the server's coroutines resume with stopped; its run() throws
    server.join();
    const bool ok = t.finished == clients_n && t.right == clients_n * requests && t.heartbeats > 0;
    std::printf("%d/%d replies right, %d heartbeats, one server thread, coroutines: %s\n", t.right,
                clients_n * requests, t.heartbeats, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
