// SPDX-License-Identifier: MIT
// What the fuzz targets share: a check that ends the process (libFuzzer then
// saves the input as a crash), and a reader that turns the fuzz input into
// structured choices.
#ifndef ZMQRAII_TESTS_FUZZ_SUPPORT_HPP_INCLUDED
#define ZMQRAII_TESTS_FUZZ_SUPPORT_HPP_INCLUDED

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace zmqraii_fuzz {

[[noreturn]] inline void check_failed(const char* what, const char* file, int line,
                                      const std::string& detail) {
    std::fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
    if (!detail.empty()) std::fprintf(stderr, "  %s\n", detail.c_str());
    std::fflush(stderr);
    std::abort();
}

// True when `text` is one line of printable ASCII (what a log line or an error
// message must be).
inline bool printable_ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u >= 0x20 && u < 0x7f;
    });
}

inline bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

// How often `part` occurs in `text`.
inline std::size_t count_of(std::string_view text, std::string_view part) {
    std::size_t n = 0;
    for (std::size_t at = text.find(part); at != std::string_view::npos;
         at = text.find(part, at + part.size()))
        ++n;
    return n;
}

// Reads choices from the fuzz input; past its end every read gives zeros.
class input {
public:
    input(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

    std::uint8_t byte() noexcept { return pos_ < size_ ? data_[pos_++] : 0; }
    bool flag() noexcept { return (byte() & 1) != 0; }
    // A number in [0, n) (n > 0).
    std::size_t below(std::size_t n) noexcept { return byte() % n; }
    // Up to `max` (< 256) bytes, the length (byte % (max + 1)) read first.
    std::string bytes(std::size_t max) {
        const std::size_t n = byte() % (max + 1);
        const std::size_t take = std::min(n, size_ - pos_);
        std::string out(reinterpret_cast<const char*>(data_ + pos_), take);
        pos_ += take;
        return out;
    }
    // Everything not read yet.
    std::string rest() {
        std::string out(reinterpret_cast<const char*>(data_ + pos_), size_ - pos_);
        pos_ = size_;
        return out;
    }
    bool empty() const noexcept { return pos_ >= size_; }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

}  // namespace zmqraii_fuzz

// Checks `cond`; on failure prints it (and `detail`, a std::string) and aborts.
#define ZMQRAII_FUZZ_CHECK(cond, detail)                                                \
    do {                                                                                \
        if (!(cond)) ::zmqraii_fuzz::check_failed(#cond, __FILE__, __LINE__, (detail)); \
    } while (false)

#endif  // ZMQRAII_TESTS_FUZZ_SUPPORT_HPP_INCLUDED
