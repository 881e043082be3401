// SPDX-License-Identifier: MIT
// detail/time.hpp: timeouts as deadlines, and deadlines as zmq_poll milliseconds.
//
// Every timed call of the API takes any std::chrono::duration. Converting one to
// the steady clock's nanoseconds overflows for large values (milliseconds::max(),
// hours::max()); the comparison is therefore made in floating point first and
// anything past the clock's range means "no deadline".
#ifndef ZMQRAII_DETAIL_TIME_HPP_INCLUDED
#define ZMQRAII_DETAIL_TIME_HPP_INCLUDED

#include <chrono>
#include <climits>

namespace zmqraii::detail {

using steady_time = std::chrono::steady_clock::time_point;

/// The deadline that is `timeout` from now: now for zero or negative timeouts,
/// time_point::max() (never) for timeouts past the clock's range.
template <class Rep, class Period>
steady_time deadline_after(std::chrono::duration<Rep, Period> timeout) noexcept {
    const auto now = std::chrono::steady_clock::now();
    if (!(timeout > std::chrono::duration<Rep, Period>::zero())) return now;  // also NaN
    const auto max_wait = steady_time::max() - now;
    if (std::chrono::duration<long double>(timeout) >= std::chrono::duration<long double>(max_wait))
        return steady_time::max();
    return now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
}

/// Milliseconds left until `deadline`, rounded up, for zmq_poll: -1 for no
/// deadline, 0 once it passed.
inline long ms_until(steady_time deadline) noexcept {
    if (deadline == steady_time::max()) return -1;
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return 0;
    return left.count() < LONG_MAX ? static_cast<long>(left.count()) : LONG_MAX;
}

}  // namespace zmqraii::detail

#endif  // ZMQRAII_DETAIL_TIME_HPP_INCLUDED
