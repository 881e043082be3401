// SPDX-License-Identifier: MIT
// Fuzz target: decoding a monitor event from its two frames (monitor.hpp,
// detail::finish_event(), into monitor_event.hpp's types). Read only: the
// target drives the decoder through a PAIR pair, as socket_monitor does.
//
// libzmq sends an event as a 6-byte first frame (16-bit event, 32-bit value)
// with MORE set, then the endpoint. The input chooses the first frame (any
// size, MORE or not), the endpoint and extra frames. A 6-byte first frame with
// MORE must decode to exactly its bits, value and endpoint, and its
// to_string() must name the kind; anything else must be refused with EPROTO.
#include "fuzz_support.hpp"

#include <zmqraii/monitor.hpp>
#include <zmqraii/monitor_event.hpp>
#include <zmqraii/zmqraii.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace {

using zmqraii_fuzz::contains;

// One context and a connected PAIR pair for the whole run; every socket
// belongs to the thread that runs the target.
struct pair_of_sockets {
    zmqraii::context ctx{[] {
        zmqraii::context_options o;
        o.linger = std::chrono::milliseconds(0);
        return o;
    }()};
    zmqraii::socket writer{ctx, zmqraii::socket_type::pair, "fuzz event writer"};
    zmqraii::socket reader{ctx, zmqraii::socket_type::pair, "fuzz event reader"};
    pair_of_sockets() {
        reader.bind("inproc://zmqraii-fuzz-monitor-event");
        writer.connect("inproc://zmqraii-fuzz-monitor-event");
    }
};

pair_of_sockets& sockets() {
    static pair_of_sockets s;
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    zmqraii_fuzz::input in(data, size);
    const std::uint8_t shape = in.byte();
    const bool head_more = (shape & 1) == 0;  // mostly as libzmq sends it
    const bool six_bytes = (shape & 6) != 0;
    const std::size_t extra_frames = (shape >> 3) % 3;
    std::string head;
    if (six_bytes)
        for (int k = 0; k < 6; ++k) head += static_cast<char>(in.byte());
    else
        head = in.bytes(16);
    const std::string endpoint = in.bytes(255);

    pair_of_sockets& s = sockets();
    const auto more = zmqraii::send_flags::more;
    const auto last = zmqraii::send_flags::none;
    s.writer.send(std::string_view(head), head_more ? more : last);
    if (head_more) {
        s.writer.send(std::string_view(endpoint), extra_frames > 0 ? more : last);
        for (std::size_t k = 0; k < extra_frames; ++k)
            s.writer.send(std::string_view(in.bytes(8)), k + 1 < extra_frames ? more : last);
    }

    const zmqraii::message first = s.reader.recv();
    ZMQRAII_FUZZ_CHECK(first.to_string_view() == head, "the first frame");
    const bool well_formed = head.size() == 6 && head_more;
    try {
        const zmqraii::monitor_event e = zmqraii::detail::finish_event(s.reader, first);
        ZMQRAII_FUZZ_CHECK(well_formed, "decoded a malformed event");
        std::uint16_t kind = 0;
        std::uint32_t value = 0;
        std::memcpy(&kind, head.data(), sizeof kind);
        std::memcpy(&value, head.data() + sizeof kind, sizeof value);
        ZMQRAII_FUZZ_CHECK(static_cast<std::uint16_t>(e.kind) == kind, "kind");
        ZMQRAII_FUZZ_CHECK(e.value == value, "value");
        ZMQRAII_FUZZ_CHECK(e.endpoint == endpoint, "endpoint");
        const std::string name = zmqraii::to_string(e.kind);
        ZMQRAII_FUZZ_CHECK(!name.empty(), "kind name");
        const std::string text = e.to_string();
        ZMQRAII_FUZZ_CHECK(text.rfind(name, 0) == 0, text);
        if (!endpoint.empty()) ZMQRAII_FUZZ_CHECK(contains(text, endpoint), text);
        ZMQRAII_FUZZ_CHECK(zmqraii::event_set(e.kind).bits() == kind, "event_set");
        ZMQRAII_FUZZ_CHECK(zmqraii::event_set::from_bits(kind).contains(e.kind) == (kind != 0),
                           "event_set::contains");
    } catch (const zmqraii::error& err) {
        ZMQRAII_FUZZ_CHECK(!well_formed, err.what());
        ZMQRAII_FUZZ_CHECK(err.num() == EPROTO, err.what());
        ZMQRAII_FUZZ_CHECK(contains(err.what(), std::to_string(head.size()) + " bytes"),
                           err.what());
    }
    // Frames the decoder did not read (a refused event's endpoint, extra
    // frames) must not reach the next input.
    while (s.reader.try_recv()) {}
    return 0;
}
