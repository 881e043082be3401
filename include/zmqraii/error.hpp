// SPDX-License-Identifier: MIT
/// @file error.hpp
/// Exceptions and the diagnostic handler.
///
/// - zmqraii::error: a failed libzmq call (std::system_error in zmq_category()).
/// - zmqraii::stopped: the context is stopping (ETERM); unwind and let RAII close.
/// - zmqraii::wrong_thread: a socket was used by a thread that does not own it.
/// - set_diagnostic_handler(): where destructors and stop() report what they
///   cannot throw.
#ifndef ZMQRAII_ERROR_HPP_INCLUDED
#define ZMQRAII_ERROR_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/detail/text.hpp>

#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace zmqraii {

namespace detail {
class zmq_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "zmq"; }
    std::string message(int ev) const override { return zmq_strerror(ev); }
    std::error_condition default_error_condition(int ev) const noexcept override {
        // libzmq's own codes (EFSM, ETERM, EMTHREAD, ENOCOMPATPROTO) have no generic
        // equivalent; everything else is an errno value.
        if (ev >= ZMQ_HAUSNUMERO) return {ev, *this};
        return std::generic_category().default_error_condition(ev);
    }
};
}  // namespace detail

/// The error category of libzmq's errno values; message() is zmq_strerror().
ZMQRAII_DECL const std::error_category& zmq_category() noexcept;

/// A libzmq call failed.
/**
 * what() names the operation, its argument and the socket, then the libzmq error
 * text, e.g. `bind tcp://127.0.0.1:5555 on socket 'api' (rep, created at
 * main.cpp:12): Address already in use`. code() is the errno value in
 * zmq_category(); compare it with std::errc values or with raw errno numbers.
 */
class error : public std::system_error {
public:
    /// @param errnum the zmq errno value (zmq_errno()).
    /// @param what_arg operation and argument, e.g. "bind tcp://*:5555".
    ZMQRAII_DECL error(int errnum, const std::string& what_arg);

    /// The raw errno value (same as code().value()).
    int num() const noexcept { return code().value(); }
};

/// The context is stopping or stopped (ETERM).
/**
 * Thrown by every blocking call that a stop woke, by every later operation on
 * the context's sockets (also on sockets the stop closed while their owner was
 * idle), and by socket creation on a stopping context. Let it unwind: the
 * socket's destructor closes it, if the stop did not already.
 */
class stopped : public error {
public:
    /// @param what_arg the operation and its argument, e.g. "recv on socket 'jobs'".
    ZMQRAII_DECL explicit stopped(const std::string& what_arg);
};

/// A socket was used by a thread that does not own it.
/**
 * what() names the operation, the socket (name and type), where it was created
 * (file:line), the owner thread and the calling thread. This is a programming
 * error: hand a socket to another thread with socket::release() and
 * socket_handoff::adopt(), or give each thread its own socket.
 */
class wrong_thread : public std::logic_error {
public:
    /// @param what_arg the full report: operation, socket, creation site, threads.
    ZMQRAII_DECL explicit wrong_thread(const std::string& what_arg);
};

/// How serious a diagnostic is.
enum class severity {
    /// Something a user should know (a stop that takes longer than expected).
    report,
    /// A broken invariant that zmqraii could not refuse by throwing (a socket
    /// destroyed by a thread that does not own it). The default handler aborts.
    fatal,
};

/// What destructors and stop() report instead of throwing.
struct diagnostic {
    zmqraii::severity level;  ///< How serious it is; only severity::fatal aborts by default.
    std::string text;         ///< The report, in words.
};

/// A diagnostic handler. It must not throw; it is called from destructors.
using diagnostic_handler = void (*)(const diagnostic&) noexcept;

/// The default handler: prints "zmqraii: <text>" to stderr; for a fatal
/// diagnostic then calls std::abort(), as std::thread's destructor ends the
/// process for a joinable thread.
ZMQRAII_DECL void default_diagnostic_handler(const diagnostic& d) noexcept;

namespace detail {
inline std::atomic<diagnostic_handler>& handler_slot() noexcept {
    static std::atomic<diagnostic_handler> slot{&default_diagnostic_handler};
    return slot;
}
}  // namespace detail

/// Installs a process-wide diagnostic handler; nullptr restores the default.
/**
 * @return the previous handler.
 * @note Thread safety: may be called from any thread at any time.
 */
ZMQRAII_DECL diagnostic_handler set_diagnostic_handler(diagnostic_handler h) noexcept;

/// Sends a diagnostic to the installed handler (used by zmqraii itself).
ZMQRAII_DECL void report_diagnostic(severity level, std::string text) noexcept;

namespace detail {

/// "op arg": the first part of the message of a failed call. std::system_error's
/// what() appends ": " and the error text (code().message(), zmq_strerror), so
/// it is not added here.
ZMQRAII_DECL std::string describe(std::string_view op, std::string_view arg);

/// Throws zmqraii::error (or stopped for ETERM) for errnum.
[[noreturn]] ZMQRAII_COLD_DECL ZMQRAII_DECL void throw_error(int errnum, std::string_view op,
                                                             std::string_view arg = {});

/// Throws for the current zmq_errno().
[[noreturn]] ZMQRAII_COLD_DECL ZMQRAII_DECL void throw_last_error(std::string_view op,
                                                                  std::string_view arg = {});

}  // namespace detail
}  // namespace zmqraii

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/error.ipp>
#endif

#endif  // ZMQRAII_ERROR_HPP_INCLUDED
