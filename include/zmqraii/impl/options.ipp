// SPDX-License-Identifier: MIT
// impl/options.ipp: definitions for options.hpp (see ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_OPTIONS_IPP_INCLUDED
#define ZMQRAII_IMPL_OPTIONS_IPP_INCLUDED

#include <zmqraii/options.hpp>

namespace zmqraii {

std::string to_string(socket_type t) {
    const char* name = nullptr;
    switch (t) {
        case socket_type::pair: name = "pair"; break;
        case socket_type::pub: name = "pub"; break;
        case socket_type::sub: name = "sub"; break;
        case socket_type::req: name = "req"; break;
        case socket_type::rep: name = "rep"; break;
        case socket_type::dealer: name = "dealer"; break;
        case socket_type::router: name = "router"; break;
        case socket_type::pull: name = "pull"; break;
        case socket_type::push: name = "push"; break;
        case socket_type::xpub: name = "xpub"; break;
        case socket_type::xsub: name = "xsub"; break;
        case socket_type::stream: name = "stream"; break;
    }
    if (name != nullptr) return name;
    return detail::concat({"type ", detail::decimal(static_cast<int>(t))});
}

}  // namespace zmqraii

#endif  // ZMQRAII_IMPL_OPTIONS_IPP_INCLUDED
