// SPDX-License-Identifier: MIT
/// @file options.hpp
/// Socket types and typed socket and context options.
///
/// Each option is a constexpr tag that carries libzmq's option number, the C++
/// value type and whether it can be read, written or both, so that
/// `s.set(zmqraii::option::linger, 0ms)` and `s.get(zmqraii::option::sndhwm)` are
/// checked at compile time: getting a write-only option does not compile.
///
/// Value types: `int`, `bool`, `std::chrono::milliseconds` for times,
/// `std::int64_t`/`std::uint64_t`, `std::string` for text, `binary` (set from any
/// std::string_view of bytes, read back as std::string) and `curve_key` (set from
/// 32 raw bytes or 40 z85 characters; read back as z85 text).
///
/// Setting a text option to "" clears it (zmqraii passes libzmq the null pointer
/// it wants for that). A value libzmq refuses throws zmqraii::error whose what()
/// names the option and the value, e.g. `set sndhwm = -5 on socket (push, ...):
/// Invalid argument`; secrets (curve_secretkey, plain_password, ...) print as
/// `<hidden>`. Options of newer libzmq versions or of the draft API exist only
/// where the zmq.h in use defines them (`#ifdef ZMQ_...`).
#ifndef ZMQRAII_OPTIONS_HPP_INCLUDED
#define ZMQRAII_OPTIONS_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/detail/text.hpp>

#include <zmq.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace zmqraii {

/// The stable libzmq socket types. The values are libzmq's; a draft type may be
/// passed as `static_cast<socket_type>(ZMQ_SERVER)` when the linked libzmq has
/// the draft API.
enum class socket_type : int {
    pair = ZMQ_PAIR,
    pub = ZMQ_PUB,
    sub = ZMQ_SUB,
    req = ZMQ_REQ,
    rep = ZMQ_REP,
    dealer = ZMQ_DEALER,
    router = ZMQ_ROUTER,
    pull = ZMQ_PULL,
    push = ZMQ_PUSH,
    xpub = ZMQ_XPUB,
    xsub = ZMQ_XSUB,
    stream = ZMQ_STREAM,
};

/// "push", "router", ... ("type 12" for a number zmqraii has no name for).
ZMQRAII_DECL std::string to_string(socket_type t);

/// Who may read or write an option.
enum class access { read = 1, write = 2, read_write = 3 };

/// Value type of options that hold arbitrary bytes (routing ids, topics).
struct binary {};
/// Value type of CURVE key options.
struct curve_key {};
/// Value type of ZMQ_FD (a file descriptor; a SOCKET on Windows).
struct native_fd {};

/// A socket option tag: libzmq's option number, value type and access.
template <int Id, class T, access A>
struct socket_option {
    static constexpr int id = Id;  ///< libzmq's option number (ZMQ_*).
    using value_type = T;          ///< The C++ value type (see the file comment).
    /// True when the option can be read (socket::get()).
    static constexpr bool readable = (static_cast<int>(A) & 1) != 0;
    /// True when the option can be written (socket::set()).
    static constexpr bool writable = (static_cast<int>(A) & 2) != 0;
    /// The option's name as in libzmq without the ZMQ_ prefix, lower case.
    const char* name;
};

/// Every socket option of libzmq 4.3 (and newer or draft ones where zmq.h has them).
namespace option {
/// I/O thread affinity bitmap for new connections.
inline constexpr socket_option<ZMQ_AFFINITY, std::uint64_t, access::read_write> affinity{
    "affinity"};
/// Routing id of this socket as its ROUTER peers see it (1-255 bytes).
inline constexpr socket_option<ZMQ_ROUTING_ID, binary, access::read_write> routing_id{"routing_id"};
/// Adds a SUB/XSUB topic prefix filter ("" = everything).
inline constexpr socket_option<ZMQ_SUBSCRIBE, binary, access::write> subscribe{"subscribe"};
/// Removes a SUB/XSUB topic prefix filter.
inline constexpr socket_option<ZMQ_UNSUBSCRIBE, binary, access::write> unsubscribe{"unsubscribe"};
/// Multicast data rate, kilobits per second.
inline constexpr socket_option<ZMQ_RATE, int, access::read_write> rate{"rate"};
/// Multicast recovery interval.
inline constexpr socket_option<ZMQ_RECOVERY_IVL, std::chrono::milliseconds, access::read_write>
    recovery_ivl{"recovery_ivl"};
/// Kernel transmit buffer size in bytes (-1 = OS default).
inline constexpr socket_option<ZMQ_SNDBUF, int, access::read_write> sndbuf{"sndbuf"};
/// Kernel receive buffer size in bytes (-1 = OS default).
inline constexpr socket_option<ZMQ_RCVBUF, int, access::read_write> rcvbuf{"rcvbuf"};
/// True when the last message received has more parts.
inline constexpr socket_option<ZMQ_RCVMORE, bool, access::read> rcvmore{"rcvmore"};
/// File descriptor that signals (edge-triggered) that events may be pending.
inline constexpr socket_option<ZMQ_FD, native_fd, access::read> fd{"fd"};
/// ZMQ_POLLIN / ZMQ_POLLOUT bits for the socket now.
inline constexpr socket_option<ZMQ_EVENTS, int, access::read> events{"events"};
/// The socket type (a ZMQ_* type number).
inline constexpr socket_option<ZMQ_TYPE, int, access::read> type{"type"};
/// How long pending outbound messages are kept after close (-1 ms = forever). Set by zmqraii at
/// creation from context_options::linger; it can no longer change once the context stops.
inline constexpr socket_option<ZMQ_LINGER, std::chrono::milliseconds, access::read_write> linger{
    "linger"};
/// Initial reconnection interval (-1 ms = no reconnection).
inline constexpr socket_option<ZMQ_RECONNECT_IVL, std::chrono::milliseconds, access::read_write>
    reconnect_ivl{"reconnect_ivl"};
/// Maximum length of the queue of pending connections.
inline constexpr socket_option<ZMQ_BACKLOG, int, access::read_write> backlog{"backlog"};
/// Maximum reconnection interval (0 = only reconnect_ivl).
inline constexpr socket_option<ZMQ_RECONNECT_IVL_MAX, std::chrono::milliseconds, access::read_write>
    reconnect_ivl_max{"reconnect_ivl_max"};
/// Largest inbound message in bytes; larger ones drop the peer (-1 = no limit).
inline constexpr socket_option<ZMQ_MAXMSGSIZE, std::int64_t, access::read_write> maxmsgsize{
    "maxmsgsize"};
/// High-water mark for outbound messages (0 = no limit).
inline constexpr socket_option<ZMQ_SNDHWM, int, access::read_write> sndhwm{"sndhwm"};
/// High-water mark for inbound messages (0 = no limit).
inline constexpr socket_option<ZMQ_RCVHWM, int, access::read_write> rcvhwm{"rcvhwm"};
/// Maximum network hops for multicast packets.
inline constexpr socket_option<ZMQ_MULTICAST_HOPS, int, access::read_write> multicast_hops{
    "multicast_hops"};
/// Receive timeout of blocking receives (-1 ms = infinite). When set, recv() throws
/// zmqraii::error (EAGAIN, "timed out") once it expires; recv_for() is the usual way.
inline constexpr socket_option<ZMQ_RCVTIMEO, std::chrono::milliseconds, access::read_write>
    rcvtimeo{"rcvtimeo"};
/// Send timeout of blocking sends (-1 ms = infinite). When set, send() throws
/// zmqraii::error (EAGAIN) once it expires; send_for() is the usual way.
inline constexpr socket_option<ZMQ_SNDTIMEO, std::chrono::milliseconds, access::read_write>
    sndtimeo{"sndtimeo"};
/// The endpoint last bound or connected, with wildcards resolved (tcp://127.0.0.1:41234).
inline constexpr socket_option<ZMQ_LAST_ENDPOINT, std::string, access::read> last_endpoint{
    "last_endpoint"};
/// ROUTER: fail with EHOSTUNREACH instead of dropping unroutable messages.
inline constexpr socket_option<ZMQ_ROUTER_MANDATORY, bool, access::write> router_mandatory{
    "router_mandatory"};
/// SO_KEEPALIVE: -1 OS default, 0 off, 1 on.
inline constexpr socket_option<ZMQ_TCP_KEEPALIVE, int, access::read_write> tcp_keepalive{
    "tcp_keepalive"};
/// TCP_KEEPCNT (-1 = OS default).
inline constexpr socket_option<ZMQ_TCP_KEEPALIVE_CNT, int, access::read_write> tcp_keepalive_cnt{
    "tcp_keepalive_cnt"};
/// TCP_KEEPIDLE in seconds (-1 = OS default).
inline constexpr socket_option<ZMQ_TCP_KEEPALIVE_IDLE, int, access::read_write> tcp_keepalive_idle{
    "tcp_keepalive_idle"};
/// TCP_KEEPINTVL in seconds (-1 = OS default).
inline constexpr socket_option<ZMQ_TCP_KEEPALIVE_INTVL, int, access::read_write>
    tcp_keepalive_intvl{"tcp_keepalive_intvl"};
/// Deprecated by libzmq (use ZAP): adds an accepted TCP peer address; "" clears.
inline constexpr socket_option<ZMQ_TCP_ACCEPT_FILTER, std::string, access::write> tcp_accept_filter{
    "tcp_accept_filter"};
/// Queue messages only to completed connections.
inline constexpr socket_option<ZMQ_IMMEDIATE, bool, access::read_write> immediate{"immediate"};
/// XPUB: pass on every subscription message, duplicates too.
inline constexpr socket_option<ZMQ_XPUB_VERBOSE, bool, access::write> xpub_verbose{"xpub_verbose"};
/// Deprecated by libzmq (use STREAM): raw ROUTER mode.
inline constexpr socket_option<ZMQ_ROUTER_RAW, bool, access::write> router_raw{"router_raw"};
/// Enable IPv6 on the socket.
inline constexpr socket_option<ZMQ_IPV6, bool, access::read_write> ipv6{"ipv6"};
/// Deprecated by libzmq (use ipv6): the inverse of ipv6.
inline constexpr socket_option<ZMQ_IPV4ONLY, bool, access::read_write> ipv4only{"ipv4only"};
/// Security mechanism: ZMQ_NULL, ZMQ_PLAIN, ZMQ_CURVE or ZMQ_GSSAPI.
inline constexpr socket_option<ZMQ_MECHANISM, int, access::read> mechanism{"mechanism"};
/// Act as PLAIN server.
inline constexpr socket_option<ZMQ_PLAIN_SERVER, bool, access::read_write> plain_server{
    "plain_server"};
/// PLAIN client user name.
inline constexpr socket_option<ZMQ_PLAIN_USERNAME, std::string, access::read_write> plain_username{
    "plain_username"};
/// PLAIN client password.
inline constexpr socket_option<ZMQ_PLAIN_PASSWORD, std::string, access::read_write> plain_password{
    "plain_password"};
/// Act as CURVE server.
inline constexpr socket_option<ZMQ_CURVE_SERVER, bool, access::read_write> curve_server{
    "curve_server"};
/// This socket's CURVE public key: 32 bytes or 40 z85 characters on set; z85 text on get.
inline constexpr socket_option<ZMQ_CURVE_PUBLICKEY, curve_key, access::read_write> curve_publickey{
    "curve_publickey"};
/// This socket's CURVE secret key: 32 bytes or 40 z85 characters on set; z85 text on get.
inline constexpr socket_option<ZMQ_CURVE_SECRETKEY, curve_key, access::read_write> curve_secretkey{
    "curve_secretkey"};
/// The CURVE server's public key (client side): 32 bytes or 40 z85 characters on set; z85 text on
/// get.
inline constexpr socket_option<ZMQ_CURVE_SERVERKEY, curve_key, access::read_write> curve_serverkey{
    "curve_serverkey"};
/// Send an empty message to ROUTER peers on connect.
inline constexpr socket_option<ZMQ_PROBE_ROUTER, bool, access::write> probe_router{"probe_router"};
/// REQ: match replies with requests by id.
inline constexpr socket_option<ZMQ_REQ_CORRELATE, bool, access::write> req_correlate{
    "req_correlate"};
/// REQ: allow a new request before the previous reply.
inline constexpr socket_option<ZMQ_REQ_RELAXED, bool, access::write> req_relaxed{"req_relaxed"};
/// Keep only the last message in the queue (single-part messages only).
inline constexpr socket_option<ZMQ_CONFLATE, bool, access::read_write> conflate{"conflate"};
/// The ZAP authentication domain.
inline constexpr socket_option<ZMQ_ZAP_DOMAIN, std::string, access::read_write> zap_domain{
    "zap_domain"};
/// ROUTER: a new peer with a used routing id takes it over.
inline constexpr socket_option<ZMQ_ROUTER_HANDOVER, bool, access::write> router_handover{
    "router_handover"};
/// IP type-of-service of outgoing packets.
inline constexpr socket_option<ZMQ_TOS, int, access::read_write> tos{"tos"};
/// Deprecated by libzmq (use ZAP): accepted IPC peer process id.
inline constexpr socket_option<ZMQ_IPC_FILTER_PID, int, access::write> ipc_filter_pid{
    "ipc_filter_pid"};
/// Deprecated by libzmq (use ZAP): accepted IPC peer user id.
inline constexpr socket_option<ZMQ_IPC_FILTER_UID, int, access::write> ipc_filter_uid{
    "ipc_filter_uid"};
/// Deprecated by libzmq (use ZAP): accepted IPC peer group id.
inline constexpr socket_option<ZMQ_IPC_FILTER_GID, int, access::write> ipc_filter_gid{
    "ipc_filter_gid"};
/// Routing id to give the peer of the next connect().
inline constexpr socket_option<ZMQ_CONNECT_ROUTING_ID, binary, access::write> connect_routing_id{
    "connect_routing_id"};
/// Act as GSSAPI server.
inline constexpr socket_option<ZMQ_GSSAPI_SERVER, bool, access::read_write> gssapi_server{
    "gssapi_server"};
/// GSSAPI principal of this socket.
inline constexpr socket_option<ZMQ_GSSAPI_PRINCIPAL, std::string, access::read_write>
    gssapi_principal{"gssapi_principal"};
/// GSSAPI principal of the server.
inline constexpr socket_option<ZMQ_GSSAPI_SERVICE_PRINCIPAL, std::string, access::read_write>
    gssapi_service_principal{"gssapi_service_principal"};
/// GSSAPI without encryption.
inline constexpr socket_option<ZMQ_GSSAPI_PLAINTEXT, bool, access::read_write> gssapi_plaintext{
    "gssapi_plaintext"};
/// Name type of gssapi_principal.
inline constexpr socket_option<ZMQ_GSSAPI_PRINCIPAL_NAMETYPE, int, access::read_write>
    gssapi_principal_nametype{"gssapi_principal_nametype"};
/// Name type of gssapi_service_principal.
inline constexpr socket_option<ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE, int, access::read_write>
    gssapi_service_principal_nametype{"gssapi_service_principal_nametype"};
/// Maximum ZMTP handshake time (0 = none).
inline constexpr socket_option<ZMQ_HANDSHAKE_IVL, std::chrono::milliseconds, access::read_write>
    handshake_ivl{"handshake_ivl"};
/// SOCKS5 proxy address for tcp connects.
inline constexpr socket_option<ZMQ_SOCKS_PROXY, std::string, access::read_write> socks_proxy{
    "socks_proxy"};
/// XPUB: EAGAIN instead of dropping at the high-water mark.
inline constexpr socket_option<ZMQ_XPUB_NODROP, bool, access::write> xpub_nodrop{"xpub_nodrop"};
/// XPUB: subscriptions are set by hand with subscribe/unsubscribe.
inline constexpr socket_option<ZMQ_XPUB_MANUAL, bool, access::write> xpub_manual{"xpub_manual"};
/// XPUB: message sent to each new subscriber.
inline constexpr socket_option<ZMQ_XPUB_WELCOME_MSG, binary, access::write> xpub_welcome_msg{
    "xpub_welcome_msg"};
/// STREAM: empty messages on connect and disconnect.
inline constexpr socket_option<ZMQ_STREAM_NOTIFY, bool, access::write> stream_notify{
    "stream_notify"};
/// PUB/SUB: topics that do NOT match are delivered.
inline constexpr socket_option<ZMQ_INVERT_MATCHING, bool, access::read_write> invert_matching{
    "invert_matching"};
/// Interval between ZMTP PINGs (0 = off).
inline constexpr socket_option<ZMQ_HEARTBEAT_IVL, std::chrono::milliseconds, access::read_write>
    heartbeat_ivl{"heartbeat_ivl"};
/// Time-to-live sent with PINGs (multiple of 100 ms).
inline constexpr socket_option<ZMQ_HEARTBEAT_TTL, std::chrono::milliseconds, access::read_write>
    heartbeat_ttl{"heartbeat_ttl"};
/// How long to wait for a PONG before closing.
inline constexpr socket_option<ZMQ_HEARTBEAT_TIMEOUT, std::chrono::milliseconds, access::read_write>
    heartbeat_timeout{"heartbeat_timeout"};
/// XPUB: pass on every subscribe and unsubscribe message.
inline constexpr socket_option<ZMQ_XPUB_VERBOSER, bool, access::write> xpub_verboser{
    "xpub_verboser"};
/// TCP connect timeout (0 = OS default).
inline constexpr socket_option<ZMQ_CONNECT_TIMEOUT, std::chrono::milliseconds, access::read_write>
    connect_timeout{"connect_timeout"};
/// TCP_MAXRT: maximum retransmit timeout (0 = OS default).
inline constexpr socket_option<ZMQ_TCP_MAXRT, std::chrono::milliseconds, access::read_write>
    tcp_maxrt{"tcp_maxrt"};
/// True for the thread-safe (draft) socket types.
inline constexpr socket_option<ZMQ_THREAD_SAFE, bool, access::read> thread_safe{"thread_safe"};
/// Maximum multicast transport data unit size.
inline constexpr socket_option<ZMQ_MULTICAST_MAXTPDU, int, access::read_write> multicast_maxtpdu{
    "multicast_maxtpdu"};
/// Use a pre-bound file descriptor for the next bind (-1 = none).
inline constexpr socket_option<ZMQ_USE_FD, int, access::read_write> use_fd{"use_fd"};
/// SO_BINDTODEVICE interface name.
inline constexpr socket_option<ZMQ_BINDTODEVICE, std::string, access::read_write> bindtodevice{
    "bindtodevice"};
/// VMCI transport buffer size.
inline constexpr socket_option<ZMQ_VMCI_BUFFER_SIZE, std::uint64_t, access::read_write>
    vmci_buffer_size{"vmci_buffer_size"};
/// VMCI transport minimum buffer size.
inline constexpr socket_option<ZMQ_VMCI_BUFFER_MIN_SIZE, std::uint64_t, access::read_write>
    vmci_buffer_min_size{"vmci_buffer_min_size"};
/// VMCI transport maximum buffer size.
inline constexpr socket_option<ZMQ_VMCI_BUFFER_MAX_SIZE, std::uint64_t, access::read_write>
    vmci_buffer_max_size{"vmci_buffer_max_size"};
/// VMCI transport connect timeout.
inline constexpr socket_option<ZMQ_VMCI_CONNECT_TIMEOUT, std::chrono::milliseconds,
                               access::read_write>
    vmci_connect_timeout{"vmci_connect_timeout"};
#ifdef ZMQ_ZAP_ENFORCE_DOMAIN
/// Require a ZAP domain to match (draft).
inline constexpr socket_option<ZMQ_ZAP_ENFORCE_DOMAIN, bool, access::read_write> zap_enforce_domain{
    "zap_enforce_domain"};
#endif
#ifdef ZMQ_LOOPBACK_FASTPATH
/// Windows loopback fast path (draft).
inline constexpr socket_option<ZMQ_LOOPBACK_FASTPATH, bool, access::read_write> loopback_fastpath{
    "loopback_fastpath"};
#endif
#ifdef ZMQ_METADATA
/// Adds application metadata "X-key:value" (draft).
inline constexpr socket_option<ZMQ_METADATA, std::string, access::write> metadata{"metadata"};
#endif
#ifdef ZMQ_MULTICAST_LOOP
/// Loop multicast back to the sender (draft).
inline constexpr socket_option<ZMQ_MULTICAST_LOOP, bool, access::read_write> multicast_loop{
    "multicast_loop"};
#endif
#ifdef ZMQ_ROUTER_NOTIFY
/// ROUTER connect/disconnect notifications (draft).
inline constexpr socket_option<ZMQ_ROUTER_NOTIFY, int, access::read_write> router_notify{
    "router_notify"};
#endif
#ifdef ZMQ_XPUB_MANUAL_LAST_VALUE
/// XPUB manual with last-value caching (draft).
inline constexpr socket_option<ZMQ_XPUB_MANUAL_LAST_VALUE, bool, access::write>
    xpub_manual_last_value{"xpub_manual_last_value"};
#endif
#ifdef ZMQ_SOCKS_USERNAME
/// SOCKS5 user name (draft).
inline constexpr socket_option<ZMQ_SOCKS_USERNAME, std::string, access::read_write> socks_username{
    "socks_username"};
#endif
#ifdef ZMQ_SOCKS_PASSWORD
/// SOCKS5 password (draft).
inline constexpr socket_option<ZMQ_SOCKS_PASSWORD, std::string, access::read_write> socks_password{
    "socks_password"};
#endif
#ifdef ZMQ_IN_BATCH_SIZE
/// Inbound batch size in bytes (draft).
inline constexpr socket_option<ZMQ_IN_BATCH_SIZE, int, access::read_write> in_batch_size{
    "in_batch_size"};
#endif
#ifdef ZMQ_OUT_BATCH_SIZE
/// Outbound batch size in bytes (draft).
inline constexpr socket_option<ZMQ_OUT_BATCH_SIZE, int, access::read_write> out_batch_size{
    "out_batch_size"};
#endif
#ifdef ZMQ_ONLY_FIRST_SUBSCRIBE
/// Only the first part of a multipart is a subscription (draft).
inline constexpr socket_option<ZMQ_ONLY_FIRST_SUBSCRIBE, bool, access::read_write>
    only_first_subscribe{"only_first_subscribe"};
#endif
#ifdef ZMQ_RECONNECT_STOP
/// When to stop reconnecting (draft).
inline constexpr socket_option<ZMQ_RECONNECT_STOP, int, access::read_write> reconnect_stop{
    "reconnect_stop"};
#endif
#ifdef ZMQ_HELLO_MSG
/// Message sent to each new peer (draft).
inline constexpr socket_option<ZMQ_HELLO_MSG, binary, access::write> hello_msg{"hello_msg"};
#endif
#ifdef ZMQ_DISCONNECT_MSG
/// Message received when a peer disconnects (draft).
inline constexpr socket_option<ZMQ_DISCONNECT_MSG, binary, access::write> disconnect_msg{
    "disconnect_msg"};
#endif
#ifdef ZMQ_PRIORITY
/// SO_PRIORITY of outgoing packets (draft).
inline constexpr socket_option<ZMQ_PRIORITY, int, access::read_write> priority{"priority"};
#endif
#ifdef ZMQ_WSS_KEY_PEM
/// WSS transport: private key in PEM (draft).
inline constexpr socket_option<ZMQ_WSS_KEY_PEM, std::string, access::write> wss_key_pem{
    "wss_key_pem"};
#endif
#ifdef ZMQ_WSS_CERT_PEM
/// WSS transport: certificate in PEM (draft).
inline constexpr socket_option<ZMQ_WSS_CERT_PEM, std::string, access::write> wss_cert_pem{
    "wss_cert_pem"};
#endif
#ifdef ZMQ_WSS_TRUST_PEM
/// WSS transport: trusted certificate in PEM (draft).
inline constexpr socket_option<ZMQ_WSS_TRUST_PEM, std::string, access::write> wss_trust_pem{
    "wss_trust_pem"};
#endif
#ifdef ZMQ_WSS_HOSTNAME
/// WSS transport: host name to verify the server certificate against (draft).
inline constexpr socket_option<ZMQ_WSS_HOSTNAME, std::string, access::write> wss_hostname{
    "wss_hostname"};
#endif
#ifdef ZMQ_WSS_TRUST_SYSTEM
/// WSS transport: trust the system's certificate store (draft).
inline constexpr socket_option<ZMQ_WSS_TRUST_SYSTEM, bool, access::write> wss_trust_system{
    "wss_trust_system"};
#endif
#ifdef ZMQ_BUSY_POLL
/// SO_BUSY_POLL on tcp sockets (draft).
inline constexpr socket_option<ZMQ_BUSY_POLL, int, access::write> busy_poll{"busy_poll"};
#endif
#ifdef ZMQ_HICCUP_MSG
/// Message a connecting peer receives when its connection hiccups (draft).
inline constexpr socket_option<ZMQ_HICCUP_MSG, binary, access::write> hiccup_msg{"hiccup_msg"};
#endif
#ifdef ZMQ_XSUB_VERBOSE_UNSUBSCRIBE
/// XSUB: pass on every unsubscribe message (draft).
inline constexpr socket_option<ZMQ_XSUB_VERBOSE_UNSUBSCRIBE, bool, access::write>
    xsub_verbose_unsubscribe{"xsub_verbose_unsubscribe"};
#endif
#ifdef ZMQ_TOPICS_COUNT
/// XPUB/XSUB: number of topics subscribed (draft).
inline constexpr socket_option<ZMQ_TOPICS_COUNT, int, access::read> topics_count{"topics_count"};
#endif
#ifdef ZMQ_NORM_MODE
/// NORM transport: congestion control mode, ZMQ_NORM_FIXED... (draft).
inline constexpr socket_option<ZMQ_NORM_MODE, int, access::read_write> norm_mode{"norm_mode"};
#endif
#ifdef ZMQ_NORM_UNICAST_NACK
/// NORM transport: unicast NACKs (draft).
inline constexpr socket_option<ZMQ_NORM_UNICAST_NACK, bool, access::read_write> norm_unicast_nack{
    "norm_unicast_nack"};
#endif
#ifdef ZMQ_NORM_BUFFER_SIZE
/// NORM transport: buffer size in kilobytes (draft).
inline constexpr socket_option<ZMQ_NORM_BUFFER_SIZE, int, access::read_write> norm_buffer_size{
    "norm_buffer_size"};
#endif
#ifdef ZMQ_NORM_SEGMENT_SIZE
/// NORM transport: segment size in bytes (draft).
inline constexpr socket_option<ZMQ_NORM_SEGMENT_SIZE, int, access::read_write> norm_segment_size{
    "norm_segment_size"};
#endif
#ifdef ZMQ_NORM_BLOCK_SIZE
/// NORM transport: block size in segments (draft).
inline constexpr socket_option<ZMQ_NORM_BLOCK_SIZE, int, access::read_write> norm_block_size{
    "norm_block_size"};
#endif
#ifdef ZMQ_NORM_NUM_PARITY
/// NORM transport: parity segments per block (draft).
inline constexpr socket_option<ZMQ_NORM_NUM_PARITY, int, access::read_write> norm_num_parity{
    "norm_num_parity"};
#endif
#ifdef ZMQ_NORM_NUM_AUTOPARITY
/// NORM transport: proactive parity segments (draft).
inline constexpr socket_option<ZMQ_NORM_NUM_AUTOPARITY, int, access::read_write>
    norm_num_autoparity{"norm_num_autoparity"};
#endif
#ifdef ZMQ_NORM_PUSH
/// NORM transport: push mode (draft).
inline constexpr socket_option<ZMQ_NORM_PUSH, bool, access::read_write> norm_push{"norm_push"};
#endif
}  // namespace option

/// A context option tag (zmq_ctx_set / zmq_ctx_get take ints).
template <int Id, access A>
struct context_option {
    static constexpr int id = Id;  ///< libzmq's option number (ZMQ_*).
    using value_type = int;        ///< zmq_ctx_set / zmq_ctx_get take ints.
    /// True when the option can be read (context::get()).
    static constexpr bool readable = (static_cast<int>(A) & 1) != 0;
    /// True when the option can be written (context::set()).
    static constexpr bool writable = (static_cast<int>(A) & 2) != 0;
    /// True when the option only takes effect before the first socket exists.
    bool before_first_socket;
    /// The option's name as in libzmq without the ZMQ_ prefix, lower case.
    const char* name;
};

/// Context options (zmq_ctx_set / zmq_ctx_get).
namespace ctx_option {
/// Number of I/O threads. Only before the first socket.
inline constexpr context_option<ZMQ_IO_THREADS, access::read_write> io_threads{true, "io_threads"};
/// Maximum number of sockets. Only before the first socket.
inline constexpr context_option<ZMQ_MAX_SOCKETS, access::read_write> max_sockets{true,
                                                                                 "max_sockets"};
/// The largest max_sockets value libzmq accepts.
inline constexpr context_option<ZMQ_SOCKET_LIMIT, access::read> socket_limit{false, "socket_limit"};
/// Scheduling priority of the I/O threads. Only before the first socket.
inline constexpr context_option<ZMQ_THREAD_PRIORITY, access::write> thread_priority{
    true, "thread_priority"};
/// Scheduling policy of the I/O threads. Only before the first socket.
inline constexpr context_option<ZMQ_THREAD_SCHED_POLICY, access::write> thread_sched_policy{
    true, "thread_sched_policy"};
/// Largest message size the context allows.
inline constexpr context_option<ZMQ_MAX_MSGSZ, access::read_write> max_msgsz{false, "max_msgsz"};
/// sizeof(zmq_msg_t) of the linked libzmq.
inline constexpr context_option<ZMQ_MSG_T_SIZE, access::read> msg_t_size{false, "msg_t_size"};
/// Adds a CPU to the I/O threads' affinity. Only before the first socket.
inline constexpr context_option<ZMQ_THREAD_AFFINITY_CPU_ADD, access::write> thread_affinity_cpu_add{
    true, "thread_affinity_cpu_add"};
/// Removes a CPU from the I/O threads' affinity. Only before the first socket.
inline constexpr context_option<ZMQ_THREAD_AFFINITY_CPU_REMOVE, access::write>
    thread_affinity_cpu_remove{true, "thread_affinity_cpu_remove"};
/// Numeric prefix of the I/O threads' names. Only before the first socket.
inline constexpr context_option<ZMQ_THREAD_NAME_PREFIX, access::write> thread_name_prefix{
    true, "thread_name_prefix"};
/// Default IPv6 setting of new sockets.
inline constexpr context_option<ZMQ_IPV6, access::read_write> ipv6{false, "ipv6"};
/// Legacy: default infinite linger for new sockets (zmqraii sets linger per socket).
inline constexpr context_option<ZMQ_BLOCKY, access::read_write> blocky{false, "blocky"};
#ifdef ZMQ_ZERO_COPY_RECV
/// Receive large messages without a copy (draft).
inline constexpr context_option<ZMQ_ZERO_COPY_RECV, access::read_write> zero_copy_recv{
    false, "zero_copy_recv"};
#endif
}  // namespace ctx_option

}  // namespace zmqraii

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/options.ipp>
#endif

#endif  // ZMQRAII_OPTIONS_HPP_INCLUDED
