// SPDX-License-Identifier: MIT
/// @file buffer.hpp
/// zmqraii::const_buffer and zmqraii::mutable_buffer: the one byte parameter of
/// every send and receive-into verb (socket, worker_pipe), so that each verb
/// takes the same arguments as its siblings.
#ifndef ZMQRAII_BUFFER_HPP_INCLUDED
#define ZMQRAII_BUFFER_HPP_INCLUDED

#include <zmqraii/config.hpp>
#include <zmqraii/error.hpp>
#include <zmqraii/message.hpp>

#include <cerrno>
#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

namespace zmqraii {

namespace detail {
template <class C>
using data_element_t = std::remove_pointer_t<decltype(std::declval<C&>().data())>;

// A contiguous container whose bytes may be sent or received as they are:
// member data() and size(), trivially copyable elements, and not a message
// (a message is sent by moving it, never copied by accident).
template <class C, class = void>
struct is_byte_container : std::false_type {};
template <class C>
struct is_byte_container<
    C, std::void_t<decltype(std::declval<C&>().data()), decltype(std::declval<C&>().size())>>
    : std::bool_constant<std::is_trivially_copyable_v<data_element_t<C>> &&
                         !std::is_same_v<std::remove_cv_t<C>, message>> {};
}  // namespace detail

/// Bytes to send: a view, never owning; the bytes are copied by the send.
/**
 * Made implicitly from what a send is given: a string literal or C string
 * (without its terminator), `std::string`, `std::string_view`, `byte_view`, or
 * any contiguous container of trivially copyable elements (`std::vector`,
 * `std::array`, `std::span`); explicitly from a pointer and a size.
 *
 * @par Thread Safety
 * A value; it refers to memory the caller keeps alive for the call.
 */
class const_buffer {
public:
    /// No bytes.
    constexpr const_buffer() noexcept = default;
    /// `size` bytes at `data`.
    constexpr const_buffer(const void* data, std::size_t size) noexcept
        : data_(data), size_(size) {}
    /// The characters of `text`.
    constexpr const_buffer(std::string_view text) noexcept  // NOLINT(google-explicit-constructor)
        : data_(text.data()), size_(text.size()) {}
    /// A C string without its terminator. @throws error (EINVAL) for a null pointer.
    const_buffer(const char* text)  // NOLINT(google-explicit-constructor)
        : data_(checked(text)), size_(std::char_traits<char>::length(text)) {}
    /// The bytes of a byte view.
    constexpr const_buffer(byte_view bytes) noexcept  // NOLINT(google-explicit-constructor)
        : data_(bytes.data()), size_(bytes.size()) {}
    /// The elements of a contiguous container, as bytes.
    template <class C, std::enable_if_t<detail::is_byte_container<const C>::value &&
                                            !std::is_same_v<C, const_buffer>,
                                        int> = 0>
    constexpr const_buffer(const C& c) noexcept  // NOLINT(google-explicit-constructor)
        : data_(c.data()), size_(static_cast<std::size_t>(c.size()) * sizeof(*c.data())) {}

    /// The first byte.
    constexpr const void* data() const noexcept { return data_; }
    /// Number of bytes.
    constexpr std::size_t size() const noexcept { return size_; }

private:
    static const char* checked(const char* text) {
        if (text == nullptr) throw error(EINVAL, "send of a null C string");
        return text;
    }

    const void* data_ = "";
    std::size_t size_ = 0;
};

/// Room to receive into: a view of the caller's writable bytes.
/**
 * Made implicitly from any contiguous container with writable, trivially
 * copyable elements (`std::vector<char>`, `std::array`, `std::string`,
 * `std::span<std::byte>`), whose current size is the capacity; explicitly from
 * a pointer and a size.
 *
 * @par Thread Safety
 * A value; it refers to memory the caller keeps alive for the call.
 */
class mutable_buffer {
public:
    /// No room.
    constexpr mutable_buffer() noexcept = default;
    /// `size` writable bytes at `data`.
    constexpr mutable_buffer(void* data, std::size_t size) noexcept : data_(data), size_(size) {}
    /// The elements of a writable contiguous container, as bytes.
    /// (A temporary view such as `std::span<std::byte>(array)` works too.)
    template <class C, class V = std::remove_reference_t<C>,
              std::enable_if_t<detail::is_byte_container<V>::value &&
                                   !std::is_const_v<detail::data_element_t<V>> &&
                                   !std::is_same_v<std::remove_cv_t<V>, mutable_buffer>,
                               int> = 0>
    constexpr mutable_buffer(
        C&& c) noexcept  // NOLINT(google-explicit-constructor,bugprone-forwarding-reference-overload)
        : data_(c.data()), size_(static_cast<std::size_t>(c.size()) * sizeof(*c.data())) {}

    /// The first byte.
    constexpr void* data() const noexcept { return data_; }
    /// Number of bytes.
    constexpr std::size_t size() const noexcept { return size_; }

private:
    void* data_ = nullptr;
    std::size_t size_ = 0;
};

/// What a receive into a caller's buffer wrote. Truncation is reported, never hidden.
struct recv_result {
    /// Bytes written into the caller's buffer (at most its capacity).
    std::size_t size;
    /// Size of the message part as it was sent.
    std::size_t full_size;
    /// True when the part did not fit: bytes past `size` were discarded.
    bool truncated() const noexcept { return full_size > size; }
    /// True when more parts of the same message follow.
    bool more;
};

}  // namespace zmqraii

#endif  // ZMQRAII_BUFFER_HPP_INCLUDED
