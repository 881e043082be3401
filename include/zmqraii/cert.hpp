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
#include <zmqraii/detail/cert_file.hpp>
#include <zmqraii/detail/log_text.hpp>
#include <zmqraii/detail/platform.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/options.hpp>
#include <zmqraii/socket.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
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
inline void check_secret_file_mode(const std::string& path, const char* op, file_mode mode,
                                   secret_file_permissions permissions, const char* what) {
    if (permissions == secret_file_permissions::any || !others_may_access(mode)) return;
    throw error(EACCES, std::string(op) + " " + path + ": holds " + what + ", but its mode " +
                            file_mode_text(mode) +
                            " lets group or others access it; make it private with `chmod 600 " +
                            shell_word(path) +
                            "` (or pass zmqraii::secret_file_permissions::any to accept it)");
}

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
    explicit certificate(const curve_keypair& keys) {
        check_key("certificate", "public key", keys.public_key, true);
        check_key("certificate", "secret key", keys.secret_key, false);
        if (curve_public_from_secret(keys.secret_key) != keys.public_key)
            throw error(EINVAL, "certificate: the public key does not belong to the secret key");
        public_ = keys.public_key;
        secret_ = keys.secret_key;
    }

    /// A full certificate from a secret key; the public key is computed from it.
    /// @throws error EINVAL when `secret_z85` is not 40 Z85 characters.
    static certificate from_secret(std::string_view secret_z85) {
        check_key("certificate::from_secret", "secret key", secret_z85, false);
        return certificate(
            curve_keypair{curve_public_from_secret(secret_z85), std::string(secret_z85)});
    }

    /// A public certificate (no secret key), e.g. of a peer.
    /// @throws error EINVAL when `public_z85` is not 40 Z85 characters.
    static certificate from_public(std::string_view public_z85) {
        check_key("certificate::from_public", "public key", public_z85, true);
        return certificate(std::string(public_z85));
    }

    /// The public key, 40 Z85 characters.
    const std::string& public_key() const noexcept { return public_; }
    /// The secret key, 40 Z85 characters; empty for a public certificate.
    const std::string& secret_key() const noexcept { return secret_; }
    /// True for a full certificate (it has the secret key).
    bool has_secret() const noexcept { return !secret_.empty(); }
    /// The key pair (secret_key empty for a public certificate).
    curve_keypair keypair() const { return curve_keypair{public_, secret_}; }
    /// The same certificate without its secret key (what to give to peers).
    certificate public_only() const {
        certificate c(public_);
        c.meta_ = meta_;
        return c;
    }

    /// Sets a metadata value (replaces an existing one).
    /**
     * @throws error EINVAL naming what is wrong with the name or the value (see
     *   the class description); the certificate is then unchanged.
     */
    void set_meta(std::string_view name, std::string_view value) {
        const std::string problem = meta_problem(name, value);
        if (!problem.empty()) throw error(EINVAL, "certificate::set_meta: " + problem);
        meta_[std::string(name)] = std::string(value);
    }
    /// A metadata value, or an empty optional when the name is not set.
    std::optional<std::string> meta(std::string_view name) const {
        const auto it = meta_.find(std::string(name));
        if (it == meta_.end()) return std::nullopt;
        return it->second;
    }
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
    void save(const std::string& path) const {
        save_public(path);
        if (has_secret()) save_secret(path + "_secret");
    }

    /// Saves only the public file (mode 0644 minus the umask) at `path`.
    /// @throws error as save().
    void save_public(const std::string& path) const {
        write("certificate::save_public", path, false, 0644);
    }

    /// Saves the secret file (both keys and the metadata, mode 0600) at `path`.
    /// @throws error EINVAL for a public certificate; error as save().
    void save_secret(const std::string& path) const {
        if (!has_secret())
            throw error(EINVAL, "certificate::save_secret " + path +
                                    ": this certificate has no secret key (a public certificate)");
        write("certificate::save_secret", path, true, 0600);
    }

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
    static certificate load(const std::string& path, secret_file_permissions permissions =
                                                         secret_file_permissions::owner_only) {
        constexpr const char* op = "certificate::load";
        const detail::file_contents file =
            detail::read_regular_file(path, op, detail::max_certificate_file_bytes);
        certificate c = parse_text(file.data, std::string(op) + " " + path);
        if (c.has_secret()) {
            detail::check_secret_file_mode(path, op, file.mode, permissions, "a CURVE secret key");
            return c;
        }
        const std::string secret_path = path + "_secret";
        detail::file_contents secret_file;
        try {
            secret_file =
                detail::read_regular_file(secret_path, op, detail::max_certificate_file_bytes);
        } catch (const error& e) {
            if (e.num() == ENOENT) return c;  // no secret file: a public certificate
            throw;
        }
        certificate s = parse_text(secret_file.data, std::string(op) + " " + secret_path);
        if (!s.has_secret())
            throw error(EINVAL, std::string(op) + " " + secret_path +
                                    ": the secret file holds no curve/secret-key");
        if (s.public_ != c.public_)
            throw error(EINVAL, std::string(op) + " " + secret_path +
                                    ": its public key differs from the one in " + path);
        detail::check_secret_file_mode(secret_path, op, secret_file.mode, permissions,
                                       "a CURVE secret key");
        return s;
    }

    /// Loads only the public key and metadata of a certificate file; a secret key
    /// in it is checked, then dropped (not kept in memory).
    /**
     * Reads regular files of at most 64 KiB, as load(). The file's permissions
     * are not checked: nothing secret is loaded.
     * @throws error as load(), but never EACCES for the file's mode.
     */
    static certificate load_public(const std::string& path) {
        constexpr const char* op = "certificate::load_public";
        const detail::file_contents file =
            detail::read_regular_file(path, op, detail::max_certificate_file_bytes);
        return parse_text(file.data, std::string(op) + " " + path).public_only();
    }

private:
    friend struct detail::certificate_text;

    explicit certificate(std::string public_z85) noexcept : public_(std::move(public_z85)) {}

    static void check_key(const std::string& op, const char* which, std::string_view key,
                          bool is_public) {
        if (key.size() != 40)
            throw error(EINVAL, op + ": the " + which + " must be 40 Z85 characters, got " +
                                    std::to_string(key.size()));
        detail::check_z85(op + ": " + which, key, is_public);
    }

    // What makes `name` = `value` impossible to save and load back unchanged, in
    // words naming the metadata; empty when it is fine.
    static std::string meta_problem(std::string_view name, std::string_view value) {
        if (name.empty() || name.size() > 64 ||
            !std::all_of(name.begin(), name.end(), detail::zpl_name_char))
            return "metadata name " + detail::quoted(name, 64) +
                   " must be 1 to 64 letters, digits or $-_@.&+/";
        if (name.front() == '/' || name.back() == '/')
            return "metadata name \"" + std::string(name) + "\" must not begin or end with '/'";
        const std::string which = "the value of metadata \"" + std::string(name) + "\"";
        if (value.size() > max_meta_value_bytes)
            return which + " is " + std::to_string(value.size()) + " bytes, more than " +
                   std::to_string(max_meta_value_bytes);
        for (std::size_t i = 0; i < value.size(); ++i) {
            const auto u = static_cast<unsigned char>(value[i]);
            if ((u < 0x20 && u != '\t') || u == 0x7f)
                return which + " has control character " + detail::printable_char(value[i]) +
                       " at position " + std::to_string(i) +
                       " (a certificate file holds one line of text per value)";
        }
        if (value.find('"') != std::string_view::npos && value.find('\'') != std::string_view::npos)
            return which +
                   " has both kinds of quotes (' and \"); the file format has no escapes, so "
                   "it can hold one kind or the other";
        return std::string();
    }

    // The text of the public (with_secret false) or secret file.
    std::string text(bool with_secret) const {
        std::string t = "#   ****  Generated by zmqraii  ****\n";
        t += with_secret ? "#   ZeroMQ CURVE **Secret** Certificate\n"
                           "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its "
                           "permissions.\n"
                         : "#   ZeroMQ CURVE Public Certificate\n"
                           "#   Exchange securely, or use a secure mechanism to verify the "
                           "contents\n"
                           "#   of this file after exchange.\n";
        t += "\nmetadata\n";
        for (const auto& [k, v] : meta_) {
            // CZMQ's form, "value", unless the value holds a double quote;
            // set_meta() refused values with both kinds.
            const char quote = v.find('"') == std::string::npos ? '"' : '\'';
            t += "    ";
            t += k;
            t += " = ";
            t += quote;
            t += v;
            t += quote;
            t += '\n';
        }
        t += "curve\n    public-key = \"" + public_ + "\"\n";
        if (with_secret) t += "    secret-key = \"" + secret_ + "\"\n";
        return t;
    }

    void write(const char* op, const std::string& path, bool with_secret,
               detail::file_mode mode) const {
        const std::string t = text(with_secret);
        if (t.size() > detail::max_certificate_file_bytes)
            throw error(EFBIG, std::string(op) + " " + path + ": the file would be " +
                                   std::to_string(t.size()) + " bytes, more than the " +
                                   std::to_string(detail::max_certificate_file_bytes) +
                                   " bytes load() reads (too much metadata)");
        detail::write_file_replacing(path, t, mode, op);
    }

    // Parses the text of one certificate file (public or secret). `where` names
    // it in errors ("certificate::load path").
    static certificate parse_text(std::string_view content, const std::string& where) {
        std::string section;
        std::optional<std::string> pub;
        std::optional<std::string> sec;
        std::size_t sec_line = 0;
        std::map<std::string, std::string> meta;
        detail::for_each_line(content, [&](std::size_t line_no, std::string_view line) {
            const auto at = [&](const std::string& what) {
                return error(EINVAL, where + ": line " + std::to_string(line_no) + ": " + what);
            };
            std::optional<detail::zpl_line> parsed = detail::parse_zpl_line(line, where, line_no);
            if (!parsed) return;  // blank or comment
            const std::size_t indent = parsed->indent;
            const std::string& name = parsed->name;
            std::optional<std::string>& value = parsed->value;
            if (indent == 0) {
                section = name;
                return;
            }
            if (indent > 4) return;  // deeper levels: not ours
            if (section == "curve" && (name == "public-key" || name == "secret-key")) {
                const bool is_public = name == "public-key";
                std::optional<std::string>& slot = is_public ? pub : sec;
                if (slot) throw at("curve/" + name + " appears twice");
                if (!value) throw at("curve/" + name + " has no value");
                if (value->size() != 40)
                    throw at("curve/" + name + " must be 40 Z85 characters, got " +
                             std::to_string(value->size()));
                const std::string problem = detail::z85_problem(*value, is_public);
                if (!problem.empty()) throw at("curve/" + name + ": " + problem);
                slot = std::move(value);
                if (!is_public) sec_line = line_no;
            } else if (section == "metadata") {
                std::string v = value.value_or(std::string());
                const std::string problem = meta_problem(name, v);
                if (!problem.empty()) throw at(problem);
                if (!meta.emplace(name, std::move(v)).second)
                    throw at("metadata/" + name + " appears twice");
            }
        });
        if (!pub) throw error(EINVAL, where + ": no curve/public-key (not a certificate file)");
        certificate c(std::move(*pub));
        c.meta_ = std::move(meta);
        if (sec) {
            std::string from_secret;
            try {
                from_secret = curve_public_from_secret(*sec);
            } catch (const error& e) {
                throw error(e.num(), where + ": line " + std::to_string(sec_line) + ": " +
                                         detail::error_text(e));
            }
            if (from_secret != c.public_)
                throw error(EINVAL, where + ": line " + std::to_string(sec_line) +
                                        ": curve/public-key does not belong to curve/secret-key");
            c.secret_ = std::move(*sec);
        }
        return c;
    }

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
inline std::vector<certificate> load_public_certificates(const std::string& directory) {
    int err = 0;
    std::vector<std::string> files = detail::regular_files_in(directory, ".key", err);
    if (err != 0) throw error(err, "load_public_certificates " + directory + ": cannot list");
    std::string prefix = directory;
    if (prefix.empty() || prefix.back() != '/') prefix += '/';
    for (std::string& f : files) f.insert(0, prefix);
    std::sort(files.begin(), files.end());
    std::vector<certificate> out;
    out.reserve(files.size());
    for (const std::string& f : files) out.push_back(certificate::load_public(f));
    return out;
}

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
inline void check_not_connected(socket& s, const char* op) {
    const std::string ep = s.last_endpoint();
    if (!ep.empty())
        throw error(EINVAL, std::string(op) + " on " + s.describe() +
                                ": must be called before bind() and connect() (the socket "
                                "already has endpoint " +
                                ep + "; the mechanism of its connections is fixed)");
}

// Refuses a max_message_size argument that is neither -1 nor positive.
inline void check_max_message_size(socket& s, const char* op, std::int64_t max_message_size) {
    if (max_message_size == -1 || max_message_size > 0) return;
    throw error(EINVAL, std::string(op) + " on " + s.describe() + ": max_message_size " +
                            std::to_string(max_message_size) +
                            " must be a positive number of bytes, or -1 for no limit");
}
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
inline void make_curve_server(socket& s, const certificate& server,
                              std::int64_t max_message_size = default_server_max_message_size) {
    constexpr const char* op = "make_curve_server";
    if (!server.has_secret())
        throw error(EINVAL, std::string(op) + " on " + s.describe() +
                                ": the server certificate has no secret key");
    detail::check_max_message_size(s, op, max_message_size);
    detail::check_not_connected(s, op);
    s.set(option::maxmsgsize, max_message_size);
    s.set(option::curve_server, true);
    s.set(option::curve_secretkey, server.secret_key());
    s.set(option::curve_publickey, server.public_key());
}

/// Makes `s` a CURVE client with the keys of `client` that trusts the server
/// whose public key is `server_public` (40 Z85 characters).
/**
 * @pre Call it before connect() (and bind()); see make_curve_server().
 * @throws error EINVAL when `client` has no secret key, `server_public` is not a
 *   valid key, or `s` already has an endpoint; wrong_thread, stopped and error as
 *   socket::set().
 */
inline void make_curve_client(socket& s, const certificate& client,
                              std::string_view server_public) {
    constexpr const char* op = "make_curve_client";
    if (!client.has_secret())
        throw error(EINVAL, std::string(op) + " on " + s.describe() +
                                ": the client certificate has no secret key");
    // Validates the server key (throws EINVAL naming what is wrong).
    const certificate server = certificate::from_public(server_public);
    detail::check_not_connected(s, op);
    s.set(option::curve_serverkey, server.public_key());
    s.set(option::curve_publickey, client.public_key());
    s.set(option::curve_secretkey, client.secret_key());
}

/// Makes `s` a CURVE client of the server certificate `server` (its public key).
/// @throws as make_curve_client(socket&, const certificate&, std::string_view).
inline void make_curve_client(socket& s, const certificate& client, const certificate& server) {
    make_curve_client(s, client, server.public_key());
}

}  // namespace zmqraii

#endif  // ZMQRAII_CERT_HPP_INCLUDED
