// SPDX-License-Identifier: MIT
// 06-pipeline: ventilator, workers, sink (parallel task distribution and
// collection). Each stage is a thread that owns its sockets.
//
//   ventilator thread          worker threads (x4)                 sink (main thread)
//   -----------------          -------------------                 ------------------
//   PUSH "ventilator"  ---->   PULL "tasks i"  (connect)
//   (bind inproc://tasks)      PUSH "results i" (connect)  ---->   PULL "sink"
//                                                                  (bind inproc://results)
//
// PUSH never drops: a task waits in the ventilator's pipes until a worker takes
// it, so every task arrives whenever the workers connect (early connectors may
// get more of the first tasks; the sink prints the share of each worker).
//
// How it stops: the ventilator sends every task and returns; its PUSH closes
// on its own thread and libzmq still delivers what is queued (linger). The sink
// receives one result per task and checks that each task id arrived exactly
// once with the right result. Then main calls ctx.stop(): the workers are
// blocked in recv(), wake with zmqraii::stopped, and close their sockets as
// they unwind; stop() also closes the sink's PULL (main owns it) and returns
// once everything is closed. Exit status 0 only when every task was accounted
// for and every worker ended through stopped.
#include <zmqraii/zmqraii.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

int main() {
    constexpr int tasks = 5000;
    constexpr int workers_n = 4;
    zmqraii::context ctx;

    zmqraii::socket sink(ctx, zmqraii::socket_type::pull, "sink");
    sink.bind("inproc://results");

    std::atomic<int> stopped_workers{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < workers_n; ++w)
        workers.emplace_back([&, w] {
            try {
                zmqraii::socket in(ctx, zmqraii::socket_type::pull, "tasks " + std::to_string(w));
                zmqraii::socket out(ctx, zmqraii::socket_type::push,
                                    "results " + std::to_string(w));
                in.connect("inproc://tasks");
                out.connect("inproc://results");
                for (;;) {
                    const long id = std::stol(in.recv().to_string());
                    // "<task id> <worker> <result>"
                    out.send(std::to_string(id) + " " + std::to_string(w) + " " +
                             std::to_string(id * id));
                }
            } catch (const zmqraii::stopped&) {
                ++stopped_workers;
            } catch (const std::exception& e) {
                std::fprintf(stderr, "worker %d: %s\n", w, e.what());
            }
        });

    std::thread ventilator([&] {
        try {
            zmqraii::socket out(ctx, zmqraii::socket_type::push, "ventilator");
            out.bind("inproc://tasks");
            for (int i = 0; i < tasks; ++i) out.send(std::to_string(i));
        } catch (const std::exception& e) {
            std::fprintf(stderr, "ventilator: %s\n", e.what());
        }
    });

    // The sink: one result per task, each task exactly once.
    std::vector<int> seen(tasks, 0);
    std::vector<int> share(workers_n, 0);
    int wrong = 0;
    int received = 0;
    for (; received < tasks; ++received) {
        auto m = sink.recv_for(std::chrono::seconds(10));
        if (!m) {
            std::fprintf(stderr, "sink: no result for 10 s\n");
            break;
        }
        std::istringstream in(m->to_string());
        long id = -1, result = -1;
        int worker = -1;
        in >> id >> worker >> result;
        if (id < 0 || id >= tasks || worker < 0 || worker >= workers_n || result != id * id) {
            ++wrong;
            continue;
        }
        ++seen[static_cast<std::size_t>(id)];
        ++share[static_cast<std::size_t>(worker)];
    }
    ventilator.join();

    ctx.stop();  // wakes the workers, closes `sink`, waits for every socket
    for (auto& t : workers) t.join();

    int exactly_once = 0;
    for (int n : seen) exactly_once += (n == 1);
    for (int w = 0; w < workers_n; ++w) std::printf("worker %d did %d tasks\n", w, share[w]);
    const bool ok = exactly_once == tasks && wrong == 0 && stopped_workers == workers_n;
    std::printf("%d/%d tasks arrived exactly once, %d wrong, %d/%d workers stopped: %s\n",
                exactly_once, tasks, wrong, stopped_workers.load(), workers_n,
                ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
