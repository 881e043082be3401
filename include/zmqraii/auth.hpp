// SPDX-License-Identifier: MIT
/// @file auth.hpp
/// zmqraii::authenticator: a ZAP handler (ZeroMQ RFC 27) on its own worker
/// thread, that decides which peers may connect to the context's NULL, PLAIN
/// and CURVE server sockets.
///
/// - IP address allow and deny lists, compared as addresses (127.0.0.1 and
///   <tt>\::ffff:127.0.0.1</tt> are one address).
/// - PLAIN users and passwords, in memory or from a private `user=password` file.
/// - CURVE client public keys: a list (or a directory of certificates, cert.hpp),
///   or any key.
/// - A log of every decision, off by default, that never contains a password;
///   what peers chose is escaped and bounded in it.
///
/// make_plain_server() / make_plain_client() set up PLAIN sockets;
/// make_curve_server() / make_curve_client() (cert.hpp) CURVE ones.
/// docs/security.md says how to use them and what they do not protect against.
#ifndef ZMQRAII_AUTH_HPP_INCLUDED
#define ZMQRAII_AUTH_HPP_INCLUDED

#include <zmqraii/cert.hpp>
#include <zmqraii/config.hpp>
#include <zmqraii/context.hpp>
#include <zmqraii/curve.hpp>
#include <zmqraii/detail/zap.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/socket.hpp>
#include <zmqraii/worker.hpp>
#include <zmqraii/zap_decision.hpp>

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace zmqraii {

ZMQRAII_ABI_BEGIN

/// A ZAP handler (RFC 27) for one context, running on its own worker thread.
/**
 * @code
 * zmqraii::context ctx;
 * zmqraii::authenticator auth(ctx);           // before the server binds
 * auth.allow_curve_key(client.public_key());  // or load_curve_keys("keys/")
 * zmqraii::socket server(ctx, zmqraii::socket_type::router);
 * zmqraii::make_curve_server(server, server_cert);
 * server.bind("tcp://0.0.0.0:5555");
 * @endcode
 *
 * @par What it decides
 * libzmq asks the handler about every handshake on a server socket: PLAIN and
 * CURVE always, NULL only when the socket has option::zap_domain set (libzmq
 * 4.3). Each request gets, in order:
 * 1. The address filters: the peer's IP address must be in the allow list when
 *    there is one, and not in the deny list. The all_domains lists apply to every
 *    request, a domain's own lists to its requests as well; both must pass.
 *    Addresses are compared as addresses, not as text: an IPv4 address equals
 *    its IPv4-mapped IPv6 form (a server with option::ipv6 on reports IPv4
 *    peers as <tt>\::ffff:a.b.c.d</tt>), IPv6 spellings are equal whatever their zeros
 *    and case, and the zone of a link-local peer (`%eth0`) is ignored. A peer
 *    without an IP address (ipc: `localhost:uid:gid:pid`) fails an allow list
 *    and passes a deny list.
 * 2. The mechanism: NULL passes (user id "anonymous", as pyzmq gives it);
 *    PLAIN needs a configured user and the right password (user id: the user
 *    name); CURVE needs an allowed client key, or allow_any_curve() (user id:
 *    the key in Z85). Credentials come from the request's domain when that domain
 *    has its own PLAIN users (or CURVE keys), else from all_domains. With none
 *    configured, PLAIN and CURVE clients are refused. Other mechanisms are
 *    refused.
 *
 * Replies are 200 (accepted), 400 (refused) or 500 (a request that does not
 * follow RFC 27's layout: no empty delimiter frame, wrong version, too few
 * frames, the wrong number of credential frames for its mechanism). A refused
 * client's handshake fails; it gets no message through and the server receives
 * nothing from it. The handler is a ROUTER socket, so that it sees the
 * delimiter frame: a REP socket would take every frame up to the first empty one
 * as the envelope and shift the rest.
 *
 * @par Start and stop
 * The constructor starts the thread and returns once the handler is bound to
 * `inproc://zeromq.zap.01`, so start it before binding server sockets. One per
 * context: a second one throws EADDRINUSE. stop() and the destructor end it; so
 * does a stop of the context: the handler wakes with stopped, and the stop
 * closes its sockets and the parent end of its pipe (the constructing thread's)
 * without waiting for any thread. The destructor then only joins. In a forked
 * child, stop() throws the fork error and the destructor leaves the parent's
 * thread alone.
 *
 * @warning While no handler is running, libzmq 4.3 does not authenticate at
 * all: a CURVE server accepts every client key and a PLAIN server every
 * password. Keep the authenticator running for as long as server sockets accept
 * connections (construct it first, destroy it last).
 *
 * @par Configuration
 * The configuration calls store the settings under a mutex that the handler
 * thread takes for each request: a call's effect applies to every handshake
 * authenticated after it returns (connections already accepted are kept). They
 * may be called before or after handshakes start, from any thread.
 *
 * @par Log
 * set_log() installs a callback that receives every decision (zap_decision),
 * called on the handler thread (not under the configuration mutex). It never
 * sees a password or a secret key. Off by default. Once set_log() returned, the
 * previous callback is not running and is never called again. The fields are
 * the peer's bytes as they are; zap_decision::to_string() (what
 * set_log(std::ostream&) writes) escapes and bounds them, so a peer cannot
 * write a line of its own into the log.
 *
 * @par Thread Safety
 * The configuration calls (allow(), deny(), add_plain_user(), ..., set_log())
 * may be called from any thread, concurrently. stop() and the destructor belong
 * to the thread that constructed the authenticator, like a worker's (others get
 * wrong_thread; destroying it on another thread is a fatal diagnostic).
 */
class authenticator {
public:
    /// The domain argument for settings that apply to every ZAP domain (pyzmq
    /// spells it the same way). A server whose zap_domain is literally "*" uses
    /// these settings too.
    static constexpr std::string_view all_domains = "*";

    /// The ZAP endpoint of RFC 27, one per context.
    static constexpr std::string_view endpoint = "inproc://zeromq.zap.01";

    /// Starts the handler thread and binds it to `inproc://zeromq.zap.01`.
    /**
     * Returns once the handler is bound: server sockets bound afterwards are
     * authenticated by it.
     * @param ctx the context whose server sockets it authenticates; it must
     *   outlive the authenticator (or be stopped first).
     * @throws error EADDRINUSE when the context already has a ZAP handler;
     *   stopped when the context is stopping.
     */
    explicit ZMQRAII_DECL authenticator(context& ctx);

    authenticator(const authenticator&) = delete;
    authenticator& operator=(const authenticator&) = delete;
    /// Takes over `other`'s handler; `other` becomes empty.
    authenticator(authenticator&&) noexcept = default;
    /// Stops this handler (as the destructor does), then takes over `other`'s.
    authenticator& operator=(authenticator&&) noexcept = default;

    /// Stops the handler thread (see stop()); errors are reported, not thrown.
    ~authenticator() = default;

    /// Stops the handler and joins its thread. Idempotent.
    /**
     * Afterwards libzmq authenticates nothing (see the class warning).
     * @throws wrong_thread off the thread that constructed the authenticator;
     *   whatever the handler thread failed with (other than stopped).
     */
    void stop() { worker_.stop(); }

    /// True while the handler thread runs.
    bool running() const noexcept { return worker_.joinable() && !worker_.ended(); }

    // ---- address filters ----------------------------------------------------

    /// Adds `address` to the allow list: once the list has an entry, only peers
    /// at listed addresses pass. Any thread.
    /**
     * @param address an IPv4 address (`192.0.2.7`) or an IPv6 address
     *   (`2001:db8::7`, <tt>\::ffff:192.0.2.7</tt>); it matches every spelling of the
     *   same address (see "What it decides").
     * @param domain the ZAP domain it applies to; all_domains for every one.
     * @throws error EINVAL when `address` is not an IP address (a host name, a
     *   network such as `10.0.0.0/8`, an address with a zone, blanks around
     *   it); nothing is added then.
     */
    ZMQRAII_DECL void allow(std::string_view address, std::string_view domain = all_domains);

    /// Adds `address` to the deny list: peers at it are refused. Any thread.
    /**
     * @param address an IPv4 or IPv6 address, as for allow().
     * @param domain the ZAP domain it applies to; all_domains for every one.
     * @throws error EINVAL when `address` is not an IP address; nothing is
     *   added then (a deny entry that could never match would be a hole).
     */
    ZMQRAII_DECL void deny(std::string_view address, std::string_view domain = all_domains);

    // ---- PLAIN ----------------------------------------------------------------

    /// Adds (or replaces) a PLAIN user. Any thread.
    /**
     * The first PLAIN setting of a domain other than all_domains gives that domain
     * users of its own: from then on the all_domains users do not apply to it.
     * @throws error EINVAL for an empty user name.
     */
    ZMQRAII_DECL void add_plain_user(std::string_view user, std::string_view password,
                                     std::string_view domain = all_domains);

    /// Replaces the PLAIN users of `domain` with those of a passwords file. Any thread.
    /**
     * One `user=password` per line, as CZMQ's zauth reads it: the user name is
     * everything before the first `=`, the password everything after it (spaces
     * included); `#` comment lines and blank lines are skipped.
     *
     * The file holds passwords, so it is read as certificate::load() reads a
     * secret key file: only a regular file (a FIFO or a device is refused at
     * once, never waited on), of at most 1 MiB, that group and others may not
     * access unless `permissions` is secret_file_permissions::any.
     *
     * @param path the passwords file.
     * @param domain the ZAP domain whose users it replaces.
     * @param permissions whether to refuse a file that group or others may access.
     * @throws error naming the file: its errno when it cannot be read; EINVAL
     *   (EISDIR) for what is not a regular file; EFBIG above 1 MiB; EACCES,
     *   saying how to fix the mode, when group or others may access it; EINVAL
     *   with the line number for a line without `=` or with an empty user name
     *   (the line itself is never printed: it may hold a password). On a throw
     *   nothing changes.
     */
    ZMQRAII_DECL void load_plain_users(
        const std::string& path, std::string_view domain = all_domains,
        secret_file_permissions permissions = secret_file_permissions::owner_only);

    /// Removes every PLAIN user of `domain`: its PLAIN clients are refused (a
    /// domain other than all_domains keeps an empty list of its own). Any thread.
    ZMQRAII_DECL void clear_plain_users(std::string_view domain = all_domains);

    // ---- CURVE ----------------------------------------------------------------

    /// Allows the CURVE client whose public key is `public_z85`. Any thread.
    /**
     * The first CURVE setting of a domain other than all_domains gives that domain
     * keys of its own: from then on the all_domains keys do not apply to it.
     * @throws error EINVAL when `public_z85` is not 40 Z85 characters.
     */
    ZMQRAII_DECL void allow_curve_key(std::string_view public_z85,
                                      std::string_view domain = all_domains);

    /// Allows the CURVE clients of these certificates (their public keys). Any thread.
    ZMQRAII_DECL void allow_curve_certificates(const std::vector<certificate>& certs,
                                               std::string_view domain = all_domains);

    /// Replaces the allowed CURVE keys of `domain` with the public keys of the
    /// `*.key` certificates in `directory` (load_public_certificates()). Any thread.
    /// @throws error as load_public_certificates(); on a throw nothing changes.
    ZMQRAII_DECL void load_curve_keys(const std::string& directory,
                                      std::string_view domain = all_domains);

    /// Accepts every CURVE client key (true) or only the allowed keys (false).
    /**
     * Any CURVE client is then accepted, provided it knows the server's public
     * key: the connection is encrypted but the client is not authenticated. The
     * address filters still apply. Any thread.
     */
    ZMQRAII_DECL void allow_any_curve(bool any = true, std::string_view domain = all_domains);

    // ---- log ------------------------------------------------------------------

    /// Calls `log` with every decision, on the handler thread; empty turns the log
    /// off. Any thread.
    /**
     * When it returns, the previous callback is not running and will not be
     * called again: what it wrote to may be destroyed. It waits for a call in
     * progress, so the callback itself must not call set_log() (deadlock).
     *
     * The callback must not block for long (handshakes wait for it) and should
     * not throw (an exception is reported through the diagnostic handler and
     * otherwise ignored). It never receives a password or a secret key.
     */
    ZMQRAII_DECL void set_log(std::function<void(const zap_decision&)> log);

    /// Writes one line per decision (zap_decision::to_string()) to `out`, on the
    /// handler thread. `out` must outlive the log (until set_log({}) returned or
    /// the authenticator stopped) and must not be written by other threads
    /// meanwhile. Any thread.
    ZMQRAII_DECL void set_log(std::ostream& out);

private:
    // Throws for a moved-from authenticator (before any lock is taken).
    ZMQRAII_DECL detail::zap_shared& shared(const char* op) const;

    // Caller holds shared_->mutex.
    ZMQRAII_DECL detail::zap_policy& policy(std::string_view domain);
    ZMQRAII_DECL std::set<std::string>& curve(std::string_view domain);

    // The handler thread (defined in impl/auth.ipp).
    struct body;

    std::shared_ptr<detail::zap_shared> shared_;
    worker worker_;
};

/// Makes `s` a PLAIN server: its clients' user names and passwords go to the
/// context's ZAP handler (authenticator). Also bounds the size of a frame it
/// accepts.
/**
 * PLAIN sends the password in clear text: use it on trusted networks only, or
 * use CURVE.
 *
 * Sets option::maxmsgsize to `max_message_size` (see
 * default_server_max_message_size, cert.hpp): a peer that sends or announces
 * a larger frame is disconnected before the server buffers it. Raise it through
 * the argument, or set option::maxmsgsize afterwards (before bind()).
 *
 * @param s the server socket.
 * @param max_message_size the largest frame in bytes; -1 for libzmq's "no limit".
 * @pre Call it before bind() and connect().
 * @throws error EINVAL when `s` already has an endpoint or `max_message_size`
 *   is neither positive nor -1 (nothing is set then); as socket::set().
 */
ZMQRAII_DECL void make_plain_server(
    socket& s, std::int64_t max_message_size = default_server_max_message_size);

/// Makes `s` a PLAIN client that logs in as `user` with `password`.
/**
 * @pre Call it before connect() (and bind()).
 * @throws error EINVAL when `s` already has an endpoint or `user` is empty; as
 *   socket::set() (the password is never printed).
 */
ZMQRAII_DECL void make_plain_client(socket& s, std::string_view user, std::string_view password);

ZMQRAII_ABI_END
}  // namespace zmqraii

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/auth.ipp>
#endif

#endif  // ZMQRAII_AUTH_HPP_INCLUDED
