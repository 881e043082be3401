// SPDX-License-Identifier: MIT
// 09-actor-pool: a pool of zmqraii::worker actors, started and stopped again and
// again in one context that keeps running.
//
//   main thread (parent)                          worker threads (x4 per round)
//   --------------------                          -----------------------------
//   worker "actor i"  .pipe() PAIR  <-inproc->    worker_context .pipe() PAIR
//     send "17"                                   recv, reply "17 289"
//     recv "17 289"                               recv throws stopped on stop()
//
// Each worker owns its end of the pipe (created on its thread); main owns the
// parent ends. The constructor returns only once the worker's body called
// ready(), so nothing is sent to a worker that is not there yet.
//
// How it stops, every round: main gives each worker its share of the numbers,
// checks every answer, then stops the workers: half of them with an explicit
// stop() (a stop notice through the pipe; the body's recv() throws
// zmqraii::stopped; stop() joins), the other half by destroying them (the
// destructor does the same). The context keeps running between rounds, and
// after each round no socket is left open. At the end the context's
// destructor stops it. Exit status 0 only when every answer of every round was
// right and no round left a socket behind.
#include <zmqraii/zmqraii.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

int main() {
    constexpr int rounds = 50;
    constexpr int actors = 4;
    constexpr int numbers = 100;  // per round
    zmqraii::context ctx;         // one context for every round

    int right = 0;
    int leaks = 0;
    try {
        for (int r = 0; r < rounds; ++r) {
            std::vector<zmqraii::worker> pool;
            for (int a = 0; a < actors; ++a)
                pool.emplace_back(
                    ctx, "actor " + std::to_string(a), [](zmqraii::worker_context& wc) {
                        wc.ready();  // the parent's constructor returns
                        for (;;) {   // ends with stopped on stop()
                            const long n = std::stol(wc.pipe().recv().to_string());
                            wc.pipe().send(std::to_string(n) + " " + std::to_string(n * n));
                        }
                    });
            // Hand out the numbers round-robin; each actor answers in order.
            for (int n = 0; n < numbers; ++n)
                pool[static_cast<std::size_t>(n % actors)].pipe().send(std::to_string(n));
            for (int n = 0; n < numbers; ++n) {
                auto answer = pool[static_cast<std::size_t>(n % actors)].pipe().recv_for(
                    std::chrono::seconds(10));
                if (answer &&
                    answer->to_string() == std::to_string(n) + " " + std::to_string(long{n} * n))
                    ++right;
            }
            for (int a = 0; a < actors / 2; ++a) pool[static_cast<std::size_t>(a)].stop();
            pool.clear();  // the destructors stop and join the other half
            if (!ctx.live_sockets().empty()) ++leaks;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "09-actor-pool: %s\n", e.what());
    }

    const bool ok = right == rounds * numbers && leaks == 0 && !ctx.stopping();
    std::printf("%d rounds of %d actors: %d/%d answers right, %d round(s) left sockets open: %s\n",
                rounds, actors, right, rounds * numbers, leaks, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
