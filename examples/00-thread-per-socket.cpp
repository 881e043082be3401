// SPDX-License-Identifier: MIT
// 00-thread-per-socket: the flagship layout. Every thread owns its sockets; the
// program ends by itself with an ordered stop.
//
//   producer thread            worker threads (x3)              main thread
//   ---------------            -------------------              -----------
//   PUSH "jobs"  --inproc://jobs-->  PULL "tasks"
//                                   PUSH "results" --inproc://results--> PULL "collector"
//
// How it stops: main receives every result, checks the sum, then calls
// ctx.stop_for(). The workers are blocked in recv(); stop wakes them with
// zmqraii::stopped, their stacks unwind, each socket's destructor closes it on
// its own thread, and the context terminates. Nobody sleeps, nobody closes a
// socket it does not own, and if a thread forgot to close a socket stop_for()
// would say which one instead of hanging.
#include <zmqraii/zmqraii.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

int main() {
    constexpr int jobs = 1000;
    constexpr int workers_n = 3;
    zmqraii::context ctx;  // one context for the whole process, shared by all threads

    // Bind first, so that connects in other threads always find the endpoints.
    zmqraii::socket collector(ctx, zmqraii::socket_type::pull, "collector");
    collector.bind("inproc://results");
    zmqraii::socket jobs_out(ctx, zmqraii::socket_type::push, "jobs");
    jobs_out.bind("inproc://jobs");
    // The producer thread will own `jobs`: hand it over explicitly.
    zmqraii::socket_handoff jobs_handoff = std::move(jobs_out).release();

    std::vector<std::thread> workers;
    for (int w = 0; w < workers_n; ++w) {
        workers.emplace_back([&ctx, w] {
            // Everything inside the try: a worker that starts late may find the
            // context already stopping (its siblings did all the jobs), and then
            // even creating its socket throws zmqraii::stopped.
            try {
                zmqraii::socket tasks(ctx, zmqraii::socket_type::pull,
                                      "tasks " + std::to_string(w));
                zmqraii::socket results(ctx, zmqraii::socket_type::push,
                                        "results " + std::to_string(w));
                tasks.connect("inproc://jobs");
                results.connect("inproc://results");
                for (;;) {
                    const std::int64_t n = std::stoll(tasks.recv().to_string());
                    results.send(std::to_string(n * n));
                }
            } catch (const zmqraii::stopped&) {
                // ctx.stop() woke us: return; RAII has closed both sockets on this thread.
            }
        });
    }

    std::thread producer([h = std::move(jobs_handoff)]() mutable {
        zmqraii::socket out = std::move(h).adopt();  // now this thread owns "jobs"
        for (int i = 1; i <= jobs; ++i) out.send(std::to_string(i));
    });  // `out` closes here; its queued messages still reach the workers

    std::int64_t sum = 0;
    for (int i = 0; i < jobs; ++i) sum += std::stoll(collector.recv().to_string());
    producer.join();

    const std::int64_t expected = std::int64_t{jobs} * (jobs + 1) * (2 * jobs + 1) / 6;
    std::printf("sum of squares 1..%d = %lld (expected %lld)\n", jobs, static_cast<long long>(sum),
                static_cast<long long>(expected));

    // Ordered stop: wakes the workers, closes `collector` (this thread owns it),
    // waits for the workers to close theirs, terminates the context.
    const bool stopped = ctx.stop_for(std::chrono::seconds(5));
    if (!stopped) std::printf("stop is still waiting:\n%s\n", ctx.stop_report().c_str());
    for (auto& t : workers) t.join();
    std::printf("context stopped: %s\n", stopped ? "yes" : "no");
    return (sum == expected && stopped) ? 0 : 1;
}
