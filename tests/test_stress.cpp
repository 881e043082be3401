// SPDX-License-Identifier: MIT
// Stress: many threads, each owning sockets (inproc and tcp; PUSH/PULL,
// REQ/REP, PUB/SUB, PAIR with a poller), blocked in send, recv and poller
// waits, while the context is stopped at a random moment. After every round:
// stop_for() is true, live_sockets() is empty, every thread has been joined and
// ended with zmqraii::stopped (never another error), and what was received is
// intact (PUSH/PULL in order, REQ/REP replies match their requests).
//
// The second case puts owners that are idle (waiting for the stop to finish,
// sleeping, holding their sockets after catching stopped), blocked, or in the
// middle of operations when the stop begins, next to acknowledged pipelines
// (plain, multipart), a worker, a tied mailbox, and stops from an owner, a
// worker body and a poller handler. The stop must finish while the idle owners
// still wait for it, and no message acknowledged before it may be missing.
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
#include <zmqraii/mailbox.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/multipart.hpp>
#include <zmqraii/poller.hpp>
#include <zmqraii/socket.hpp>
#include <zmqraii/worker.hpp>

#include "catch.hpp"
#include "support.hpp"

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
#include <set>
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

// What the watchdog names when a round does not finish in time.
std::string round_name(std::uint64_t seed, long round) {
    return "test_stress round " + std::to_string(round) + " (seed " + std::to_string(seed) + ")";
}

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
        zmqraii_test::watchdog dog(ctx, round_name(seed, round), 25s);
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
        ok = stopped && ctx.live_sockets().empty() && ctx.terminated();
        CHECK(stopped);
        CHECK(ctx.live_sockets().empty());
        CHECK(ctx.terminated());
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

namespace {

// ---- the idle-owner round ---------------------------------------------------

// Messages a receiver recorded and a sender saw acknowledged.
struct ledger {
    std::mutex m;
    std::vector<long> received;  // in arrival order
    std::set<long> acked;
};

// Sends numbered messages on `data` and reads acknowledgements on `acks`.
void acked_sender(zmqraii::socket data, zmqraii::socket acks, ledger& book, bool as_multipart) {
    data.set(zmqraii::option::sndhwm, 4);
    for (long i = 0;; ++i) {
        if (as_multipart)
            zmqraii::send_multipart(data, zmqraii::multipart{seq_text(i), "payload"});
        else
            data.send(seq_text(i));
        while (auto a = acks.try_recv()) {
            std::lock_guard<std::mutex> lock(book.m);
            book.acked.insert(std::stol(a->to_string()));
        }
    }
}

// Records every message, then acknowledges it.
void acked_receiver(zmqraii::socket data, zmqraii::socket acks, ledger& book, bool as_multipart,
                    int mode) {
    auto take = [&](const std::string& id) {
        {
            std::lock_guard<std::mutex> lock(book.m);
            book.received.push_back(std::stol(id));
        }
        acks.send(id);
    };
    for (;;) {
        if (as_multipart) {
            zmqraii::multipart m = zmqraii::recv_multipart(data);
            if (m.size() != 2 || m[1].to_string() != "payload")
                throw std::runtime_error("multipart arrived broken: " + std::to_string(m.size()) +
                                         " parts");
            take(m[0].to_string());
        } else if (mode == 0) {
            take(data.recv().to_string());
        } else {
            if (auto m = data.recv_for(3ms)) take(m->to_string());
        }
    }
}

// Owns sockets, then waits in one of the idle ways until the stop has finished;
// the sockets must then be closed (by the stop) and refuse use with stopped.
void idle_owner(zmqraii::context& ctx, const std::string& ep, int how,
                zmqraii_test::latch& stop_finished, outcome& out) {
    zmqraii::socket a(ctx, socket_type::pull, "idle a");
    zmqraii::socket b(ctx, socket_type::dealer, "idle b");
    a.bind(ep);
    b.connect(ep + "-nobody");
    if (how == 2) {
        try {
            (void)a.recv();  // blocked; the stop wakes it; the socket is kept
        } catch (const zmqraii::stopped&) {}
    }
    if (how == 1) {
        while (!stop_finished.is_open()) std::this_thread::sleep_for(200us);
    } else if (!stop_finished.wait_for(60s)) {
        out.fail("idle owner: the stop never finished");
        return;
    }
    if (a.is_open() || b.is_open()) out.fail("idle owner: a socket is still open after the stop");
    try {
        a.bind(ep + "-again");
        out.fail("idle owner: bind after the stop succeeded");
    } catch (const zmqraii::stopped&) {}
    out.returned.fetch_add(1);
}

// Operates without pause (non-blocking calls, options) until stopped.
void busy_owner(zmqraii::context& ctx, const std::string& ep) {
    zmqraii::socket a(ctx, socket_type::pair, "busy a");
    zmqraii::socket b(ctx, socket_type::pair, "busy b");
    a.bind(ep);
    b.connect(ep);
    for (long i = 0;; ++i) {
        (void)a.try_send(seq_text(i));
        (void)b.try_recv();
        (void)a.get(zmqraii::option::sndhwm);
    }
}

bool run_idle_round(std::mt19937_64& rng, std::uint64_t seed, long round, round_stats& stats) {
    INFO("seed " << seed << ", round " << round << " (repeat with ZMQRAII_STRESS_SEED=" << seed
                 << ")");
    auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
    if (std::getenv("ZMQRAII_STRESS_VERBOSE")) std::printf("idle round %ld\n", round);
    zmqraii::context_options opts;
    opts.linger = pick(4) == 0 ? 20ms : 0ms;
    zmqraii::context ctx(opts);
    outcome out;
    zmqraii_test::latch stop_finished;
    std::vector<std::thread> threads;
    std::vector<std::unique_ptr<ledger>> books;
    const std::string tag = "inproc://idle-" + std::to_string(round) + "-";
    bool ok = true;
    int expected_returns = 0;
    {
        zmqraii_test::watchdog dog(ctx, round_name(seed, round), 25s);
        // Everything this thread makes that can throw stopped comes first:
        // once a role runs, a stop may begin at any moment.
        auto box = std::make_shared<zmqraii::mailbox<long>>(ctx, 8);
        const int pipelines = 1 + pick(2);
        for (int k = 0; k < pipelines; ++k) {
            books.push_back(std::make_unique<ledger>());
            ledger& book = *books.back();
            const std::string d = tag + "data" + std::to_string(k);
            const std::string a = tag + "ack" + std::to_string(k);
            const bool mp = pick(2) == 0;
            const int mode = pick(2);
            spawn(threads, out, "acked receiver", [&ctx, &book, d, a, mp, mode] {
                zmqraii::socket data(ctx, socket_type::pull, "acked data in");
                data.bind(d);
                zmqraii::socket acks(ctx, socket_type::push, "acks out");
                acks.bind(a);
                acked_receiver(std::move(data), std::move(acks), book, mp, mode);
            });
            spawn(threads, out, "acked sender", [&ctx, &book, d, a, mp] {
                zmqraii::socket data(ctx, socket_type::push, "acked data out");
                data.connect(d);
                zmqraii::socket acks(ctx, socket_type::pull, "acks in");
                acks.connect(a);
                acked_sender(std::move(data), std::move(acks), book, mp);
            });
        }
        const int idle = 1 + pick(3);
        for (int k = 0; k < idle; ++k) {
            const int how = pick(3);
            ++expected_returns;
            threads.emplace_back(
                [&ctx, &stop_finished, &out, ep = tag + "idle" + std::to_string(k), how] {
                    try {
                        idle_owner(ctx, ep, how, stop_finished, out);
                    } catch (const zmqraii::stopped&) {
                        out.returned.fetch_add(1);  // the stop came before its sockets were made
                    } catch (const std::exception& e) {
                        out.fail(std::string("idle owner: ") + e.what());
                    }
                });
        }
        if (pick(2) == 0)
            spawn(threads, out, "busy", [&ctx, ep = tag + "busy"] { busy_owner(ctx, ep); });

        // A worker echoing its pipe, driven by a thread that owns the parent end.
        const int who_stops = pick(4);  // 0 main, 1 an idle-ish owner, 2 worker body, 3 handler
        spawn(threads, out, "worker parent", [&ctx, who_stops] {
            zmqraii::worker w(ctx, "echo", [who_stops](zmqraii::worker_context& wc) {
                auto& pipe = wc.pipe();
                for (int i = 0;; ++i) {
                    zmqraii::message m = pipe.recv();
                    pipe.send(std::move(m));
                    if (who_stops == 2 && i == 5) wc.context().request_stop();
                }
            });
            for (int i = 0;; ++i) {
                w.pipe().send(seq_text(i));
                if (w.pipe().recv().to_string() != seq_text(i))
                    throw std::runtime_error("worker echo out of order");
            }
        });

        // A tied mailbox (made before any role starts: a stop may begin as soon
        // as one runs): a producer thread, a consumer on a poller (whose
        // handler may stop the context).
        spawn(threads, out, "mailbox producer", [box] {
            for (long i = 0;; ++i) box->push(long(i));
        });
        spawn(threads, out, "mailbox consumer", [&ctx, box, who_stops, ep = tag + "mbx"] {
            zmqraii::socket extra(ctx, socket_type::pull, "consumer's socket");
            extra.bind(ep);
            zmqraii::poller p;
            long next = 0;
            box->add_to(p, [&](long&& v) {
                if (v != next) throw std::runtime_error("mailbox out of order");
                ++next;
                if (who_stops == 3 && next == 50) ctx.request_stop();
            });
            p.add(extra, zmqraii::poll_events::in, [](zmqraii::poll_events) {});
            for (;;) p.wait(-1ms);
        });

        const int wait_us = pick(4) == 0 ? 0 : pick(20000);
        if (who_stops == 1) {
            spawn(threads, out, "stopping owner", [&ctx, wait_us, ep = tag + "stopper"] {
                struct stop_anyway {
                    zmqraii::context& c;
                    ~stop_anyway() { c.stop(); }
                } guard{ctx};
                zmqraii::socket mine(ctx, socket_type::dealer, "stopper's own");
                mine.connect(ep);
                std::this_thread::sleep_for(std::chrono::microseconds(wait_us));
            });
            ++expected_returns;
        } else if (who_stops == 0) {
            std::this_thread::sleep_for(std::chrono::microseconds(wait_us));
            ctx.request_stop();
        }
        // Workers and handlers stop by themselves; bound the wait for them.
        const auto t0 = std::chrono::steady_clock::now();
        while (!ctx.stopping() && std::chrono::steady_clock::now() - t0 < 2s)
            std::this_thread::sleep_for(100us);
        if (!ctx.stopping()) ctx.request_stop();  // the stopping role found nothing to stop on
        const auto stop_t0 = std::chrono::steady_clock::now();
        const bool stopped = ctx.stop_for(20s);  // idle owners are still waiting: it must not
        const double took = zmqraii_test::seconds_since(stop_t0);
        stop_finished.open();
        for (auto& t : threads) t.join();
        (void)box->clear();  // what the producer queued after the last pop
        CHECK(stopped);
        CHECK(took < 5.0);
        CHECK(ctx.live_sockets().empty());
        ok = stopped && took < 5.0 && ctx.live_sockets().empty();
    }
    {
        std::lock_guard<std::mutex> lock(out.m);
        for (const auto& f : out.failures) FAIL_CHECK(f);
        ok = ok && out.failures.empty();
    }
    // Nothing acknowledged is missing; what arrived came in order, once.
    for (const auto& b : books) {
        std::lock_guard<std::mutex> lock(b->m);
        for (std::size_t i = 0; i < b->received.size(); ++i)
            if (b->received[i] != static_cast<long>(i)) {
                FAIL_CHECK("message " << i << " arrived as " << b->received[i]);
                ok = false;
                break;
            }
        for (long id : b->acked)
            if (id >= static_cast<long>(b->received.size())) {
                FAIL_CHECK("message " << id << " was acknowledged but not recorded");
                ok = false;
            }
        stats.received += static_cast<long>(b->received.size());
    }
    CHECK(out.returned.load() == expected_returns);
    ok = ok && out.returned.load() == expected_returns;
    stats.rounds += 1;
    stats.stopped_threads += out.stopped.load();
    return ok;
}

}  // namespace

TEST_CASE("stops close idle owners' sockets; nothing acknowledged is lost", "[stress][stop]") {
    const long rounds = env_long("ZMQRAII_STRESS_ROUNDS", 100);
    const std::uint64_t seed = stress_seed();
    std::printf("test_stress idle: %ld rounds, seed %llu\n", rounds,
                static_cast<unsigned long long>(seed));
    std::fflush(stdout);
    std::mt19937_64 rng(seed);
    round_stats stats;
    const auto t0 = std::chrono::steady_clock::now();
    for (long r = 0; r < rounds; ++r) {
        if (!run_idle_round(rng, seed, r, stats)) break;
    }
    std::printf(
        "test_stress idle: %ld rounds in %.1f s, %ld threads stopped, %ld messages "
        "recorded\n",
        stats.rounds, zmqraii_test::seconds_since(t0), stats.stopped_threads, stats.received);
    std::fflush(stdout);
    CHECK(stats.rounds == rounds);
    CHECK(stats.received > 0);
}
