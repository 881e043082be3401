// SPDX-License-Identifier: MIT
// 11-async-router-loop: an asynchronous ROUTER server on one zmqraii::loop (C++17
// callbacks), serving many DEALER clients that all live on a second loop. The
// same server written with coroutines is 10-async-router-coroutines.cpp.
//
//   main thread: one loop, 8 DEALERs           server thread: one loop, one ROUTER
//   ---------------------------------           -----------------------------------
//   DEALER "client i" --connect-------------->  ROUTER "server" (bind inproc://server)
//     handler: reply -> next request              handler: request "n work_ms"
//              "hb"  -> counted                     after(work_ms): reply "done n"
//     after(1 s) per request: no reply = error      after(deadline): reply "late n",
//                                                   cancels the work timer (and back)
//                                                 every(20 ms): "hb" to every client
//
// Per-request timers on both sides: the server answers each request when its
// simulated work is done or when its deadline passes, whichever comes first,
// and cancels the other timer; each client cancels its reply timeout when the
// reply comes. Nothing blocks: one thread serves all the server's requests.
//
// How it stops: once every client has its replies, main stops its loop, then
// the context. The server's run() throws stopped; its ROUTER and loop close as
// the thread unwinds. Exit status 0 only when every reply was right (work that
// fits the deadline answered "done", the rest "late") and heartbeats arrived.
#include <zmqraii/loop.hpp>
#include <zmqraii/zmqraii.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

constexpr auto deadline = std::chrono::milliseconds(30);

// The server's state for one request: its two timers, one of which answers.
struct pending {
    zmqraii::loop::timer work;
    zmqraii::loop::timer late;
};

void serve(zmqraii::context& ctx) {
    zmqraii::socket router(ctx, zmqraii::socket_type::router, "server");
    router.bind("inproc://server");
    zmqraii::loop loop(ctx);
    std::set<std::string> clients;             // routing ids seen, for heartbeats
    std::map<std::uint64_t, pending> waiting;  // by request key
    std::uint64_t next_key = 0;

    auto reply = [&router](const std::string& id, const std::string& text) {
        zmqraii::send_multipart(router, zmqraii::multipart{id, text});
    };
    loop.on_readable(router, [&](zmqraii::multipart&& request) {
        const std::string id = request[0].to_string();
        std::istringstream body(request[1].to_string());
        int n = 0;
        int work_ms = 0;
        body >> n >> work_ms;
        clients.insert(id);
        const std::uint64_t key = next_key++;
        pending& p = waiting[key];
        p.work = loop.after(std::chrono::milliseconds(work_ms), [&, key, id, n] {
            loop.cancel(waiting[key].late);
            waiting.erase(key);
            reply(id, "done " + std::to_string(n));
        });
        p.late = loop.after(deadline, [&, key, id, n] {
            loop.cancel(waiting[key].work);
            waiting.erase(key);
            reply(id, "late " + std::to_string(n));
        });
    });
    loop.every(std::chrono::milliseconds(20), [&] {
        for (const std::string& id : clients) reply(id, "hb");
    });
    try {
        loop.run();  // until the context stops
    } catch (const zmqraii::stopped&) {
        // ctx.stop(): the ROUTER and the loop close here, on their owner thread.
    }
}

// One client: a DEALER whose requests take 0..59 ms of work, one at a time.
struct client {
    client(zmqraii::context& ctx, int i)
        : dealer(ctx, zmqraii::socket_type::dealer, "client " + std::to_string(i)), index(i) {}
    zmqraii::socket dealer;
    int index;
    int sent = 0;
    int right = 0;
    int heartbeats = 0;
    zmqraii::loop::timer timeout;
    int work_ms() const { return (index * 7 + sent * 13) % 60; }
};

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

    bool failed = false;
    int finished = 0;
    {
        zmqraii::loop loop(ctx);
        std::vector<std::unique_ptr<client>> clients;
        auto send_next = [&](client& c) {
            c.dealer.send(std::to_string(c.sent) + " " + std::to_string(c.work_ms()));
            c.timeout = loop.after(std::chrono::seconds(1), [&failed, &loop, &c] {
                std::fprintf(stderr, "client %d: no reply to request %d\n", c.index, c.sent);
                failed = true;
                loop.stop();
            });
        };
        for (int i = 0; i < clients_n; ++i) {
            clients.push_back(std::make_unique<client>(ctx, i));
            client& c = *clients.back();
            c.dealer.connect("inproc://server");
            loop.on_readable(c.dealer, [&](zmqraii::message& m) {
                const std::string text = m.to_string();
                if (text == "hb") {
                    ++c.heartbeats;
                    return;
                }
                loop.cancel(c.timeout);
                const bool fits = c.work_ms() <= deadline.count();
                if (text == (fits ? "done " : "late ") + std::to_string(c.sent)) ++c.right;
                if (++c.sent < requests)
                    send_next(c);
                else if (++finished == clients_n)
                    loop.stop();
            });
            send_next(c);
        }
        loop.run();
        int right = 0;
        int heartbeats = 0;
        for (const auto& c : clients) {
            right += c->right;
            heartbeats += c->heartbeats;
        }
        const bool ok = !failed && right == clients_n * requests && heartbeats > 0;
        std::printf("%d/%d replies right, %d heartbeats, one server thread: %s\n", right,
                    clients_n * requests, heartbeats, ok ? "ok" : "FAILED");
        failed = !ok;
    }  // the clients' sockets and loop close here

    ctx.stop();  // the server's run() throws stopped
    server.join();
    return failed ? 1 : 0;
}
