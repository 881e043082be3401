// SPDX-License-Identifier: MIT
// Socket creation under contention: T threads each create and close sockets in
// one shared context, as a server that opens a socket per request or per
// connection does. Rounds alternate between raw libzmq, cppzmq and zmqraii in
// one process (same machine state for all three), and the program prints the
// median time per socket of each and the ratios to raw and to cppzmq.
//
//   bench_create [--threads 8,32] [--sockets N] [--rounds 7]
//
// --sockets is per thread and round; by default 16,000 sockets per round are
// shared among the threads (2,000 each at 8 threads, 500 at 32). libzmq closes
// sockets on its reaper thread, later: 32 threads x 2,000 sockets outran it and
// hit the open-file limit (EMFILE at 20,000 descriptors).
//
// Every socket binds nothing and sends nothing: what is measured is the create
// and close path (libzmq's zmq_socket/zmq_close, plus each wrapper's own work).
#include <zmqraii/zmqraii.hpp>

#include <zmq.h>
#if __has_include(<zmq.hpp>)
#include <zmq.hpp>
#define ZMQRAII_BENCH_HAVE_CPPZMQ 1
#else
#define ZMQRAII_BENCH_HAVE_CPPZMQ 0
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
    std::vector<int> threads{8, 32};
    int sockets = 0;  // per thread and round; 0: 16,000 / threads
    int rounds = 7;
};

std::vector<int> parse_list(const char* text) {
    std::vector<int> out;
    const char* p = text;
    while (*p != '\0') {
        char* end = nullptr;
        const long v = std::strtol(p, &end, 10);
        if (end == p || v <= 0) {
            std::fprintf(stderr, "bench_create: bad list '%s'\n", text);
            std::exit(2);
        }
        out.push_back(static_cast<int>(v));
        p = *end == ',' ? end + 1 : end;
    }
    return out;
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--threads")
            o.threads = parse_list(argv[i + 1]);
        else if (a == "--sockets")
            o.sockets = std::atoi(argv[i + 1]);
        else if (a == "--rounds")
            o.rounds = std::atoi(argv[i + 1]);
        else {
            std::fprintf(stderr,
                         "usage: bench_create [--threads 8,32] [--sockets N] [--rounds N]\n");
            std::exit(2);
        }
    }
    if (o.sockets < 0 || o.rounds <= 0) std::exit(2);
    return o;
}

// Runs `per_thread` on `n` threads at once (released together); seconds taken.
double run_threads(int n, const std::function<void()>& per_thread) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
        threads.emplace_back([&] {
            ready.fetch_add(1);
            while (!go.load()) std::this_thread::yield();
            per_thread();
        });
    while (ready.load() < n) std::this_thread::yield();
    const auto t0 = clock_type::now();
    go = true;
    for (auto& t : threads) t.join();
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// One round of each implementation; returns seconds.
double round_raw(int threads, int sockets) {
    void* ctx = zmq_ctx_new();
    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 65536);
    const double t = run_threads(threads, [&] {
        for (int i = 0; i < sockets; ++i) {
            void* s = zmq_socket(ctx, ZMQ_DEALER);
            if (s == nullptr) {
                std::fprintf(stderr, "bench_create: zmq_socket: %s\n", zmq_strerror(zmq_errno()));
                std::abort();
            }
            int linger = 1000;  // as zmqraii sets it, so that both do the same work
            zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
            zmq_close(s);
        }
    });
    zmq_ctx_term(ctx);
    return t;
}

#if ZMQRAII_BENCH_HAVE_CPPZMQ
// cppzmq as is (libzmq's default linger, -1), or with the linger zmqraii sets.
double round_cppzmq(int threads, int sockets, bool with_linger) {
    zmq::context_t ctx;
    ctx.set(zmq::ctxopt::max_sockets, 65536);
    const double t = run_threads(threads, [&] {
        for (int i = 0; i < sockets; ++i) {
            zmq::socket_t s(ctx, zmq::socket_type::dealer);
            if (with_linger) s.set(zmq::sockopt::linger, 1000);
        }
    });
    ctx.close();
    return t;
}
#endif

double round_zmqraii(int threads, int sockets) {
    zmqraii::context_options opts;
    opts.max_sockets = 65536;
    zmqraii::context ctx(opts);  // linger 1000 ms given to every socket
    const double t = run_threads(threads, [&] {
        for (int i = 0; i < sockets; ++i) zmqraii::socket s(ctx, zmqraii::socket_type::dealer);
    });
    ctx.stop();
    return t;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    std::printf("socket create+close, %s sockets per thread, %d rounds, rounds alternating\n",
                o.sockets > 0 ? std::to_string(o.sockets).c_str() : "16,000 / threads", o.rounds);
    std::printf(
        "(raw and cppzmq+linger set ZMQ_LINGER = 1000 ms on each socket, as zmqraii "
        "does; plain cppzmq keeps libzmq's default)\n\n");
    std::printf(
        "| threads | raw us/socket | cppzmq | cppzmq+linger | zmqraii | zmqraii / raw | "
        "zmqraii / cppzmq | zmqraii / cppzmq+linger |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const int n : o.threads) {
        std::vector<double> raw, cpp, cppl, raii;
        const int sockets = o.sockets > 0 ? o.sockets : std::max(1, 16000 / n);
        const double per = 1e6 / (static_cast<double>(n) * sockets);  // s -> us/socket
        for (int r = 0; r < o.rounds; ++r) {
            raw.push_back(round_raw(n, sockets) * per);
#if ZMQRAII_BENCH_HAVE_CPPZMQ
            cpp.push_back(round_cppzmq(n, sockets, false) * per);
            cppl.push_back(round_cppzmq(n, sockets, true) * per);
#endif
            raii.push_back(round_zmqraii(n, sockets) * per);
        }
        const double mr = median(raw);
        const double mz = median(raii);
        const double mc = cpp.empty() ? 0.0 : median(cpp);
        const double mcl = cppl.empty() ? 0.0 : median(cppl);
        std::printf("| %d | %.2f | %.2f | %.2f | %.2f | x%.2f | x%.2f | x%.2f |\n", n, mr, mc, mcl,
                    mz, mz / mr, mc > 0 ? mz / mc : 0.0, mcl > 0 ? mz / mcl : 0.0);
        std::fflush(stdout);
    }
    return 0;
}
