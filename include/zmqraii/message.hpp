// SPDX-License-Identifier: MIT
/// @file message.hpp
/// zmqraii::message: one message part, a move-only owner of a zmq_msg_t.
#ifndef ZMQRAII_MESSAGE_HPP_INCLUDED
#define ZMQRAII_MESSAGE_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/error.hpp>

#include <zmq.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <iosfwd>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#if ZMQRAII_HAS_SPAN
#include <span>
#endif

#if ZMQRAII_TSAN
// ThreadSanitizer's annotation interface (its runtime defines them).
extern "C" void __tsan_acquire(void* addr);  // NOLINT(bugprone-reserved-identifier)
extern "C" void __tsan_release(void* addr);  // NOLINT(bugprone-reserved-identifier)
#endif

namespace zmqraii {
namespace detail {

// A message body larger than 33 bytes travels between threads as a pointer
// through libzmq's lock-free pipes, which ThreadSanitizer cannot see (libzmq
// is not instrumented); without these, writing a body on one thread and
// reading it on another is reported as a race. No code outside TSan builds.
inline void tsan_before_send([[maybe_unused]] zmq_msg_t* m) noexcept {
#if ZMQRAII_TSAN
    __tsan_release(zmq_msg_data(m));
#endif
}
inline void tsan_after_recv([[maybe_unused]] zmq_msg_t* m) noexcept {
#if ZMQRAII_TSAN
    __tsan_acquire(zmq_msg_data(m));
#endif
}

}  // namespace detail

#if ZMQRAII_HAS_SPAN
/// A read-only view of bytes (std::span<const std::byte> in C++20).
using byte_view = std::span<const std::byte>;
#else
/// A read-only view of bytes (a minimal std::span<const std::byte> for C++17).
class byte_view {
public:
    using element_type = const std::byte;  ///< As std::span's.
    using value_type = std::byte;          ///< As std::span's.
    using size_type = std::size_t;         ///< As std::span's.
    using iterator = const std::byte*;     ///< As std::span's.

    /// An empty view.
    constexpr byte_view() noexcept = default;
    /// A view of `n` bytes at `p`.
    constexpr byte_view(const std::byte* p, std::size_t n) noexcept : data_(p), size_(n) {}

    /// The first byte.
    constexpr const std::byte* data() const noexcept { return data_; }
    /// Number of bytes.
    constexpr std::size_t size() const noexcept { return size_; }
    /// Number of bytes (as std::span's size_bytes()).
    constexpr std::size_t size_bytes() const noexcept { return size_; }
    /// True when size() == 0.
    constexpr bool empty() const noexcept { return size_ == 0; }
    /// Iterator to the first byte.
    constexpr const std::byte* begin() const noexcept { return data_; }
    /// Iterator past the last byte.
    constexpr const std::byte* end() const noexcept { return data_ + size_; }
    /// The byte at `i` (unchecked).
    constexpr const std::byte& operator[](std::size_t i) const noexcept { return data_[i]; }

private:
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};
#endif

/// One message part.
/**
 * Owns a zmq_msg_t. Move-only; a moved-from message is empty (size 0) and may be
 * reused or destroyed. Sending a message moves its content to libzmq: after a
 * successful `send(std::move(m))` the message is empty; after a failed one it is
 * unchanged (nothing is lost).
 *
 * Construction copies the bytes, except from a moved-in std::string or
 * std::vector (zero-copy: the buffer is handed to libzmq and freed when libzmq is
 * done with it) and from a caller's buffer with a free function.
 *
 * @par Thread Safety
 * A message is a value: any thread may use it, one thread at a time.
 */
class message {
public:
    /// libzmq's free-function signature for zero-copy buffers.
    using free_fn = zmq_free_fn;

    // Every constructor initializes msg_ through zmq_msg_init*, which is cheaper
    // than zeroing its 64 bytes first.
    // NOLINTBEGIN(cppcoreguidelines-pro-type-member-init)

    /// An empty message.
    message() noexcept { zmq_msg_init(&msg_); }

    /// A message of `size` uninitialized bytes (fill it through mutable_data()).
    /// @throws error ENOMEM.
    explicit message(std::size_t size) {
        if (zmq_msg_init_size(&msg_, size) != 0) detail::throw_last_error("message init_size");
    }

    /// Copies `size` bytes from `data`.
    message(const void* data, std::size_t size) {
        if (zmq_msg_init_size(&msg_, size) != 0) detail::throw_last_error("message init_size");
        if (size != 0) std::memcpy(zmq_msg_data(&msg_), data, size);
    }

    /// Copies the characters of `text`.
    explicit message(std::string_view text) : message(text.data(), text.size()) {}

    /// Copies a C string (without its terminator).
    explicit message(const char* text) : message(std::string_view(text)) {}

    /// Copies the bytes of a byte view.
    explicit message(byte_view bytes) : message(bytes.data(), bytes.size()) {}

    /// Zero-copy: takes over the string's buffer (small strings are copied, which
    /// is cheaper than a heap hand-over).
    explicit message(std::string&& text) { init_owned(std::move(text)); }

    /// Zero-copy: takes over the vector's buffer.
    template <class T, class = std::enable_if_t<std::is_trivially_copyable_v<T>>>
    explicit message(std::vector<T>&& bytes) {
        init_owned(std::move(bytes));
    }

    /// Zero-copy over a caller's buffer: libzmq calls `ffn(data, hint)` when done
    /// (possibly from one of its I/O threads).
    message(void* data, std::size_t size, free_fn* ffn, void* hint = nullptr) {
        if (zmq_msg_init_data(&msg_, data, size, ffn, hint) != 0)
            detail::throw_last_error("message init_data");
    }

    message(const message&) = delete;
    message& operator=(const message&) = delete;

    /// Takes over `other`'s content; `other` becomes empty.
    message(message&& other) noexcept {
        std::memcpy(static_cast<void*>(&msg_), &other.msg_, sizeof msg_);
        zmq_msg_init(&other.msg_);
    }
    // NOLINTEND(cppcoreguidelines-pro-type-member-init)

    /// Releases this content, then takes over `other`'s; `other` becomes empty.
    message& operator=(message&& other) noexcept {
        if (this != &other) {
            zmq_msg_close(&msg_);
            std::memcpy(static_cast<void*>(&msg_), &other.msg_, sizeof msg_);
            zmq_msg_init(&other.msg_);
        }
        return *this;
    }

    ~message() { zmq_msg_close(&msg_); }

    /// The bytes.
    const void* data() const noexcept { return zmq_msg_data(const_cast<zmq_msg_t*>(&msg_)); }
    /// The bytes, writable (a message is not shared before it is sent).
    void* mutable_data() noexcept { return zmq_msg_data(&msg_); }
    /// Number of bytes.
    std::size_t size() const noexcept { return zmq_msg_size(&msg_); }
    /// True when size() == 0.
    bool empty() const noexcept { return size() == 0; }

    /// True when this part was received and more parts of the same message follow.
    bool more() const noexcept { return zmq_msg_more(const_cast<zmq_msg_t*>(&msg_)) != 0; }

    /// A copy of the bytes as a std::string.
    std::string to_string() const { return std::string(to_string_view()); }
    /// A view of the bytes as characters; valid while the message lives unchanged.
    std::string_view to_string_view() const noexcept {
        return {static_cast<const char*>(data()), size()};
    }
    /// A view of the bytes; valid while the message lives unchanged.
    byte_view bytes() const noexcept { return {static_cast<const std::byte*>(data()), size()}; }

    /// A metadata property of a received message ("Peer-Address", "User-Id",
    /// "Socket-Type", "Routing-Id" or an application property); empty when absent.
    std::string property(const char* name) const {
        const char* v = zmq_msg_gets(const_cast<zmq_msg_t*>(&msg_), name);
        return v ? std::string(v) : std::string();
    }

    /// Makes this message a copy of `other` (libzmq shares large buffers by
    /// reference count). Copying a message from itself does nothing.
    void copy_from(const message& other) {
        if (&other == this) return;  // zmq_msg_copy(m, m) breaks libzmq's reference count
        if (zmq_msg_copy(&msg_, const_cast<zmq_msg_t*>(&other.msg_)) != 0)
            detail::throw_last_error("message copy");
    }

    /// A copy of this message (libzmq shares large buffers by reference count).
    /// @throws error ENOMEM.
    message clone() const {
        message m;
        m.copy_from(*this);
        return m;
    }

    /// Resets to an empty message.
    void clear() noexcept {
        zmq_msg_close(&msg_);
        zmq_msg_init(&msg_);
    }

    /// The underlying zmq_msg_t, for calls zmqraii does not wrap.
    zmq_msg_t* handle() noexcept { return &msg_; }
    /// The underlying zmq_msg_t, read-only.
    const zmq_msg_t* handle() const noexcept { return &msg_; }

    /// Compares the bytes.
    friend bool operator==(const message& a, const message& b) noexcept {
        return a.to_string_view() == b.to_string_view();
    }
    friend bool operator!=(const message& a, const message& b) noexcept { return !(a == b); }

private:
    // Below this size libzmq stores the bytes inline; copying beats a heap hand-over.
    static constexpr std::size_t small_size = 32;

    template <class Container>
    void init_owned(Container&& c) {
        using C = std::decay_t<Container>;
        const std::size_t n = c.size() * sizeof(typename C::value_type);
        if (n <= small_size) {
            if (zmq_msg_init_size(&msg_, n) != 0) detail::throw_last_error("message init_size");
            if (n != 0) std::memcpy(zmq_msg_data(&msg_), c.data(), n);
            return;
        }
        auto* owned = new C(std::forward<Container>(c));
        // data() of a moved-to container is the buffer the caller had.
        if (zmq_msg_init_data(&msg_, const_cast<void*>(static_cast<const void*>(owned->data())), n,
                              &free_owned<C>, owned) != 0) {
            const int e = zmq_errno();
            c = std::move(*owned);  // give the bytes back: nothing is lost
            delete owned;
            detail::throw_error(e, "message init_data");
        }
    }

    template <class C>
    static void free_owned(void*, void* hint) noexcept {
        delete static_cast<C*>(hint);
    }

    zmq_msg_t msg_;
};

namespace detail {

// How dump() shows a body: as text when every byte is printable ASCII (space
// to '~', tab, newline, carriage return: these escaped), as hex otherwise; long
// bodies cut, with the rest counted.
inline std::string dump_bytes(std::string_view b) {
    constexpr std::size_t text_limit = 80;
    constexpr std::size_t hex_limit = 32;
    bool text = true;
    for (const char c : b) {
        const auto u = static_cast<unsigned char>(c);
        if (!((u >= 0x20 && u < 0x7f) || c == '\t' || c == '\n' || c == '\r')) {
            text = false;
            break;
        }
    }
    std::string out = "[" + std::to_string(b.size()) + "] ";
    const std::size_t shown = std::min(b.size(), text ? text_limit : hex_limit);
    if (text) {
        for (std::size_t i = 0; i < shown; ++i) {
            const char c = b[i];
            if (c == '\t')
                out += "\\t";
            else if (c == '\n')
                out += "\\n";
            else if (c == '\r')
                out += "\\r";
            else
                out += c;
        }
    } else {
        static constexpr char digits[] = "0123456789abcdef";
        out += "0x";
        for (std::size_t i = 0; i < shown; ++i) {
            const auto u = static_cast<unsigned char>(b[i]);
            out += digits[u >> 4];
            out += digits[u & 15];
        }
    }
    if (shown < b.size()) out += "... (" + std::to_string(b.size() - shown) + " more bytes)";
    return out;
}

}  // namespace detail

/// One line describing a message part for people: its size in brackets, then
/// the body as text when it is printable ("[5] hello"), as hex otherwise
/// ("[3] 0x00ff10"), cut after 80 characters or 32 bytes ("... (968 more bytes)").
inline std::string dump(const message& m) { return detail::dump_bytes(m.to_string_view()); }

/// Writes dump(m) (cppzmq's `m.str()`, zhelpers' `s_dump`).
/**
 * A template on the stream so that this header needs only `<iosfwd>`: it is
 * instantiated where the stream is used, and `<ostream>` is there already.
 */
template <class CharT, class Traits>
std::basic_ostream<CharT, Traits>& operator<<(std::basic_ostream<CharT, Traits>& os,
                                              const message& m) {
    const std::string d = dump(m);
    for (const char c : d) os.put(os.widen(c));
    return os;
}

static_assert(!std::is_copy_constructible_v<message>, "message is move-only");
static_assert(std::is_nothrow_move_constructible_v<message>, "message moves without throwing");

}  // namespace zmqraii

#endif  // ZMQRAII_MESSAGE_HPP_INCLUDED
