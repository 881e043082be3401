// SPDX-License-Identifier: MIT
// Tests of multipart.hpp: the container, round trips, all-or-nothing sending at the
// high-water mark, routing envelopes (ROUTER/DEALER, REQ/ROUTER), and stop.
#include "catch.hpp"
#include "support.hpp"

#include <zmqraii/multipart.hpp>
#include <zmqraii/zmqraii.hpp>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

using namespace std::chrono_literals;
using zmqraii_test::contains;
using zmqraii_test::error_of;

namespace {

// ---- the multipart snippet of docs/messaging.md, verbatim ------------------------
// A ROUTER answering a REQ client: the reply carries the request's envelope.
void answer_one(zmqraii::socket& router) {
    zmqraii::routed_message request = zmqraii::split_envelope(zmqraii::recv_multipart(router));
    zmqraii::multipart answer{"pong", request.body[0].to_string_view()};
    zmqraii::send_multipart(router, request.reply(std::move(answer)));
}
// ---- end of snippet ----------------------------------------------------------------

zmqraii::multipart numbered(int seq) {
    return zmqraii::multipart{std::to_string(seq), "middle", "end"};
}

}  // namespace

TEST_CASE("multipart is a sequence of message parts", "[multipart]") {
    zmqraii::multipart m{"a", "b"};
    CHECK(m.size() == 2);
    m.push_back(std::string("c"));
    m.push_back(std::string_view("d"));
    std::string lvalue = "e";
    m.push_back(lvalue);
    m.push_back(zmqraii::message("f"));
    m.push_back("g\0h", 3);
    m.emplace_back(std::string(100, 'x'));  // zero-copy hand-over
    m.push_front("front");
    REQUIRE(m.size() == 9);
    CHECK(m.front().to_string() == "front");
    CHECK(m[1].to_string() == "a");
    CHECK(m.at(7).to_string() == std::string("g\0h", 3));
    CHECK(m.back().size() == 100);
    CHECK(m.total_size() == 5 + 6 + 3 + 100);

    std::string joined;
    for (const zmqraii::message& part : m) joined += part.to_string().substr(0, 1);
    CHECK(joined == "fabcdefgx");

    zmqraii::multipart copy = m.clone();
    CHECK(copy == m);
    copy[1] = zmqraii::message("changed");
    CHECK(copy != m);

    CHECK(m.pop_front().to_string() == "front");
    CHECK(m.pop_back().size() == 100);
    CHECK(m.size() == 7);
    try {
        (void)m.at(7);
        FAIL("at(7) must throw");
    } catch (const std::out_of_range& e) {
        CHECK_THAT(e.what(), contains("at(7) on a multipart of 7 part(s)"));
    }
    m.clear();
    CHECK(m.empty());
    CHECK_THROWS_AS(m.pop_front(), std::out_of_range);
    CHECK_THROWS_AS(m.pop_back(), std::out_of_range);
}

TEST_CASE("multipart messages round-trip part for part", "[multipart]") {
    zmqraii::context ctx;
    zmqraii::socket a(ctx, zmqraii::socket_type::pair, "a");
    zmqraii::socket b(ctx, zmqraii::socket_type::pair, "b");
    a.bind("inproc://multipart-roundtrip");
    b.connect("inproc://multipart-roundtrip");

    zmqraii::multipart sent{"header", "", "body"};
    sent.push_back(std::string(100000, 'z'));
    const zmqraii::multipart expected = sent.clone();
    zmqraii::send_multipart(a, std::move(sent));
    CHECK(sent.empty());  // the parts went to libzmq

    zmqraii::multipart got = zmqraii::recv_multipart(b);
    CHECK(got == expected);
    CHECK(got[1].empty());
    CHECK(got.back().size() == 100000);

    // A single-part message is one ordinary part on the wire.
    zmqraii::send_multipart(a, zmqraii::multipart{"single"});
    zmqraii::message single = b.recv();
    CHECK(single.to_string() == "single");
    CHECK_FALSE(single.more());

    // Parts sent by hand arrive as one multipart.
    a.send("x", zmqraii::send_flags::more);
    a.send("y");
    CHECK(zmqraii::recv_multipart(b) == zmqraii::multipart{"x", "y"});

    // Nothing there: empty results, no blocking.
    CHECK_FALSE(zmqraii::try_recv_multipart(b).has_value());
    const auto t0 = std::chrono::steady_clock::now();
    CHECK_FALSE(zmqraii::recv_multipart_for(b, 50ms).has_value());
    CHECK(std::chrono::steady_clock::now() - t0 >= 45ms);

    // try/for variants deliver too.
    REQUIRE(zmqraii::try_send_multipart(a, zmqraii::multipart{"t1", "t2"}));
    const auto t = zmqraii::recv_multipart_for(b, 5s);
    REQUIRE(t.has_value());
    CHECK(*t == zmqraii::multipart{"t1", "t2"});
    REQUIRE(zmqraii::send_multipart_for(a, zmqraii::multipart{"f1"}, 5s));
    CHECK(zmqraii::recv_multipart(b) == zmqraii::multipart{"f1"});
}

TEST_CASE("sending an empty multipart is refused and sends nothing", "[multipart]") {
    zmqraii::context ctx;
    zmqraii::socket a(ctx, zmqraii::socket_type::pair, "empty sender");
    const auto [code, what] = error_of([&] { zmqraii::send_multipart(a, zmqraii::multipart{}); });
    CHECK(code == std::errc::invalid_argument);
    CHECK_THAT(what, contains("send_multipart"));
    CHECK_THAT(what, contains("'empty sender'"));
    CHECK_THAT(what, contains("at least one part"));
}

TEST_CASE("recv_multipart refuses to start in the middle of a message", "[multipart]") {
    zmqraii::context ctx;
    zmqraii::socket a(ctx, zmqraii::socket_type::pair);
    zmqraii::socket b(ctx, zmqraii::socket_type::pair, "half-read");
    a.bind("inproc://multipart-middle");
    b.connect("inproc://multipart-middle");
    zmqraii::send_multipart(a, zmqraii::multipart{"first", "second"});
    zmqraii::send_multipart(a, zmqraii::multipart{"next"});

    CHECK(b.recv().to_string() == "first");
    const auto [code, what] = error_of([&] { zmqraii::recv_multipart(b); });
    CHECK(code.value() == EFSM);
    CHECK_THAT(what, contains("middle of a multipart message"));
    // Nothing was lost: the rest is still there, then the next message.
    CHECK(b.recv().to_string() == "second");
    CHECK(zmqraii::recv_multipart(b) == zmqraii::multipart{"next"});
}

TEST_CASE("try_send_multipart at the high-water mark sends nothing, never half a message",
          "[multipart][hwm]") {
    zmqraii::context ctx;
    zmqraii::socket push(ctx, zmqraii::socket_type::push, "hwm push");
    zmqraii::socket pull(ctx, zmqraii::socket_type::pull, "hwm pull");
    push.set(zmqraii::option::sndhwm, 1);
    pull.set(zmqraii::option::rcvhwm, 1);
    pull.bind("inproc://multipart-hwm");
    push.connect("inproc://multipart-hwm");

    // Fill the pipe with whole messages.
    int queued = 0;
    zmqraii::multipart m = numbered(queued);
    while (zmqraii::try_send_multipart(push, std::move(m))) {
        REQUIRE(queued < 1000);  // the high-water mark must stop it
        m = numbered(++queued);
    }
    REQUIRE(queued >= 1);
    // Refused: the message is intact and can be offered again, any number of times.
    for (int i = 0; i < 10; ++i) {
        REQUIRE_FALSE(zmqraii::try_send_multipart(push, std::move(m)));
        REQUIRE(m == numbered(queued));
    }
    CHECK_FALSE(zmqraii::send_multipart_for(push, std::move(m), 20ms));
    CHECK(m == numbered(queued));

    // The receiver sees exactly the whole messages that were accepted, in order.
    int expected = 0;
    while (auto got = zmqraii::recv_multipart_for(pull, 100ms)) {
        INFO("message " << expected);
        REQUIRE(got->size() == 3);
        CHECK(*got == numbered(expected));
        ++expected;
    }
    CHECK(expected == queued);

    // Room again: the retained message goes, whole.
    REQUIRE(zmqraii::send_multipart_for(push, std::move(m), 5s));
    const auto last = zmqraii::recv_multipart_for(pull, 5s);
    REQUIRE(last.has_value());
    CHECK(*last == numbered(queued));
}

TEST_CASE("once the first part is queued, the high-water mark does not cut a message",
          "[multipart][hwm]") {
    zmqraii::context ctx;
    zmqraii::socket push(ctx, zmqraii::socket_type::push);
    zmqraii::socket pull(ctx, zmqraii::socket_type::pull);
    push.set(zmqraii::option::sndhwm, 1);
    pull.set(zmqraii::option::rcvhwm, 1);
    pull.bind("inproc://multipart-hwm-long");
    push.connect("inproc://multipart-hwm-long");

    zmqraii::multipart big;
    for (int i = 0; i < 1000; ++i) big.push_back(std::to_string(i));
    REQUIRE(zmqraii::try_send_multipart(push, std::move(big)));
    const auto got = zmqraii::recv_multipart_for(pull, 5s);
    REQUIRE(got.has_value());
    REQUIRE(got->size() == 1000);
    CHECK((*got)[999].to_string() == "999");
}

TEST_CASE("a message left unfinished when its socket closes never reaches the peer",
          "[multipart][tcp]") {
    // Two contexts, so that the sender's can end while the receiver keeps going.
    zmqraii::context receiver_ctx;
    zmqraii::socket pull(receiver_ctx, zmqraii::socket_type::pull, "receiver");
    pull.bind("tcp://127.0.0.1:*");
    {
        zmqraii::context sender_ctx;  // finite linger: the complete message is flushed
        zmqraii::socket push(sender_ctx, zmqraii::socket_type::push, "sender");
        push.connect(pull.last_endpoint());
        zmqraii::send_multipart(push, zmqraii::multipart{"complete", "message"});
        push.send("unfinished", zmqraii::send_flags::more);
        push.send("still unfinished", zmqraii::send_flags::more);
    }  // closed and terminated in the middle of the second message
    const auto first = zmqraii::recv_multipart_for(pull, 10s);
    REQUIRE(first.has_value());
    CHECK(*first == zmqraii::multipart{"complete", "message"});
    CHECK_FALSE(zmqraii::recv_multipart_for(pull, 300ms).has_value());
}

TEST_CASE("ROUTER/DEALER: the envelope is the routing id, replies reach their sender",
          "[multipart][envelope]") {
    zmqraii::context ctx;
    zmqraii::socket router(ctx, zmqraii::socket_type::router, "router");
    router.bind("inproc://multipart-router-dealer");
    zmqraii::socket d1(ctx, zmqraii::socket_type::dealer, "d1");
    zmqraii::socket d2(ctx, zmqraii::socket_type::dealer, "d2");
    d1.set(zmqraii::option::routing_id, "dealer-1");
    d2.set(zmqraii::option::routing_id, "dealer-2");
    d1.connect("inproc://multipart-router-dealer");
    d2.connect("inproc://multipart-router-dealer");

    zmqraii::send_multipart(d1, zmqraii::multipart{"hello from", "1"});
    zmqraii::send_multipart(d2, zmqraii::multipart{"hello from", "2"});
    for (int i = 0; i < 2; ++i) {
        zmqraii::routed_message r = zmqraii::split_envelope(zmqraii::recv_multipart(router),
                                                            zmqraii::envelope_kind::routing_id);
        REQUIRE(r.envelope.size() == 1);
        REQUIRE(r.body.size() == 2);
        CHECK(r.body[0].to_string() == "hello from");
        CHECK(r.envelope[0].to_string() == "dealer-" + r.body[1].to_string());
        zmqraii::send_multipart(router,
                                r.reply(zmqraii::multipart{"reply to", r.body[1].to_string()}));
    }
    CHECK(zmqraii::recv_multipart(d1) == zmqraii::multipart{"reply to", "1"});
    CHECK(zmqraii::recv_multipart(d2) == zmqraii::multipart{"reply to", "2"});
}

TEST_CASE("REQ/ROUTER: the envelope ends with the empty delimiter (docs snippet)",
          "[multipart][envelope]") {
    zmqraii::context ctx;
    zmqraii::socket router(ctx, zmqraii::socket_type::router, "router");
    router.bind("inproc://multipart-req-router");
    zmqraii::socket req(ctx, zmqraii::socket_type::req, "req");
    req.connect("inproc://multipart-req-router");

    // What the ROUTER really receives: routing id, empty delimiter, body.
    req.send("ping");
    zmqraii::multipart raw = zmqraii::recv_multipart(router);
    REQUIRE(raw.size() == 3);
    CHECK(raw[1].empty());
    zmqraii::routed_message r = zmqraii::split_envelope(std::move(raw));
    CHECK(r.envelope.size() == 2);
    CHECK(r.envelope[1].empty());
    CHECK(r.body == zmqraii::multipart{"ping"});
    zmqraii::send_multipart(router, r.reply(zmqraii::multipart{"first pong"}));
    CHECK(req.recv().to_string() == "first pong");

    // The multipart snippet of docs/messaging.md.
    req.send("again");
    answer_one(router);
    CHECK(zmqraii::recv_multipart(req) == zmqraii::multipart{"pong", "again"});
}

TEST_CASE("split_envelope: several hops, and clear errors", "[multipart][envelope]") {
    zmqraii::routed_message r =
        zmqraii::split_envelope(zmqraii::multipart{"hop2", "hop1", "", "a", "", "b"});
    CHECK(r.envelope == (zmqraii::multipart{"hop2", "hop1", ""}));
    CHECK(r.body == (zmqraii::multipart{"a", "", "b"}));
    const zmqraii::multipart reply = zmqraii::make_reply(r.envelope, zmqraii::multipart{"ok"});
    CHECK(reply == (zmqraii::multipart{"hop2", "hop1", "", "ok"}));
    CHECK(r.envelope.size() == 3);  // the copying overload left it alone

    const auto [code, what] = error_of([] {
        zmqraii::split_envelope(zmqraii::multipart{"id", "no", "delimiter"});
    });
    CHECK(code.value() == EPROTO);
    CHECK_THAT(what, contains("no empty delimiter frame in a message of 3 part(s)"));
    CHECK_THAT(what, contains("envelope_kind::routing_id"));
    const auto [code2, what2] = error_of(
        [] { zmqraii::split_envelope(zmqraii::multipart{}, zmqraii::envelope_kind::routing_id); });
    CHECK(code2.value() == EPROTO);
    CHECK_THAT(what2, contains("no routing id"));
}

TEST_CASE("stop wakes a thread blocked in recv_multipart with stopped", "[multipart][stop]") {
    zmqraii::context ctx;
    std::promise<void> ready;
    std::promise<std::string> outcome;
    std::thread t([&] {
        outcome.set_value(zmqraii_test::ending_of([&] {
            zmqraii::socket s(ctx, zmqraii::socket_type::pull, "blocked receiver");
            s.bind("inproc://multipart-stop");
            ready.set_value();
            zmqraii::recv_multipart(s);
        }));
    });
    ready.get_future().wait();
    REQUIRE(ctx.stop_for(30s));
    t.join();
    const std::string what = outcome.get_future().get();
    CHECK_THAT(what, contains("stopped: recv_multipart on socket 'blocked receiver'"));
}

TEST_CASE("multipart calls refuse a socket of another thread", "[multipart][thread]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::pair, "owned by main");
    std::string what;
    std::thread t([&] {
        try {
            (void)zmqraii::try_recv_multipart(s);
        } catch (const zmqraii::wrong_thread& e) {
            what = e.what();
        }
    });
    t.join();
    CHECK_THAT(what, contains("wrong thread: try_recv_multipart on socket 'owned by main'"));
}
