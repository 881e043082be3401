// SPDX-License-Identifier: MIT
// detail/text.hpp: how error messages and reports are put together.
//
// Every translation unit that opens a socket compiles zmqraii's error and report
// paths too (the library is header-only). Built with chains of std::string
// operator+ and to_string, each message costs the compiler a dozen inlined
// appends, temporaries and their clean-ups; built with concat() it costs one
// call, and `decimal` prints a number without std::to_string's instantiations.
#ifndef ZMQRAII_DETAIL_TEXT_HPP_INCLUDED
#define ZMQRAII_DETAIL_TEXT_HPP_INCLUDED

#include <zmqraii/config.hpp>

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace zmqraii::detail {

/// An integer in decimal, as std::to_string writes it; converts to string_view
/// (valid while the object lives: use it within one full expression).
class decimal {
public:
    template <class Int, std::enable_if_t<std::is_integral_v<Int>, int> = 0>
    explicit decimal(Int v) noexcept {
        if constexpr (std::is_signed_v<Int>) {
            const bool negative = v < 0;
            const auto u = static_cast<unsigned long long>(v);
            set(negative ? 0ull - u : u, negative);
        } else {
            set(static_cast<unsigned long long>(v), false);
        }
    }

    operator std::string_view() const noexcept {  // NOLINT(google-explicit-constructor)
        return {begin_, static_cast<std::size_t>(buf_ + sizeof buf_ - begin_)};
    }

private:
    void set(unsigned long long u, bool negative) noexcept {
        char* p = buf_ + sizeof buf_;
        do {
            *--p = static_cast<char>('0' + u % 10);
            u /= 10;
        } while (u != 0);
        if (negative) *--p = '-';
        begin_ = p;
    }

    char buf_[24]{};  // 20 digits and a sign
    const char* begin_ = nullptr;
};

/// The pieces, joined: `concat({"bind ", endpoint, " on ", what})`.
ZMQRAII_DECL std::string concat(std::initializer_list<std::string_view> parts);

}  // namespace zmqraii::detail

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/text.ipp>
#endif

#endif  // ZMQRAII_DETAIL_TEXT_HPP_INCLUDED
