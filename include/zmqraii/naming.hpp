// SPDX-License-Identifier: MIT
/// @file naming.hpp
/// What reports call things: zmqraii::name_this_thread() names the calling
/// thread, zmqraii::here() records a creation site explicitly.
#ifndef ZMQRAII_NAMING_HPP_INCLUDED
#define ZMQRAII_NAMING_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/detail/owner.hpp>
#include <zmqraii/detail/platform.hpp>

#include <string>
#include <string_view>

namespace zmqraii {

/// Where an object was created (file:line), as reports print it.
using source_site = detail::source_site;

/// Names the calling thread in reports: "owned by thread 'collector' (...)".
/**
 * Also sets the OS thread name (what top, gdb and /proc show), cut to the 15
 * bytes Linux keeps. The process's main thread is called 'main' without this.
 * Call it on the thread to be named, typically first thing in its function.
 *
 * @par Thread Safety
 * Any thread, for itself.
 */
inline void name_this_thread(std::string_view name) {
    std::string n(name);
    detail::set_os_thread_name(n);
    detail::this_thread_record()->set_name(std::move(n));
}

/// The calling line, for a constructor's `site` argument where zmqraii cannot
/// see it by itself:
/// `std::make_unique<zmqraii::socket>(ctx, zmqraii::socket_type::push, "out", zmqraii::here())`.
/**
 * Without it, a socket made through the standard library (std::make_unique,
 * std::make_shared, std::optional::emplace, a container's emplace_back) is
 * reported at the line of its first bind, connect or option call instead.
 */
constexpr source_site here(source_site site = {}) noexcept { return site; }

}  // namespace zmqraii

#endif  // ZMQRAII_NAMING_HPP_INCLUDED
