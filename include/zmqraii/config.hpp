// SPDX-License-Identifier: MIT
/// @file config.hpp
/// Every configuration macro of zmqraii, each with its documented default.
/// Define a macro before including any zmqraii header (or through the CMake
/// option of the same name) to change it. See docs/build-and-configuration.md.
#ifndef ZMQRAII_CONFIG_HPP_INCLUDED
#define ZMQRAII_CONFIG_HPP_INCLUDED

/// ZMQRAII_THREAD_CHECKS: 1 (default) checks on every socket operation that the
/// calling thread owns the socket and throws zmqraii::wrong_thread otherwise.
/// 0 compiles the check out. The class layout does not change, but inline
/// functions do: use one setting for the whole program (mixing settings across
/// translation units is an ODR violation; the linker keeps one of the versions).
/// The stop flag, the closed-socket check and the fork check stay on either way.
#ifndef ZMQRAII_THREAD_CHECKS
#define ZMQRAII_THREAD_CHECKS 1
#endif

/// @def ZMQRAII_ABI_TAG
/// The inline namespace that holds everything whose code depends on
/// ZMQRAII_THREAD_CHECKS (socket, poller, worker, monitors, proxies, the
/// authenticator...): `abi_checked` or `abi_unchecked`. Translation units built
/// with different settings then name different entities (no ODR violation: each
/// keeps its own code), and share what does not depend on the setting: the
/// context, messages, errors, options, the diagnostic handler. Not user-settable.
/// @def ZMQRAII_ABI_BEGIN
/// Internal: opens the ZMQRAII_ABI_TAG inline namespace.
/// @def ZMQRAII_ABI_END
/// Internal: closes it.
#if ZMQRAII_THREAD_CHECKS
#define ZMQRAII_ABI_TAG abi_checked
#else
#define ZMQRAII_ABI_TAG abi_unchecked
#endif
#define ZMQRAII_ABI_BEGIN inline namespace ZMQRAII_ABI_TAG {
#define ZMQRAII_ABI_END }

/// ZMQRAII_SEPARATE_COMPILATION: not defined (default), zmqraii is header-only:
/// every translation unit that opens a socket compiles the context's registry,
/// the stop and the error and report texts. Defined (for every translation unit
/// of the program: link the CMake target zmqraii::compiled, which defines it), the
/// headers only declare those functions, and they are compiled once, in one
/// translation unit that includes <zmqraii/impl/src.hpp>. The messaging path
/// (send, recv and their checks) is inline either way. See
/// docs/build-and-configuration.md ("Header-only or compiled").
/// @def ZMQRAII_DECL
/// Internal: `inline` on the functions that ZMQRAII_SEPARATE_COMPILATION
/// compiles once (their definitions are in zmqraii/impl/*.ipp); empty with it.
#if defined(ZMQRAII_SEPARATE_COMPILATION)
#define ZMQRAII_DECL
#else
#define ZMQRAII_DECL inline
#endif

/// ZMQRAII_TSAN: 1 when compiled with -fsanitize=thread (detected, not set by
/// users). Message hand-overs then tell ThreadSanitizer about the ordering that
/// libzmq's own atomics provide (see detail::tsan_before_send in message.hpp).
#if defined(__SANITIZE_THREAD__)
#define ZMQRAII_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ZMQRAII_TSAN 1
#endif
#endif
#ifndef ZMQRAII_TSAN
#define ZMQRAII_TSAN 0
#endif

/// ZMQRAII_DEFAULT_LINGER_MS: the linger (ms) that context_options gives every
/// socket at creation unless the user chooses another. Finite, so that a stop
/// with default settings never waits forever on an undeliverable message.
#ifndef ZMQRAII_DEFAULT_LINGER_MS
#define ZMQRAII_DEFAULT_LINGER_MS 1000
#endif

/// ZMQRAII_STOP_REPORT_MS: how long context::stop() (unbounded) waits before it
/// reports, once, the sockets that keep it from finishing.
#ifndef ZMQRAII_STOP_REPORT_MS
#define ZMQRAII_STOP_REPORT_MS 2000
#endif

#if defined(__has_include)
#if __has_include(<version>)
#include <version>
#endif
#endif

/// @def ZMQRAII_HAS_SOURCE_LOCATION
/// 1 where the standard library has std::source_location (clang 14 with
/// libstdc++ 12 lacks it even in C++20); creation sites then come from it,
/// otherwise from __builtin_FILE/LINE. Detected, not user-settable.
#if defined(__cpp_lib_source_location) && __cpp_lib_source_location >= 201907L
#define ZMQRAII_HAS_SOURCE_LOCATION 1
#else
#define ZMQRAII_HAS_SOURCE_LOCATION 0
#endif

/// @def ZMQRAII_HAS_SPAN
/// 1 where the standard library has std::span (C++20); byte_view is then
/// std::span<const std::byte>. Detected, not user-settable.
#if defined(__cpp_lib_span) && __cpp_lib_span >= 202002L
#define ZMQRAII_HAS_SPAN 1
#else
#define ZMQRAII_HAS_SPAN 0
#endif

/// @def ZMQRAII_HAS_STOP_TOKEN
/// 1 where the standard library has std::jthread and std::stop_token (C++20).
/// Detected, not user-settable.
#if defined(__cpp_lib_jthread) && __cpp_lib_jthread >= 201911L
#define ZMQRAII_HAS_STOP_TOKEN 1
#else
#define ZMQRAII_HAS_STOP_TOKEN 0
#endif

/// @def ZMQRAII_HAS_COROUTINES
/// 1 where the compiler and the standard library both support C++20 coroutines
/// (`__cpp_impl_coroutine` and `<coroutine>` with `__cpp_lib_coroutine`; g++ 12
/// and clang++ 14 with libstdc++ 12 in C++20). zmqraii/task.hpp then provides
/// zmqraii::task and the co_await operations of sockets, mailboxes and loops.
/// Detected, not user-settable.
#if defined(__cpp_impl_coroutine) && __cpp_impl_coroutine >= 201902L && \
    defined(__cpp_lib_coroutine) && __cpp_lib_coroutine >= 201902L
#define ZMQRAII_HAS_COROUTINES 1
#else
#define ZMQRAII_HAS_COROUTINES 0
#endif

/// @def ZMQRAII_HAS_ASIO
/// 1 where standalone Asio's `<asio.hpp>` can be included (Debian: libasio-dev):
/// zmqraii/asio.hpp then provides zmqraii::asio::async_recv and async_send.
/// Detected, not user-settable; nothing else in zmqraii needs Asio.
#if __has_include(<asio.hpp>)  // __has_include is C++17
#define ZMQRAII_HAS_ASIO 1
#else
#define ZMQRAII_HAS_ASIO 0
#endif

/// @def ZMQRAII_LIKELY
/// Internal: branch hint that `x` is usually true (__builtin_expect where known).
/// @def ZMQRAII_UNLIKELY
/// Internal: branch hint that `x` is usually false.
/// @def ZMQRAII_NOINLINE
/// Internal: keeps a function out of line.
/// @def ZMQRAII_COLD
/// Internal: marks a function as rarely called (error paths), out of line.
/// @def ZMQRAII_COLD_DECL
/// Internal: ZMQRAII_COLD for a ZMQRAII_DECL free or static member function,
/// without noinline (which g++ refuses on an inline declaration).
/// @def ZMQRAII_HOT_INLINE
/// Internal: a message-path function (send, recv and their checks) that is
/// always inlined, so that a wrapped call costs what the raw call costs plus
/// its checks; its error paths are ZMQRAII_COLD functions.
#if defined(__GNUC__) || defined(__clang__)
#define ZMQRAII_LIKELY(x) __builtin_expect(!!(x), 1)
#define ZMQRAII_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define ZMQRAII_NOINLINE __attribute__((noinline))
#define ZMQRAII_COLD __attribute__((noinline, cold))
#define ZMQRAII_HOT_INLINE inline __attribute__((always_inline))
#define ZMQRAII_COLD_DECL __attribute__((cold))
#else
#define ZMQRAII_LIKELY(x) (x)
#define ZMQRAII_UNLIKELY(x) (x)
#define ZMQRAII_NOINLINE
#define ZMQRAII_COLD
#define ZMQRAII_HOT_INLINE inline
#define ZMQRAII_COLD_DECL
#endif

#endif  // ZMQRAII_CONFIG_HPP_INCLUDED
