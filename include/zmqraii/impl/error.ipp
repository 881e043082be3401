// SPDX-License-Identifier: MIT
// impl/error.ipp: definitions for error.hpp (see ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_ERROR_IPP_INCLUDED
#define ZMQRAII_IMPL_ERROR_IPP_INCLUDED

#include <zmqraii/error.hpp>

namespace zmqraii {

const std::error_category& zmq_category() noexcept {
    static const detail::zmq_category_impl category;
    return category;
}

error::error(int errnum, const std::string& what_arg)
    : std::system_error(errnum, zmq_category(), what_arg) {}

stopped::stopped(const std::string& what_arg) : error(ETERM, what_arg) {}

wrong_thread::wrong_thread(const std::string& what_arg) : std::logic_error(what_arg) {}

void default_diagnostic_handler(const diagnostic& d) noexcept {
    std::fprintf(stderr, "zmqraii %s: %s\n", d.level == severity::fatal ? "fatal" : "report",
                 d.text.c_str());
    std::fflush(stderr);
    if (d.level == severity::fatal) std::abort();
}

diagnostic_handler set_diagnostic_handler(diagnostic_handler h) noexcept {
    return detail::handler_slot().exchange(h ? h : &default_diagnostic_handler);
}

void report_diagnostic(severity level, std::string text) noexcept {
    diagnostic d{level, std::move(text)};
    detail::handler_slot().load()(d);
}

namespace detail {

std::string describe(std::string_view op, std::string_view arg) {
    return concat({op, arg.empty() ? "" : " ", arg});
}

void throw_error(int errnum, std::string_view op, std::string_view arg) {
    if (errnum == ETERM)
        throw stopped(concat({op, arg.empty() ? "" : " ", arg, ": context was stopped"}));
    throw error(errnum, describe(op, arg));
}

void throw_last_error(std::string_view op, std::string_view arg) {
    throw_error(zmq_errno(), op, arg);
}

}  // namespace detail
}  // namespace zmqraii

#endif  // ZMQRAII_IMPL_ERROR_IPP_INCLUDED
