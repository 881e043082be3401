// SPDX-License-Identifier: MIT
// 03-router-thread-pool: a ROUTER server whose requests are handled on a pool of
// threads. The pool threads own no socket: they get jobs from a mailbox and hand
// their replies back through another mailbox to the server thread, the only
// thread that touches the ROUTER.
//
//   client threads (x3)        server thread                    pool threads (x4)
//   -------------------        -------------                    -----------------
//   REQ "client i" --connect-> ROUTER "frontend" (bind inproc://frontend)
//                              poller:
//                                ROUTER in  -> jobs.push() ---> jobs.pop()
//                                                                 work
//                                replies fd <- replies.push() <-- (upper-case)
//                                  -> ROUTER send (envelope + reply)
//
// Both mailboxes are tied to the context, so context::stop() also ends the pool:
// pop() returns an empty optional, push() throws zmqraii::stopped. Each REQ
// client has one request in flight, so at most 3 jobs and 3 replies are ever
// queued: the server's blocking jobs.push() cannot wait on a pool thread that
// waits on the server.
//
// How it stops: main joins the clients once each has checked all its replies,
// then calls ctx.stop(). The server's poller.wait() throws stopped and the
// ROUTER closes as its stack unwinds; the pool threads' pop() returns empty
// and they return. Main joins them all. Exit status 0 only when every client
// got the right reply to every request.
#include <zmqraii/zmqraii.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

struct job {
    zmqraii::multipart envelope;  // the client's routing id and delimiter
    std::string body;
};

}  // namespace

int main() {
    constexpr int clients_n = 3;
    constexpr int pool_n = 4;
    constexpr int requests = 200;  // per client
    zmqraii::context ctx;
    zmqraii::mailbox<job> jobs(ctx, 64);     // server -> pool
    zmqraii::mailbox<job> replies(ctx, 64);  // pool -> server

    // The server thread owns the ROUTER and its poller.
    std::thread server([&] {
        try {
            zmqraii::socket frontend(ctx, zmqraii::socket_type::router, "frontend");
            frontend.bind("inproc://frontend");
            zmqraii::poller poller;
            poller.add(frontend, zmqraii::poll_events::in, [&](zmqraii::poll_events) {
                zmqraii::routed_message r =
                    zmqraii::split_envelope(zmqraii::recv_multipart(frontend));
                jobs.push(job{std::move(r.envelope), r.body.front().to_string()});
            });
            replies.add_to(poller, [&](job&& done) {
                zmqraii::send_multipart(frontend,
                                        zmqraii::make_reply(std::move(done.envelope), {done.body}));
            });
            for (;;) poller.wait();
        } catch (const zmqraii::stopped&) {
            // ctx.stop(): the ROUTER closes here, on its owner thread.
        } catch (const std::exception& e) {
            std::fprintf(stderr, "server: %s\n", e.what());
        }
    });

    // The pool: no sockets, only the two mailboxes.
    std::atomic<int> handled{0};
    std::vector<std::thread> pool;
    for (int p = 0; p < pool_n; ++p)
        pool.emplace_back([&] {
            try {
                while (std::optional<job> j = jobs.pop()) {  // empty once ctx stops
                    std::transform(
                        j->body.begin(), j->body.end(), j->body.begin(),
                        [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
                    replies.push(std::move(*j));
                    ++handled;
                }
            } catch (const zmqraii::stopped&) {
                // replies.push() after ctx.stop(): nobody would send the reply.
            }
        });

    std::atomic<int> right{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < clients_n; ++c)
        clients.emplace_back([&, c] {
            try {
                zmqraii::socket req(ctx, zmqraii::socket_type::req, "client " + std::to_string(c));
                req.connect("inproc://frontend");
                for (int i = 0; i < requests; ++i) {
                    const std::string q =
                        "client " + std::to_string(c) + " request " + std::to_string(i);
                    std::string expected = q;
                    std::transform(q.begin(), q.end(), expected.begin(), [](unsigned char ch) {
                        return static_cast<char>(std::toupper(ch));
                    });
                    req.send(q);
                    auto a = req.recv_for(std::chrono::seconds(10));
                    if (a && a->to_string() == expected) ++right;
                    if (!a) throw std::runtime_error("no reply for 10 s");
                }
            } catch (const std::exception& e) {
                std::fprintf(stderr, "client %d: %s\n", c, e.what());
            }
        });
    for (auto& t : clients) t.join();

    ctx.stop();  // ends the server (poller.wait throws) and the pool (pop returns empty)
    server.join();
    for (auto& t : pool) t.join();

    const int total = clients_n * requests;
    const bool ok = right == total && handled == total && jobs.empty() && replies.empty();
    std::printf("%d/%d replies right, %d handled by %d pool threads: %s\n", right.load(), total,
                handled.load(), pool_n, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
