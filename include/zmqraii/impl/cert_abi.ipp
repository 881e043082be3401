// SPDX-License-Identifier: MIT
// impl/cert_abi.ipp: definitions for cert.hpp (see ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_CERT_ABI_IPP_INCLUDED
#define ZMQRAII_IMPL_CERT_ABI_IPP_INCLUDED

#include <zmqraii/cert.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/options.hpp>
#include <zmqraii/socket.hpp>

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>

namespace zmqraii {

namespace detail {

void check_not_connected(socket& s, const char* op) {
    const std::string ep = s.last_endpoint();
    if (!ep.empty())
        throw error(EINVAL, std::string(op) + " on " + s.describe() +
                                ": must be called before bind() and connect() (the socket "
                                "already has endpoint " +
                                ep + "; the mechanism of its connections is fixed)");
}

void check_max_message_size(socket& s, const char* op, std::int64_t max_message_size) {
    if (max_message_size == -1 || max_message_size > 0) return;
    throw error(EINVAL, std::string(op) + " on " + s.describe() + ": max_message_size " +
                            std::to_string(max_message_size) +
                            " must be a positive number of bytes, or -1 for no limit");
}

}  // namespace detail

void make_curve_server(socket& s, const certificate& server, std::int64_t max_message_size) {
    constexpr const char* op = "make_curve_server";
    if (!server.has_secret())
        throw error(EINVAL, std::string(op) + " on " + s.describe() +
                                ": the server certificate has no secret key");
    detail::check_max_message_size(s, op, max_message_size);
    detail::check_not_connected(s, op);
    s.set(option::maxmsgsize, max_message_size);
    s.set(option::curve_server, true);
    s.set(option::curve_secretkey, server.secret_key());
    s.set(option::curve_publickey, server.public_key());
}

void make_curve_client(socket& s, const certificate& client, std::string_view server_public) {
    constexpr const char* op = "make_curve_client";
    if (!client.has_secret())
        throw error(EINVAL, std::string(op) + " on " + s.describe() +
                                ": the client certificate has no secret key");
    // Validates the server key (throws EINVAL naming what is wrong).
    const certificate server = certificate::from_public(server_public);
    detail::check_not_connected(s, op);
    s.set(option::curve_serverkey, server.public_key());
    s.set(option::curve_publickey, client.public_key());
    s.set(option::curve_secretkey, client.secret_key());
}

}  // namespace zmqraii

#endif  // ZMQRAII_IMPL_CERT_ABI_IPP_INCLUDED
