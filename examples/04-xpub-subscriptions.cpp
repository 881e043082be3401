// SPDX-License-Identifier: MIT
// 04-xpub-subscriptions: a publisher that publishes only what someone listens
// to. Its thread owns an XPUB and a poller: between two rounds of publishing it
// handles the subscription events the XPUB delivers as messages.
//
//   publisher thread                               subscriber threads (x2)
//   ----------------                               -----------------------
//   XPUB "prices" (bind inproc://prices)  <------  SUB "AAPL" (connect, subscribe "AAPL")
//   poller:                               <------  SUB "MSFT" (connect, subscribe "MSFT")
//     XPUB in -> "\x01AAPL" subscribe / "\x00AAPL" unsubscribe
//     every 1 ms -> one message per subscribed topic: "AAPL 17"
//
// A topic's numbers start at 0 when its first subscription arrives: the
// subscription is registered in the XPUB before the XPUB hands it to the
// publisher, so message 0 and everything after it reaches the subscriber
// (xpub_nodrop: a full pipe blocks the publisher rather than dropping). Each
// subscriber checks that it got exactly 0, 1, 2, ... of its own topic only.
//
// How it stops: each subscriber unsubscribes after its messages and returns
// (its SUB closes on its own thread). The publisher returns once it has seen
// both topics subscribed and unsubscribed again; main joins the three threads,
// and the context's destructor stops the context. Exit status 0 only when both
// subscribers verified their streams and the publisher saw 2 + 2 events.
#include <zmqraii/zmqraii.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

int main() {
    constexpr int per_topic = 200;
    const std::vector<std::string> topics = {"AAPL", "MSFT"};
    zmqraii::context ctx;

    std::atomic<int> subscribes{0}, unsubscribes{0};
    std::thread publisher([&] {
        try {
            zmqraii::socket pub(ctx, zmqraii::socket_type::xpub, "prices");
            pub.set(zmqraii::option::xpub_nodrop, true);
            pub.bind("inproc://prices");

            std::map<std::string, int> active;  // topic -> next number to publish
            zmqraii::poller poller;
            poller.add(pub, zmqraii::poll_events::in, [&](zmqraii::poll_events) {
                const std::string event = pub.recv().to_string();
                const std::string topic = event.substr(1);
                if (event[0] == 1) {
                    active.emplace(topic, 0);
                    ++subscribes;
                    std::printf("publisher: %s subscribed\n", topic.c_str());
                } else if (event[0] == 0) {
                    active.erase(topic);
                    ++unsubscribes;
                    std::printf("publisher: %s unsubscribed\n", topic.c_str());
                }
            });
            const int expected = static_cast<int>(topics.size());
            while (!(unsubscribes == expected && subscribes == expected)) {
                // Nobody listens: sleep in wait() until a subscription arrives.
                poller.wait(active.empty() ? std::chrono::milliseconds(-1)
                                           : std::chrono::milliseconds(1));
                for (auto& [topic, next] : active) pub.send(topic + " " + std::to_string(next++));
            }
        } catch (const std::exception& e) {
            std::fprintf(stderr, "publisher: %s\n", e.what());
        }
    });

    std::atomic<int> verified{0};
    std::vector<std::thread> subscribers;
    for (const std::string& topic : topics)
        subscribers.emplace_back([&ctx, &verified, topic] {
            try {
                zmqraii::socket sub(ctx, zmqraii::socket_type::sub, topic);
                sub.connect("inproc://prices");
                sub.subscribe(topic);
                bool exact = true;
                for (int i = 0; i < per_topic; ++i) {
                    auto m = sub.recv_for(std::chrono::seconds(10));
                    if (!m) throw std::runtime_error("nothing for 10 s");
                    if (m->to_string() != topic + " " + std::to_string(i)) exact = false;
                }
                sub.unsubscribe(topic);  // the publisher sees "\x00" + topic
                if (exact) ++verified;
                std::printf("%s: %d messages, %s\n", topic.c_str(), per_topic,
                            exact ? "numbered exactly 0, 1, 2, ..." : "WRONG");
            } catch (const std::exception& e) {
                std::fprintf(stderr, "subscriber %s: %s\n", topic.c_str(), e.what());
                ctx.stop();  // wake the publisher, so that every join returns
            }
        });

    for (auto& t : subscribers) t.join();
    publisher.join();

    const bool ok = verified == 2 && subscribes == 2 && unsubscribes == 2;
    std::printf("%d subscriber(s) verified, %d subscribe and %d unsubscribe events: %s\n",
                verified.load(), subscribes.load(), unsubscribes.load(), ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
