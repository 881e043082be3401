// SPDX-License-Identifier: MIT
// Fuzz target: certificate files (cert.hpp), read from bytes.
//
// Any text either parses, or is refused with one EINVAL whose message names the
// file, is printable ASCII, and never contains a secret key found in the text.
// What parses is saved (detail::certificate_text::render, the text save()
// writes) and parsed again to the same keys and metadata, and saving that gives
// the same text. Separately, the input split into a metadata name and value is
// either refused by set_meta() or survives save and load unchanged.
#include "fuzz_support.hpp"

#include <zmqraii/cert.hpp>

#include <cstddef>
#include <cstdint>
#include <regex>
#include <string>
#include <string_view>

namespace {

using zmqraii::certificate;
using zmqraii::detail::certificate_text;
using zmqraii_fuzz::contains;

const std::string where = "certificate::load fuzz.key";

// True for an error about the curve/secret-key line (not, say, about metadata
// that happens to be named like it).
bool about_secret_key(const std::string& what) {
    static const std::regex about(
        "certificate::load fuzz\\.key: line [0-9]+: "
        "(curve/secret-key|curve/public-key does not belong)");
    return std::regex_search(what, about, std::regex_constants::match_continuous);
}

// An error about the secret key says what is wrong in one of a few fixed
// forms, none of which shows any of the key (not even a bad character).
bool secret_error_form(const std::string& what, const std::string& errno_text) {
    static const std::regex form(
        "certificate::load fuzz\\.key: line [0-9]+: (curve/secret-key (appears twice|has no "
        "value|must be 40 Z85 characters, got [0-9]+)|curve/secret-key: (character at position "
        "[0-9]+ is not in the Z85 alphabet|the 5 characters at position [0-9]+ encode a value "
        "above 0xFFFFFFFF \\(not valid Z85\\))|curve/public-key does not belong to "
        "curve/secret-key): ");
    return what.size() > errno_text.size() &&
           what.compare(what.size() - errno_text.size(), errno_text.size(), errno_text) == 0 &&
           std::regex_match(what.substr(0, what.size() - errno_text.size()), form);
}

void check_round_trip(const certificate& c) {
    const bool secret = c.has_secret();
    const std::string text = certificate_text::render(c, secret);
    certificate again = certificate::from_public(c.public_key());
    try {
        again = certificate_text::parse(text, where);
    } catch (const zmqraii::error& e) {
        ZMQRAII_FUZZ_CHECK(false, std::string("saved text does not load: ") + e.what());
    }
    ZMQRAII_FUZZ_CHECK(again.public_key() == c.public_key(), text);
    ZMQRAII_FUZZ_CHECK(again.secret_key() == c.secret_key(), "secret key differs");
    ZMQRAII_FUZZ_CHECK(again.metadata() == c.metadata(), text);
    ZMQRAII_FUZZ_CHECK(certificate_text::render(again, secret) == text, text);
    // The public file of a full certificate has no secret key in its curve
    // section (metadata may hold any text, even a copy of the key).
    const std::string pub = certificate_text::render(c, false);
    const std::size_t curve = pub.rfind("\ncurve\n");
    ZMQRAII_FUZZ_CHECK(curve != std::string::npos, pub);
    ZMQRAII_FUZZ_CHECK(
        pub.substr(curve) == "\ncurve\n    public-key = \"" + c.public_key() + "\"\n", pub);
}

void check_parse(const std::string& text) {
    try {
        const certificate c = certificate_text::parse(text, where);
        // Every value loaded is one set_meta() accepts.
        certificate copy = certificate::from_public(c.public_key());
        for (const auto& [name, value] : c.metadata()) copy.set_meta(name, value);
        check_round_trip(c);
    } catch (const zmqraii::error& e) {
        const std::string what = e.what();
        ZMQRAII_FUZZ_CHECK(e.num() == EINVAL, what);
        ZMQRAII_FUZZ_CHECK(what.rfind(where + ": ", 0) == 0, what);
        ZMQRAII_FUZZ_CHECK(zmqraii_fuzz::count_of(what, e.code().message()) == 1, what);
        ZMQRAII_FUZZ_CHECK(zmqraii_fuzz::printable_ascii(what), what);
        if (about_secret_key(what))
            ZMQRAII_FUZZ_CHECK(secret_error_form(what, e.code().message()), what);
    }
}

// A certificate with a fixed key pair (the fuzz input chooses metadata only).
const certificate& fixed() {
    static const certificate c =
        certificate::from_secret("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6");
    return c;
}

void check_set_meta(zmqraii_fuzz::input& in) {
    const std::string name = in.bytes(80);
    const std::string value = in.rest();
    certificate c = fixed();
    try {
        c.set_meta(name, value);
    } catch (const zmqraii::error& e) {
        ZMQRAII_FUZZ_CHECK(e.num() == EINVAL, e.what());
        ZMQRAII_FUZZ_CHECK(zmqraii_fuzz::printable_ascii(e.what()), e.what());
        ZMQRAII_FUZZ_CHECK(c.metadata().empty(), "a refused value was set");
        return;
    }
    ZMQRAII_FUZZ_CHECK(c.meta(name) == value, name);
    check_round_trip(c);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): bytes as text
    check_parse(std::string(reinterpret_cast<const char*>(data), size));
    zmqraii_fuzz::input in(data, size);
    check_set_meta(in);
    return 0;
}
