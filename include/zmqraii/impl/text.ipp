// SPDX-License-Identifier: MIT
// impl/text.ipp: definitions for detail/text.hpp (see ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_TEXT_IPP_INCLUDED
#define ZMQRAII_IMPL_TEXT_IPP_INCLUDED

#include <zmqraii/detail/text.hpp>

namespace zmqraii::detail {

std::string concat(std::initializer_list<std::string_view> parts) {
    std::size_t n = 0;
    for (std::string_view p : parts) n += p.size();
    std::string s;
    s.reserve(n);
    for (std::string_view p : parts) s.append(p.data(), p.size());
    return s;
}

}  // namespace zmqraii::detail

#endif  // ZMQRAII_IMPL_TEXT_IPP_INCLUDED
