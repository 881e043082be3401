// SPDX-License-Identifier: MIT
// API-sequence fuzzer: seeded random sequences of socket operations run by
// several threads on a small set of shared socket slots. Every outcome must be
// one the API documents:
//   - success, or would-block (try_send false, try_recv / recv_for nullopt);
//   - zmqraii::wrong_thread exactly when the calling thread does not own an
//     open socket (and never for its owner);
//   - zmqraii::stopped only once the context is stopping;
//   - zmqraii::error with a libzmq errno from the list below and a message;
// never another exception type, a crash, a hang or a sanitizer report. After
// every epoch the context stops (stop_for true) with no live socket left.
//
// Operations: create (every socket type), bind/connect (inproc, tcp, malformed),
// unbind/disconnect, try_send (also multipart), try_recv (also multipart),
// send_for, recv_for, set/get options (valid and invalid values), subscribe,
// close, destroy, move construct/assign, release + adopt on another thread, a
// poller wait, a short stop_for in the middle of an epoch, and deliberate calls
// on sockets other threads own; per thread a worker (start, pipe send and
// receive, stop, join; other threads' stop and pipe calls are refused); two
// shared mailboxes, one tied to the context (push, try_push, push_for, pops,
// close). Not fuzzed: destroying a socket on a thread that does not own it
// while the owner lives, which is a fatal diagnostic by design (test_ownership).
//
// Time-bounded: env ZMQRAII_FUZZ_SECONDS (default 10); seed: env
// ZMQRAII_FUZZ_SEED (default random). Both are printed, with the number of
// epochs, sequences (one thread's run in one epoch) and operations.
//
//   ZMQRAII_FUZZ_SECONDS=120 build/dev/tests/test_fuzz_api
#include <zmqraii/context.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/mailbox.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/multipart.hpp>
#include <zmqraii/poller.hpp>
#include <zmqraii/socket.hpp>
#include <zmqraii/worker.hpp>

#include "catch.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define ZMQRAII_FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ZMQRAII_FUZZ_ASAN 1
#endif
#endif
#if defined(ZMQRAII_FUZZ_ASAN)
// LeakSanitizer, this program only: libzmq 4.3.4 loses a message part now and
// then in these sequences (96-342 bytes in about one 10 s run of seven, always
// malloc'd by libzmq's own message code, only when the sequences also
// receive). The raw C API on one thread leaks the same way once parts sent
// with ZMQ_SNDMORE are in the mix (CONTRIBUTING.md). zmqraii's message
// closes what it holds (test_message runs under LeakSanitizer without this
// suppression), so what is left is libzmq's. To see the reports again, remove
// this function (it adds to LSAN_OPTIONS' suppressions, it does not replace them).
extern "C" const char* __lsan_default_suppressions() { return "leak:libzmq.so.5\n"; }
#endif

using namespace std::chrono_literals;
using zmqraii::socket_type;

namespace {

constexpr int n_threads = 3;
constexpr int n_slots = 6;

constexpr std::array<socket_type, 12> all_types = {
    socket_type::pair, socket_type::pub,    socket_type::sub,    socket_type::req,
    socket_type::rep,  socket_type::dealer, socket_type::router, socket_type::pull,
    socket_type::push, socket_type::xpub,   socket_type::xsub,   socket_type::stream};

// libzmq errno values a call may legitimately fail with in these sequences.
bool documented_errno(int e) {
    switch (e) {
        case EINVAL:           // bad option value, malformed endpoint
        case EPROTONOSUPPORT:  // unknown transport
        case ENOCOMPATPROTO:   // transport not for this socket type
        case ENOTSOCK:         // closed or moved-from socket (zmqraii)
        case EADDRINUSE:       // endpoint bound already
        case EADDRNOTAVAIL:    // endpoint address not local
        case ENOENT:           // unbind/disconnect of an endpoint never used
        case ECONNREFUSED:     // inproc connect with nobody bound (libzmq < 4 only)
        case EFSM:             // REQ/REP state machine
        case ENOTSUP:          // operation the socket type does not have
        case EHOSTUNREACH:     // ROUTER/STREAM: unknown routing id
        case EMFILE:           // socket or descriptor limit
        case EFAULT:           // empty (moved-from) object (zmqraii)
        case ENODEV:           // bind to an unknown interface
        case EPIPE:            // closed mailbox (zmqraii::mailbox_closed)
            return true;
        default: return false;
    }
}

std::uint64_t fuzz_seed() {
    const char* v = std::getenv("ZMQRAII_FUZZ_SEED");
    if (v != nullptr && *v != '\0') return std::strtoull(v, nullptr, 10);
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

double fuzz_seconds() {
    const char* v = std::getenv("ZMQRAII_FUZZ_SECONDS");
    if (v == nullptr || *v == '\0') return 10.0;
    const double s = std::strtod(v, nullptr);
    return s > 0 ? s : 10.0;
}

// One shared socket place. The mutex keeps the *test's* accesses to the C++
// object ordered (a socket object is not meant to be touched concurrently by
// its owner and another thread); the calls made under it from a non-owner
// thread are what the library must refuse.
struct slot {
    std::mutex m;
    std::optional<zmqraii::socket> sock;
    zmqraii::socket_handoff handoff;
    int owner = -1;       // thread index while sock holds a socket
    bool linked = false;  // the socket has bound or connected (see libzmq_safe())
};

// A thread's worker, and the test's lock for the object (other threads call it
// on purpose, to be refused).
struct worker_slot {
    std::mutex m;
    std::optional<zmqraii::worker> w;
};

struct tally {
    std::mutex m;
    std::vector<std::string> failures;
    std::map<std::string, long> outcomes;  // outcome kind -> count
    std::atomic<long> ops{0};

    void fail(const std::string& what) {
        std::lock_guard<std::mutex> lock(m);
        if (failures.size() < 20) failures.push_back(what);
    }
    void count(const std::string& kind) {
        std::lock_guard<std::mutex> lock(m);
        ++outcomes[kind];
    }
};

struct epoch_state {
    zmqraii::context& ctx;
    std::array<slot, n_slots>& slots;
    tally& t;
    std::string tag;   // unique per epoch: inproc endpoint names
    std::mutex eps_m;  // guards the endpoint lists, and inproc links (see libzmq_safe())
    std::vector<std::string> tcp_eps;
    std::map<std::string, const zmqraii::socket*> inproc_bound;  // endpoint -> binder
    std::atomic<bool> stop_called{false};
    std::atomic<int> done{0};
    std::array<worker_slot, n_threads> workers;
    zmqraii::mailbox<int> tied_box;
    zmqraii::mailbox<int> untied_box{8};

    epoch_state(zmqraii::context& c, std::array<slot, n_slots>& s, tally& ta, std::string tg)
        : ctx(c), slots(s), t(ta), tag(std::move(tg)), tied_box(c, 8) {}
};

class fuzz_thread {
public:
    fuzz_thread(epoch_state& st, int index, std::uint64_t seed) : st_(st), me_(index), rng_(seed) {}

    void run(int ops) {
        for (int i = 0; i < ops; ++i) step();
        // Wait for the others: while any thread still calls, every owner is
        // alive, so a foreign close or release must be refused (once the owner
        // has exited both are allowed; that path is taken after the join).
        st_.done.fetch_add(1);
        while (st_.done.load() < n_threads) std::this_thread::yield();
        {
            // A worker is stopped by the thread that made it.
            worker_slot& ws = st_.workers[static_cast<std::size_t>(me_)];
            std::lock_guard<std::mutex> lock(ws.m);
            if (ws.w)
                call("worker stop at the end", false, [&] { return ws.w->stop(), "stopped"; });
            ws.w.reset();
        }
        // At the end, close (or leave for the exited-owner path) what it owns.
        for (auto& s : st_.slots) {
            std::lock_guard<std::mutex> lock(s.m);
            if (s.sock && s.owner == me_ && pick(2) == 0) {
                std::lock_guard<std::mutex> eps(st_.eps_m);
                forget_bound(&*s.sock);
                s.sock.reset();
                s.owner = -1;
            }
        }
    }

private:
    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

    // inproc endpoints per peer family and side, so that every inproc link joins
    // two socket types that may talk: libzmq does not check the peer's type on
    // inproc (there is no handshake), and links such as ROUTER to PUB make it
    // abort ("Assertion failed: written (src/pipe.cpp:87)") or crash its reaper.
    // A socket binds the names of its own side and connects to the other side's.
    static std::string side(socket_type t, bool own) {
        switch (t) {
            case socket_type::pair: return "pair";
            case socket_type::pub:
            case socket_type::xpub: return own ? "ps-a" : "ps-b";
            case socket_type::sub:
            case socket_type::xsub: return own ? "ps-b" : "ps-a";
            case socket_type::req:
            case socket_type::dealer: return own ? "rr-a" : "rr-b";
            case socket_type::rep:
            case socket_type::router: return own ? "rr-b" : "rr-a";
            case socket_type::push: return own ? "pp-a" : "pp-b";
            case socket_type::pull: return own ? "pp-b" : "pp-a";
            default: return "other";
        }
    }
    std::string inproc_ep(socket_type t, bool bind) {
        return "inproc://fz-" + st_.tag + "-" + side(t, bind) + "-" + std::to_string(pick(2));
    }

    std::string tcp_ep() {
        std::lock_guard<std::mutex> lock(st_.eps_m);
        if (st_.tcp_eps.empty() || pick(5) == 0) return "tcp://127.0.0.1:1";
        return st_.tcp_eps[static_cast<std::size_t>(pick(static_cast<int>(st_.tcp_eps.size())))];
    }

    std::string bad_ep() {
        static const char* const bad[] = {"bogus://x",
                                          "tcp://",
                                          "inproc://",
                                          "tcp://127.0.0.1:-5",
                                          "",
                                          "ipc://",
                                          "tcp://no-such-host.invalid:1"};
        return bad[pick(7)];
    }

    std::string payload() { return std::string(static_cast<std::size_t>(pick(64)), 'p'); }

    // Runs one call and checks its outcome. `expect_wrong_thread`: the caller
    // does not own the (open) socket, so the call must throw wrong_thread.
    template <class F>
    void call(const char* op, bool expect_wrong_thread, F&& f) {
        if (excluded(op)) return;
        st_.t.ops.fetch_add(1, std::memory_order_relaxed);
        const std::string who = std::string(op) + " (thread " + std::to_string(me_) + ")";
        if (trace()) std::fprintf(stderr, "%s slot %d\n", who.c_str(), slot_);
        try {
            const char* kind = f();
            if (expect_wrong_thread)
                st_.t.fail(who + ": a non-owner call did not throw wrong_thread");
            st_.t.count(kind);
        } catch (const zmqraii::wrong_thread& e) {
            if (!expect_wrong_thread) st_.t.fail(who + ": wrong_thread for the owner: " + e.what());
            if (std::string(e.what()).find("wrong thread") == std::string::npos)
                st_.t.fail(who + ": wrong_thread without the words: " + e.what());
            st_.t.count("wrong_thread");
        } catch (const zmqraii::stopped& e) {
            // A stop closes idle sockets of live owners too (after this thread
            // looked): such a socket is nobody's, and says stopped.
            if (expect_wrong_thread && !st_.ctx.stopping())
                st_.t.fail(who + ": stopped instead of wrong_thread");
            if (!st_.ctx.stopping())
                st_.t.fail(who + ": stopped on a running context: " + e.what());
            st_.t.count("stopped");
        } catch (const zmqraii::error& e) {
            const std::string w = e.what();
            // A stop on the owner's thread closes its sockets (after this thread
            // looked): then a closed-socket error is the right answer.
            const bool closed_by_stop = e.num() == ENOTSOCK && st_.ctx.stopping();
            if (expect_wrong_thread && !closed_by_stop)
                st_.t.fail(who + ": error instead of wrong_thread: " + w);
            else if (!documented_errno(e.num()))
                st_.t.fail(who + ": undocumented errno " + std::to_string(e.num()) + ": " + w);
            if (w.empty()) st_.t.fail(who + ": error without a message");
            st_.t.count("error " + std::to_string(e.num()));
        } catch (const std::exception& e) {
            st_.t.fail(who + ": unexpected exception type: " + e.what());
        }
    }

    // ZMQRAII_FUZZ_EXCLUDE="bad endpoint,release": operations left out (to narrow down a failure).
    static bool excluded(const char* op) {
        static const std::string list = [] {
            const char* v = std::getenv("ZMQRAII_FUZZ_EXCLUDE");
            return v ? "," + std::string(v) + "," : std::string();
        }();
        return !list.empty() && list.find("," + std::string(op) + ",") != std::string::npos;
    }

    // STREAM last in all_types: only with ZMQRAII_FUZZ_STREAM=1 (see CONTRIBUTING.md).
    static int type_count() {
        static const bool stream = std::getenv("ZMQRAII_FUZZ_STREAM") != nullptr;
        return stream ? 12 : 11;
    }

    // libzmq 4.3.4 itself aborts or crashes (reproduced with the raw C API on
    // one thread, see CONTRIBUTING.md) on three inproc sequences: a connect
    // before the bind with messages queued and sockets closed ("Assertion failed:
    // written (src/pipe.cpp:87)"), a sndhwm/rcvhwm change on a socket that
    // already has inproc pipes with traffic (SIGSEGV), and an inproc unbind or
    // disconnect with traffic ("Assertion failed: !_more (src/fq.cpp:112)").
    // By default the fuzzer avoids them: inproc connects go only to endpoints
    // bound now, HWMs are set only before a socket's first bind/connect, and
    // unbind/disconnect use tcp endpoints, and no message is left incomplete (a
    // part sent with `more` and no last part: "!_more (src/fq.cpp:112)" once its
    // pipe ends, over tcp too, and leaks). ZMQRAII_FUZZ_LIBZMQ_UNSAFE=1 lifts that.
    // A message's parts are queued together: in safe mode the rest of a message
    // is read at once, so that no unbind, disconnect or close falls between two
    // parts (libzmq 4.3.4 aborts then: "!_more (src/fq.cpp:112)").
    static bool received_whole(zmqraii::socket& so, const std::optional<zmqraii::message>& first) {
        if (!first) return false;
        bool more = first->more();
        while (more && libzmq_safe()) {
            const std::optional<zmqraii::message> next = so.try_recv();
            if (!next) break;
            more = next->more();
        }
        return true;
    }

    static bool libzmq_safe() {
        static const bool safe = std::getenv("ZMQRAII_FUZZ_LIBZMQ_UNSAFE") == nullptr;
        return safe;
    }

    // Forgets the inproc endpoints `so` bound (it is being closed). Caller holds eps_m.
    void forget_bound(const zmqraii::socket* so) {
        for (auto it = st_.inproc_bound.begin(); it != st_.inproc_bound.end();)
            it = it->second == so ? st_.inproc_bound.erase(it) : std::next(it);
    }

    static bool trace() {
        static const bool on = std::getenv("ZMQRAII_FUZZ_TRACE") != nullptr;
        return on;
    }

    void step() {
        if (pick(8) == 0) {
            pick(2) ? worker_step() : mailbox_step();
            return;
        }
        slot_ = pick(n_slots);
        slot& s = st_.slots[static_cast<std::size_t>(slot_)];
        std::lock_guard<std::mutex> lock(s.m);
        if (pick(2000) == 0) {
            // A stop in the middle: the rest of the epoch sees stopped.
            st_.stop_called = true;
            call("stop_for", false, [&] {
                return st_.ctx.stop_for(std::chrono::milliseconds(pick(3))) ? "stop done"
                                                                            : "stop pending";
            });
            return;
        }
        if (!s.sock) {
            if (s.handoff) {
                call("adopt", false, [&] {
                    zmqraii::socket a = std::move(s.handoff).adopt();
                    s.sock.emplace(std::move(a));
                    s.owner = me_;
                    return "adopted";
                });
                return;
            }
            call("create", false, [&] {
                s.sock.emplace(st_.ctx, all_types[static_cast<std::size_t>(pick(type_count()))],
                               "fuzz");
                s.owner = me_;
                s.linked = false;
                return "created";
            });
            return;
        }
        zmqraii::socket& so = *s.sock;
        const bool mine = s.owner == me_;
        if (!mine && so.is_open()) {
            wrong_thread_call(so);
            return;
        }
        if (!mine) {
            // A closed socket of another thread: a closed-socket error, not wrong_thread.
            call("send on a closed socket", false, [&] {
                so.send("x");
                return "sent";
            });
            return;
        }
        owner_call(s, so);
    }

    // This thread's worker, or (refused) another thread's.
    void worker_step() {
        const int which = pick(n_threads);
        worker_slot& ws = st_.workers[static_cast<std::size_t>(which)];
        std::lock_guard<std::mutex> lock(ws.m);
        if (which != me_) {
            if (!ws.w || !ws.w->joinable()) return;
            if (pick(2))
                call("foreign worker stop", true, [&] { return ws.w->stop(), "stopped"; });
            else
                call("foreign worker pipe", true, [&] { return ws.w->pipe().send("x"), "sent"; });
            return;
        }
        if (!ws.w || !ws.w->joinable()) {
            call("worker start", false, [&] {
                ws.w.emplace(st_.ctx, "fuzz echo", [](zmqraii::worker_context& wc) {
                    for (;;) {
                        zmqraii::message m = wc.pipe().recv();
                        wc.pipe().send(std::move(m));
                    }
                });
                return "started";
            });
            return;
        }
        switch (pick(4)) {
            case 0:
                call("worker send", false, [&] {
                    return ws.w->pipe().send_for(payload(), std::chrono::milliseconds(pick(3)))
                               ? "sent"
                               : "timeout";
                });
                break;
            case 1:
                call("worker recv", false, [&] {
                    return ws.w->pipe().recv_for(std::chrono::milliseconds(pick(3))) ? "received"
                                                                                     : "timeout";
                });
                break;
            case 2: call("worker stop", false, [&] { return ws.w->stop(), "stopped"; }); break;
            default:
                call("worker destroy", false, [&] { return ws.w.reset(), "destroyed"; });
                break;
        }
    }

    // The shared mailboxes: any thread may call any of their operations.
    void mailbox_step() {
        zmqraii::mailbox<int>& box = pick(2) ? st_.tied_box : st_.untied_box;
        switch (pick(7)) {
            case 0:
                call("mailbox try_push", false,
                     [&] { return box.try_push(pick(100)) ? "pushed" : "full"; });
                break;
            case 1:
                call("mailbox push_for", false, [&] {
                    return box.push_for(pick(100), std::chrono::milliseconds(pick(3))) ? "pushed"
                                                                                       : "full";
                });
                break;
            case 2:
                call("mailbox try_pop", false, [&] { return box.try_pop() ? "popped" : "empty"; });
                break;
            case 3:
                call("mailbox pop_for", false, [&] {
                    return box.pop_for(std::chrono::milliseconds(pick(3))) ? "popped" : "empty";
                });
                break;
            case 4:
                call("mailbox size", false, [&] {
                    if (box.size() > box.capacity()) st_.t.fail("mailbox over capacity");
                    return "sized";
                });
                break;
            case 5:
                call("mailbox close", false, [&] {
                    if (pick(50) != 0) return "left open";
                    box.close();
                    return "closed";
                });
                break;
            default:
                call("mailbox drain", false, [&] {
                    return box.drain([](int&&) {}, static_cast<std::size_t>(pick(4))) > 0
                               ? "drained"
                               : "empty";
                });
                break;
        }
    }

    // Every operation on a socket another live thread owns is refused.
    void wrong_thread_call(zmqraii::socket& so) {
        switch (pick(10)) {
            case 0: call("foreign send", true, [&] { return so.send("x"), "sent"; }); break;
            case 1:
                call("foreign try_recv", true, [&] { return so.try_recv() ? "got" : "none"; });
                break;
            case 2:
                call("foreign set", true, [&] {
                    so.set(zmqraii::option::sndhwm, 5);
                    return "set";
                });
                break;
            case 3:
                call("foreign get", true, [&] { return so.get(zmqraii::option::rcvhwm), "got"; });
                break;
            case 4:
                call("foreign bind", true,
                     [&] { return so.bind(inproc_ep(socket_type::pair, true)), "bound"; });
                break;
            case 5: call("foreign close", true, [&] { return so.close(), "closed"; }); break;
            case 6:
                call("foreign release", true, [&] {
                    zmqraii::socket_handoff h = std::move(so).release();
                    return "released";
                });
                break;
            case 7:
                call("foreign handle", true, [&] { return (void)so.handle(), "handle"; });
                break;
            case 8:
                call("foreign poller add", true, [&] {
                    zmqraii::poller p;
                    p.add(so, zmqraii::poll_events::in, [](zmqraii::poll_events) {});
                    return "added";
                });
                break;
            default:
                call("foreign recv_for", true, [&] { return so.recv_for(1ms) ? "got" : "none"; });
                break;
        }
        // Any thread may ask these.
        (void)so.owner();
        (void)so.describe();
        (void)so.type();
    }

    void owner_call(slot& s, zmqraii::socket& so) {
        switch (pick(23)) {
            case 0:
                call("bind inproc", false, [&] {
                    const std::string ep = inproc_ep(so.type(), true);
                    std::lock_guard<std::mutex> lock(st_.eps_m);
                    so.bind(ep);
                    st_.inproc_bound[ep] = &so;
                    s.linked = true;
                    return "bound";
                });
                break;
            case 1:
                call("bind tcp", false, [&] {
                    so.bind("tcp://127.0.0.1:*");
                    s.linked = true;
                    const std::string ep = so.last_endpoint();
                    std::lock_guard<std::mutex> lock(st_.eps_m);
                    st_.tcp_eps.push_back(ep);
                    return "bound";
                });
                break;
            case 2:
                call("connect inproc", false, [&] {
                    const std::string ep = inproc_ep(so.type(), false);
                    std::lock_guard<std::mutex> lock(st_.eps_m);
                    if (libzmq_safe() && st_.inproc_bound.count(ep) == 0) return "not bound yet";
                    so.connect(ep);
                    s.linked = true;
                    return "connected";
                });
                break;
            case 3:
                call("connect tcp", false, [&] {
                    so.connect(tcp_ep());
                    s.linked = true;
                    return "connected";
                });
                break;
            case 4:
                call("bad endpoint", false, [&] {
                    if (pick(2))
                        so.bind(bad_ep());
                    else
                        so.connect(bad_ep());
                    return "accepted a bad endpoint";
                });
                break;
            case 5:
                call("unbind/disconnect", false, [&] {
                    if (pick(2))
                        so.unbind(pick(2) && !libzmq_safe() ? inproc_ep(so.type(), true)
                                                            : tcp_ep());
                    else
                        so.disconnect(pick(2) && !libzmq_safe() ? inproc_ep(so.type(), false)
                                                                : tcp_ep());
                    return "undone";
                });
                break;
            case 6:
                call("try_send", false, [&] {
                    // A part with `more` whose message is never completed makes
                    // libzmq abort when its pipe ends ("!_more (src/fq.cpp:112)")
                    // and leak (see libzmq_safe()): only in unsafe mode. The
                    // multipart operation below sends whole two-part messages.
                    const bool more = !libzmq_safe() && pick(4) == 0;
                    const auto f = more ? zmqraii::send_flags::more : zmqraii::send_flags::none;
                    return so.try_send(payload(), f) ? "sent" : "would block";
                });
                break;
            case 7:
                call("try_recv", false,
                     [&] { return received_whole(so, so.try_recv()) ? "received" : "none"; });
                break;
            case 8:
                call("send_for", false, [&] {
                    return so.send_for(payload(), std::chrono::milliseconds(pick(3))) ? "sent"
                                                                                      : "timeout";
                });
                break;
            case 9:
                call("recv_for", false, [&] {
                    return received_whole(so, so.recv_for(std::chrono::milliseconds(pick(3))))
                               ? "received"
                               : "timeout";
                });
                break;
            case 10:
                call("set hwm", false, [&] {
                    if (libzmq_safe() && s.linked) return "left alone (linked)";
                    const int v = pick(4) == 0 ? -pick(10) - 1 : pick(100);
                    if (pick(2))
                        so.set(zmqraii::option::sndhwm, v);
                    else
                        so.set(zmqraii::option::rcvhwm, v);
                    return "set";
                });
                break;
            case 11:
                call("set linger/maxmsgsize", false, [&] {
                    if (pick(2))
                        // -1 (forever) is left out: with a message no peer takes, it
                        // makes termination wait forever, as documented.
                        so.set(zmqraii::option::linger,
                               std::chrono::milliseconds(pick(8) == 0 ? -2 : pick(20)));
                    else
                        so.set(zmqraii::option::maxmsgsize, std::int64_t{pick(2000) - 2});
                    return "set";
                });
                break;
            case 12:
                call("subscribe", false, [&] {
                    so.subscribe(pick(2) ? "" : "topic");
                    return "subscribed";
                });
                break;
            case 13:
                call("get", false, [&] {
                    (void)so.get(zmqraii::option::sndhwm);
                    (void)so.get(zmqraii::option::linger);
                    (void)so.last_endpoint();
                    return "got";
                });
                break;
            case 14:
                call("close", false, [&] {
                    std::lock_guard<std::mutex> lock(st_.eps_m);
                    forget_bound(&so);
                    so.close();
                    return "closed";
                });
                break;
            case 15:
                call("destroy", false, [&] {
                    std::lock_guard<std::mutex> lock(st_.eps_m);
                    forget_bound(&so);
                    s.sock.reset();
                    s.owner = -1;
                    s.linked = false;
                    return "destroyed";
                });
                break;
            case 16:
                call("move", false, [&] {
                    zmqraii::socket tmp(std::move(so));
                    if (pick(2)) (void)tmp.is_open();
                    if (pick(2)) {
                        s.sock.emplace(std::move(tmp));
                    } else {
                        zmqraii::socket other;
                        other = std::move(tmp);
                        *s.sock = std::move(other);  // move-assign over a moved-from socket
                    }
                    return "moved";
                });
                break;
            case 17:
                call("release", false, [&] {
                    zmqraii::socket_handoff h = std::move(so).release();
                    s.sock.reset();
                    s.owner = -1;
                    s.handoff = std::move(h);
                    return "released";
                });
                break;
            case 18:
                call("poller", false, [&] {
                    zmqraii::poller p;
                    p.add(so, zmqraii::poll_events::in | zmqraii::poll_events::out,
                          [&](zmqraii::poll_events ev) {
                              if (zmqraii::any(ev & zmqraii::poll_events::in))
                                  (void)received_whole(so, so.try_recv());
                          });
                    (void)p.wait(std::chrono::milliseconds(pick(3)));
                    p.remove(so);
                    return "polled";
                });
                break;
            case 19:
                // Through try_send_multipart (all or nothing): two try_send calls
                // left the message incomplete whenever the tail would block, and
                // libzmq 4.3.4 then aborts on "!_more (src/fq.cpp:112)" at the
                // receiver (seen in CI, seed 4473658627424196034).
                call("multipart", false, [&] {
                    if (!libzmq_safe()) {
                        if (!so.try_send("head", zmqraii::send_flags::more)) return "would block";
                        return so.try_send("tail") ? "sent" : "would block";
                    }
                    return zmqraii::try_send_multipart(so, zmqraii::multipart{"head", "tail"})
                               ? "sent"
                               : "would block";
                });
                break;
            case 21:
                call("recv multipart", false, [&] {
                    if (pick(2)) return zmqraii::try_recv_multipart(so) ? "received" : "none";
                    return zmqraii::recv_multipart_for(so, std::chrono::milliseconds(pick(3)))
                               ? "received"
                               : "timeout";
                });
                break;
            case 20:
                call("live_sockets", false, [&] {
                    const auto live = st_.ctx.live_sockets();
                    // Slots, and a worker's two pipe ends per thread.
                    if (live.size() > static_cast<std::size_t>(n_slots + 2 * n_threads))
                        st_.t.fail("live_sockets lists " + std::to_string(live.size()) +
                                   " sockets, more than the slots and workers");
                    return "listed";
                });
                break;
            default:
                call("handle", false, [&] { return so.handle() != nullptr ? "handle" : "null"; });
                break;
        }
    }

    epoch_state& st_;
    int me_;
    int slot_ = -1;
    std::mt19937_64 rng_;
};

}  // namespace

TEST_CASE("random API sequences across threads have only documented outcomes", "[fuzz]") {
    const std::uint64_t seed = fuzz_seed();
    const double seconds = fuzz_seconds();
    std::printf("test_fuzz_api: seed %llu, %.1f s (ZMQRAII_FUZZ_SEED=%llu to repeat)\n",
                static_cast<unsigned long long>(seed), seconds,
                static_cast<unsigned long long>(seed));
    std::fflush(stdout);
    INFO("seed " << seed << " (repeat with ZMQRAII_FUZZ_SEED=" << seed << ")");

    std::mt19937_64 rng(seed);
    tally t;
    long epochs = 0;
    long sequences = 0;
    long live_checked = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const auto end = t0 + std::chrono::duration<double>(seconds);
    bool clean = true;
    while (clean && std::chrono::steady_clock::now() < end) {
        zmqraii::context_options opts;
        opts.linger = 0ms;
        zmqraii::context ctx(opts);
        std::array<slot, n_slots> slots;
        epoch_state st(ctx, slots, t, std::to_string(epochs));
        std::vector<std::thread> threads;
        for (int i = 0; i < n_threads; ++i) {
            const std::uint64_t thread_seed = rng();
            const int ops = 50 + static_cast<int>(rng() % 400);
            threads.emplace_back(
                [&st, i, thread_seed, ops] { fuzz_thread(st, i, thread_seed).run(ops); });
        }
        for (auto& th : threads) th.join();
        (void)st.tied_box.clear();  // what the sequences left queued, on purpose
        (void)st.untied_box.clear();
        sequences += n_threads;
        ++epochs;

        // Quiescent now: every socket or handoff still in a slot is live, unless
        // a mid-epoch stop closed its owner's sockets.
        if (!st.stop_called) {
            std::size_t held = 0;
            for (auto& s : slots)
                if ((s.sock && s.sock->is_open()) || s.handoff) ++held;
            CHECK(ctx.live_sockets().size() == held);
            clean = clean && ctx.live_sockets().size() == held;
            ++live_checked;
        }
        // The owners have exited: any thread may close what they left.
        for (auto& s : slots) {
            s.sock.reset();
            s.handoff = zmqraii::socket_handoff();
        }
        const bool stopped = ctx.stop_for(10s);
        CHECK(stopped);
        CHECK(ctx.live_sockets().empty());
        clean = clean && stopped;
        std::lock_guard<std::mutex> lock(t.m);
        clean = clean && t.failures.empty();
    }
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("test_fuzz_api: %ld epochs, %ld sequences, %ld operations in %.1f s\n", epochs,
                sequences, t.ops.load(), took);
    for (const auto& [kind, n] : t.outcomes) std::printf("  %-24s %ld\n", kind.c_str(), n);
    std::fflush(stdout);
    for (const auto& f : t.failures) FAIL_CHECK(f);
    CHECK(t.failures.empty());
    CHECK(epochs > 0);
    // The sequences reached the interesting outcomes, not just one kind.
    CHECK(t.outcomes["wrong_thread"] > 0);
    CHECK(t.outcomes["created"] > 0);
    CHECK(live_checked > 0);
}
