// SPDX-License-Identifier: MIT
// Errors: bad input gives a zmqraii::error that names the operation, its argument
// and libzmq's text; operations on a closed socket; the exception hierarchy; the
// diagnostic handler.
#include <zmqraii/context.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/socket.hpp>

#include "catch.hpp"

#include <zmq.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

using zmqraii_test::contains;

namespace {

using namespace std::chrono_literals;

// Runs `f`, expects zmqraii::error (exactly that or a subclass) and returns it
// through the out parameters.
template <class F>
bool catch_error(F&& f, int& code, std::string& what, const std::error_category*& category) {
    try {
        f();
    } catch (const zmqraii::error& e) {
        code = e.code().value();
        what = e.what();
        category = &e.code().category();
        return true;
    }
    return false;
}

// Checks that `f` throws zmqraii::error with `expected_code`, in zmq_category(),
// whose what() contains every string of `parts` and zmq_strerror(expected_code).
template <class F>
void require_error(F&& f, int expected_code, std::initializer_list<std::string> parts) {
    int code = 0;
    std::string what;
    const std::error_category* category = nullptr;
    REQUIRE(catch_error(std::forward<F>(f), code, what, category));
    INFO("what(): " << what);
    CHECK(code == expected_code);
    CHECK(category == &zmqraii::zmq_category());
    CHECK_THAT(what, contains(zmq_strerror(expected_code)));
    for (const std::string& p : parts) CHECK_THAT(what, contains(p));
}

}  // namespace

TEST_CASE("a malformed endpoint: error naming bind/connect, the endpoint and the errno text",
          "[errors]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::pair, "endpoints");
    for (const char* ep : {"tcp://", "nonsense", "tcp://127.0.0.1:notaport"}) {
        INFO("endpoint " << ep);
        require_error([&] { s.bind(ep); }, EINVAL, {"bind", ep, "'endpoints'"});
        require_error([&] { s.connect(ep); }, EINVAL, {"connect", ep, "'endpoints'"});
    }
    // The socket is still usable after the failures.
    s.bind("inproc://errors-still-usable");
    CHECK(s.last_endpoint() == "inproc://errors-still-usable");
}

TEST_CASE("an unsupported transport is EPROTONOSUPPORT", "[errors]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::pair);
    require_error([&] { s.bind("foo://x"); }, EPROTONOSUPPORT, {"bind foo://x"});
    require_error([&] { s.connect("foo://x"); }, EPROTONOSUPPORT, {"connect foo://x"});
    int code = 0;
    std::string what;
    const std::error_category* cat = nullptr;
    REQUIRE(catch_error([&] { s.bind("foo://x"); }, code, what, cat));
    CHECK(std::error_code(code, *cat) == std::errc::protocol_not_supported);
}

TEST_CASE("binding an endpoint in use is EADDRINUSE", "[errors]") {
    zmqraii::context ctx;
    zmqraii::socket first(ctx, zmqraii::socket_type::pull, "first");
    zmqraii::socket second(ctx, zmqraii::socket_type::pull, "second");
    first.bind("tcp://127.0.0.1:*");
    const std::string ep = first.last_endpoint();
    require_error([&] { second.bind(ep); }, EADDRINUSE,
                  {"bind " + ep, "Address already in use", "'second'"});

    int code = 0;
    std::string what;
    const std::error_category* cat = nullptr;
    REQUIRE(catch_error([&] { second.bind(ep); }, code, what, cat));
    CHECK(std::error_code(code, *cat) == std::errc::address_in_use);

    // inproc names are unique per context as well.
    first.bind("inproc://errors-in-use");
    require_error([&] { second.bind("inproc://errors-in-use"); }, EADDRINUSE,
                  {"bind inproc://errors-in-use"});
}

TEST_CASE("a bad option value is EINVAL naming the option", "[errors]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::dealer, "options");
    require_error([&] { s.set(zmqraii::option::sndhwm, -5); }, EINVAL,
                  {"set", "sndhwm", "-5", "'options'"});
    const std::string long_id(300, 'r');  // routing ids are 1-255 bytes
    require_error([&] { s.set(zmqraii::option::routing_id, long_id); }, EINVAL,
                  {"set", "routing_id", "300 bytes"});
    require_error([&] { s.set(zmqraii::option::linger, -2ms); }, EINVAL, {"set", "linger"});
    // The refused values did not take effect.
    CHECK(s.get(zmqraii::option::sndhwm) == 1000);
    CHECK(s.get(zmqraii::option::linger) == 1000ms);
}

TEST_CASE("secret option values are not printed in errors", "[errors]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::dealer);
    // A CURVE secret key must be 32 raw bytes or 40 z85 characters.
    const std::string bad_key = "not-a-key-TOPSECRET";
    int code = 0;
    std::string what;
    const std::error_category* cat = nullptr;
    REQUIRE(
        catch_error([&] { s.set(zmqraii::option::curve_secretkey, bad_key); }, code, what, cat));
    INFO("what(): " << what);
    CHECK(code == EINVAL);
    CHECK_THAT(what, contains("curve_secretkey"));
    CHECK_THAT(what, contains("<hidden>"));
    CHECK(what.find("TOPSECRET") == std::string::npos);
}

TEST_CASE("unbind or disconnect of an endpoint never used names it", "[errors]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::pull, "unbinder");
    s.bind("tcp://127.0.0.1:*");
    const std::string bound = s.last_endpoint();
    require_error([&] { s.unbind("tcp://127.0.0.1:1"); }, ENOENT,
                  {"unbind tcp://127.0.0.1:1", "'unbinder'"});
    require_error([&] { s.unbind("inproc://never-bound"); }, ENOENT,
                  {"unbind inproc://never-bound"});
    require_error([&] { s.disconnect("tcp://127.0.0.1:1"); }, ENOENT,
                  {"disconnect tcp://127.0.0.1:1"});
    CHECK_NOTHROW(s.unbind(bound));  // the real one is still there
}

TEST_CASE("a blocking call whose rcvtimeo/sndtimeo expired is an EAGAIN error", "[errors]") {
    zmqraii::context ctx;
    SECTION("recv with rcvtimeo: the error points to recv_for") {
        zmqraii::socket s(ctx, zmqraii::socket_type::pull, "timed");
        s.bind("inproc://errors-rcvtimeo");
        s.set(zmqraii::option::rcvtimeo, 10ms);
        require_error([&] { (void)s.recv(); }, EAGAIN,
                      {"recv", "'timed'", "timed out", "rcvtimeo", "recv_for"});
        zmqraii::message m;
        require_error([&] { s.recv(m); }, EAGAIN, {"recv", "timed out"});
    }
    SECTION("send with sndtimeo and no peer") {
        zmqraii::socket s(ctx, zmqraii::socket_type::push, "timed");
        s.set(zmqraii::option::sndtimeo, 10ms);
        zmqraii::message m("not lost");
        require_error([&] { s.send(std::move(m)); }, EAGAIN, {"send", "'timed'"});
        CHECK(m.to_string() == "not lost");  // NOLINT(bugprone-use-after-move)
    }
}

TEST_CASE("operations after close() throw an error saying the socket is closed", "[errors]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::sub, "shut");
    s.close();
    CHECK_FALSE(s.is_open());
    CHECK(ctx.live_sockets().empty());

    zmqraii::message m("m");
    const std::initializer_list<std::string> parts{"closed", "'shut'"};
    require_error([&] { s.send("x"); }, ENOTSOCK, {"send", "closed", "'shut'"});
    require_error([&] { s.send(std::move(m)); }, ENOTSOCK, parts);
    require_error([&] { (void)s.try_send("x"); }, ENOTSOCK, parts);
    require_error([&] { (void)s.send_for("x", 1ms); }, ENOTSOCK, parts);
    require_error([&] { s.recv(); }, ENOTSOCK, {"recv", "closed", "'shut'"});
    require_error([&] { s.recv(m); }, ENOTSOCK, parts);
    require_error([&] { (void)s.try_recv(); }, ENOTSOCK, parts);
    require_error([&] { (void)s.recv_for(1ms); }, ENOTSOCK, parts);
    require_error([&] { s.bind("inproc://closed"); }, ENOTSOCK, {"bind", "closed", "'shut'"});
    require_error([&] { s.connect("inproc://closed"); }, ENOTSOCK, {"connect", "closed"});
    require_error([&] { s.unbind("inproc://closed"); }, ENOTSOCK, {"unbind", "closed"});
    require_error([&] { s.disconnect("inproc://closed"); }, ENOTSOCK, {"disconnect", "closed"});
    require_error([&] { s.set(zmqraii::option::sndhwm, 1); }, ENOTSOCK,
                  {"set", "closed", "'shut'"});
    require_error([&] { s.get(zmqraii::option::sndhwm); }, ENOTSOCK, {"get", "closed", "'shut'"});
    require_error([&] { s.subscribe("t"); }, ENOTSOCK, parts);
    require_error([&] { s.last_endpoint(); }, ENOTSOCK, parts);
    require_error([&] { s.handle(); }, ENOTSOCK, {"handle", "closed", "'shut'"});
    require_error([&] { (void)std::move(s).release(); }, ENOTSOCK, {"release", "closed", "'shut'"});
    char buf[4];
    const std::vector<char> bytes{'b'};
    require_error([&] { s.send(bytes); }, ENOTSOCK, parts);
    require_error([&] { (void)s.recv_into(buf, sizeof buf); }, ENOTSOCK,
                  {"recv_into", "closed", "'shut'"});
    require_error([&] { (void)s.try_recv_into(buf, sizeof buf); }, ENOTSOCK, parts);
    require_error([&] { (void)s.raw_call(); }, ENOTSOCK, {"raw_call", "closed", "'shut'"});
    CHECK(m.to_string() == "m");

    // The identity stays readable after close.
    CHECK(s.name() == "shut");
    CHECK(s.type() == zmqraii::socket_type::sub);
}

TEST_CASE("close() is idempotent", "[errors]") {
    zmqraii::context ctx;
    zmqraii::socket s(ctx, zmqraii::socket_type::push);
    zmqraii::socket other(ctx, zmqraii::socket_type::push);
    REQUIRE(ctx.live_sockets().size() == 2);
    s.close();
    CHECK(ctx.live_sockets().size() == 1);
    CHECK_NOTHROW(s.close());
    CHECK_NOTHROW(s.close());
    CHECK(ctx.live_sockets().size() == 1);  // the second close closed nothing else
    CHECK(other.is_open());
}

TEST_CASE("a socket on a moved-from context is refused", "[errors]") {
    zmqraii::context a;
    zmqraii::context b(std::move(a));
    int code = 0;
    std::string what;
    const std::error_category* cat = nullptr;
    REQUIRE(
        catch_error([&] { zmqraii::socket s(a, zmqraii::socket_type::push); }, code, what, cat));
    CHECK_THAT(what, contains("moved from"));
    zmqraii::socket ok(b, zmqraii::socket_type::push);  // the state moved with b
    CHECK(ok.is_open());
}

TEST_CASE("the exception hierarchy", "[errors]") {
    STATIC_REQUIRE(std::is_base_of_v<std::system_error, zmqraii::error>);
    STATIC_REQUIRE(std::is_base_of_v<zmqraii::error, zmqraii::stopped>);
    STATIC_REQUIRE(std::is_base_of_v<std::logic_error, zmqraii::wrong_thread>);
    // wrong_thread is a programming error, not a runtime failure of libzmq.
    STATIC_REQUIRE_FALSE(std::is_base_of_v<std::system_error, zmqraii::wrong_thread>);
    STATIC_REQUIRE_FALSE(std::is_base_of_v<std::runtime_error, zmqraii::wrong_thread>);

    SECTION("error carries the zmq errno in zmq_category()") {
        const zmqraii::error e(EINVAL, "bind x");
        CHECK(e.code().value() == EINVAL);
        CHECK(e.num() == EINVAL);
        CHECK(e.code().category() == zmqraii::zmq_category());
        CHECK(e.code() == std::errc::invalid_argument);
        CHECK_THAT(e.what(), contains("bind x"));
        CHECK_THAT(e.what(), contains(zmq_strerror(EINVAL)));
    }
    SECTION("stopped is ETERM and is caught as error and as system_error") {
        try {
            throw zmqraii::stopped("recv on socket");
        } catch (const zmqraii::error& e) {
            CHECK(e.code().value() == ETERM);
            CHECK(e.code().category() == zmqraii::zmq_category());
            CHECK_THAT(e.what(), contains("recv on socket"));
        }
        try {
            throw zmqraii::stopped("x");
        } catch (const std::system_error& e) {
            CHECK(e.code().value() == ETERM);
        }
    }
    SECTION("a real stopped: creating a socket on a stopped context") {
        zmqraii::context ctx;
        ctx.stop();
        try {
            zmqraii::socket s(ctx, zmqraii::socket_type::pull, "late");
            FAIL("no exception");
        } catch (const zmqraii::stopped& e) {
            CHECK(e.code().value() == ETERM);
            CHECK_THAT(e.what(), contains("'late'"));
        }
    }
    SECTION("wrong_thread is caught as std::logic_error") {
        try {
            throw zmqraii::wrong_thread("wrong thread: send");
        } catch (const std::logic_error& e) {
            CHECK_THAT(e.what(), contains("wrong thread: send"));
        }
    }
}

TEST_CASE("zmq_category names and maps libzmq's codes", "[errors]") {
    const std::error_category& cat = zmqraii::zmq_category();
    CHECK(std::string(cat.name()) == "zmq");
    CHECK(&cat == &zmqraii::zmq_category());  // one instance
    CHECK(cat.message(EADDRINUSE) == zmq_strerror(EADDRINUSE));
    CHECK(cat.message(ETERM) == zmq_strerror(ETERM));
    // errno values map to the generic category, so std::errc comparisons work...
    CHECK(std::error_code(EADDRINUSE, cat) == std::errc::address_in_use);
    CHECK(cat.default_error_condition(EINVAL) == std::errc::invalid_argument);
    // ...libzmq's own codes stay in zmq_category.
    CHECK(cat.default_error_condition(ETERM).category() == cat);
    CHECK(cat.default_error_condition(EFSM).value() == EFSM);
}

// ---------------------------------------------------------------------------
// The diagnostic handler.
// ---------------------------------------------------------------------------

namespace {

std::mutex seen_mutex;
int seen_calls = 0;
zmqraii::severity seen_level = zmqraii::severity::report;
std::string seen_text;

void recording_handler(const zmqraii::diagnostic& d) noexcept {
    std::lock_guard<std::mutex> lock(seen_mutex);
    ++seen_calls;
    seen_level = d.level;
    seen_text = d.text;
}

void other_handler(const zmqraii::diagnostic&) noexcept {}

// Restores the handler that was installed when it was made.
struct handler_guard {
    zmqraii::diagnostic_handler previous;
    explicit handler_guard(zmqraii::diagnostic_handler h)
        : previous(zmqraii::set_diagnostic_handler(h)) {}
    ~handler_guard() { zmqraii::set_diagnostic_handler(previous); }
    handler_guard(const handler_guard&) = delete;
    handler_guard& operator=(const handler_guard&) = delete;
};

}  // namespace

TEST_CASE("set_diagnostic_handler returns the previous handler", "[errors]") {
    const zmqraii::diagnostic_handler initial = zmqraii::set_diagnostic_handler(&recording_handler);
    CHECK(initial == &zmqraii::default_diagnostic_handler);
    CHECK(zmqraii::set_diagnostic_handler(&other_handler) == &recording_handler);
    // nullptr restores the default and returns what was installed.
    CHECK(zmqraii::set_diagnostic_handler(nullptr) == &other_handler);
    CHECK(zmqraii::set_diagnostic_handler(initial) == &zmqraii::default_diagnostic_handler);
}

TEST_CASE("a custom diagnostic handler receives the text and the severity", "[errors]") {
    handler_guard guard(&recording_handler);
    {
        std::lock_guard<std::mutex> lock(seen_mutex);
        seen_calls = 0;
    }
    zmqraii::report_diagnostic(zmqraii::severity::report, "stop is slow");
    {
        std::lock_guard<std::mutex> lock(seen_mutex);
        CHECK(seen_calls == 1);
        CHECK(seen_level == zmqraii::severity::report);
        CHECK(seen_text == "stop is slow");
    }
    // A fatal diagnostic reaches a custom handler too; one that returns does not end
    // the process.
    zmqraii::report_diagnostic(zmqraii::severity::fatal, "broken invariant");
    std::lock_guard<std::mutex> lock(seen_mutex);
    CHECK(seen_calls == 2);
    CHECK(seen_level == zmqraii::severity::fatal);
    CHECK(seen_text == "broken invariant");
}

TEST_CASE("the default handler prints reports to stderr and aborts on fatal", "[errors]") {
    // In a child process, with stderr sent to a pipe.
    auto run_child = [](zmqraii::severity level, std::string& err) -> int {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(fds[0]);
            ::dup2(fds[1], STDERR_FILENO);
            std::signal(SIGABRT, SIG_DFL);  // not Catch2's handler: die as abort() does
            zmqraii::default_diagnostic_handler({level, "the text"});
            ::_exit(0);
        }
        ::close(fds[1]);
        char buf[512];
        ssize_t n = 0;
        while ((n = ::read(fds[0], buf, sizeof buf)) > 0) err.append(buf, static_cast<size_t>(n));
        ::close(fds[0]);
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        return status;
    };
    std::string err;
    const int report_status = run_child(zmqraii::severity::report, err);
    CHECK(WIFEXITED(report_status));
    CHECK(WEXITSTATUS(report_status) == 0);
    CHECK_THAT(err, contains("zmqraii report: the text"));

    err.clear();
    const int fatal_status = run_child(zmqraii::severity::fatal, err);
    CHECK(WIFSIGNALED(fatal_status));
    CHECK(WTERMSIG(fatal_status) == SIGABRT);
    CHECK_THAT(err, contains("zmqraii fatal: the text"));
}
