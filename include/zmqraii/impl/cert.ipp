// SPDX-License-Identifier: MIT
// impl/cert.ipp: definitions for cert.hpp (see ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_CERT_IPP_INCLUDED
#define ZMQRAII_IMPL_CERT_IPP_INCLUDED

#include <zmqraii/cert.hpp>
#include <zmqraii/curve.hpp>
#include <zmqraii/detail/cert_file.hpp>
#include <zmqraii/detail/log_text.hpp>
#include <zmqraii/detail/platform.hpp>
#include <zmqraii/error.hpp>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zmqraii {

namespace detail {

void check_secret_file_mode(const std::string& path, const char* op, file_mode mode,
                            secret_file_permissions permissions, const char* what) {
    if (permissions == secret_file_permissions::any || !others_may_access(mode)) return;
    throw error(EACCES, std::string(op) + " " + path + ": holds " + what + ", but its mode " +
                            file_mode_text(mode) +
                            " lets group or others access it; make it private with `chmod 600 " +
                            shell_word(path) +
                            "` (or pass zmqraii::secret_file_permissions::any to accept it)");
}

}  // namespace detail

certificate::certificate(const curve_keypair& keys) {
    check_key("certificate", "public key", keys.public_key, true);
    check_key("certificate", "secret key", keys.secret_key, false);
    if (curve_public_from_secret(keys.secret_key) != keys.public_key)
        throw error(EINVAL, "certificate: the public key does not belong to the secret key");
    public_ = keys.public_key;
    secret_ = keys.secret_key;
}

certificate certificate::from_secret(std::string_view secret_z85) {
    check_key("certificate::from_secret", "secret key", secret_z85, false);
    return certificate(
        curve_keypair{curve_public_from_secret(secret_z85), std::string(secret_z85)});
}

certificate certificate::from_public(std::string_view public_z85) {
    check_key("certificate::from_public", "public key", public_z85, true);
    return certificate(std::string(public_z85));
}

certificate certificate::public_only() const {
    certificate c(public_);
    c.meta_ = meta_;
    return c;
}

void certificate::set_meta(std::string_view name, std::string_view value) {
    const std::string problem = meta_problem(name, value);
    if (!problem.empty()) throw error(EINVAL, "certificate::set_meta: " + problem);
    meta_[std::string(name)] = std::string(value);
}

std::optional<std::string> certificate::meta(std::string_view name) const {
    const auto it = meta_.find(std::string(name));
    if (it == meta_.end()) return std::nullopt;
    return it->second;
}

void certificate::save(const std::string& path) const {
    save_public(path);
    if (has_secret()) save_secret(path + "_secret");
}

void certificate::save_secret(const std::string& path) const {
    if (!has_secret())
        throw error(EINVAL, "certificate::save_secret " + path +
                                ": this certificate has no secret key (a public certificate)");
    write("certificate::save_secret", path, true, 0600);
}

certificate certificate::load(const std::string& path, secret_file_permissions permissions) {
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

certificate certificate::load_public(const std::string& path) {
    constexpr const char* op = "certificate::load_public";
    const detail::file_contents file =
        detail::read_regular_file(path, op, detail::max_certificate_file_bytes);
    return parse_text(file.data, std::string(op) + " " + path).public_only();
}

void certificate::check_key(const std::string& op, const char* which, std::string_view key,
                            bool is_public) {
    if (key.size() != 40)
        throw error(EINVAL, op + ": the " + which + " must be 40 Z85 characters, got " +
                                std::to_string(key.size()));
    detail::check_z85(op + ": " + which, key, is_public);
}

std::string certificate::meta_problem(std::string_view name, std::string_view value) {
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

std::string certificate::text(bool with_secret) const {
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

void certificate::write(const char* op, const std::string& path, bool with_secret,
                        detail::file_mode mode) const {
    const std::string t = text(with_secret);
    if (t.size() > detail::max_certificate_file_bytes)
        throw error(EFBIG, std::string(op) + " " + path + ": the file would be " +
                               std::to_string(t.size()) + " bytes, more than the " +
                               std::to_string(detail::max_certificate_file_bytes) +
                               " bytes load() reads (too much metadata)");
    detail::write_file_replacing(path, t, mode, op);
}

certificate certificate::parse_text(std::string_view content, const std::string& where) {
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

std::vector<certificate> load_public_certificates(const std::string& directory) {
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

}  // namespace zmqraii

#endif  // ZMQRAII_IMPL_CERT_IPP_INCLUDED
