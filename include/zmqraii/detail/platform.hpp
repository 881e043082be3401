// SPDX-License-Identifier: MIT
// detail/platform.hpp: the operating-system calls zmqraii makes itself.
//
// Linux (glibc or musl) is the platform zmqraii supports today (README.md,
// "Supported platforms"). Everything that is not standard C++ or libzmq lives
// here, so that a port is this file's work:
//   - errno texts, process and thread ids, thread names, fork hooks (fork
//     detection, see detail/registry.hpp);
//   - the heavy side of the asymmetric memory barrier that the stop protocol
//     uses (see detail/owner.hpp, "in-call marks");
//   - wake_fd, the descriptor a mailbox makes readable (eventfd; a pipe elsewhere);
//   - duplicate_fd() and close_fd(), for event loops that wait on ZMQ_FD (asio.hpp);
//   - the files of certificates and passwords: read_regular_file(),
//     write_file_replacing() and the permission bits of a secret file.
#ifndef ZMQRAII_DETAIL_PLATFORM_HPP_INCLUDED
#define ZMQRAII_DETAIL_PLATFORM_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/error.hpp>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/eventfd.h>
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

// ---- descriptors ---------------------------------------------------------------

/// Closes `fd` (errors ignored: nothing can be done about them).
inline void close_fd(int fd) noexcept { (void)::close(fd); }

/// A duplicate of `fd` that is closed on exec; -1 with errno on failure.
inline int duplicate_fd(int fd) noexcept { return ::fcntl(fd, F_DUPFD_CLOEXEC, 0); }

/// A file descriptor that is readable while set: an eventfd on Linux, the read
/// end of a non-blocking pipe elsewhere. The caller serializes set() and clear().
class wake_fd {
public:
    /// @throws error with errno ("mailbox eventfd", "mailbox pipe") when no
    ///   descriptor is left.
    wake_fd() {
#if defined(__linux__)
        // NOLINTNEXTLINE(cppcoreguidelines-prefer-member-initializer): one #if sets both fds
        read_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (read_fd_ < 0) throw error(errno, "mailbox eventfd");
        write_fd_ = read_fd_;
#else
        int fds[2];
        if (::pipe(fds) != 0) throw error(errno, "mailbox pipe");
        for (int fd : fds) {
            ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
            ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
        read_fd_ = fds[0];
        write_fd_ = fds[1];
#endif
    }
    wake_fd(const wake_fd&) = delete;
    wake_fd& operator=(const wake_fd&) = delete;
    ~wake_fd() {
        if (write_fd_ != read_fd_) ::close(write_fd_);
        ::close(read_fd_);
    }

    /// The descriptor to poll for reading.
    int fd() const noexcept { return read_fd_; }

    /// Makes fd() readable.
    // NOLINTNEXTLINE(readability-make-member-function-const): writes the fd's state
    void set() noexcept {
#if defined(__linux__)
        const std::uint64_t one = 1;
        while (::write(write_fd_, &one, sizeof one) < 0 && errno == EINTR) {}
#else
        const char one = 1;
        while (::write(write_fd_, &one, 1) < 0 && errno == EINTR) {}
#endif
    }

    /// Makes fd() not readable.
    // NOLINTNEXTLINE(readability-make-member-function-const): reads the fd empty
    void clear() noexcept {
        char buf[64];
        for (;;) {
            const auto n = ::read(read_fd_, buf, sizeof buf);
            if (n > 0 && read_fd_ == write_fd_) return;  // eventfd: one read resets it
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;  // EAGAIN: empty
        }
    }

private:
    int read_fd_ = -1;
    int write_fd_ = -1;
};

// ---- files -------------------------------------------------------------------

/// Permission bits of a file (what `chmod` sets), as read_regular_file() gives them.
using file_mode = unsigned;

/// True when `mode` lets group or others read, write or execute the file.
inline bool others_may_access(file_mode mode) noexcept { return (mode & 077u) != 0; }

/// `mode` in octal as chmod takes it: "0644".
inline std::string file_mode_text(file_mode mode) {
    char octal[16];
    std::snprintf(octal, sizeof octal, "0%o", mode & 07777u);
    return octal;
}

/// Closes a file descriptor when it goes out of scope.
class fd_guard {
public:
    explicit fd_guard(int fd) noexcept : fd_(fd) {}
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    ~fd_guard() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const noexcept { return fd_; }

private:
    int fd_;
};

/// "a directory", "a FIFO (named pipe)", ... for a file that is not a regular file.
inline const char* file_kind(::mode_t mode) noexcept {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

/// A file's bytes and its permission bits.
struct file_contents {
    std::string data;
    file_mode mode = 0;
};

/// Reads the regular file `path`, of at most `max_bytes`.
/**
 * Opens it without blocking (open() of a FIFO would wait for a writer; O_NOCTTY
 * keeps a terminal from becoming the controlling one), refuses anything that
 * fstat() does not call a regular file, and bounds the size before and while
 * reading. Errors name `op` and the path: the errno of the failed call, EISDIR
 * or EINVAL for what is not a regular file, EFBIG for a file that is too large.
 */
inline file_contents read_regular_file(const std::string& path, const char* op,
                                       std::size_t max_bytes) {
    const std::string where = std::string(op) + " " + path;
    int raw = -1;
    do {
        raw = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    } while (raw < 0 && errno == EINTR);
    if (raw < 0) throw error(errno, where + ": cannot open");
    const fd_guard fd(raw);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw error(errno, where + ": cannot stat");
    if (!S_ISREG(st.st_mode))
        throw error(S_ISDIR(st.st_mode) ? EISDIR : EINVAL,
                    where + ": is " + file_kind(st.st_mode) + ", not a regular file");
    const auto too_large = [&](std::uint64_t size) {
        return error(EFBIG, where + ": " + std::to_string(size) + " bytes, more than the " +
                                std::to_string(max_bytes) + " bytes this file may have");
    };
    if (st.st_size > 0 && static_cast<std::uint64_t>(st.st_size) > max_bytes)
        throw too_large(static_cast<std::uint64_t>(st.st_size));
    file_contents out;
    out.mode = static_cast<file_mode>(st.st_mode) & 07777u;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw error(errno, where + ": cannot read");
        }
        if (n == 0) break;
        out.data.append(buf, static_cast<std::size_t>(n));
        if (out.data.size() > max_bytes) throw too_large(out.data.size());  // it grew
    }
    return out;
}

/// Writes `content` to a new temporary file created with `mode` next to `path`,
/// then renames it over `path`. Never chmods: the mode is the one open() gave.
/// Errors name `op` and the path, with the errno of the failed call.
inline void write_file_replacing(const std::string& path, const std::string& content,
                                 file_mode mode, const char* op) {
    static std::atomic<std::uint64_t> counter{0};
    const std::string tmp = path + ".tmp-" + std::to_string(current_pid()) + "-" +
                            std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
    const auto fail = [&](int e, const char* what) {
        throw error(e, std::string(op) + " " + path + ": " + what);
    };
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                          static_cast<::mode_t>(mode));
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

/// The names of the regular files in `directory` whose name ends in `suffix` and
/// is longer than it, in no particular order (a symbolic link counts as what it
/// points to). `err` is 0, or the errno of opening or reading the directory.
inline std::vector<std::string> regular_files_in(const std::string& directory,
                                                 std::string_view suffix, int& err) {
    err = 0;
    std::vector<std::string> names;
    DIR* dir = ::opendir(directory.c_str());
    if (dir == nullptr) {
        err = errno;
        return names;
    }
    const int dir_fd = ::dirfd(dir);
    for (;;) {
        errno = 0;
        // NOLINTNEXTLINE(concurrency-mt-unsafe): one stream per call; readdir is safe on distinct
        // streams
        const ::dirent* entry = ::readdir(dir);
        if (entry == nullptr) {
            err = errno;
            break;
        }
        const std::string_view name(static_cast<const char*>(entry->d_name));
        if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix)
            continue;
        struct ::stat st {};
        if (::fstatat(dir_fd, entry->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)) continue;
        names.emplace_back(name);
    }
    ::closedir(dir);
    return names;
}

}  // namespace zmqraii::detail

#endif  // ZMQRAII_DETAIL_PLATFORM_HPP_INCLUDED
