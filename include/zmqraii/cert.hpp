// SPDX-License-Identifier: MIT
/// @file cert.hpp
/// CURVE certificates on disk and the CURVE setup of a socket.
///
/// - certificate: a CURVE key pair (or a public key alone) with metadata.
/// - certificate::save(): two files in the text format CZMQ (zcert) and pyzmq
///   (zmq.auth.create_certificates) use: `name.key` with the public key and
///   `name.key_secret` with both keys, the secret file created with mode 0600.
/// - certificate::load(), certificate::load_public(), load_public_certificates():
///   read them back; errors name the file and the line, never a secret. Only
///   regular files are read (a FIFO or a device is refused without blocking), at
///   most 64 KiB each, and a file that holds a secret key must not be accessible
///   to group or others (secret_file_permissions).
/// - make_curve_server() / make_curve_client(): set a socket's CURVE options
///   from certificates. Call them before bind() / connect(). The server helper
///   also bounds the size of one frame (default_server_max_message_size).
///
/// The file format is a subset of ZPL (ZeroMQ RFC 4): `#` comment lines,
/// sections at the start of a line, `name = "value"` lines indented by four
/// spaces inside them:
///
/// @code{.unparsed}
/// #   ZeroMQ CURVE **Secret** Certificate
/// metadata
///     name = "server"
/// curve
///     public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
///     secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
/// @endcode
///
/// A value is written between double quotes, or between single quotes when it
/// contains a double quote (ZPL has no escapes; CZMQ reads both forms). A value
/// with both kinds of quotes, a control character other than tab, or more than
/// 512 bytes cannot be written, and certificate::set_meta() refuses it.
///
/// File functions use the calls of detail/platform.hpp.
#ifndef ZMQRAII_CERT_HPP_INCLUDED
#define ZMQRAII_CERT_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/curve.hpp>
#include <zmqraii/detail/platform.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/socket.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace zmqraii {

/// Whether loading a file that holds a secret (a CURVE secret key, PLAIN
/// passwords) checks the file's permission bits.
/**
 * A secret that group or others may read is no longer a secret, and one they may
 * write can be replaced: ssh refuses such a private key file for the same
 * reason. The owner of the file is not checked.
 */
enum class secret_file_permissions {
    /// Refuse a file whose mode has any bit of 077 (group or others may read,
    /// write or execute it), with an error that says to run `chmod 600`. The
    /// default.
    owner_only,
    /// Load the file whatever its mode: for files whose access is controlled in
    /// another way (an ACL, a group of trusted services, a read-only mount whose
    /// mode cannot be changed).
    any,
};

namespace detail {

// Throws error EACCES when `mode` lets group or others access a file that holds
// `what` (a secret), unless `permissions` is secret_file_permissions::any.
ZMQRAII_DECL void check_secret_file_mode(const std::string& path, const char* op, file_mode mode,
                                         secret_file_permissions permissions, const char* what);

}  // namespace detail

namespace detail {
struct certificate_text;
}  // namespace detail

/// A CURVE certificate: a public key, optionally its secret key, and metadata.
/**
 * A certificate always holds a valid public key (40 Z85 characters). A full
 * certificate also holds the matching secret key; a public certificate (what
 * load_public() reads, what a peer gives you) does not.
 *
 * Metadata are name/value pairs saved with the keys (`name`, `email`, ...).
 * Names are 1 to 64 characters of letters, digits and `$-_@.&+/`, not beginning
 * or ending with `/`. Values are at most 512 bytes of text: any bytes but
 * control characters (tab is allowed), and not both kinds of quotes (`'` and
 * `"`) in one value. Every value set_meta() accepts is saved so that load()
 * reads it back unchanged.
 *
 * @par Secrets
 * secret_key() is the private half of the key pair. zmqraii never prints it in
 * an error message; store it only with save() (mode 0600) and never log it.
 *
 * @par Thread Safety
 * A value: any thread may use it, one thread at a time (const members
 * concurrently).
 */
class certificate {
public:
    /// The longest metadata value set_meta() accepts, in bytes (every line of
    /// the file then fits the 1024 bytes that CZMQ reads of a line).
    static constexpr std::size_t max_meta_value_bytes = 512;

    /// A certificate of a new, random key pair (zmq_curve_keypair).
    /// @throws error ENOTSUP when libzmq was built without CURVE.
    static certificate generate() { return certificate(generate_curve_keypair()); }

    /// A full certificate from a key pair.
    /// @throws error EINVAL when a key is not 40 Z85 characters or the public key
    ///   does not belong to the secret key (the message never shows the secret).
    explicit ZMQRAII_DECL certificate(const curve_keypair& keys);

    /// A full certificate from a secret key; the public key is computed from it.
    /// @throws error EINVAL when `secret_z85` is not 40 Z85 characters.
    static ZMQRAII_DECL certificate from_secret(std::string_view secret_z85);

    /// A public certificate (no secret key), e.g. of a peer.
    /// @throws error EINVAL when `public_z85` is not 40 Z85 characters.
    static ZMQRAII_DECL certificate from_public(std::string_view public_z85);

    /// The public key, 40 Z85 characters.
    const std::string& public_key() const noexcept { return public_; }
    /// The secret key, 40 Z85 characters; empty for a public certificate.
    const std::string& secret_key() const noexcept { return secret_; }
    /// True for a full certificate (it has the secret key).
    bool has_secret() const noexcept { return !secret_.empty(); }
    /// The key pair (secret_key empty for a public certificate).
    curve_keypair keypair() const { return curve_keypair{public_, secret_}; }
    /// The same certificate without its secret key (what to give to peers).
    ZMQRAII_DECL certificate public_only() const;

    /// Sets a metadata value (replaces an existing one).
    /**
     * @throws error EINVAL naming what is wrong with the name or the value (see
     *   the class description); the certificate is then unchanged.
     */
    ZMQRAII_DECL void set_meta(std::string_view name, std::string_view value);
    /// A metadata value, or an empty optional when the name is not set.
    ZMQRAII_DECL std::optional<std::string> meta(std::string_view name) const;
    /// Every metadata pair, sorted by name.
    const std::map<std::string, std::string>& metadata() const noexcept { return meta_; }

    /// Saves the public file at `path` and, for a full certificate, the secret
    /// file at `path` + "_secret" (mode 0600).
    /**
     * Each file is written to a temporary file in the same directory, created
     * with open(O_CREAT | O_EXCL, mode) (the secret one with mode 0600, so it is
     * never readable by others, not even for a moment), then renamed over the
     * target: an existing file is replaced whole, with the new mode.
     * @param path the public file, by convention `name.key`.
     * @throws error with the errno of the failed call, naming the path; EFBIG
     *   when the metadata would make a file larger than the 64 KiB load() reads
     *   (nothing is written then).
     */
    ZMQRAII_DECL void save(const std::string& path) const;

    /// Saves only the public file (mode 0644 minus the umask) at `path`.
    /// @throws error as save().
    void save_public(const std::string& path) const {
        write("certificate::save_public", path, false, 0644);
    }

    /// Saves the secret file (both keys and the metadata, mode 0600) at `path`.
    /// @throws error EINVAL for a public certificate; error as save().
    ZMQRAII_DECL void save_secret(const std::string& path) const;

    /// Loads a certificate saved by save() (or by CZMQ or pyzmq).
    /**
     * Reads `path`. When it holds a secret key, that is the certificate. When it
     * holds only a public key and `path` + "_secret" exists, that file is read
     * too, and its keys must match; else the result is a public certificate.
     *
     * Only regular files of at most 64 KiB are read; a FIFO, a device or a
     * directory is refused at once (never waited on). A file that holds a secret
     * key must be accessible to its owner only (mode 0600 or 0400), as ssh
     * demands of a private key, unless `permissions` is
     * secret_file_permissions::any.
     *
     * @param path the certificate file, by convention `name.key`.
     * @param permissions whether to refuse a secret file that group or others
     *   may access.
     * @throws error naming the file: ENOENT (or another errno) when it cannot be
     *   read; EINVAL for what is not a regular file (EISDIR for a directory);
     *   EFBIG above 64 KiB; EINVAL with the line number when it is not a
     *   certificate, a key is not 40 Z85 characters, the keys do not belong
     *   together or metadata break the rules of set_meta(); EACCES, saying how
     *   to fix the mode, for a secret file that group or others may access.
     */
    static ZMQRAII_DECL certificate
    load(const std::string& path,
         secret_file_permissions permissions = secret_file_permissions::owner_only);

    /// Loads only the public key and metadata of a certificate file; a secret key
    /// in it is checked, then dropped (not kept in memory).
    /**
     * Reads regular files of at most 64 KiB, as load(). The file's permissions
     * are not checked: nothing secret is loaded.
     * @throws error as load(), but never EACCES for the file's mode.
     */
    static ZMQRAII_DECL certificate load_public(const std::string& path);

private:
    friend struct detail::certificate_text;

    explicit certificate(std::string public_z85) noexcept : public_(std::move(public_z85)) {}

    static ZMQRAII_DECL void check_key(const std::string& op, const char* which,
                                       std::string_view key, bool is_public);

    // What makes `name` = `value` impossible to save and load back unchanged, in
    // words naming the metadata; empty when it is fine.
    static ZMQRAII_DECL std::string meta_problem(std::string_view name, std::string_view value);

    // The text of the public (with_secret false) or secret file.
    ZMQRAII_DECL std::string text(bool with_secret) const;

    ZMQRAII_DECL void write(const char* op, const std::string& path, bool with_secret,
                            detail::file_mode mode) const;

    // Parses the text of one certificate file (public or secret). `where` names
    // it in errors ("certificate::load path").
    static ZMQRAII_DECL certificate parse_text(std::string_view content, const std::string& where);

    std::string public_;
    std::string secret_;
    std::map<std::string, std::string> meta_;
};

namespace detail {
// The text form of certificates, for the fuzz targets and tests: parse() reads
// the text of a certificate file (`where` names it in errors), render() writes
// the text save() would write.
struct certificate_text {
    static certificate parse(std::string_view text, const std::string& where) {
        return certificate::parse_text(text, where);
    }
    static std::string render(const certificate& c, bool with_secret) {
        return c.text(with_secret);
    }
};
}  // namespace detail

/// Loads the public certificates of every `*.key` file in `directory`.
/**
 * The files are read with certificate::load_public() (secret keys are never
 * kept), in name order. `*.key_secret` and other names are skipped, as pyzmq's
 * zmq.auth.load_certificates does, and so are names that are not regular files
 * (a FIFO called `x.key` is never opened). Use it for an authenticator's
 * allowed keys.
 * @throws error naming the directory (ENOENT, ENOTDIR...) when it cannot be
 *   listed, or naming the file when one is not a valid certificate.
 */
ZMQRAII_DECL std::vector<certificate> load_public_certificates(const std::string& directory);

/// The option::maxmsgsize that make_curve_server() and make_plain_server() (auth.hpp)
/// give a server socket unless told otherwise: 1 MiB.
/**
 * libzmq's own default is -1 (no limit): one peer may then make the server
 * buffer a frame of any size, before authentication too (a handshake command
 * announcing 128 MiB is read in full). The limit applies to each frame on the
 * wire, handshake commands included; CURVE adds 33 bytes to each message frame,
 * so the largest CURVE payload is 33 bytes less. It does not bound a multipart
 * message as a whole; docs/security.md lists what libzmq bounds and what it
 * does not.
 */
inline constexpr std::int64_t default_server_max_message_size = 1024 * 1024;

namespace detail {
ZMQRAII_DECL void check_not_connected(socket& s, const char* op);

// Refuses a max_message_size argument that is neither -1 nor positive.
ZMQRAII_DECL void check_max_message_size(socket& s, const char* op, std::int64_t max_message_size);
}  // namespace detail

/// Makes `s` a CURVE server with the keys of `server`, and bounds the size of a
/// frame it accepts.
/**
 * Sets option::curve_server and the secret and public keys. Clients must know
 * `server.public_key()`. Which clients are accepted is decided by the ZAP
 * handler of the context (zmqraii::authenticator, auth.hpp); without one,
 * libzmq accepts every client that knows the server's public key.
 *
 * Also sets option::maxmsgsize to `max_message_size`: a peer that sends a
 * larger frame, or announces one in its handshake, is disconnected before the
 * server buffers it. Raise it through the argument, or set option::maxmsgsize
 * afterwards (before bind(): a connection keeps the value it started with).
 *
 * @param s the server socket.
 * @param server the server's certificate, with its secret key.
 * @param max_message_size the largest frame in bytes; -1 for libzmq's "no limit".
 * @pre Call it before bind() and connect(): a connection takes the socket's
 *   mechanism when it is made. A socket that already has an endpoint (as
 *   option::last_endpoint reports it) is refused.
 * @throws error EINVAL when `server` has no secret key, `max_message_size` is
 *   neither positive nor -1, or `s` already has an endpoint (nothing is set
 *   then); wrong_thread, stopped and error as socket::set().
 */
ZMQRAII_DECL void make_curve_server(
    socket& s, const certificate& server,
    std::int64_t max_message_size = default_server_max_message_size);

/// Makes `s` a CURVE client with the keys of `client` that trusts the server
/// whose public key is `server_public` (40 Z85 characters).
/**
 * @pre Call it before connect() (and bind()); see make_curve_server().
 * @throws error EINVAL when `client` has no secret key, `server_public` is not a
 *   valid key, or `s` already has an endpoint; wrong_thread, stopped and error as
 *   socket::set().
 */
ZMQRAII_DECL void make_curve_client(socket& s, const certificate& client,
                                    std::string_view server_public);

/// Makes `s` a CURVE client of the server certificate `server` (its public key).
/// @throws as make_curve_client(socket&, const certificate&, std::string_view).
inline void make_curve_client(socket& s, const certificate& client, const certificate& server) {
    make_curve_client(s, client, server.public_key());
}

}  // namespace zmqraii

#if !defined(ZMQRAII_SEPARATE_COMPILATION)
#include <zmqraii/impl/cert.ipp>
#include <zmqraii/impl/cert_abi.ipp>
#endif

#endif  // ZMQRAII_CERT_HPP_INCLUDED
