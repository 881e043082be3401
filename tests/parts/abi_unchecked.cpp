// SPDX-License-Identifier: MIT
// The half of test_abi built without the owner check. It uses the same socket
// member functions as test_abi.cpp; without the ABI-tagged namespace the linker
// would keep one definition of each for both files, and one of them would
// behave as the other was compiled.
#define ZMQRAII_THREAD_CHECKS 0

#include <zmqraii/context.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/socket.hpp>

#include <exception>
#include <string>
#include <thread>
#include <typeinfo>

namespace abi_test {

std::string unchecked_socket_type_name() { return typeid(zmqraii::socket).name(); }

// Creates a PAIR socket on this thread and uses it from another (in turn, so it
// is safe for libzmq). Returns the error text, or "" when the use went through.
std::string unchecked_use_from_another_thread(zmqraii::context& ctx, const std::string& endpoint) {
    zmqraii::socket a(ctx, zmqraii::socket_type::pair, "unchecked a");
    zmqraii::socket b(ctx, zmqraii::socket_type::pair, "unchecked b");
    a.bind(endpoint);
    b.connect(endpoint);
    std::string error_text;
    std::thread([&] {
        try {
            a.send("from the unchecked side");
            a.set(zmqraii::option::sndhwm, 77);
        } catch (const std::exception& e) {
            error_text = e.what();
        }
    }).join();
    if (!error_text.empty()) return error_text;
    zmqraii::message m;
    b.recv(m);
    return m.to_string() == "from the unchecked side" ? std::string()
                                                      : "wrong body: " + m.to_string();
}

}  // namespace abi_test
