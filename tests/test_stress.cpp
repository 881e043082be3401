// SPDX-License-Identifier: MIT
// Stress: many threads, each owning sockets (inproc and tcp; PUSH/PULL,
// REQ/REP, PUB/SUB, PAIR with a poller), blocked in send, recv and poller
// waits, while the context is stopped at a random moment. After every round:
// stop_for() is true, live_sockets() is empty, every thread has been joined and
// ended with zmqraii::stopped (never another error), and what was received is
// intact (PUSH/PULL in order, REQ/REP replies match their requests).
//
// Rounds: env ZMQRAII_STRESS_ROUNDS (default 100, CI-sized); seed: env
// ZMQRAII_STRESS_SEED (default random; printed either way, so a failing run can
// be repeated). A watchdog prints live_sockets() and stop_report() and aborts
// when a round hangs, before the ctest TIMEOUT would kill it silently.
//
//   ZMQRAII_STRESS_ROUNDS=1000 build/dev/tests/test_stress
//   ZMQRAII_STRESS_ROUNDS=1000 ZMQRAII_STRESS_SEED=1234 build/dev/tests/test_stress
#include <zmqraii/context.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/poller.hpp>
#include <zmqraii/socket.hpp>

#include "catch.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using zmqraii::socket_type;

namespace {

long env_long(const char* name, long fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return fallback;
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    return (end != nullptr && *end == '\0' && n > 0) ? n : fallback;
}

std::uint64_t stress_seed() {
    const char* v = std::getenv("ZMQRAII_STRESS_SEED");
    if (v != nullptr && *v != '\0') return std::strtoull(v, nullptr, 10);
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

// How one worker thread ended.
struct outcome {
    std::mutex m;
    std::vector<std::string> failures;  // anything but zmqraii::stopped
    std::atomic<int> stopped{0};
    std::atomic<int> returned{0};
    std::atomic<long> received{0};  // message parts received and checked, all threads

    void fail(std::string what) {
        std::lock_guard<std::mutex> lock(m);
        failures.push_back(std::move(what));
    }
};

// Runs `body` on a new thread; records how it ended.
template <class F>
void spawn(std::vector<std::thread>& threads, outcome& out, std::string role, F body) {
    threads.emplace_back([&out, role = std::move(role), body = std::move(body)]() mutable {
        try {
            body();
            out.returned.fetch_add(1);
        } catch (const zmqraii::stopped&) {
            out.stopped.fetch_add(1);
        } catch (const std::exception& e) {
            out.fail(role + ": " + e.what());
        } catch (...) {
            out.fail(role + ": unknown exception");
        }
    });
}

// Aborts with a report when a round does not finish in time: the report names
// the sockets that keep the context alive, which a bare ctest TIMEOUT would not.
class watchdog {
public:
    watchdog(zmqraii::context& ctx, std::uint64_t seed, long round, std::chrono::seconds limit)
        : thread_([this, &ctx, seed, round, limit] {
              std::unique_lock<std::mutex> lock(m_);
              if (cv_.wait_for(lock, limit, [this] { return done_; })) return;
              std::fprintf(stderr,
                           "test_stress watchdog: round %ld (seed %llu) did not finish in %lld s\n"
                           "stop_report: %s\nlive_sockets:\n",
                           round, static_cast<unsigned long long>(seed),
                           static_cast<long long>(limit.count()), ctx.stop_report().c_str());
              for (const auto& s : ctx.live_sockets())
                  std::fprintf(stderr, "  %s\n", s.to_string().c_str());
              std::fflush(stderr);
              std::abort();
          }) {}
    watchdog(const watchdog&) = delete;
    watchdog& operator=(const watchdog&) = delete;
    ~watchdog() {
        {
            std::lock_guard<std::mutex> lock(m_);
            done_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    bool done_ = false;
    std::thread thread_;
};

std::string seq_text(long n) { return std::to_string(n); }

// ---- roles: each runs until the context stops (zmqraii::stopped) -----------

// PUSH: numbered messages, blocking send (small HWM: blocks when the puller lags).
void pusher(zmqraii::socket s, int hwm) {
    s.set(zmqraii::option::sndhwm, hwm);
    for (long i = 0;; ++i) s.send(seq_text(i));
}

// PULL read by blocking recv, recv_for or a poller; checks the numbers are in order.
void puller(zmqraii::socket s, int mode, outcome& out) {
    long expected = 0;
    auto check = [&](const zmqraii::message& m) {
        const std::string t = m.to_string();
        if (t != seq_text(expected))
            out.fail("pull: expected " + seq_text(expected) + ", got '" + t + "'");
        ++expected;
        out.received.fetch_add(1, std::memory_order_relaxed);
    };
    if (mode == 0) {
        for (;;) check(s.recv());
    } else if (mode == 1) {
        for (;;)
            if (auto m = s.recv_for(7ms)) check(*m);
    } else {
        zmqraii::poller p;
        p.add(s, zmqraii::poll_events::in, [&](zmqraii::poll_events) {
            while (auto m = s.try_recv()) check(*m);
        });
        for (;;) p.wait(-1ms);
    }
}

void requester(zmqraii::socket s, outcome& out) {
    for (long i = 0;; ++i) {
        s.send("req " + seq_text(i));
        const std::string reply = s.recv().to_string();
        if (reply != "rep " + seq_text(i)) out.fail("req: got '" + reply + "' for " + seq_text(i));
        out.received.fetch_add(1, std::memory_order_relaxed);
    }
}

void replier(zmqraii::socket s) {
    for (;;) {
        const std::string req = s.recv().to_string();
        s.send("rep " + req.substr(4));
    }
}

void publisher(zmqraii::socket s) {
    for (long i = 0;; ++i) {
        s.send(i % 2 == 0 ? "a " + seq_text(i) : "b " + seq_text(i));
        if (i % 64 == 63) std::this_thread::sleep_for(1ms);  // PUB never blocks
    }
}

void subscriber(zmqraii::socket s, outcome& out) {
    s.subscribe("a ");
    zmqraii::poller p;
    p.add(s, zmqraii::poll_events::in, [&](zmqraii::poll_events) {
        while (auto m = s.try_recv()) {
            if (m->to_string().rfind("a ", 0) != 0)
                out.fail("sub: unsubscribed topic '" + m->to_string() + "'");
            out.received.fetch_add(1, std::memory_order_relaxed);
        }
    });
    for (;;) p.wait(-1ms);
}

// One thread owns both ends of a PAIR and ping-pongs through a poller.
void ping_pong(zmqraii::context& ctx, const std::string& ep, outcome& out) {
    zmqraii::socket a(ctx, socket_type::pair, "ping a");
    zmqraii::socket b(ctx, socket_type::pair, "ping b");
    a.bind(ep);
    b.connect(ep);
    long n = 0;
    zmqraii::poller p;
    p.add(a, zmqraii::poll_events::in, [&](zmqraii::poll_events) {
        if (a.recv().to_string() != seq_text(n)) out.fail("ping: out of order");
        out.received.fetch_add(1, std::memory_order_relaxed);
        b.send(seq_text(++n));
    });
    b.send(seq_text(n));
    for (;;) p.wait(-1ms);
}

// Creates, binds, moves, hands off and closes sockets in a loop: creation races
// stop. A closed socket keeps its slot (and its mailbox's descriptor) until
// libzmq's reaper thread destroys it, so a tight loop can reach max_sockets or
// the descriptor limit: EMFILE, a documented error; back off and go on.
// At most 200 sockets per round, so that the other roles keep descriptors; then
// it blocks in recv like the others.
void churn(zmqraii::context& ctx, const std::string& prefix) {
    for (long i = 0; i < 200; ++i) {
        std::optional<zmqraii::socket> made;
        try {
            made.emplace(ctx, i % 2 ? socket_type::dealer : socket_type::router, "churn");
        } catch (const zmqraii::stopped&) {
            throw;
        } catch (const zmqraii::error& e) {
            if (e.num() != EMFILE) throw;
            std::this_thread::sleep_for(1ms);
            continue;
        }
        zmqraii::socket s = std::move(*made);
        s.bind(prefix + seq_text(i));
        zmqraii::socket moved(std::move(s));
        if (i % 3 == 0) {
            zmqraii::socket back = std::move(moved).release().adopt();
            back.close();
        }
    }
    zmqraii::socket last(ctx, socket_type::dealer, "churn's last");
    last.bind(prefix + "last");
    for (;;) (void)last.recv();
}

// A socket pair over tcp made here (the binding side first) and handed off, or
// inproc endpoints that each thread connects or binds itself.
struct pair_spec {
    zmqraii::socket_handoff bound;
    zmqraii::socket_handoff connected;
};

pair_spec tcp_pair(zmqraii::context& ctx, socket_type bind_type, socket_type connect_type) {
    zmqraii::socket b(ctx, bind_type, "tcp bound");
    b.bind("tcp://127.0.0.1:*");
    zmqraii::socket c(ctx, connect_type, "tcp connected");
    c.connect(b.last_endpoint());
    return {std::move(b).release(), std::move(c).release()};
}

// Either adopts the handed-off socket, or makes one and binds/connects inproc.
struct socket_source {
    std::shared_ptr<zmqraii::socket_handoff> handoff;
    socket_type type = socket_type::pair;
    std::string inproc;
    bool bind = false;

    zmqraii::socket make(zmqraii::context& ctx) const {
        if (handoff) return std::move(*handoff).adopt();
        zmqraii::socket s(ctx, type, "inproc " + inproc);
        if (bind)
            s.bind(inproc);
        else
            s.connect(inproc);
        return s;
    }
};

struct round_stats {
    long rounds = 0;
    long received = 0;
    long stopped_threads = 0;
    long stop_from_owner = 0;
};

// One round: start the roles, stop at a random moment, check the aftermath.
// Returns false when a check failed (the caller ends the run there).
bool run_round(std::mt19937_64& rng, std::uint64_t seed, long round, round_stats& stats) {
    INFO("seed " << seed << ", round " << round << " (repeat with ZMQRAII_STRESS_SEED=" << seed
                 << ")");
    zmqraii::context_options opts;
    opts.linger = std::uniform_int_distribution<int>(0, 3)(rng) == 0 ? 20ms : 0ms;
    zmqraii::context ctx(opts);
    outcome out;
    std::vector<std::thread> threads;
    bool from_owner = false;
    bool ok = true;
    {
        watchdog dog(ctx, seed, round, 25s);
        auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
        const std::string tag = "inproc://stress-" + std::to_string(round) + "-";

        // Each pattern's ends: over tcp (made here, handed off) or inproc (made
        // by their threads, connect before bind allowed).
        auto ends = [&](const std::string& name, socket_type bt, socket_type ct) {
            socket_source b, c;
            b.type = bt;
            c.type = ct;
            if (pick(2) == 0) {
                auto p = tcp_pair(ctx, bt, ct);
                b.handoff = std::make_shared<zmqraii::socket_handoff>(std::move(p.bound));
                c.handoff = std::make_shared<zmqraii::socket_handoff>(std::move(p.connected));
            } else {
                b.inproc = c.inproc = tag + name;
                b.bind = true;
            }
            return std::make_pair(b, c);
        };

        const int pairs = 1 + pick(2);
        for (int k = 0; k < pairs; ++k) {
            const std::string n = std::to_string(k);
            auto [pull_end, push_end] = ends("pp" + n, socket_type::pull, socket_type::push);
            const int hwm = 1 + pick(20);
            const int mode = pick(3);
            spawn(threads, out, "push",
                  [&ctx, push_end = push_end, hwm] { pusher(push_end.make(ctx), hwm); });
            spawn(threads, out, "pull", [&ctx, &out, pull_end = pull_end, mode] {
                puller(pull_end.make(ctx), mode, out);
            });
            auto [rep_end, req_end] = ends("rr" + n, socket_type::rep, socket_type::req);
            spawn(threads, out, "rep", [&ctx, rep_end = rep_end] { replier(rep_end.make(ctx)); });
            spawn(threads, out, "req",
                  [&ctx, &out, req_end = req_end] { requester(req_end.make(ctx), out); });
        }
        auto [pub_end, sub_end] = ends("ps", socket_type::pub, socket_type::sub);
        spawn(threads, out, "pub", [&ctx, pub_end = pub_end] { publisher(pub_end.make(ctx)); });
        spawn(threads, out, "sub",
              [&ctx, &out, sub_end = sub_end] { subscriber(sub_end.make(ctx), out); });
        spawn(threads, out, "ping", [&ctx, &out, ep = tag + "ping"] { ping_pong(ctx, ep, out); });
        spawn(threads, out, "churn", [&ctx, p = tag + "churn-"] { churn(ctx, p); });

        // Stop at a random moment: at once, or after up to 25 ms; from this
        // thread, or from a thread that owns sockets itself (it closes its own).
        const int wait_us = pick(4) == 0 ? 0 : pick(25000);
        from_owner = pick(3) == 0;
        if (from_owner) {
            ++stats.stop_from_owner;
            spawn(threads, out, "stopper", [&ctx, wait_us] {
                // Stops even when making its socket failed, or this round would
                // wait for a stop that never comes.
                struct stop_anyway {
                    zmqraii::context& c;
                    ~stop_anyway() { c.stop(); }
                } guard{ctx};
                zmqraii::socket mine(ctx, socket_type::dealer, "stopper's own");
                mine.connect("inproc://stopper-nowhere");
                std::this_thread::sleep_for(std::chrono::microseconds(wait_us));
                ctx.stop();  // closes `mine`: this thread owns it
            });
            // This thread's stop_for joins in only once the stopper began the stop.
            while (!ctx.stopping()) std::this_thread::sleep_for(100us);
        } else {
            std::this_thread::sleep_for(std::chrono::microseconds(wait_us));
        }
        const auto stop_t0 = std::chrono::steady_clock::now();
        const bool stopped = ctx.stop_for(20s);
        if (std::getenv("ZMQRAII_STRESS_VERBOSE"))
            std::printf("round %ld: stop_for took %.1f ms\n", round,
                        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                                  stop_t0)
                            .count());
        for (auto& t : threads) t.join();
        ok = stopped && ctx.live_sockets().empty() && ctx.stopped();
        CHECK(stopped);
        CHECK(ctx.live_sockets().empty());
        CHECK(ctx.stopped());
    }
    {
        std::lock_guard<std::mutex> lock(out.m);
        for (const auto& f : out.failures) FAIL_CHECK(f);
        ok = ok && out.failures.empty();
    }
    // Every worker ended with stopped; only the stopper returns.
    const int threads_n = static_cast<int>(threads.size());
    CHECK(out.stopped.load() == threads_n - (from_owner ? 1 : 0));
    CHECK(out.returned.load() == (from_owner ? 1 : 0));
    ok = ok && out.stopped.load() == threads_n - (from_owner ? 1 : 0) &&
         out.returned.load() == (from_owner ? 1 : 0);
    stats.rounds += 1;
    stats.received += out.received.load();
    stats.stopped_threads += out.stopped.load();
    return ok;
}

}  // namespace

TEST_CASE("threads owning sockets survive stops at random moments", "[stress][stop]") {
    const long rounds = env_long("ZMQRAII_STRESS_ROUNDS", 100);
    const std::uint64_t seed = stress_seed();
    std::printf("test_stress: %ld rounds, seed %llu (ZMQRAII_STRESS_SEED=%llu to repeat)\n", rounds,
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
    std::fflush(stdout);
    std::mt19937_64 rng(seed);
    round_stats stats;
    const auto t0 = std::chrono::steady_clock::now();
    for (long r = 0; r < rounds; ++r) {
        if (!run_round(rng, seed, r, stats)) break;
    }
    const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf(
        "test_stress: %ld rounds in %.1f s, %ld threads stopped, %ld messages checked, "
        "%ld stops from an owner thread\n",
        stats.rounds, secs, stats.stopped_threads, stats.received, stats.stop_from_owner);
    std::fflush(stdout);
    CHECK(stats.rounds == rounds);
    // The rounds did real work: messages flowed before the stops.
    CHECK(stats.received > 0);
}
