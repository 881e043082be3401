// SPDX-License-Identifier: MIT
// 05-reader-stop: a reader thread blocked in recv(), shut down in order from the
// main thread; first written out in main(), then packaged as a class whose
// explicit stop() makes the order independent of member destruction.
//
//   main thread                                     reader thread
//   -----------                                     -------------
//   PUSH "events" (bind inproc://events) -------->  PULL "reader" (connect)
//                                                   recv() loop, counts events
//
// How it stops (part 1): main sends N events and waits until the reader says it
// has them all (a promise: a handshake, not a sleep). The reader is then blocked
// in recv(). main closes its PUSH and calls ctx.stop(): recv() throws
// zmqraii::stopped, the reader's stack unwinds and closes its PULL on its own
// thread, stop() returns once nothing is open, main joins the reader.
//
// Part 2, event_reader: the same thread and socket inside a class that owns its
// context. Members are destroyed in reverse order; left to themselves, the
// std::thread member is destroyed while its thread still runs (std::terminate),
// or the context goes while the reader still uses it. The destructor therefore
// calls stop() first, which stops the context and joins the thread, before any
// member is destroyed: the order of the members no longer matters.
//
// Exit status 0 only when both readers received all N events and ended through
// zmqraii::stopped.
#include <zmqraii/zmqraii.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <future>
#include <mutex>
#include <string>
#include <thread>

namespace {

constexpr int events = 100;

// Part 2: a reader that stops in order whatever its owner does.
class event_reader {
public:
    explicit event_reader(std::string endpoint)
        : thread_([this, ep = std::move(endpoint)] { run(ep); }) {}

    event_reader(const event_reader&) = delete;
    event_reader& operator=(const event_reader&) = delete;

    // Explicit, first thing: stop and join before any member is destroyed.
    ~event_reader() { stop(); }

    // Wakes the reader (stopped), waits until its socket is closed, joins it.
    // Idempotent. Call it on the thread that made the reader, after that thread
    // closed the sockets it made in context() (stop() would close them anyway).
    void stop() {
        if (!thread_.joinable()) return;
        ctx_.stop();
        thread_.join();
    }

    zmqraii::context& context() noexcept { return ctx_; }

    // Waits until `n` events have arrived. Any thread.
    bool wait_for_events(int n, std::chrono::seconds timeout) {
        std::unique_lock<std::mutex> lock(mutex_);
        return cv_.wait_for(lock, timeout, [&] { return received_ >= n; });
    }
    int received() {
        std::lock_guard<std::mutex> lock(mutex_);
        return received_;
    }
    bool ended_by_stop() const noexcept { return ended_by_stop_; }

private:
    void run(const std::string& endpoint) {
        try {
            zmqraii::socket in(ctx_, zmqraii::socket_type::pull, "event_reader");
            in.connect(endpoint);
            for (;;) {
                in.recv();
                std::lock_guard<std::mutex> lock(mutex_);
                ++received_;
                cv_.notify_all();
            }
        } catch (const zmqraii::stopped&) {
            ended_by_stop_ = true;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "event_reader: %s\n", e.what());
        }
    }

    // Declaration order is construction order: the thread comes last, so that
    // everything it uses exists when it starts.
    zmqraii::context ctx_;
    std::mutex mutex_;
    std::condition_variable cv_;
    int received_ = 0;
    std::atomic<bool> ended_by_stop_{false};
    std::thread thread_;
};

bool part1() {
    zmqraii::context ctx;
    std::promise<void> all_received;
    std::atomic<int> received{0};
    std::atomic<bool> ended_by_stop{false};

    std::thread reader([&] {
        try {
            zmqraii::socket in(ctx, zmqraii::socket_type::pull, "reader");
            in.connect("inproc://events");
            for (;;) {
                in.recv();  // blocks here when main calls ctx.stop()
                if (++received == events) all_received.set_value();
            }
        } catch (const zmqraii::stopped&) {
            ended_by_stop = true;  // `in` is closed by the unwinding, on this thread
        } catch (const std::exception& e) {
            std::fprintf(stderr, "reader: %s\n", e.what());
        }
    });

    {
        zmqraii::socket out(ctx, zmqraii::socket_type::push, "events");
        out.bind("inproc://events");
        for (int i = 0; i < events; ++i) out.send("event " + std::to_string(i));
        if (all_received.get_future().wait_for(std::chrono::seconds(10)) !=
            std::future_status::ready)
            std::fprintf(stderr, "part 1: the reader did not get every event\n");
    }  // `out` closes here, on its owner thread

    ctx.stop();  // the reader is blocked in recv(): it wakes with stopped
    reader.join();
    std::printf("part 1: reader got %d/%d events, ended by stop: %s\n", received.load(), events,
                ended_by_stop ? "yes" : "no");
    return received == events && ended_by_stop;
}

bool part2() {
    event_reader reader("inproc://class-events");
    {
        zmqraii::socket out(reader.context(), zmqraii::socket_type::push, "events");
        out.bind("inproc://class-events");
        for (int i = 0; i < events; ++i) out.send("event " + std::to_string(i));
        if (!reader.wait_for_events(events, std::chrono::seconds(10)))
            std::fprintf(stderr, "part 2: the reader did not get every event\n");
    }
    reader.stop();  // explicit; the destructor would do the same
    std::printf("part 2: event_reader got %d/%d events, ended by stop: %s\n", reader.received(),
                events, reader.ended_by_stop() ? "yes" : "no");
    return reader.received() == events && reader.ended_by_stop();
}

}  // namespace

int main() {
    try {
        const bool ok1 = part1();
        const bool ok2 = part2();
        std::printf("%s\n", ok1 && ok2 ? "ok" : "FAILED");
        return ok1 && ok2 ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "05-reader-stop: %s\n", e.what());
        return 1;
    }
}
