// SPDX-License-Identifier: MIT
// detail/option_traits.hpp: how each option value type travels through
// zmq_setsockopt / zmq_getsockopt, and how it is printed in errors (secrets
// are never printed).
#ifndef ZMQRAII_DETAIL_OPTION_TRAITS_HPP_INCLUDED
#define ZMQRAII_DETAIL_OPTION_TRAITS_HPP_INCLUDED

#include <zmqraii/options.hpp>

#include <zmq.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace zmqraii::detail {

inline std::string hidden_or(const char* name, std::string text) {
    const std::string_view n(name);
    if (n.find("secret") != std::string_view::npos || n.find("password") != std::string_view::npos)
        return "<hidden>";
    return text;
}

// How an option value type travels through zmq_setsockopt / zmq_getsockopt.
template <class T>
struct option_traits;

template <>
struct option_traits<int> {
    using arg_type = int;
    using result_type = int;
    static std::string text(int v, const char*) { return std::to_string(v); }
    static int set(void* h, int id, int v) { return zmq_setsockopt(h, id, &v, sizeof v); }
    static int get(void* h, int id, int& out) {
        std::size_t len = sizeof out;
        return zmq_getsockopt(h, id, &out, &len);
    }
};

template <>
struct option_traits<bool> {
    using arg_type = bool;
    using result_type = bool;
    static std::string text(bool v, const char*) { return v ? "true" : "false"; }
    static int set(void* h, int id, bool v) {
        const int i = v ? 1 : 0;
        return zmq_setsockopt(h, id, &i, sizeof i);
    }
    static int get(void* h, int id, bool& out) {
        int i = 0;
        std::size_t len = sizeof i;
        const int rc = zmq_getsockopt(h, id, &i, &len);
        out = i != 0;
        return rc;
    }
};

template <>
struct option_traits<std::chrono::milliseconds> {
    using arg_type = std::chrono::milliseconds;
    using result_type = std::chrono::milliseconds;
    static std::string text(std::chrono::milliseconds v, const char*) {
        std::string t = std::to_string(v.count());
        t += " ms";
        if (v.count() < INT_MIN || v.count() > INT_MAX)
            t += " (libzmq takes an int: from " + std::to_string(INT_MIN) + " to " +
                 std::to_string(INT_MAX) + " ms)";
        return t;
    }
    static int set(void* h, int id, std::chrono::milliseconds v) {
        if (v.count() < INT_MIN || v.count() > INT_MAX) {
            errno = EINVAL;
            return -1;
        }
        const int i = static_cast<int>(v.count());
        return zmq_setsockopt(h, id, &i, sizeof i);
    }
    static int get(void* h, int id, std::chrono::milliseconds& out) {
        int i = 0;
        std::size_t len = sizeof i;
        const int rc = zmq_getsockopt(h, id, &i, &len);
        out = std::chrono::milliseconds(i);
        return rc;
    }
};

template <class I>
struct integer_option_traits {
    using arg_type = I;
    using result_type = I;
    static std::string text(I v, const char*) { return std::to_string(v); }
    static int set(void* h, int id, I v) { return zmq_setsockopt(h, id, &v, sizeof v); }
    static int get(void* h, int id, I& out) {
        std::size_t len = sizeof out;
        return zmq_getsockopt(h, id, &out, &len);
    }
};
template <>
struct option_traits<std::int64_t> : integer_option_traits<std::int64_t> {};
template <>
struct option_traits<std::uint64_t> : integer_option_traits<std::uint64_t> {};

template <std::size_t BufferSize>
struct bytes_option_traits {
    using arg_type = std::string_view;
    using result_type = std::string;
    static int set(void* h, int id, std::string_view v) {
        // An empty std::string_view{} has a null data(); give libzmq a real pointer
        // (subscribe to "" means everything).
        return zmq_setsockopt(h, id, v.data() ? v.data() : "", v.size());
    }
    static int get(void* h, int id, std::string& out) {
        char buf[BufferSize];
        std::size_t len = sizeof buf;
        const int rc = zmq_getsockopt(h, id, buf, &len);
        if (rc == 0) out.assign(buf, len);
        return rc;
    }
};

template <>
struct option_traits<std::string> : bytes_option_traits<1024> {
    static std::string text(std::string_view v, const char* name) {
        return hidden_or(name, "\"" + std::string(v) + "\"");
    }
    // libzmq clears a text option (plain_username, socks_proxy, bindtodevice,
    // tcp_accept_filter...) only for a null pointer; "" with a pointer is EINVAL.
    static int set(void* h, int id, std::string_view v) {
        return zmq_setsockopt(h, id, v.empty() ? nullptr : v.data(), v.size());
    }
    static int get(void* h, int id, std::string& out) {
        const int rc = bytes_option_traits<1024>::get(h, id, out);
        // libzmq counts the terminating NUL of string options.
        if (rc == 0 && !out.empty() && out.back() == '\0') out.pop_back();
        return rc;
    }
};

template <>
struct option_traits<binary> : bytes_option_traits<256> {
    static std::string text(std::string_view v, const char* name) {
        std::string t = "<";  // not `"<" + std::string&&`: GCC bug 105651 (-Wrestrict)
        t += std::to_string(v.size());
        t += " bytes>";
        return hidden_or(name, std::move(t));
    }
};

template <>
struct option_traits<curve_key> : bytes_option_traits<41> {
    static std::string text(std::string_view v, const char* name) {
        std::string t = "<key of ";  // see option_traits<binary>::text
        t += std::to_string(v.size());
        t += " bytes>";
        return hidden_or(name, std::move(t));
    }
    static int get(void* h, int id, std::string& out) {
        const int rc = bytes_option_traits<41>::get(h, id, out);  // 41: ask for z85 text
        if (rc == 0 && !out.empty() && out.back() == '\0') out.pop_back();
        return rc;
    }
};

template <>
struct option_traits<native_fd> {
#ifdef _WIN32
    using result_type = std::uintptr_t;
#else
    using result_type = int;
#endif
    static int get(void* h, int id, result_type& out) {
        std::size_t len = sizeof out;
        return zmq_getsockopt(h, id, &out, &len);
    }
};

}  // namespace zmqraii::detail

#endif  // ZMQRAII_DETAIL_OPTION_TRAITS_HPP_INCLUDED
