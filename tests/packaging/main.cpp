// SPDX-License-Identifier: MIT
// The program every packaging consumer builds (tests/packaging/*): a PAIR of
// sockets over inproc, "hello" sent one way and checked on the other side.
// Exit status 0 when the message arrived intact.
#include <zmqraii/zmqraii.hpp>

#include <cstdio>
#include <exception>
#include <string>

int main() {
    try {
        zmqraii::context ctx;
        zmqraii::socket server(ctx, zmqraii::socket_type::pair);
        zmqraii::socket client(ctx, zmqraii::socket_type::pair);
        server.bind("inproc://packaging-consumer");
        client.connect("inproc://packaging-consumer");

        client.send("hello");
        zmqraii::message m = server.recv();
        const std::string got = m.to_string();
        if (got != "hello") {
            std::fprintf(stderr, "consumer: expected 'hello', received '%s'\n", got.c_str());
            return 1;
        }
        std::printf("consumer: zmqraii %d.%d.%d (ZMQRAII_THREAD_CHECKS=%d) received '%s'\n",
                    ZMQRAII_VERSION_MAJOR, ZMQRAII_VERSION_MINOR, ZMQRAII_VERSION_PATCH,
                    ZMQRAII_THREAD_CHECKS, got.c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "consumer: %s\n", e.what());
        return 2;
    }
}
