// SPDX-License-Identifier: MIT
/// @file version.hpp
/// zmqraii's own version, the version of the libzmq it runs with, and what that
/// libzmq was built with (has("curve"), has("ipc"), ...).
#ifndef ZMQRAII_VERSION_HPP_INCLUDED
#define ZMQRAII_VERSION_HPP_INCLUDED

#include <zmq.h>

#include <string>
#include <string_view>

/// zmqraii's major version: changes break the API.
#define ZMQRAII_VERSION_MAJOR 0
/// zmqraii's minor version: additions.
#define ZMQRAII_VERSION_MINOR 1
/// zmqraii's patch version: fixes.
#define ZMQRAII_VERSION_PATCH 0
/// Single number, major * 10000 + minor * 100 + patch.
#define ZMQRAII_VERSION \
    (ZMQRAII_VERSION_MAJOR * 10000 + ZMQRAII_VERSION_MINOR * 100 + ZMQRAII_VERSION_PATCH)

namespace zmqraii {

/// A version triple.
struct version_info {
    int major;  ///< Major version.
    int minor;  ///< Minor version.
    int patch;  ///< Patch version.
};

/// The version of zmqraii.
constexpr version_info library_version() noexcept {
    return {ZMQRAII_VERSION_MAJOR, ZMQRAII_VERSION_MINOR, ZMQRAII_VERSION_PATCH};
}

/// The version of the libzmq linked at run time (zmq_version).
inline version_info libzmq_version() noexcept {
    version_info v{};
    zmq_version(&v.major, &v.minor, &v.patch);
    return v;
}

/// Same as libzmq_version(): the run-time libzmq version, as cppzmq's zmq::version().
inline version_info version() noexcept { return libzmq_version(); }

/// True when the linked libzmq supports `capability` (zmq_has).
/**
 * Capabilities libzmq 4.3 knows: "ipc", "pgm", "tipc", "norm", "curve", "gssapi",
 * "draft" (and "vmci", "ws", "wss" where built). Unknown names give false.
 * Use it to skip what a build lacks, e.g. `if (zmqraii::has("curve")) ...`.
 * @note Any thread, any time; it does not need a context.
 */
inline bool has(std::string_view capability) {
    const std::string name(capability);  // zmq_has reads a C string
    return zmq_has(name.c_str()) != 0;
}

}  // namespace zmqraii

#endif  // ZMQRAII_VERSION_HPP_INCLUDED
