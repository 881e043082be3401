// SPDX-License-Identifier: MIT
// 01-request-reply: hello world. A server thread answers the main thread's
// requests; one context, each thread owns its one socket.
//
//   main thread                                server thread
//   -----------                                -------------
//   REQ "client" --connect inproc://hello-->   REP "server" (bind)
//
// How it stops: main sends its requests and checks every reply, closes its REQ,
// then calls ctx.stop(). The server is blocked in recv(); stop wakes it with
// zmqraii::stopped, its REP closes as the stack unwinds (on its own thread),
// stop() returns, main joins the thread. Exit status 0 only when every reply
// was right and the server saw every request.
//
// (inproc connects may come before the bind: libzmq queues them, so the client
// needs no handshake with the server here.)
#include <zmqraii/zmqraii.hpp>

#include <atomic>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>

int main() {
    constexpr int requests = 10;
    zmqraii::context ctx;  // one context, shared by both threads

    std::atomic<int> served{0};
    std::atomic<bool> server_ok{false};
    std::thread server([&] {
        try {
            zmqraii::socket rep(ctx, zmqraii::socket_type::rep, "server");
            rep.bind("inproc://hello");
            for (;;) {
                const std::string request = rep.recv().to_string();  // "Hello 3"
                rep.send("World" + request.substr(5));               // "World 3"
                ++served;
            }
        } catch (const zmqraii::stopped&) {
            server_ok = true;  // the ordered way out: ctx.stop() below
        } catch (const std::exception& e) {
            std::fprintf(stderr, "server: %s\n", e.what());
        }
    });

    int right = 0;
    try {
        zmqraii::socket req(ctx, zmqraii::socket_type::req, "client");
        req.connect("inproc://hello");
        for (int i = 0; i < requests; ++i) {
            req.send("Hello " + std::to_string(i));
            const std::string reply = req.recv().to_string();
            if (reply == "World " + std::to_string(i)) ++right;
            std::printf("sent Hello %d, got %s\n", i, reply.c_str());
        }
    } catch (const std::exception& e) {  // `req` is closed here, on its owner thread
        std::fprintf(stderr, "client: %s\n", e.what());
    }

    ctx.stop();  // wakes the server, waits until its REP is closed, terminates
    server.join();

    const bool ok = right == requests && served == requests && server_ok;
    std::printf("%d/%d replies right, server served %d: %s\n", right, requests, served.load(),
                ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
