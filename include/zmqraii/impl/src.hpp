// SPDX-License-Identifier: MIT
/// @file impl/src.hpp
/// The compiled part of zmqraii, for ZMQRAII_SEPARATE_COMPILATION: include it in
/// exactly one .cpp file of the program (the CMake target zmqraii::compiled does
/// this for you), with ZMQRAII_SEPARATE_COMPILATION defined there as in every
/// other translation unit. See docs/build-and-configuration.md.
#ifndef ZMQRAII_IMPL_SRC_HPP_INCLUDED
#define ZMQRAII_IMPL_SRC_HPP_INCLUDED

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#error \
    "zmqraii/impl/src.hpp is for ZMQRAII_SEPARATE_COMPILATION builds: define the macro for every translation unit, or do not include this file"
#endif

#include <zmqraii/impl/cert.ipp>
#include <zmqraii/impl/cert_file.ipp>
#include <zmqraii/impl/context.ipp>
#include <zmqraii/impl/curve.ipp>
#include <zmqraii/impl/error.ipp>
#include <zmqraii/impl/ip_address.ipp>
#include <zmqraii/impl/log_text.ipp>
#include <zmqraii/impl/options.ipp>
#include <zmqraii/impl/owner.ipp>
#include <zmqraii/impl/registry.ipp>
#include <zmqraii/impl/socket_errors.ipp>
#include <zmqraii/impl/socket_lifetime.ipp>
#include <zmqraii/impl/text.ipp>
#include <zmqraii/impl/zap.ipp>

// What depends on ZMQRAII_THREAD_CHECKS.
#include <zmqraii/impl/src_abi.hpp>

#endif  // ZMQRAII_IMPL_SRC_HPP_INCLUDED
