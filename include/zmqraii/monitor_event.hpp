// SPDX-License-Identifier: MIT
/// @file monitor_event.hpp
/// Socket events as values: event_kind, event_set and monitor_event, as
/// socket_monitor and monitor_thread (monitor.hpp) deliver them.
#ifndef ZMQRAII_MONITOR_EVENT_HPP_INCLUDED
#define ZMQRAII_MONITOR_EVENT_HPP_INCLUDED

#include <zmqraii/config.hpp>

#include <zmq.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace zmqraii {

/// What happened on a monitored socket; the values are libzmq's ZMQ_EVENT_* bits.
enum class event_kind : std::uint16_t {
    /// A connect succeeded. value: the connection's file descriptor.
    connected = ZMQ_EVENT_CONNECTED,
    /// A connect is in progress (asynchronous). value: the errno of the attempt.
    connect_delayed = ZMQ_EVENT_CONNECT_DELAYED,
    /// A reconnect was scheduled. value: the reconnect interval in ms.
    connect_retried = ZMQ_EVENT_CONNECT_RETRIED,
    /// The socket listens on a bound endpoint. value: the listening file descriptor.
    listening = ZMQ_EVENT_LISTENING,
    /// A bind failed. value: errno.
    bind_failed = ZMQ_EVENT_BIND_FAILED,
    /// A peer's connection was accepted. value: the connection's file descriptor.
    accepted = ZMQ_EVENT_ACCEPTED,
    /// Accepting a connection failed. value: errno.
    accept_failed = ZMQ_EVENT_ACCEPT_FAILED,
    /// A connection or listener was closed. value: its file descriptor.
    closed = ZMQ_EVENT_CLOSED,
    /// Closing failed. value: errno.
    close_failed = ZMQ_EVENT_CLOSE_FAILED,
    /// A session broke (the peer went away). value: the connection's file descriptor.
    disconnected = ZMQ_EVENT_DISCONNECTED,
    /// Monitoring ended (the monitor was stopped or the monitored socket closed);
    /// always the last event. value: 0.
    monitor_stopped = ZMQ_EVENT_MONITOR_STOPPED,
    /// A handshake failed for a system reason. value: errno.
    handshake_failed_no_detail = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL,
    /// A handshake (and authentication, where enabled) succeeded. value: 0.
    handshake_succeeded = ZMQ_EVENT_HANDSHAKE_SUCCEEDED,
    /// A handshake broke the protocol. value: a ZMQ_PROTOCOL_ERROR_* code.
    handshake_failed_protocol = ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
    /// Authentication was refused. value: the ZAP status code (300, 400 or 500).
    handshake_failed_auth = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH,
};

/// "connected", "handshake_failed_auth", ... ("event 0x8000" for a bit zmqraii
/// has no name for).
inline std::string to_string(event_kind k) {
    switch (k) {
        case event_kind::connected: return "connected";
        case event_kind::connect_delayed: return "connect_delayed";
        case event_kind::connect_retried: return "connect_retried";
        case event_kind::listening: return "listening";
        case event_kind::bind_failed: return "bind_failed";
        case event_kind::accepted: return "accepted";
        case event_kind::accept_failed: return "accept_failed";
        case event_kind::closed: return "closed";
        case event_kind::close_failed: return "close_failed";
        case event_kind::disconnected: return "disconnected";
        case event_kind::monitor_stopped: return "monitor_stopped";
        case event_kind::handshake_failed_no_detail: return "handshake_failed_no_detail";
        case event_kind::handshake_succeeded: return "handshake_succeeded";
        case event_kind::handshake_failed_protocol: return "handshake_failed_protocol";
        case event_kind::handshake_failed_auth: return "handshake_failed_auth";
    }
    char buf[24];
    std::snprintf(buf, sizeof buf, "event 0x%04x", static_cast<unsigned>(k));
    return buf;
}

/// A set of event kinds: `event_kind::connected | event_kind::disconnected`.
/**
 * @par Thread Safety
 * A value: any thread may use it.
 */
class event_set {
public:
    /// The empty set.
    constexpr event_set() noexcept = default;
    /// The set of one kind (implicit, so that a single kind passes as a set).
    constexpr event_set(event_kind k) noexcept  // NOLINT(google-explicit-constructor)
        : bits_(static_cast<std::uint16_t>(k)) {}

    /// A set from libzmq's ZMQ_EVENT_* bits.
    static constexpr event_set from_bits(std::uint16_t bits) noexcept {
        event_set s;
        s.bits_ = bits;
        return s;
    }
    /// Every event (ZMQ_EVENT_ALL).
    static constexpr event_set all() noexcept { return from_bits(ZMQ_EVENT_ALL); }

    /// The ZMQ_EVENT_* bits.
    constexpr std::uint16_t bits() const noexcept { return bits_; }
    /// True when `k` is in the set.
    constexpr bool contains(event_kind k) const noexcept {
        return (bits_ & static_cast<std::uint16_t>(k)) != 0;
    }
    /// True for the empty set.
    constexpr bool empty() const noexcept { return bits_ == 0; }

    /// The union of two sets.
    friend constexpr event_set operator|(event_set a, event_set b) noexcept {
        return from_bits(static_cast<std::uint16_t>(a.bits_ | b.bits_));
    }
    /// Same bits.
    friend constexpr bool operator==(event_set a, event_set b) noexcept {
        return a.bits_ == b.bits_;
    }
    /// Different bits.
    friend constexpr bool operator!=(event_set a, event_set b) noexcept { return !(a == b); }

private:
    std::uint16_t bits_ = 0;
};

/// The set of two kinds.
constexpr event_set operator|(event_kind a, event_kind b) noexcept {
    return event_set(a) | event_set(b);
}

/// One event of a monitored socket.
struct monitor_event {
    /// What happened.
    event_kind kind;
    /// The event's value: a file descriptor, an errno, a reconnect interval, a
    /// protocol error or a ZAP status code, depending on `kind` (see event_kind).
    std::uint32_t value;
    /// The endpoint concerned ("tcp://127.0.0.1:5555"); empty for monitor_stopped.
    std::string endpoint;

    /// "accepted tcp://127.0.0.1:5555 (fd 12)", "bind_failed tcp://... (errno 98:
    /// Address already in use)", "monitor_stopped".
    std::string to_string() const {
        std::string s = zmqraii::to_string(kind);
        if (!endpoint.empty()) s += " " + endpoint;
        switch (kind) {
            case event_kind::connected:
            case event_kind::listening:
            case event_kind::accepted:
            case event_kind::closed:
            case event_kind::disconnected: s += " (fd " + std::to_string(value) + ")"; break;
            case event_kind::connect_delayed:
            case event_kind::bind_failed:
            case event_kind::accept_failed:
            case event_kind::close_failed:
            case event_kind::handshake_failed_no_detail:
                s += " (errno " + std::to_string(value) + ": " +
                     zmq_strerror(static_cast<int>(value)) + ")";
                break;
            case event_kind::connect_retried:
                s += " (retry in " + std::to_string(value) + " ms)";
                break;
            case event_kind::handshake_failed_protocol: {
                char buf[32];
                std::snprintf(buf, sizeof buf, " (protocol error 0x%08x)", value);
                s += buf;
                break;
            }
            case event_kind::handshake_failed_auth:
                s += " (ZAP status " + std::to_string(value) + ")";
                break;
            default: break;
        }
        return s;
    }
};

}  // namespace zmqraii

#endif  // ZMQRAII_MONITOR_EVENT_HPP_INCLUDED
