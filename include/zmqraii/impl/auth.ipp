// SPDX-License-Identifier: MIT
// impl/auth.ipp: definitions for auth.hpp (see ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_AUTH_IPP_INCLUDED
#define ZMQRAII_IMPL_AUTH_IPP_INCLUDED

#include <zmqraii/auth.hpp>
#include <zmqraii/cert.hpp>
#include <zmqraii/context.hpp>
#include <zmqraii/detail/ip_address.hpp>
#include <zmqraii/detail/platform.hpp>
#include <zmqraii/detail/zap.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/message.hpp>
#include <zmqraii/multipart.hpp>
#include <zmqraii/options.hpp>
#include <zmqraii/poller.hpp>
#include <zmqraii/socket.hpp>
#include <zmqraii/worker.hpp>
#include <zmqraii/zap_decision.hpp>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zmqraii {
ZMQRAII_ABI_BEGIN

// The handler thread.
struct authenticator::body {
    std::shared_ptr<detail::zap_shared> shared;

    void operator()(worker_context& wc) {
        // A ROUTER, not a REP: a REP takes every frame up to the first empty
        // one as the envelope, so a request without its delimiter would
        // reach handle() shifted (a password where the domain should be).
        socket zap(wc.context(), socket_type::router, "zap handler");
        zap.set(option::linger, std::chrono::milliseconds(0));
        try {
            zap.bind(endpoint);
        } catch (const error& e) {
            if (e.num() != EADDRINUSE) throw;
            throw error(EADDRINUSE,
                        "authenticator: this context already has a ZAP handler bound to " +
                            std::string(endpoint) + " (one per context)");
        }
        wc.ready();
        worker_pipe& pipe = wc.pipe();
        poller p;
        // The parent sends nothing but its stop notice, which try_recv()
        // throws as stopped: that ends the body, and the sockets close here.
        p.add(pipe.socket(), poll_events::in, [&pipe](poll_events) {
            while (pipe.try_recv()) {}
        });
        p.add(zap, poll_events::in, [this, &zap](poll_events) {
            while (auto request = try_recv_multipart(zap)) handle(zap, *request);
        });
        try {
            for (;;) p.wait();
        } catch (...) {
            // libzmq releases an inproc endpoint only once its reaper thread
            // has destroyed the closed socket; unbind first, so that a new
            // authenticator can bind as soon as stop() has returned.
            try {
                zap.unbind(endpoint);
            } catch (...) {  // the context is stopping: nobody binds again
            }
            throw;
        }
    }

    // `req`: the routing id of the requester, then its frames (zap_decide()).
    void handle(socket& zap, const multipart& req) {
        if (req.empty()) return;
        std::vector<std::string_view> frames;
        frames.reserve(req.size() - 1);
        for (std::size_t i = 1; i < req.size(); ++i) frames.push_back(req[i].to_string_view());
        detail::zap_verdict v;
        {
            std::lock_guard<std::mutex> lock(shared->mutex);
            v = detail::zap_decide(shared->policies, frames);
        }
        log(v.decision);
        // Frame by frame with socket::send(string_view): libzmq copies the
        // bytes itself (a message built here and read by another thread
        // would be published through libzmq's queues, which ThreadSanitizer
        // cannot see).
        const zap_decision& d = v.decision;
        const std::string status = std::to_string(d.status);
        const auto more = send_flags::more;
        zap.send(req[0].to_string_view(), more);  // routing id
        zap.send(std::string_view(), more);       // delimiter
        zap.send(std::string_view("1.0"), more);
        zap.send(std::string_view(v.request_id), more);
        zap.send(std::string_view(status), more);
        zap.send(std::string_view(d.reason), more);
        zap.send(std::string_view(d.status == 200 ? d.user_id : std::string()), more);
        zap.send(std::string_view());  // no metadata
    }

    void log(const zap_decision& d) noexcept {
        std::lock_guard<std::mutex> lock(shared->log_mutex);
        if (!shared->log) return;
        try {
            shared->log(d);
        } catch (const std::exception& e) {
            report_diagnostic(severity::report,
                              std::string("authenticator: the log callback threw: ") + e.what());
        } catch (...) {
            report_diagnostic(severity::report, "authenticator: the log callback threw");
        }
    }
};

authenticator::authenticator(context& ctx) : shared_(std::make_shared<detail::zap_shared>()) {
    shared_->policies[std::string(all_domains)];
    worker_ = worker(ctx, "zap authenticator", body{shared_});
}

void authenticator::allow(std::string_view address, std::string_view domain) {
    const detail::ip_address a = detail::parse_filter_address(address, "authenticator allow");
    std::lock_guard<std::mutex> lock(shared("configure").mutex);
    policy(domain).allow.insert(a);
}

void authenticator::deny(std::string_view address, std::string_view domain) {
    const detail::ip_address a = detail::parse_filter_address(address, "authenticator deny");
    std::lock_guard<std::mutex> lock(shared("configure").mutex);
    policy(domain).deny.insert(a);
}

void authenticator::add_plain_user(std::string_view user, std::string_view password,
                                   std::string_view domain) {
    if (user.empty()) throw error(EINVAL, "authenticator add_plain_user: empty user name");
    std::lock_guard<std::mutex> lock(shared("configure").mutex);
    auto& users = policy(domain).plain_users;
    if (!users) users.emplace();
    (*users)[std::string(user)] = std::string(password);
}

void authenticator::load_plain_users(const std::string& path, std::string_view domain,
                                     secret_file_permissions permissions) {
    constexpr const char* op = "authenticator load_plain_users";
    const detail::file_contents file =
        detail::read_regular_file(path, op, detail::max_passwords_file_bytes);
    detail::check_secret_file_mode(path, op, file.mode, permissions, "passwords");
    std::map<std::string, std::string> users =
        detail::parse_plain_users(file.data, std::string(op) + " " + path);
    std::lock_guard<std::mutex> lock(shared("configure").mutex);
    policy(domain).plain_users = std::move(users);
}

void authenticator::clear_plain_users(std::string_view domain) {
    std::lock_guard<std::mutex> lock(shared("configure").mutex);
    policy(domain).plain_users.emplace();
}

void authenticator::allow_curve_key(std::string_view public_z85, std::string_view domain) {
    const certificate c = certificate::from_public(public_z85);  // validates
    std::lock_guard<std::mutex> lock(shared("configure").mutex);
    curve(domain).emplace(c.public_key());
}

void authenticator::allow_curve_certificates(const std::vector<certificate>& certs,
                                             std::string_view domain) {
    std::lock_guard<std::mutex> lock(shared("configure").mutex);
    auto& keys = curve(domain);
    for (const certificate& c : certs) keys.insert(c.public_key());
}

void authenticator::load_curve_keys(const std::string& directory, std::string_view domain) {
    const std::vector<certificate> certs = load_public_certificates(directory);
    std::set<std::string> keys;
    for (const certificate& c : certs) keys.insert(c.public_key());
    std::lock_guard<std::mutex> lock(shared("configure").mutex);
    curve(domain) = std::move(keys);
}

void authenticator::allow_any_curve(bool any, std::string_view domain) {
    std::lock_guard<std::mutex> lock(shared("configure").mutex);
    curve(domain);
    policy(domain).curve_any = any;
}

void authenticator::set_log(std::function<void(const zap_decision&)> log) {
    std::function<void(const zap_decision&)> old;
    {
        std::lock_guard<std::mutex> lock(shared("set_log").log_mutex);
        old = std::exchange(shared_->log, std::move(log));
    }
}  // `old` is destroyed outside the lock

void authenticator::set_log(std::ostream& out) {
    set_log([&out](const zap_decision& d) { out << d.to_string() << '\n' << std::flush; });
}

detail::zap_shared& authenticator::shared(const char* op) const {
    if (!shared_) throw error(EFAULT, std::string("authenticator ") + op + ": empty (moved from)");
    return *shared_;
}

detail::zap_policy& authenticator::policy(std::string_view domain) {
    return shared_->policies[std::string(domain)];
}

std::set<std::string>& authenticator::curve(std::string_view domain) {
    auto& keys = policy(domain).curve_keys;
    if (!keys) keys.emplace();
    return *keys;
}

void make_plain_server(socket& s, std::int64_t max_message_size) {
    constexpr const char* op = "make_plain_server";
    detail::check_max_message_size(s, op, max_message_size);
    detail::check_not_connected(s, op);
    s.set(option::maxmsgsize, max_message_size);
    s.set(option::plain_server, true);
}

void make_plain_client(socket& s, std::string_view user, std::string_view password) {
    if (user.empty()) throw error(EINVAL, "make_plain_client on " + s.describe() + ": empty user");
    detail::check_not_connected(s, "make_plain_client");
    s.set(option::plain_username, user);
    s.set(option::plain_password, password);
}

ZMQRAII_ABI_END
}  // namespace zmqraii

#endif  // ZMQRAII_IMPL_AUTH_IPP_INCLUDED
