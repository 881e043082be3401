// SPDX-License-Identifier: MIT
/// @file impl/src_abi.hpp
/// The part of zmqraii/impl/src.hpp whose code depends on ZMQRAII_THREAD_CHECKS
/// (the ABI-tagged namespace). A program that mixes both settings across
/// translation units and compiles zmqraii separately includes src.hpp in one
/// .cpp (zmqraii::compiled does that) and this file in another, built with the
/// other setting.
#ifndef ZMQRAII_IMPL_SRC_ABI_HPP_INCLUDED
#define ZMQRAII_IMPL_SRC_ABI_HPP_INCLUDED

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#error "zmqraii/impl/src_abi.hpp is for ZMQRAII_SEPARATE_COMPILATION builds"
#endif

#include <zmqraii/impl/auth.ipp>
#include <zmqraii/impl/cert_abi.ipp>
#include <zmqraii/impl/socket.ipp>
#include <zmqraii/impl/socket_core.ipp>

#endif  // ZMQRAII_IMPL_SRC_ABI_HPP_INCLUDED
