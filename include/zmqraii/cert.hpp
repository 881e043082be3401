// SPDX-License-Identifier: MIT
/// @file cert.hpp
/// CURVE certificates on disk and the CURVE setup of a socket.
///
/// - certificate: a CURVE key pair (or a public key alone) with metadata.
/// - certificate::save(): two files in the text format CZMQ (zcert) and pyzmq
///   (zmq.auth.create_certificates) use: `name.key` with the public key and
///   `name.key_secret` with both keys, the secret file created with mode 0600.
/// - certificate::load(), certificate::load_public(), load_public_certificates():
///   read them back; errors name the file and the line, never a secret.
/// - make_curve_server() / make_curve_client(): set a socket's CURVE options
///   from certificates. Call them before bind() / connect().
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
/// File functions use POSIX calls (open, rename, stat) and std::filesystem.
#ifndef ZMQRAII_CERT_HPP_INCLUDED
#define ZMQRAII_CERT_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/curve.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/options.hpp>
#include <zmqraii/socket.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace zmqraii {

namespace detail {

// Reads a file of at most 64 KiB; errors name the path.
inline std::string read_small_file(const std::string& path, const char* op) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw error(errno, std::string(op) + " " + path + ": cannot open");
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int e = errno;
            ::close(fd);
            throw error(e, std::string(op) + " " + path + ": cannot read");
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > 65536) {
            ::close(fd);
            throw error(EINVAL, std::string(op) + " " + path +
                                    ": larger than 64 KiB (not a certificate file)");
        }
    }
    ::close(fd);
    return out;
}

/// Calls fn(line_no, line) for every line of `text`: 1-based numbers, without the
/// '\n' and a '\r' before it. `fn` returns nothing; a line it skips just returns.
template <class Fn>
void for_each_line(std::string_view text, Fn&& fn) {
    std::size_t pos = 0;
    std::size_t line_no = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        fn(line_no, line);
    }
}

// Writes `content` to a new temporary file created with `mode` next to `path`,
// then renames it over `path`. Never chmods: the mode is the one open() gave.
inline void write_file_replacing(const std::string& path, const std::string& content, ::mode_t mode,
                                 const char* op) {
    static std::atomic<std::uint64_t> counter{0};
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" +
                            std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
    const auto fail = [&](int e, const char* what) {
        throw error(e, std::string(op) + " " + path + ": " + what);
    };
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) fail(errno, "cannot create the file");
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int e = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            fail(e, "cannot write");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        const int e = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        fail(e, "cannot sync");
    }
    if (::close(fd) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        fail(e, "cannot close");
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        fail(e, "cannot rename the temporary file over it");
    }
}

}  // namespace detail

/// A CURVE certificate: a public key, optionally its secret key, and metadata.
/**
 * A certificate always holds a valid public key (40 Z85 characters). A full
 * certificate also holds the matching secret key; a public certificate (what
 * load_public() reads, what a peer gives you) does not.
 *
 * Metadata are name/value pairs saved with the keys (`name`, `email`, ...).
 * Names are 1 to 64 characters of letters, digits and `$-_@.&+/`; values are
 * text without double quotes or line breaks.
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
    /// @throws error EINVAL naming what is wrong with the name or the value.
    void set_meta(std::string_view name, std::string_view value) {
        check_meta("certificate::set_meta", name, value);
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
     * @throws error with the errno of the failed call, naming the path.
     */
    void save(const std::string& path) const {
        save_public(path);
        if (has_secret()) save_secret(path + "_secret");
    }

    /// Saves only the public file (mode 0644 minus the umask) at `path`.
    /// @throws error with the errno of the failed call, naming the path.
    void save_public(const std::string& path) const {
        detail::write_file_replacing(path, text(false), 0644, "certificate::save_public");
    }

    /// Saves the secret file (both keys and the metadata, mode 0600) at `path`.
    /// @throws error EINVAL for a public certificate; error with the errno of the
    ///   failed call, naming the path.
    void save_secret(const std::string& path) const {
        if (!has_secret())
            throw error(EINVAL, "certificate::save_secret " + path +
                                    ": this certificate has no secret key (a public certificate)");
        detail::write_file_replacing(path, text(true), 0600, "certificate::save_secret");
    }

    /// Loads a certificate saved by save() (or by CZMQ or pyzmq).
    /**
     * Reads `path`. When it holds a secret key, that is the certificate. When it
     * holds only a public key and `path` + "_secret" exists, that file is read
     * too, and its keys must match; else the result is a public certificate.
     * @throws error naming the file: ENOENT (or another errno) when it cannot be
     *   read; EINVAL with the line number when it is not a certificate, a key is
     *   not 40 Z85 characters, or the keys do not belong together.
     */
    static certificate load(const std::string& path) {
        certificate c = parse_file(path, "certificate::load");
        if (c.has_secret()) return c;
        const std::string secret_path = path + "_secret";
        struct stat st {};
        if (::stat(secret_path.c_str(), &st) != 0) return c;
        certificate s = parse_file(secret_path, "certificate::load");
        if (!s.has_secret())
            throw error(EINVAL, "certificate::load " + secret_path +
                                    ": the secret file holds no curve/secret-key");
        if (s.public_ != c.public_)
            throw error(EINVAL, "certificate::load " + secret_path +
                                    ": its public key differs from the one in " + path);
        return s;
    }

    /// Loads only the public key and metadata of a certificate file; a secret key
    /// in it is ignored (not kept in memory).
    /// @throws error as load().
    static certificate load_public(const std::string& path) {
        return parse_file(path, "certificate::load_public").public_only();
    }

private:
    explicit certificate(std::string public_z85) noexcept : public_(std::move(public_z85)) {}

    static void check_key(const std::string& op, const char* which, std::string_view key,
                          bool is_public) {
        if (key.size() != 40)
            throw error(EINVAL, op + ": the " + which + " must be 40 Z85 characters, got " +
                                    std::to_string(key.size()));
        detail::check_z85(op + ": " + which, key, is_public);
    }

    static bool meta_name_char(char c) noexcept {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("$-_@.&+/").find(c) != std::string_view::npos;
    }

    static void check_meta(const std::string& op, std::string_view name, std::string_view value) {
        if (name.empty() || name.size() > 64 ||
            !std::all_of(name.begin(), name.end(), meta_name_char))
            throw error(EINVAL, op + ": metadata name \"" + std::string(name) +
                                    "\" must be 1 to 64 letters, digits or $-_@.&+/");
        if (value.find_first_of("\"\r\n") != std::string_view::npos)
            throw error(EINVAL, op + ": the value of metadata \"" + std::string(name) +
                                    "\" must not contain double quotes or line breaks");
    }

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
            t += "    ";
            t += k;
            t += " = \"";
            t += v;
            t += "\"\n";
        }
        t += "curve\n    public-key = \"" + public_ + "\"\n";
        if (with_secret) t += "    secret-key = \"" + secret_ + "\"\n";
        return t;
    }

    // Parses one certificate file (public or secret).
    static certificate parse_file(const std::string& path, const char* op) {
        const std::string content = detail::read_small_file(path, op);
        const std::string where = std::string(op) + " " + path;
        std::string section;
        std::optional<std::string> pub;
        std::optional<std::string> sec;
        std::map<std::string, std::string> meta;
        detail::for_each_line(content, [&](std::size_t line_no, std::string_view line) {
            const auto at = [&](const std::string& what) {
                std::string text = where;
                text += ": line ";
                text += std::to_string(line_no);
                text += ": ";
                text += what;
                return error(EINVAL, text);
            };
            const std::size_t indent = line.find_first_not_of(' ');
            if (indent == std::string_view::npos || line[indent] == '#') return;  // blank
            if (line[indent] == '\t') throw at("indentation must be spaces, not tabs");
            if (indent % 4 != 0) throw at("indentation must be a multiple of 4 spaces");
            std::string_view body = line.substr(indent);
            // name [= value]
            std::size_t name_end = 0;
            while (name_end < body.size() && meta_name_char(body[name_end])) ++name_end;
            const std::string name(body.substr(0, name_end));
            if (name.empty()) throw at("expected a name, found " + detail::printable_char(body[0]));
            std::string_view rest = body.substr(name_end);
            rest.remove_prefix(std::min(rest.size(), rest.find_first_not_of(' ')));
            std::optional<std::string> value;
            if (!rest.empty() && rest[0] == '=') {
                rest.remove_prefix(1);
                rest.remove_prefix(std::min(rest.size(), rest.find_first_not_of(' ')));
                if (!rest.empty() && (rest[0] == '"' || rest[0] == '\'')) {
                    const std::size_t close = rest.find(rest[0], 1);
                    if (close == std::string_view::npos) throw at("unterminated quoted value");
                    value = std::string(rest.substr(1, close - 1));
                    rest.remove_prefix(close + 1);
                } else {
                    const std::size_t stop = std::min(rest.find('#'), rest.size());
                    std::string_view v = rest.substr(0, stop);
                    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
                    value = std::string(v);
                    rest.remove_prefix(stop);
                }
                rest.remove_prefix(std::min(rest.size(), rest.find_first_not_of(' ')));
            }
            if (!rest.empty() && rest[0] != '#') throw at("unexpected text after the value");
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
                try {
                    detail::check_z85("curve/" + name, *value, is_public);
                } catch (const error& e) {
                    throw at(e.what());
                }
                slot = std::move(value);
            } else if (section == "metadata") {
                meta[name] = value.value_or(std::string());
            }
        });
        if (!pub) throw error(EINVAL, where + ": no curve/public-key (not a certificate file)");
        certificate c(std::move(*pub));
        c.meta_ = std::move(meta);
        if (sec) {
            if (curve_public_from_secret(*sec) != c.public_)
                throw error(EINVAL,
                            where + ": curve/public-key does not belong to curve/secret-key");
            c.secret_ = std::move(*sec);
        }
        return c;
    }

    std::string public_;
    std::string secret_;
    std::map<std::string, std::string> meta_;
};

/// Loads the public certificates of every `*.key` file in `directory`.
/**
 * The files are read with certificate::load_public() (secret keys are never
 * kept), in name order. `*.key_secret` and other names are skipped, as pyzmq's
 * zmq.auth.load_certificates does. Use it for an authenticator's allowed keys.
 * @throws error naming the directory (ENOENT, ENOTDIR...) when it cannot be
 *   listed, or naming the file when one is not a valid certificate.
 */
inline std::vector<certificate> load_public_certificates(const std::string& directory) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::directory_iterator it(directory, ec);
    if (ec) throw error(ec.value(), "load_public_certificates " + directory + ": cannot list");
    std::vector<std::string> files;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        const fs::path& p = it->path();
        if (p.extension() != ".key") continue;
        std::error_code type_ec;
        if (!fs::is_regular_file(p, type_ec)) continue;
        files.push_back(p.string());
    }
    if (ec) throw error(ec.value(), "load_public_certificates " + directory + ": cannot list");
    std::sort(files.begin(), files.end());
    std::vector<certificate> out;
    out.reserve(files.size());
    for (const std::string& f : files) out.push_back(certificate::load_public(f));
    return out;
}

namespace detail {
inline void check_not_connected(socket& s, const char* op) {
    const std::string ep = s.last_endpoint();
    if (!ep.empty())
        throw error(EINVAL, std::string(op) + " on " + s.describe() +
                                ": must be called before bind() and connect() (the socket "
                                "already has endpoint " +
                                ep + "; the mechanism of its connections is fixed)");
}
}  // namespace detail

/// Makes `s` a CURVE server with the keys of `server`.
/**
 * Sets option::curve_server and the secret and public keys. Clients must know
 * `server.public_key()`. Which clients are accepted is decided by the ZAP
 * handler of the context (zmqraii::authenticator, auth.hpp); without one,
 * libzmq accepts every client that knows the server's public key.
 *
 * @pre Call it before bind() and connect(): a connection takes the socket's
 *   mechanism when it is made. A socket that already has an endpoint (as
 *   option::last_endpoint reports it) is refused.
 * @throws error EINVAL when `server` has no secret key or `s` already has an
 *   endpoint; wrong_thread, stopped and error as socket::set().
 */
inline void make_curve_server(socket& s, const certificate& server) {
    constexpr const char* op = "make_curve_server";
    if (!server.has_secret())
        throw error(EINVAL, std::string(op) + " on " + s.describe() +
                                ": the server certificate has no secret key");
    detail::check_not_connected(s, op);
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
