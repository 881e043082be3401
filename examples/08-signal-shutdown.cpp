// SPDX-License-Identifier: MIT
// 08-signal-shutdown: a clean, ordered shutdown on SIGINT or SIGTERM.
//
//   producer thread                         main thread
//   ---------------                         -----------
//   PUSH "producer" --connect-->            PULL "work" (bind inproc://work)
//   (signals blocked)                       poller: PULL in       -> handle a job
//                                                   self-pipe in  -> stop requested
//   signal handler (runs on main): write(self_pipe, 1 byte) and nothing else
//
// A signal handler may only do async-signal-safe things: no locks, no
// allocation, no libzmq call, no context::stop(). So it writes one byte to a
// self-pipe; main polls the pipe's read end beside its socket and turns the
// byte into an ordered stop in normal code. The signals are blocked in every
// other thread (libzmq's own threads included: they start with the first
// socket and inherit the mask), so the handler always runs on main.
//
// As a test, the program sends itself SIGTERM once it has handled 1,000 jobs
// (run it with --wait to stop it with Ctrl-C instead).
//
// How it stops: the poller sees the self-pipe readable; main leaves its loop,
// closes its PULL and calls ctx.stop(). The producer is blocked in send() (the
// pipe to main is full) or about to call it; either way it gets
// zmqraii::stopped, its PUSH closes as it unwinds, stop() returns, main joins
// it. Exit status 0 only when the signal arrived through the pipe, the jobs
// came in order, and the producer ended through stopped.
#include <zmqraii/zmqraii.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <thread>

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

namespace {

int self_pipe[2] = {-1, -1};

extern "C" void on_signal(int) {
    const int saved = errno;
    const char byte = 1;
    // Async-signal-safe; a full pipe already says "stop".
    [[maybe_unused]] const auto n = ::write(self_pipe[1], &byte, 1);
    errno = saved;
}

bool install_handlers() {
    if (::pipe(self_pipe) != 0) return false;
    for (int fd : self_pipe) {
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = &on_signal;
    sigemptyset(&sa.sa_mask);
    return ::sigaction(SIGINT, &sa, nullptr) == 0 && ::sigaction(SIGTERM, &sa, nullptr) == 0;
}

}  // namespace

int main(int argc, char** argv) {
    constexpr int jobs_before_signal = 1000;
    const bool wait_for_user = argc > 1 && std::string(argv[1]) == "--wait";
    if (!install_handlers()) {
        std::perror("08-signal-shutdown: signal setup");
        return 1;
    }

    // Block the signals while the other threads start: they inherit the mask.
    sigset_t signals, old_mask;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, &old_mask);

    zmqraii::context ctx;
    zmqraii::socket work(ctx, zmqraii::socket_type::pull, "work");  // starts libzmq's threads
    work.bind("inproc://work");

    std::atomic<bool> producer_stopped{false};
    std::thread producer([&] {
        try {
            zmqraii::socket out(ctx, zmqraii::socket_type::push, "producer");
            out.connect("inproc://work");
            for (long i = 0;; ++i) out.send("job " + std::to_string(i));
        } catch (const zmqraii::stopped&) {
            producer_stopped = true;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "producer: %s\n", e.what());
        }
    });

    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);  // main takes the signals now

    long handled = 0;
    bool in_order = true;
    bool stop_requested = false;
    bool signal_seen = false;
    try {
        zmqraii::poller poller;
        poller.add(work, zmqraii::poll_events::in, [&](zmqraii::poll_events) {
            if (work.recv().to_string() != "job " + std::to_string(handled)) in_order = false;
            if (++handled == jobs_before_signal && !wait_for_user) {
                std::printf("handled %ld jobs; sending SIGTERM to myself\n", handled);
                ::kill(::getpid(), SIGTERM);
            }
        });
        poller.add(self_pipe[0], zmqraii::poll_events::in, [&](zmqraii::poll_events) {
            char buf[16];
            while (::read(self_pipe[0], buf, sizeof buf) > 0) signal_seen = true;
            stop_requested = true;
        });
        if (wait_for_user) std::printf("working; press Ctrl-C to stop\n");
        while (!stop_requested) poller.wait();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "main: %s\n", e.what());
    }

    // The ordered stop, in normal code.
    work.close();
    const bool terminated = ctx.stop_for(std::chrono::seconds(5));
    if (!terminated) std::fprintf(stderr, "%s\n", ctx.stop_report().c_str());
    producer.join();
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    for (int fd : self_pipe) ::close(fd);

    const bool ok = signal_seen && in_order && producer_stopped && terminated &&
                    handled >= (wait_for_user ? 0 : jobs_before_signal);
    std::printf("signal seen: %s, %ld jobs handled %s, producer stopped: %s, context %s: %s\n",
                signal_seen ? "yes" : "no", handled, in_order ? "in order" : "OUT OF ORDER",
                producer_stopped ? "yes" : "no", terminated ? "terminated" : "NOT terminated",
                ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
