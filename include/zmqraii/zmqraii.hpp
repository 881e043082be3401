// SPDX-License-Identifier: MIT
/// @file zmqraii.hpp
/// The umbrella header: includes every public zmqraii header except the
/// optional ones, which are included where they are used: loop.hpp, task.hpp
/// (C++20 coroutines) and asio.hpp (needs standalone Asio). They would add
/// about a fifth to its compile time (docs/loop-and-coroutines.md).
#ifndef ZMQRAII_ZMQRAII_HPP_INCLUDED
#define ZMQRAII_ZMQRAII_HPP_INCLUDED

#include <zmqraii/auth.hpp>
#include <zmqraii/buffer.hpp>
#include <zmqraii/cert.hpp>
#include <zmqraii/config.hpp>
#include <zmqraii/context.hpp>
#include <zmqraii/curve.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/mailbox.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/monitor.hpp>
#include <zmqraii/monitor_event.hpp>
#include <zmqraii/multipart.hpp>
#include <zmqraii/naming.hpp>
#include <zmqraii/options.hpp>
#include <zmqraii/poller.hpp>
#include <zmqraii/proxy.hpp>
#include <zmqraii/socket.hpp>
#include <zmqraii/version.hpp>
#include <zmqraii/worker.hpp>
#include <zmqraii/worker_pipe.hpp>
#include <zmqraii/zap_decision.hpp>

#endif  // ZMQRAII_ZMQRAII_HPP_INCLUDED
