// SPDX-License-Identifier: MIT
// Fuzz target: splitting a routing envelope (multipart.hpp, split_envelope(),
// routed_message::reply(), make_reply()), through the public API only.
//
// The input is a list of frames (many of them empty, as delimiters are). For
// both envelope kinds: split_envelope() either refuses with EPROTO exactly
// when the documented rule says so (no frame at all; no empty frame for
// envelope_kind::delimited), leaving the message unchanged, or splits it so
// that envelope + body is the message, the delimited envelope ends at the first
// empty frame and holds no other, and the routing_id envelope is one frame;
// a reply is the envelope followed by the reply's body.
#include "fuzz_support.hpp"

#include <zmqraii/multipart.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace {

std::vector<std::string> texts(const zmqraii::multipart& m) {
    std::vector<std::string> out;
    for (const auto& part : m) out.push_back(part.to_string());
    return out;
}

zmqraii::multipart make(const std::vector<std::string>& frames) {
    zmqraii::multipart m;
    for (const std::string& f : frames) m.push_back(std::string_view(f));
    return m;
}

void check(const std::vector<std::string>& frames, zmqraii::envelope_kind kind) {
    std::size_t first_empty = frames.size();
    for (std::size_t i = 0; i < frames.size(); ++i)
        if (frames[i].empty()) {
            first_empty = i;
            break;
        }
    const bool delimited = kind == zmqraii::envelope_kind::delimited;
    const bool refuse = frames.empty() || (delimited && first_empty == frames.size());

    zmqraii::multipart m = make(frames);
    try {
        zmqraii::routed_message r = zmqraii::split_envelope(std::move(m), kind);
        ZMQRAII_FUZZ_CHECK(!refuse, "split a message the rule refuses");
        const std::vector<std::string> env = texts(r.envelope);
        const std::vector<std::string> body = texts(r.body);
        std::vector<std::string> joined = env;
        joined.insert(joined.end(), body.begin(), body.end());
        ZMQRAII_FUZZ_CHECK(joined == frames, "envelope + body is not the message");
        if (delimited) {
            ZMQRAII_FUZZ_CHECK(env.size() == first_empty + 1, "envelope size");
            ZMQRAII_FUZZ_CHECK(env.back().empty(), "envelope must end with the delimiter");
        } else {
            ZMQRAII_FUZZ_CHECK(env.size() == 1, "routing_id envelope size");
        }
        std::vector<std::string> want = env;
        want.emplace_back("reply");
        ZMQRAII_FUZZ_CHECK(texts(r.reply(zmqraii::multipart{"reply"})) == want, "reply()");
        ZMQRAII_FUZZ_CHECK(
            texts(zmqraii::make_reply(r.envelope, zmqraii::multipart{"reply"})) == want,
            "make_reply(const&)");
        ZMQRAII_FUZZ_CHECK(texts(r.envelope) == env, "make_reply(const&) changed the envelope");
        ZMQRAII_FUZZ_CHECK(
            texts(zmqraii::make_reply(std::move(r.envelope), zmqraii::multipart{"reply"})) == want,
            "make_reply(&&)");
    } catch (const zmqraii::error& e) {
        ZMQRAII_FUZZ_CHECK(refuse, e.what());
        ZMQRAII_FUZZ_CHECK(e.num() == EPROTO, e.what());
        // NOLINTNEXTLINE(bugprone-use-after-move): documented as unchanged on a throw
        ZMQRAII_FUZZ_CHECK(texts(m) == frames, "a refused message was changed");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    zmqraii_fuzz::input in(data, size);
    std::vector<std::string> frames;
    const std::size_t n = in.below(12);
    for (std::size_t i = 0; i < n; ++i) frames.push_back(in.bytes(12));
    check(frames, zmqraii::envelope_kind::delimited);
    check(frames, zmqraii::envelope_kind::routing_id);
    return 0;
}
