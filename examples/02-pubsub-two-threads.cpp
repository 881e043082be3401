// SPDX-License-Identifier: MIT
// 02-pubsub-two-threads: publish/subscribe between two threads of one context,
// with no "slow joiner" sleep. Every message published after the handshake
// arrives, and the subscriber checks that all of them did, in order.
//
//   publisher thread                            main thread
//   ----------------                            -----------
//   XPUB "publisher" (bind inproc://ticks)  <-- SUB "subscriber" (connect,
//        |                                           subscribe "tick")
//        '-- recv() on the XPUB: "\x01tick" = the subscription has arrived
//
// The handshake: a PUB socket drops what it publishes before a subscription
// has reached it (the slow joiner). An XPUB hands the publisher each
// subscription as a message; once the publisher has received "\x01tick", the
// subscriber's pipe is attached and subscribed, so everything published after
// that is delivered. option::xpub_nodrop makes a full pipe block the publisher
// instead of dropping, so even a burst larger than the high-water mark arrives.
//
// How it stops: the publisher sends N ticks and "tick end", then waits on its
// XPUB for the unsubscription. Main receives until "tick end", checks the
// count and the order, and unsubscribes: the publisher receives "\x00tick" and
// returns, closing its XPUB on its own thread. Main joins it; the context's
// destructor then stops the context (nothing is left open).
#include <zmqraii/zmqraii.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>

int main() {
    constexpr int ticks = 20000;  // far more than the default high-water mark (1000)
    zmqraii::context ctx;

    std::atomic<bool> publisher_ok{false};
    std::thread publisher([&] {
        try {
            zmqraii::socket pub(ctx, zmqraii::socket_type::xpub, "publisher");
            pub.set(zmqraii::option::xpub_nodrop, true);  // block, never drop
            pub.bind("inproc://ticks");

            // Handshake: wait until the subscription is here ("\x01" + topic).
            const std::string sub = pub.recv().to_string();
            if (sub != std::string("\x01tick")) throw std::runtime_error("unexpected " + sub);

            for (int i = 0; i < ticks; ++i) pub.send("tick " + std::to_string(i));
            pub.send("tick end");

            // Wait for the unsubscription ("\x00" + topic): the subscriber is done.
            std::string msg;
            do msg = pub.recv().to_string();
            while (msg != std::string("\x00tick", 5));
            publisher_ok = true;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "publisher: %s\n", e.what());
        }
    });

    int received = 0;
    bool in_order = true;
    try {
        zmqraii::socket sub(ctx, zmqraii::socket_type::sub, "subscriber");
        sub.connect("inproc://ticks");
        sub.subscribe("tick");
        for (;;) {
            // A bound on the wait, so that a lost message fails instead of hanging.
            auto m = sub.recv_for(std::chrono::seconds(10));
            if (!m) throw std::runtime_error("no tick for 10 s");
            const std::string text = m->to_string();
            if (text == "tick end") break;
            if (text != "tick " + std::to_string(received)) in_order = false;
            ++received;
        }
        sub.unsubscribe("tick");  // tells the publisher it may end
    } catch (const std::exception& e) {
        std::fprintf(stderr, "subscriber: %s\n", e.what());
        ctx.stop();  // wake the publisher so that join() returns
    }
    publisher.join();

    const bool ok = received == ticks && in_order && publisher_ok;
    std::printf("received %d of %d ticks, %s: %s\n", received, ticks,
                in_order ? "in order" : "OUT OF ORDER", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
