// SPDX-License-Identifier: MIT
// impl/registry.ipp: definitions for detail/registry.hpp (see
// ZMQRAII_SEPARATE_COMPILATION).
#ifndef ZMQRAII_IMPL_REGISTRY_IPP_INCLUDED
#define ZMQRAII_IMPL_REGISTRY_IPP_INCLUDED

#include <zmqraii/detail/registry.hpp>

namespace zmqraii {

std::string socket_info::to_string() const {
    const bool named = !name.empty();
    return detail::concat({"socket ", named ? "'" : "", name, named ? "' (" : "(",
                           zmqraii::to_string(type), ", created at ", created_at, ", owned by ",
                           owner_label, ")"});
}

namespace detail {

std::string socket_entry::site_text() const {
    const source_site* u = used_at.load(std::memory_order_acquire);
    if (u == nullptr) return site.to_string();
    return concat({u->to_string(), " (its first use; constructed in ", site.to_string(), ")"});
}

std::string socket_entry::describe() const {
    const bool named = !name.empty();
    return concat({"socket ", named ? "'" : "", name, named ? "' (" : "(", to_string(type),
                   ", created at ", site_text(), ")"});
}

void install_fork_handler() noexcept {
    static const bool installed = [] {
        at_fork([] { fork_list::get().mutex.lock(); }, [] { fork_list::get().mutex.unlock(); },
                [] { mark_forked_child(); });
        return true;
    }();
    (void)installed;
}

void process_origin::throw_forked(const std::string& op_and_object) const {
    throw error(ENOTSUP, concat({op_and_object, ": this object belongs to process ", decimal(pid_),
                                 " but is used in forked child process ", decimal(current_pid()),
                                 "; a child must create its own context and objects"}));
}

void process_origin::abandon(std::thread& thread) noexcept {
    if (!thread.joinable()) return;
    // Kept reachable (never destroyed), so that leak checkers stay quiet.
    static std::mutex m;
    static auto* kept = new std::vector<std::thread>;
    std::lock_guard<std::mutex> lock(m);
    try {
        kept->push_back(std::move(thread));
    } catch (...) {
        new std::thread(std::move(thread));  // no memory: leak it instead
    }
}

context_state::context_state(void* ctx, settings s)
    : ctx_(ctx),
      settings_(s),
      pid_(current_pid()),
      fence_(heavy_fence_setup(&fence_why_)),
      max_linger_(s.linger),
      infinite_linger_(s.linger.count() < 0) {
    install_fork_handler();
    fork_list& list = fork_list::get();
    std::lock_guard<std::mutex> lock(list.mutex);
    fork_next_ = list.head;
    if (list.head != nullptr) list.head->fork_prev_ = this;
    list.head = this;
}

context_state::~context_state() {
    {
        fork_list& list = fork_list::get();
        std::lock_guard<std::mutex> lock(list.mutex);
        if (fork_prev_ != nullptr)
            fork_prev_->fork_next_ = fork_next_;
        else
            list.head = fork_next_;
        if (fork_next_ != nullptr) fork_next_->fork_prev_ = fork_prev_;
    }
    if (stopper_.joinable()) {
        // Not our thread in a forked child (it does not exist there).
        if (forked() || stopper_.get_id() == std::this_thread::get_id())
            stopper_.detach();
        else
            stopper_.join();
    }
    if (!forked() && !terminated() && ctx_ != nullptr) {
        // Last resort (the context object was moved into nothing that stopped
        // it): every socket entry is gone, so term cannot wait on sockets.
        while (zmq_ctx_term(ctx_) != 0 && zmq_errno() == EINTR) {}
    }
}

std::shared_ptr<socket_entry> context_state::open(const std::shared_ptr<context_state>& self,
                                                  socket_type type, std::string name,
                                                  source_site site) {
    auto e = std::make_shared<socket_entry>();
    e->ctx = self;
    e->type = type;
    e->name = std::move(name);
    e->site = site;
    e->owner = this_thread_record();
    e->pid = pid_;
    struct in_flight {
        context_state& st;
        explicit in_flight(context_state& s) noexcept : st(s) {
            st.creating_.fetch_add(1, std::memory_order_seq_cst);
        }
        in_flight(const in_flight&) = delete;
        in_flight& operator=(const in_flight&) = delete;
        ~in_flight() {
            if (st.creating_.fetch_sub(1, std::memory_order_seq_cst) == 1) st.poke();
        }
    } guard(*this);
    if (flags_.load(std::memory_order_seq_cst) != 0) {
        check_usable_locked("create", e->describe());  // reads only the flags
    }
    void* h = zmq_socket(ctx_, static_cast<int>(type));
    if (h == nullptr) {
        const int err = zmq_errno();
        if (err == ETERM) check_usable_locked("create", e->describe());
        const bool named = !e->name.empty();
        throw_error(err, "socket",
                    concat({to_string(type), named ? " '" : "", e->name, named ? "'" : ""}));
    }
    const int linger = static_cast<int>(settings_.linger.count());
    if (linger != -1 && zmq_setsockopt(h, ZMQ_LINGER, &linger, sizeof linger) != 0) {
        const int err = zmq_errno();
        zmq_close(h);
        throw_error(err, "socket set linger");
    }
    // Only the draft types (12 and up) can be thread-safe: ask libzmq for those.
    if (static_cast<int>(type) >= 12) {
        int ts = 0;
        std::size_t len = sizeof ts;
        if (zmq_getsockopt(h, ZMQ_THREAD_SAFE, &ts, &len) == 0) e->thread_safe = ts != 0;
    }
    e->handle = h;
    e->word.store(e->thread_safe ? gate_no_owner : gate_of(e->owner.get()),
                  std::memory_order_release);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (flags_.load(std::memory_order_acquire) == 0) {
            link_locked(e);
            ever_opened_.store(true, std::memory_order_release);
            return e;
        }
    }
    zmq_close(h);  // a stop began meanwhile: nobody else knows this socket
    check_usable_locked("create", e->describe());
    return e;  // not reached: the flags are set
}

void context_state::note_linger(std::chrono::milliseconds l) {
    std::lock_guard<std::mutex> lock(mutex_);
    max_linger_ = std::max(max_linger_, l);
    if (l.count() < 0) infinite_linger_ = true;
}

void context_state::orphan(std::shared_ptr<socket_entry> e) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    if (e->closed.load(std::memory_order_relaxed)) return;
    socket_entry& entry = *e;
    entry.orphan_keep = std::move(e);  // released by close_locked()
}

bool context_state::close(socket_entry& e) noexcept {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (e.closed.load(std::memory_order_relaxed)) return false;
        e.closed.store(true, std::memory_order_release);
        e.word.fetch_or(flag_closed, std::memory_order_seq_cst);
        unlink_locked(e);
        cv_.notify_all();
    }
    if (!forked()) zmq_close(e.handle);
    return true;
}

std::vector<socket_info> context_state::live_sockets() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<socket_info> out;
    out.reserve(live_count_);
    for (const socket_entry* e = head_; e != nullptr; e = e->next) out.push_back(info_locked(*e));
    return out;
}

void context_state::throw_stopping(const char* op, const std::string& what) const {
    throw stopped(concat({op, " ", what, ": context is stopping"}));
}

void context_state::throw_forked(const char* op, const std::string& what) const {
    throw error(ENOTSUP, concat({op, " on ", what, ": this object belongs to process ",
                                 decimal(pid_), " but is used in forked child process ",
                                 decimal(current_pid()), "; a child must create its own context"}));
}

void context_state::begin_stop() noexcept {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (flags_.load(std::memory_order_relaxed) & flag_stopping) return;
        flags_.fetch_or(flag_stopping, std::memory_order_seq_cst);
        stop_began_ = std::chrono::steady_clock::now();
        // Every gate mismatches from now on, so every operation takes the slow
        // path, which reads flags_ (set above) and throws stopped.
        for (socket_entry* e = head_; e != nullptr; e = e->next)
            e->word.fetch_or(flag_stopping, std::memory_order_seq_cst);
        if (forked()) return;  // a child does not touch the parent's libzmq state
        zmq_ctx_shutdown(ctx_);
        try {
            stopper_ = std::thread([this] { run_stopper(); });
            return;
        } catch (...) {
            // No thread to be had: the threads that wait in stop() (or the
            // destructor) run the stop themselves.
            stopper_failed_ = true;
        }
    }
    report_diagnostic(severity::report,
                      "context stop: no thread could be started for the stop; it completes "
                      "in stop(), stop_for() or the context's destructor");
}

bool context_state::wait_stopped(std::chrono::steady_clock::time_point deadline,
                                 bool report_when_late) {
    using clock = std::chrono::steady_clock;
    const thread_record* me = this_thread_raw();
    std::unique_lock<std::mutex> lock(mutex_);
    // A thread waiting here is not inside libzmq: its sockets may be closed
    // whatever its marks say (a raw_call scope open around stop(), say).
    waiter self{me, waiters_};
    waiters_ = &self;
    struct unregister {
        waiter*& head;
        const waiter* self;
        unregister(waiter*& h, const waiter* w) noexcept : head(h), self(w) {}
        unregister(const unregister&) = delete;
        unregister& operator=(const unregister&) = delete;
        ~unregister() {
            for (waiter** p = &head; *p != nullptr; p = &(*p)->next)
                if (*p == self) {
                    *p = self->next;
                    break;
                }
        }
    } unreg(waiters_, &self);
    cv_.notify_all();  // the stopper may close this thread's sockets now
    const auto report_at = clock::now() + settings_.stop_report_after;
    bool reported = false;
    for (;;) {
        if (terminated()) return true;
        const auto now = clock::now();
        if (report_when_late && !reported && now >= report_at) {
            reported = true;
            std::string text = report_locked();
            lock.unlock();
            report_diagnostic(severity::report, std::move(text));
            lock.lock();
            continue;
        }
        if (now >= deadline) return false;
        auto until = deadline;
        if (report_when_late && !reported) until = std::min(until, report_at);
        if (stopper_failed_) {
            if (stop_loop(lock, until)) return true;
        } else {
            cv_.wait_until(lock, until);
        }
    }
}

std::string context_state::stop_report() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return report_locked();
}

std::string context_state::owner_label(const socket_entry& e) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return info_locked(e).owner_label;
}

std::thread::id context_state::owner_id(const socket_entry& e) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return e.owner ? e.owner->id : std::thread::id();
}

socket_info context_state::info_locked(const socket_entry& e) const {
    socket_info i;
    i.name = e.name;
    i.type = e.type;
    i.created_at = e.site_text();
    if (e.owner) {
        i.owner = e.owner->id;
        i.owner_alive = e.owner->alive.load(std::memory_order_acquire);
        i.owner_label = e.owner->label();
    } else {
        i.owner_label = "(handed off, not adopted yet)";
    }
    return i;
}

bool context_state::close_locked(socket_entry& e) noexcept {
    if (e.closed.load(std::memory_order_relaxed)) return false;
    e.closed.store(true, std::memory_order_release);
    e.word.fetch_or(flag_closed, std::memory_order_seq_cst);  // no owner matches it now
    if (!forked()) zmq_close(e.handle);
    unlink_locked(e);
    cv_.notify_all();
    // Last: this may destroy `e` (an orphan's only owner is its orphan_keep).
    const std::shared_ptr<socket_entry> keep = std::move(e.orphan_keep);
    return true;
}

const char* context_state::busy_reason_locked(const socket_entry& e) const {
    if (e.thread_safe) return "a thread-safe socket: closed by the thread that holds it";
    const thread_record* owner = e.owner.get();
    if (owner == nullptr || !owner->alive.load(std::memory_order_acquire) ||
        is_waiter_locked(owner))
        return "";
    if (!fenced_)
        return "no process-wide memory barrier is available here, so only its owner thread "
               "closes it";
    // The mark first, then raw_taken: handle() sets raw_taken inside a call.
    if (owner->in_call(static_cast<const gate_word*>(&e), this))
        return "its owner thread is inside a libzmq call with it (a call the stop woke ends "
               "at once; a raw_call() scope or a call on another context's socket does not)";
    if (e.raw_taken.load(std::memory_order_acquire))
        return "its raw handle() was taken, so only its owner thread closes it (use "
               "raw_call() scopes instead)";
    if (e.fd_waits.load(std::memory_order_acquire) > 0)
        return "an event loop waits on its ZMQ_FD (the stop signals it: the wait ends as soon "
               "as the loop runs)";
    return "";
}

void context_state::close_idle_locked() noexcept {
    for (socket_entry* e = head_; e != nullptr;) {
        socket_entry* next = e->next;  // close_locked unlinks e
        if (*busy_reason_locked(*e) == '\0') close_locked(*e);
        e = next;
    }
}

void context_state::run_stopper() noexcept {
    const bool fenced = heavy_fence(fence_);
    std::unique_lock<std::mutex> lock(mutex_);
    fenced_ = fenced;
    fence_done_ = true;
    stop_loop(lock, std::chrono::steady_clock::time_point::max());
}

bool context_state::stop_loop(std::unique_lock<std::mutex>& lock,
                              std::chrono::steady_clock::time_point deadline) noexcept {
    using namespace std::chrono;
    if (!fence_done_) {  // run by a waiter (no stopper thread)
        fenced_ = heavy_fence(fence_);
        fence_done_ = true;
    }
    for (;;) {
        if (terminated()) return true;
        if (!term_started_) {
            close_idle_locked();
            if (head_ == nullptr && creating_.load(std::memory_order_seq_cst) == 0) {
                term_started_ = true;
                lock.unlock();
                while (zmq_ctx_term(ctx_) != 0 && zmq_errno() == EINTR) {}
                lock.lock();
                terminated_.store(true, std::memory_order_release);
                cv_.notify_all();
                return true;
            }
        }
        const auto now = steady_clock::now();
        if (now >= deadline) return false;
        const auto slice =
            now - stop_began_ < milliseconds(200) ? milliseconds(1) : milliseconds(10);
        cv_.wait_until(lock, std::min<steady_clock::time_point>(deadline, now + slice));
    }
}

std::string context_state::report_locked() const {
    if (head_ != nullptr) {
        std::string s =
            concat({"context stop is waiting for ", decimal(live_count_), " open socket(s):"});
        for (const socket_entry* e = head_; e != nullptr; e = e->next) {
            const char* why = busy_reason_locked(*e);
            const bool busy = *why != '\0';
            s += concat({"\n  ", info_locked(*e).to_string(), busy ? ": " : "", why});
        }
        if (!fenced_ && fence_done_ && !fence_why_.empty()) s += concat({"\n  (", fence_why_, ")"});
        return s;
    }
    if (term_started_ && !terminated()) {
        const bool forever = infinite_linger_;
        return concat(
            // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): a split sentence
            {"context stop: every socket is closed; zmq_ctx_term is waiting for "
             "pending outbound messages to be sent (linger ",
             forever ? "-1 = forever on some socket" : "up to ",
             forever ? std::string_view() : decimal(max_linger_.count()), forever ? "" : " ms",
             ")"});
    }
    if (terminated()) return "context stopped";
    if (stopping()) return "context stop has begun";
    return "context is running";
}

void mark_forked_child() noexcept {
    // Runs in the child right after fork(): only this thread exists, and the
    // prepare handler holds the list mutex, so the list is consistent.
    fork_list& list = fork_list::get();
    fork_generation().fetch_add(1, std::memory_order_acq_rel);
    for (context_state* s = list.head; s != nullptr; s = s->next_in_fork_list()) s->mark_forked();
    list.mutex.unlock();
    forget_thread_record_after_fork();
}

}  // namespace detail
}  // namespace zmqraii

#endif  // ZMQRAII_IMPL_REGISTRY_IPP_INCLUDED
