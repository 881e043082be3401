// SPDX-License-Identifier: MIT
// bench/harness.hpp: the one benchmark harness that every implementation shares.
//
// Each bench program (raw libzmq, cppzmq, zmqraii, zmqraii without the owner
// check) defines an `impl` type with the handful of operations below and calls
// bench::main<impl>(argc, argv). Everything else (threads, endpoints, options,
// the send and receive loops, timing, verification and output) lives here, so
// the message path is the same in every program: same socket types, same
// options, copy-send of a caller buffer, receive into one reused message.
//
// What an `impl` provides (all static, all inline so that the wrapper's code
// lands in the loops below):
//
//   static constexpr const char* name;
//   class context;                          // default-constructible
//   class socket;                           // returned by open()
//   class message;                          // default-constructible, reused
//   static socket open(context&, kind);     // on the thread that will use it
//   static void set_options(socket&, int hwm, int linger_ms);
//   static void bind(socket&, const char* endpoint);
//   static std::string last_endpoint(socket&);
//   static void connect(socket&, const std::string& endpoint);
//   static void send(socket&, const void* data, std::size_t size);  // copies
//   static std::size_t recv(socket&, message&);  // reuses m; returns the part's size
//   static const void* data(message&);
//   static void close(socket&);
//
// Optional, for receivers that are not a blocking recv() loop (an event loop's
// handler, a coroutine): `static constexpr bool custom_receive = true;` and
//
//   template <class OnMessage>
//   static void receive(context&, socket&, message&, std::uint64_t from,
//                       std::uint64_t to, OnMessage& on_message);
//
// which receives messages from..to-1 and calls on_message(msg, size, seq) for
// each, in order (`msg` is the message it received into: the one given, or its own). thr_receiver
// then uses it for the warm-up and for the measured messages; the other scenarios are unchanged.
//
// Errors inside an impl throw (wrapper exceptions or bench::failure); a failed
// verification prints what went wrong and ends the process with status 1, so no
// number is ever printed for a broken run.
#ifndef ZMQRAII_BENCH_HARNESS_HPP_INCLUDED
#define ZMQRAII_BENCH_HARNESS_HPP_INCLUDED

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#if defined(__GNUC__) || defined(__clang__)
#define ZMQRAII_BENCH_NOINLINE __attribute__((noinline))
#else
#define ZMQRAII_BENCH_NOINLINE
#endif

namespace bench {

/// The socket types the scenarios use.
enum class kind { push, pull, req, rep };

/// An error raised by an impl (raw libzmq return codes) or by the harness.
struct failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class scenario { thr_inproc, thr_tcp, lat_inproc, lat_tcp };

struct options {
    scenario which = scenario::thr_inproc;
    std::string scenario_name = "thr_inproc";
    std::size_t size = 64;        // bytes per message
    std::uint64_t count = 0;      // timed messages (throughput) or round trips (latency)
    std::uint64_t warmup = 1000;  // untimed messages before the clock starts
    int hwm = 1000;               // ZMQ_SNDHWM and ZMQ_RCVHWM of every socket
    int linger_ms = 1000;         // ZMQ_LINGER of every socket
};

[[noreturn]] inline void usage_error(const char* prog, const std::string& why, int status = 2) {
    std::fprintf(status == 0 ? stdout : stderr,
                 "%s: %s\n"
                 "usage: %s --scenario thr_inproc|thr_tcp|lat_inproc|lat_tcp --size BYTES "
                 "--count N [--warmup N] [--hwm N]\n"
                 "  thr_*: PUSH/PULL throughput, N messages timed at the receiver\n"
                 "  lat_*: REQ/REP, N round trips timed at the requester\n"
                 "Prints one JSON line. Exit status: 0 success, 1 a message failed\n"
                 "verification, 2 an error (usage, libzmq, wrapper exception).\n",
                 prog, why.c_str(), prog);
    std::exit(status);
}

inline std::uint64_t parse_count(const char* prog, const char* flag, const char* text) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-')
        usage_error(prog, std::string("bad value for ") + flag + ": " + text);
    return v;
}

inline options parse_args(int argc, char** argv) {
    options o;
    const char* prog = argc > 0 ? argv[0] : "bench";
    bool have_count = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help") usage_error(prog, "benchmark", 0);
        if (i + 1 >= argc) usage_error(prog, "missing value after " + a);
        const char* v = argv[++i];
        if (a == "--scenario") {
            o.scenario_name = v;
            if (o.scenario_name == "thr_inproc")
                o.which = scenario::thr_inproc;
            else if (o.scenario_name == "thr_tcp")
                o.which = scenario::thr_tcp;
            else if (o.scenario_name == "lat_inproc")
                o.which = scenario::lat_inproc;
            else if (o.scenario_name == "lat_tcp")
                o.which = scenario::lat_tcp;
            else
                usage_error(prog, "unknown scenario " + o.scenario_name);
        } else if (a == "--size") {
            o.size = static_cast<std::size_t>(parse_count(prog, "--size", v));
        } else if (a == "--count") {
            o.count = parse_count(prog, "--count", v);
            have_count = true;
        } else if (a == "--warmup") {
            o.warmup = parse_count(prog, "--warmup", v);
        } else if (a == "--hwm") {
            o.hwm = static_cast<int>(parse_count(prog, "--hwm", v));
        } else {
            usage_error(prog, "unknown option " + a);
        }
    }
    if (!have_count || o.count == 0) usage_error(prog, "--count N (N > 0) is required");
    if (o.size == 0) usage_error(prog, "--size must be at least 1 (it carries a sequence number)");
    return o;
}

// ---- verification ---------------------------------------------------------
//
// Every message carries its sequence number in its first min(size, 8) bytes
// (little-endian, truncated for sizes below 8). The receiver checks count,
// size and sequence of every message.

[[noreturn]] ZMQRAII_BENCH_NOINLINE inline void verify_failed(const char* impl, const char* where,
                                                              std::uint64_t seq, std::size_t size,
                                                              std::size_t expected_size) {
    std::fprintf(stderr,
                 "bench %s: verification failed in %s at message %llu: size %zu "
                 "(expected %zu) or wrong sequence number\n",
                 impl, where, static_cast<unsigned long long>(seq), size, expected_size);
    std::fflush(stderr);
    std::_Exit(1);
}

/// Writes `seq` into the first bytes of `buf` (of `size` bytes).
inline void stamp(unsigned char* buf, std::size_t size, std::uint64_t seq) noexcept {
    if (size >= 8) {
        std::memcpy(buf, &seq, 8);  // one 8-byte store
    } else {
        for (std::size_t i = 0; i < size; ++i) buf[i] = static_cast<unsigned char>(seq >> (8 * i));
    }
}

/// True when `data` (of `size` bytes) is message `seq` of `expected_size` bytes.
inline bool check(const void* data, std::size_t size, std::size_t expected_size,
                  std::uint64_t seq) noexcept {
    if (size != expected_size) return false;
    const auto* p = static_cast<const unsigned char*>(data);
    if (size >= 8) {
        std::uint64_t got;
        std::memcpy(&got, p, 8);  // one 8-byte load
        return got == seq;
    }
    for (std::size_t i = 0; i < size; ++i)
        if (p[i] != static_cast<unsigned char>(seq >> (8 * i))) return false;
    return true;
}

// ---- the scenarios ----------------------------------------------------------

inline const char* endpoint_for(scenario s) {
    return (s == scenario::thr_inproc || s == scenario::lat_inproc) ? "inproc://bench"
                                                                    : "tcp://127.0.0.1:*";
}

struct peer_sync {
    std::promise<std::string> endpoint;  // bound endpoint, main -> peer
    std::promise<void> done;             // main finished: peer may close
};

// An exception in either thread ends the process at once (status 2): the other
// thread may be blocked in a call that nothing would wake.
[[noreturn]] ZMQRAII_BENCH_NOINLINE inline void fatal_error(const char* impl, const char* where,
                                                            const char* what) {
    std::fprintf(stderr, "bench %s: %s: %s\n", impl, where, what);
    std::fflush(stderr);
    std::_Exit(2);
}

// Throughput, sending side (peer thread): PUSH connects and sends
// warmup + count copies of a `size`-byte buffer, each stamped with its number.
template <class Impl>
ZMQRAII_BENCH_NOINLINE void thr_sender(typename Impl::context& ctx, const options& o,
                                       std::shared_future<std::string> endpoint,
                                       std::shared_future<void> done) {
    try {
        typename Impl::socket s = Impl::open(ctx, kind::push);
        Impl::set_options(s, o.hwm, o.linger_ms);
        Impl::connect(s, endpoint.get());
        std::vector<unsigned char> buf(o.size, 0xA5);
        unsigned char* const p = buf.data();
        const std::size_t size = o.size;
        const std::uint64_t total = o.warmup + o.count;
        // The measured send loop.
        for (std::uint64_t i = 0; i < total; ++i) {
            stamp(p, size, i);
            Impl::send(s, p, size);
        }
        done.get();  // keep the socket open until every message is received
        Impl::close(s);
    } catch (const std::exception& e) {
        fatal_error(Impl::name, "peer thread", e.what());
    }
}

// Whether Impl receives through its own receive() (see the top of this file).
template <class Impl, class = void>
struct has_custom_receive : std::false_type {};
template <class Impl>
struct has_custom_receive<Impl, std::enable_if_t<Impl::custom_receive>> : std::true_type {};

// Throughput, receiving side (main thread): PULL binds, receives warmup
// messages, then times `count` more. Returns seconds.
template <class Impl>
ZMQRAII_BENCH_NOINLINE double thr_receiver(typename Impl::context& ctx, const options& o,
                                           peer_sync& sync, std::thread& peer) {
    try {
        typename Impl::socket s = Impl::open(ctx, kind::pull);
        Impl::set_options(s, o.hwm, o.linger_ms);
        Impl::bind(s, endpoint_for(o.which));
        sync.endpoint.set_value(Impl::last_endpoint(s));

        typename Impl::message m;
        const std::size_t size = o.size;
        std::uint64_t i = 0;
        const std::uint64_t total = o.warmup + o.count;
        std::chrono::steady_clock::time_point start;
        if constexpr (has_custom_receive<Impl>::value) {
            const char* where = "warm-up";
            auto on_message = [&](typename Impl::message& got, std::size_t n, std::uint64_t seq) {
                if (seq != i || !check(Impl::data(got), n, size, seq))
                    verify_failed(Impl::name, where, seq, n, size);
                ++i;
            };
            Impl::receive(ctx, s, m, 0, o.warmup, on_message);
            where = "receive loop";
            start = std::chrono::steady_clock::now();
            // The measured receive loop, the impl's own way.
            Impl::receive(ctx, s, m, o.warmup, total, on_message);
        } else {
            for (; i < o.warmup; ++i) {
                const std::size_t n = Impl::recv(s, m);
                if (!check(Impl::data(m), n, size, i))
                    verify_failed(Impl::name, "warm-up", i, n, size);
            }
            start = std::chrono::steady_clock::now();
            // The measured receive loop.
            for (; i < total; ++i) {
                const std::size_t n = Impl::recv(s, m);
                if (!check(Impl::data(m), n, size, i))
                    verify_failed(Impl::name, "receive loop", i, n, size);
            }
        }
        const auto stop = std::chrono::steady_clock::now();
        if (i != total) verify_failed(Impl::name, "message count", i, 0, size);

        sync.done.set_value();
        peer.join();
        Impl::close(s);
        return std::chrono::duration<double>(stop - start).count();
    } catch (const std::exception& e) {
        fatal_error(Impl::name, "main thread", e.what());
    }
}

// Latency, replying side (peer thread): REP connects and echoes every request
// (copy-send of the received bytes) after checking it.
template <class Impl>
ZMQRAII_BENCH_NOINLINE void lat_replier(typename Impl::context& ctx, const options& o,
                                        std::shared_future<std::string> endpoint,
                                        std::shared_future<void> done) {
    try {
        typename Impl::socket s = Impl::open(ctx, kind::rep);
        Impl::set_options(s, o.hwm, o.linger_ms);
        Impl::connect(s, endpoint.get());
        typename Impl::message m;
        const std::size_t size = o.size;
        const std::uint64_t total = o.warmup + o.count;
        for (std::uint64_t i = 0; i < total; ++i) {
            const std::size_t n = Impl::recv(s, m);
            if (!check(Impl::data(m), n, size, i)) verify_failed(Impl::name, "replier", i, n, size);
            Impl::send(s, Impl::data(m), n);
        }
        done.get();
        Impl::close(s);
    } catch (const std::exception& e) {
        fatal_error(Impl::name, "peer thread", e.what());
    }
}

// Latency, requesting side (main thread): REQ binds, does warmup round trips,
// then times `count` more. Returns seconds.
template <class Impl>
ZMQRAII_BENCH_NOINLINE double lat_requester(typename Impl::context& ctx, const options& o,
                                            peer_sync& sync, std::thread& peer) {
    try {
        typename Impl::socket s = Impl::open(ctx, kind::req);
        Impl::set_options(s, o.hwm, o.linger_ms);
        Impl::bind(s, endpoint_for(o.which));
        sync.endpoint.set_value(Impl::last_endpoint(s));

        typename Impl::message m;
        std::vector<unsigned char> buf(o.size, 0x5A);
        unsigned char* const p = buf.data();
        const std::size_t size = o.size;
        const std::uint64_t total = o.warmup + o.count;
        auto round_trip = [&](std::uint64_t i) {
            stamp(p, size, i);
            Impl::send(s, p, size);
            const std::size_t n = Impl::recv(s, m);
            if (!check(Impl::data(m), n, size, i))
                verify_failed(Impl::name, "requester", i, n, size);
        };
        std::uint64_t i = 0;
        for (; i < o.warmup; ++i) round_trip(i);
        const auto start = std::chrono::steady_clock::now();
        // The measured round-trip loop.
        for (; i < total; ++i) round_trip(i);
        const auto stop = std::chrono::steady_clock::now();
        if (i != total) verify_failed(Impl::name, "round-trip count", i, 0, size);

        sync.done.set_value();
        peer.join();
        Impl::close(s);
        return std::chrono::duration<double>(stop - start).count();
    } catch (const std::exception& e) {
        fatal_error(Impl::name, "main thread", e.what());
    }
}

/// Runs the scenario of the command line with `Impl`; prints one JSON line.
template <class Impl>
int main(int argc, char** argv) {
    const options o = parse_args(argc, argv);
    const bool throughput = o.which == scenario::thr_inproc || o.which == scenario::thr_tcp;
    double seconds = 0;
    try {
        typename Impl::context ctx;
        peer_sync sync;
        std::shared_future<std::string> endpoint = sync.endpoint.get_future().share();
        std::shared_future<void> done = sync.done.get_future().share();
        if (throughput) {
            std::thread peer(&thr_sender<Impl>, std::ref(ctx), std::cref(o), endpoint, done);
            seconds = thr_receiver<Impl>(ctx, o, sync, peer);
        } else {
            std::thread peer(&lat_replier<Impl>, std::ref(ctx), std::cref(o), endpoint, done);
            seconds = lat_requester<Impl>(ctx, o, sync, peer);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench %s: %s\n", Impl::name, e.what());
        return 2;
    }
    if (!(seconds > 0)) seconds = 1e-9;
    const double n = static_cast<double>(o.count);
    std::printf(
        "{\"impl\": \"%s\", \"scenario\": \"%s\", \"size\": %zu, \"count\": %llu, "
        "\"seconds\": %.6f, ",
        Impl::name, o.scenario_name.c_str(), o.size, static_cast<unsigned long long>(o.count),
        seconds);
    if (throughput) {
        std::printf("\"msgs_per_s\": %.1f, \"mb_per_s\": %.3f}\n", n / seconds,
                    n * static_cast<double>(o.size) / seconds / 1e6);
    } else {
        std::printf("\"rtt_us\": %.3f}\n", seconds / n * 1e6);
    }
    return 0;
}

}  // namespace bench

#endif  // ZMQRAII_BENCH_HARNESS_HPP_INCLUDED
