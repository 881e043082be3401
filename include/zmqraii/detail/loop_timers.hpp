// SPDX-License-Identifier: MIT
// detail/loop_timers.hpp: the timers of a zmqraii::loop: one-shot and periodic
// callbacks (after, every) and coroutine sleeps (sleep_for), by deadline.
//
// A min-heap of (deadline, id) over a map from id to timer: cancelling erases
// the map entry and leaves its heap entry, which is dropped when it comes up
// (or when stale entries are most of the heap, which is then rebuilt). Equal
// deadlines run in id order, that is in the order they were added. A periodic
// timer's callback runs from a local, so that it may cancel its own timer.
#ifndef ZMQRAII_DETAIL_LOOP_TIMERS_HPP_INCLUDED
#define ZMQRAII_DETAIL_LOOP_TIMERS_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/detail/loop_waiter.hpp>
#include <zmqraii/detail/time.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace zmqraii::detail {

class loop_timers {
public:
    using clock = std::chrono::steady_clock;

    /// A callback, first `first` from now, then every `period` (zero: once).
    std::uint64_t add(clock::duration first, clock::duration period, std::function<void()> fn) {
        return insert(deadline_after(first), timer_state{std::move(fn), period, nullptr, {}});
    }

    /// A waiter to resume at `due`; the caller links it (w.timer is the id).
    std::uint64_t add_waiter(loop_waiter& w, steady_time due) {
        return insert(due, timer_state{{}, clock::duration::zero(), &w, {}});
    }

    /// Cancels a callback timer. False when it is not pending (ran, cancelled,
    /// or a waiter's, which only its waiter cancels).
    bool cancel(std::uint64_t id) noexcept {
        auto it = timers_.find(id);
        if (it == timers_.end() || it->second.waiter != nullptr) return false;
        timers_.erase(it);
        maybe_rebuild_heap();
        return true;
    }

    /// Forgets a waiter's timer (the waiter unlinks).
    void erase(std::uint64_t id) noexcept { timers_.erase(id); }

    /// Pending callback timers.
    std::size_t count() const noexcept {
        std::size_t n = 0;
        for (const auto& kv : timers_)
            if (kv.second.waiter == nullptr) ++n;
        return n;
    }

    /// A waiter that waits for a timer, or null.
    loop_waiter* any_waiter() const noexcept {
        for (const auto& kv : timers_)
            if (kv.second.waiter != nullptr) return kv.second.waiter;
        return nullptr;
    }

    /// The loop goes: its waiters are no longer linked to it.
    void detach_waiters() noexcept {
        for (auto& kv : timers_) {
            if (kv.second.waiter == nullptr) continue;
            kv.second.waiter->at = loop_waiter::place::none;
            kv.second.waiter->core = nullptr;
        }
    }

    /// The earliest pending deadline (drops stale heap entries), or max().
    steady_time next_due() {
        while (!heap_.empty()) {
            const due_entry& top = heap_.front();
            auto it = timers_.find(top.id);
            if (it != timers_.end() && it->second.due == top.at) return top.at;
            std::pop_heap(heap_.begin(), heap_.end());
            heap_.pop_back();
        }
        return steady_time::max();
    }

    /// Runs, in deadline order, what was due at `now`, while `go_on()`: callbacks
    /// are called, waiters resumed. What a callback throws leaves run_due (a
    /// periodic timer stays scheduled).
    template <class GoOn>
    void run_due(steady_time now, GoOn go_on) {
        while (go_on()) {
            if (next_due() > now) return;
            const due_entry top = heap_.front();
            std::pop_heap(heap_.begin(), heap_.end());
            heap_.pop_back();
            auto it = timers_.find(top.id);
            timer_state& t = it->second;
            if (t.waiter != nullptr) {
                loop_waiter& w = *t.waiter;
                timers_.erase(it);
                w.timer = 0;
                w.at = loop_waiter::place::none;
                w.core = nullptr;
                w.resume(w);
            } else if (t.period == clock::duration::zero()) {
                std::function<void()> fn = std::move(t.fn);
                timers_.erase(it);
                fn();
            } else {
                run_periodic(top, t, now);
            }
        }
    }

private:
    struct timer_state {
        std::function<void()> fn;
        clock::duration period;
        loop_waiter* waiter;  // a coroutine's sleep_for; then fn is empty
        steady_time due;
    };
    struct due_entry {
        steady_time at;
        std::uint64_t id;
        // A min-heap with std::push_heap: the "largest" is the earliest.
        bool operator<(const due_entry& o) const noexcept {
            return at != o.at ? at > o.at : id > o.id;
        }
    };

    std::uint64_t insert(steady_time due, timer_state t) {
        const std::uint64_t id = ++next_id_;
        t.due = due;
        timers_.emplace(id, std::move(t));
        try {
            push_due(due, id);
        } catch (...) {
            timers_.erase(id);
            throw;
        }
        return id;
    }

    void push_due(steady_time at, std::uint64_t id) {
        heap_.push_back(due_entry{at, id});
        std::push_heap(heap_.begin(), heap_.end());
    }

    // The heap keeps entries of cancelled and rescheduled timers until they
    // come up; rebuild it when they are most of it.
    void maybe_rebuild_heap() noexcept {
        if (heap_.size() < 64 || heap_.size() < 2 * timers_.size()) return;
        heap_.clear();
        for (const auto& kv : timers_) heap_.push_back(due_entry{kv.second.due, kv.first});
        std::make_heap(heap_.begin(), heap_.end());
    }

    void run_periodic(const due_entry& top, timer_state& t, steady_time now) {
        // The callback may cancel its own timer (or add others, which may
        // rehash the map): it runs from a local, and goes back only if its
        // timer is still there. Missed periods are skipped, not run in a burst.
        steady_time next = top.at + t.period;
        if (next <= now) next = now + t.period;
        t.due = next;
        struct restore {
            loop_timers& timers;
            std::uint64_t id;
            steady_time next;
            std::function<void()> fn;
            restore(loop_timers& ts, std::uint64_t i, steady_time n, std::function<void()>&& f)
                : timers(ts), id(i), next(n), fn(std::move(f)) {}
            restore(const restore&) = delete;
            restore& operator=(const restore&) = delete;
            restore(restore&&) = delete;
            restore& operator=(restore&&) = delete;
            ~restore() {
                auto it = timers.timers_.find(id);
                if (it == timers.timers_.end()) return;
                it->second.fn = std::move(fn);
                try {
                    timers.push_due(next, id);
                } catch (...) {  // no memory for the heap entry: the timer ends
                    timers.timers_.erase(it);
                }
            }
        } r{*this, top.id, next, std::move(t.fn)};
        r.fn();
    }

    std::unordered_map<std::uint64_t, timer_state> timers_;
    std::vector<due_entry> heap_;
    std::uint64_t next_id_ = 0;
};

}  // namespace zmqraii::detail

#endif  // ZMQRAII_DETAIL_LOOP_TIMERS_HPP_INCLUDED
