// SPDX-License-Identifier: MIT
// detail/platform.hpp: the operating-system calls zmqraii makes itself.
//
// Linux (glibc or musl) is the platform zmqraii supports today. Everything that is
// not standard C++ or libzmq lives here, so that a port is this file's work:
//   - process ids and fork hooks (fork detection, see detail/registry.hpp);
//   - the heavy side of the asymmetric memory barrier that the stop protocol
//     uses (see detail/owner.hpp, "in-call marks").
#ifndef ZMQRAII_DETAIL_PLATFORM_HPP_INCLUDED
#define ZMQRAII_DETAIL_PLATFORM_HPP_INCLUDED

#include <zmqraii/config.hpp>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

#include <pthread.h>
#include <sys/types.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#define ZMQRAII_HAS_MEMBARRIER 1
#else
#define ZMQRAII_HAS_MEMBARRIER 0
#endif

namespace zmqraii::detail {

/// The text of errno value `errnum` ("No such file or directory"). Thread-safe
/// (strerror_r), unlike std::strerror.
inline std::string errno_text(int errnum) {
    char buf[256] = {};
    // glibc's strerror_r (GNU) returns the text, the POSIX one (musl, macOS) an
    // int and the text in buf: the overloads pick the text either way.
    struct pick {
        static const char* text(const char* r, const char* /*buf*/) noexcept { return r; }
        static const char* text(int r, const char* b) noexcept {
            return r == 0 ? b : "unknown error";
        }
    };
    return pick::text(::strerror_r(errnum, buf, sizeof buf), buf);
}

/// Process id, for fork reports.
inline long current_pid() noexcept { return static_cast<long>(::getpid()); }

/// The calling thread's pthread_t as a number (what std::thread::id prints).
inline unsigned long long native_thread_number() noexcept {
    return static_cast<unsigned long long>(::pthread_self());
}

/// True on the process's main thread (Linux: its thread id is the process id).
inline bool is_main_thread() noexcept {
#if defined(__linux__)
    return ::syscall(SYS_gettid) == ::getpid();
#else
    return false;
#endif
}

/// Sets the calling thread's name as the OS shows it (top, gdb, /proc), cut to
/// what the OS keeps (15 bytes on Linux). Best effort: failures are ignored.
inline void set_os_thread_name(const std::string& name) noexcept {
#if defined(__linux__)
    char buf[16] = {};
    name.copy(buf, sizeof buf - 1);
    (void)::pthread_setname_np(::pthread_self(), buf);
#else
    (void)name;
#endif
}

/// Registers fork handlers (pthread_atfork): prepare, parent, child.
inline void at_fork(void (*prepare)(), void (*parent)(), void (*child)()) noexcept {
    ::pthread_atfork(prepare, parent, child);
}

// ---- the asymmetric barrier --------------------------------------------------
//
// The owner of a socket writes "I am inside libzmq with this socket" and then
// reads the socket's stop bit; a stopping thread writes the stop bit and then
// reads the mark. Each side needs a full barrier between its write and its read
// (store-load ordering), or both can miss the other's write. The owner does this
// on every operation, so its side must be cheap: a compiler barrier. The stopper
// then runs a barrier on every CPU that runs a thread of this process
// (membarrier(2), private expedited), which turns those compiler barriers into
// full barriers at that instant. Where membarrier is refused (old kernel,
// seccomp), the mprotect() trick does the same on x86-64: changing a page's
// protection sends a TLB shoot-down interrupt to every CPU running the process.

/// How the stopping side orders its write before reading the marks.
enum class heavy_fence_kind {
    membarrier,  ///< membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
    mprotect,    ///< TLB shoot-down through mprotect() (x86-64)
    owner_full,  ///< owners use a full fence themselves (TSan builds, non-Linux)
    none,        ///< no barrier: idle sockets of live owners cannot be closed safely
};

/// Owners' side: enough for membarrier, a full fence where membarrier is not used.
inline constexpr bool owner_uses_full_fence = ZMQRAII_TSAN != 0 || ZMQRAII_HAS_MEMBARRIER == 0;

/// Registers the process for private expedited membarrier (once). Returns the
/// kind of heavy fence this process will use, and in `why` the reason when it is
/// not membarrier.
inline heavy_fence_kind heavy_fence_setup(std::string* why = nullptr) {
    struct result {
        heavy_fence_kind kind;
        std::string why;
    };
    static const result r = []() -> result {
        if (owner_uses_full_fence) return {heavy_fence_kind::owner_full, std::string()};
#if ZMQRAII_HAS_MEMBARRIER
        const long q = ::syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
        std::string reason;
        if (q >= 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0 &&
            ::syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0)
            return {heavy_fence_kind::membarrier, std::string()};
        reason = q < 0 ? std::string("membarrier: ") + errno_text(errno)
                       : std::string("membarrier: private expedited command not available");
#if defined(__x86_64__) || defined(__i386__)
        return {heavy_fence_kind::mprotect, reason};
#else
        return {heavy_fence_kind::none, reason};
#endif
#else
        return {heavy_fence_kind::none, "no process-wide memory barrier on this platform"};
#endif
    }();
    if (why != nullptr) *why = r.why;
    return r.kind;
}

#if ZMQRAII_HAS_MEMBARRIER
/// The mprotect() barrier: write a private page, then take away write access,
/// which makes the kernel flush that page's TLB entry on every CPU that runs
/// this process, by interrupt. False when the kernel refuses the calls.
inline bool mprotect_fence() noexcept {
    static std::mutex m;
    static void* page = nullptr;
    const long size = ::sysconf(_SC_PAGESIZE);
    std::lock_guard<std::mutex> lock(m);
    if (page == nullptr) {
        void* p = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return false;
        page = p;
    }
    const auto n = static_cast<std::size_t>(size);
    if (::mprotect(page, n, PROT_READ | PROT_WRITE) != 0) return false;
    // A write through a volatile pointer: the page must be present and dirty so
    // that taking write access away needs a shoot-down.
    static_cast<volatile char*>(page)[0] =
        static_cast<char>(static_cast<volatile char*>(page)[0] + 1);
    return ::mprotect(page, n, PROT_READ) == 0;
}
#endif

/// The stopping side: a full barrier on every thread of the process (see above).
/// Returns false when no such barrier could be made; idle sockets of live owner
/// threads must then not be closed by the stopping thread.
inline bool heavy_fence(heavy_fence_kind kind) noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    switch (kind) {
        case heavy_fence_kind::owner_full: return true;
#if ZMQRAII_HAS_MEMBARRIER
        case heavy_fence_kind::membarrier:
            return ::syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
        case heavy_fence_kind::mprotect: return mprotect_fence();
#endif
        default: return false;
    }
}

}  // namespace zmqraii::detail

#endif  // ZMQRAII_DETAIL_PLATFORM_HPP_INCLUDED
