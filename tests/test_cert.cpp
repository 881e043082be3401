// SPDX-License-Identifier: MIT
// cert.hpp: CURVE certificates and their files (the CZMQ/pyzmq format, the
// secret file created 0600), errors that name the file and never a secret, the
// directory loader, pyzmq interop, and make_curve_server/make_curve_client:
// an encrypted pair works, the helpers refuse a socket that is already bound,
// and a CURVE server never accepts a NULL-mechanism client.
#include "catch.hpp"
#include "support.hpp"

#include <zmqraii/cert.hpp>
#include <zmqraii/zmqraii.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using zmqraii_test::contains;
using zmqraii_test::error_of;

namespace {

constexpr auto must_happen = 10s;

// A fresh directory under the system's temporary directory, removed at the end.
struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "zmqraii-cert-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    REQUIRE(out.good());
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

unsigned mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return static_cast<unsigned>(st.st_mode & 07777);
}

// Sets the umask for one test and restores it.
struct scoped_umask {
    ::mode_t old;
    explicit scoped_umask(::mode_t m) : old(::umask(m)) {}
    ~scoped_umask() { ::umask(old); }
};

// A public file's text with one key line replaced.
std::string cert_text(const std::string& curve_lines) {
    return "#   a comment\n\nmetadata\n    name = \"x\"\ncurve\n" + curve_lines;
}

// Waits for an event of kind `k`, skipping others.
std::optional<zmqraii::monitor_event> wait_for(zmqraii::socket_monitor& mon,
                                               zmqraii::event_kind k) {
    const auto deadline = std::chrono::steady_clock::now() + must_happen;
    while (std::chrono::steady_clock::now() < deadline) {
        auto e = mon.next_for(100ms);
        if (e && e->kind == k) return e;
    }
    return std::nullopt;
}

// How often `needle` occurs in `text`.
std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + needle.size()))
        ++n;
    return n;
}

using zmqraii_test::outcome;
using zmqraii_test::outcome_of;

// Runs `fn` (a load that must not block) on another thread and returns what it
// threw. When it has not returned within a few seconds, opens each FIFO of
// `fifos` for writing, which wakes an open() blocked on it, and returns nothing:
// the test then fails instead of hanging.
template <class Fn>
std::optional<outcome> returns_promptly(Fn fn, const std::vector<std::string>& fifos) {
    auto done = std::async(std::launch::async, [fn] { return outcome_of(fn); });
    if (done.wait_for(5s) == std::future_status::ready) return done.get();
    for (const std::string& f : fifos) {
        const int fd = ::open(f.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) ::close(fd);
    }
    done.wait();
    return std::nullopt;
}

bool have_pyzmq() { return std::system("/usr/bin/python3 -c 'import zmq.auth' 2>/dev/null") == 0; }

// Runs a shell command and returns what it printed on stdout.
std::string run(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[512];
    while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
    REQUIRE(::pclose(p) == 0);
    return out;
}

}  // namespace

TEST_CASE("certificate: generated, from a secret, public only", "[cert]") {
    const auto c = zmqraii::certificate::generate();
    CHECK(c.public_key().size() == 40);
    CHECK(c.secret_key().size() == 40);
    CHECK(c.has_secret());
    CHECK(zmqraii::curve_public_from_secret(c.secret_key()) == c.public_key());

    const auto again = zmqraii::certificate::from_secret(c.secret_key());
    CHECK(again.public_key() == c.public_key());
    CHECK(again.secret_key() == c.secret_key());

    const auto pub = zmqraii::certificate::from_public(c.public_key());
    CHECK_FALSE(pub.has_secret());
    CHECK(pub.secret_key().empty());
    CHECK(c.public_only().public_key() == c.public_key());
    CHECK_FALSE(c.public_only().has_secret());

    zmqraii::certificate m = zmqraii::certificate::generate();
    m.set_meta("name", "server one");
    m.set_meta("email", "ops@example.org");
    CHECK(m.meta("name") == std::optional<std::string>("server one"));
    CHECK_FALSE(m.meta("missing"));
    CHECK(m.metadata().size() == 2);
    CHECK(m.public_only().meta("email") == std::optional<std::string>("ops@example.org"));
}

TEST_CASE("certificate refuses bad keys and metadata without printing a secret", "[cert]") {
    const auto a = zmqraii::certificate::generate();
    const auto b = zmqraii::certificate::generate();
    SECTION("keys that do not belong together") {
        const auto [e_code, e_what] = error_of([&] {
            zmqraii::certificate(zmqraii::curve_keypair{a.public_key(), b.secret_key()});
        });
        CHECK(e_code == std::errc::invalid_argument);
        CHECK_THAT(e_what, contains("does not belong"));
        CHECK_THAT(e_what, !contains(b.secret_key()));
    }
    SECTION("a public key of the wrong length") {
        const auto [e_code, e_what] = error_of([] { zmqraii::certificate::from_public("short"); });
        CHECK(e_code == std::errc::invalid_argument);
        CHECK_THAT(e_what, contains("40 Z85 characters, got 5"));
    }
    SECTION("a secret key with a bad character: its position, never the key") {
        std::string secret = a.secret_key();
        secret[7] = '~';
        const auto [e_code, e_what] = error_of([&] { zmqraii::certificate::from_secret(secret); });
        CHECK(e_code == std::errc::invalid_argument);
        CHECK_THAT(e_what, contains("position 7"));
        CHECK_THAT(e_what, !contains(secret.substr(0, 7)));
    }
    SECTION("metadata that the file format cannot hold") {
        zmqraii::certificate c = zmqraii::certificate::generate();
        CHECK(error_of([&] { c.set_meta("bad name", "v"); }).first == std::errc::invalid_argument);
        CHECK(error_of([&] { c.set_meta("", "v"); }).first == std::errc::invalid_argument);
        CHECK(error_of([&] { c.set_meta("quotes", "a\"b'c"); }).first ==
              std::errc::invalid_argument);
        CHECK(error_of([&] { c.set_meta("newline", "a\nb"); }).first ==
              std::errc::invalid_argument);
        CHECK(c.metadata().empty());
    }
}

TEST_CASE("save writes name.key and name.key_secret; load reads them back", "[cert][file]") {
    temp_dir dir;
    zmqraii::certificate c = zmqraii::certificate::generate();
    c.set_meta("name", "server");
    c.set_meta("location", "rack 7");
    const std::string path = dir.file("server.key");
    c.save(path);

    const std::string pub_text = read_text(path);
    const std::string sec_text = read_text(path + "_secret");
    // The format CZMQ and pyzmq read: sections, four-space indented quoted values.
    CHECK_THAT(pub_text,
               contains("\nmetadata\n    location = \"rack 7\"\n    name = \"server\"\n"));
    CHECK_THAT(pub_text, contains("\ncurve\n    public-key = \"" + c.public_key() + "\"\n"));
    CHECK_THAT(pub_text, !contains("secret-key"));
    CHECK_THAT(pub_text, !contains(c.secret_key()));
    CHECK_THAT(sec_text, contains("    public-key = \"" + c.public_key() + "\"\n"));
    CHECK_THAT(sec_text, contains("    secret-key = \"" + c.secret_key() + "\"\n"));

    const auto loaded = zmqraii::certificate::load(path);
    CHECK(loaded.public_key() == c.public_key());
    CHECK(loaded.secret_key() == c.secret_key());
    CHECK(loaded.metadata() == c.metadata());

    const auto from_secret_file = zmqraii::certificate::load(path + "_secret");
    CHECK(from_secret_file.secret_key() == c.secret_key());

    const auto pub = zmqraii::certificate::load_public(path + "_secret");
    CHECK(pub.public_key() == c.public_key());
    CHECK_FALSE(pub.has_secret());
    CHECK(pub.meta("name") == std::optional<std::string>("server"));

    // Without its secret file, load gives the public certificate.
    std::filesystem::remove(path + "_secret");
    CHECK_FALSE(zmqraii::certificate::load(path).has_secret());

    // A public certificate saves only the public file.
    c.public_only().save(dir.file("peer.key"));
    CHECK(std::filesystem::exists(dir.file("peer.key")));
    CHECK_FALSE(std::filesystem::exists(dir.file("peer.key_secret")));
    CHECK(error_of([&] { c.public_only().save_secret(dir.file("x")); }).first ==
          std::errc::invalid_argument);
    // No temporary file is left behind.
    std::size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path)) {
        CHECK_THAT(e.path().filename().string(), !contains(".tmp-"));
        ++files;
    }
    CHECK(files == 2);
}

TEST_CASE("the secret file is created with mode 0600, also over an existing 0644 file",
          "[cert][file]") {
    const scoped_umask mask(022);
    temp_dir dir;
    const std::string path = dir.file("client.key");
    const auto c = zmqraii::certificate::generate();
    c.save(path);
    CHECK(mode_of(path + "_secret") == 0600);
    CHECK(mode_of(path) == 0644);

    // A world-readable file in the way is replaced, not reused with its mode.
    const std::string other = dir.file("other.key_secret");
    write_text(other, "old contents\n");
    REQUIRE(::chmod(other.c_str(), 0644) == 0);
    REQUIRE(mode_of(other) == 0644);
    c.save_secret(other);
    CHECK(mode_of(other) == 0600);
    CHECK(zmqraii::certificate::load(other).secret_key() == c.secret_key());
}

TEST_CASE("save into a missing directory names the path and the errno", "[cert][file]") {
    temp_dir dir;
    const std::string path = dir.file("no-such-dir/x.key");
    const auto [e_code, e_what] = error_of([&] { zmqraii::certificate::generate().save(path); });
    CHECK(e_code == std::errc::no_such_file_or_directory);
    CHECK_THAT(e_what, contains(path));
}

TEST_CASE("load of a missing file names the path", "[cert][file]") {
    temp_dir dir;
    const std::string path = dir.file("absent.key");
    const auto [e_code, e_what] = error_of([&] { zmqraii::certificate::load(path); });
    CHECK(e_code == std::errc::no_such_file_or_directory);
    CHECK_THAT(e_what, contains(path));
}

TEST_CASE("garbled certificate files: errors name the file and line, never the secret",
          "[cert][file]") {
    temp_dir dir;
    const auto c = zmqraii::certificate::generate();
    const std::string path = dir.file("bad.key");
    const std::string pub_line = "    public-key = \"" + c.public_key() + "\"\n";
    const std::string sec_line = "    secret-key = \"" + c.secret_key() + "\"\n";

    struct bad_case {
        const char* what;
        std::string text;
        std::string expect;
    };
    std::string truncated_secret = sec_line;
    truncated_secret.erase(20, 3);
    std::string bad_char_secret = sec_line;
    bad_char_secret[25] = ' ';
    const auto other = zmqraii::certificate::generate();
    const std::vector<bad_case> cases = {
        {"empty file", "", "no curve/public-key"},
        {"no curve section", "metadata\n    name = \"x\"\n", "no curve/public-key"},
        {"short public key", cert_text("    public-key = \"abc\"\n"),
         "line 6: curve/public-key must be 40 Z85 characters, got 3"},
        {"truncated secret key", cert_text(pub_line + truncated_secret),
         "line 7: curve/secret-key must be 40 Z85 characters, got 37"},
        {"bad character in the secret key", cert_text(pub_line + bad_char_secret),
         "line 7: curve/secret-key"},
        {"keys that do not belong together",
         cert_text("    public-key = \"" + other.public_key() + "\"\n" + sec_line),
         "does not belong"},
        {"a key twice", cert_text(pub_line + pub_line), "line 7: curve/public-key appears twice"},
        {"tab indentation", cert_text("\tpublic-key = \"" + c.public_key() + "\"\n"),
         "line 6: indentation must be spaces"},
        {"odd indentation", cert_text("  " + pub_line), "line 6: indentation must be a multiple"},
        {"unterminated quote", cert_text("    public-key = \"abc\n"),
         "line 6: unterminated quoted value"},
        {"binary junk", std::string("\x01\x02\x03 garbage\n"), "line 1: expected a name"},
    };
    for (const auto& bc : cases) {
        INFO(bc.what);
        write_text(path, bc.text);
        const auto [e_code, e_what] = error_of([&] { zmqraii::certificate::load(path); });
        CHECK(e_code == std::errc::invalid_argument);
        const std::string what = e_what;
        CHECK_THAT(what, contains(path));
        CHECK_THAT(what, contains(bc.expect));
        CHECK_THAT(what, !contains(c.secret_key().substr(0, 12)));
        CHECK(count_of(what, "Invalid argument") == 1);
    }

    SECTION("a secret file whose public key differs from the public file's") {
        c.save_public(path);
        write_text(path + "_secret",
                   cert_text("    public-key = \"" + other.public_key() +
                             "\"\n    secret-key = \"" + other.secret_key() + "\"\n"));
        const auto [e_code, e_what] = error_of([&] { zmqraii::certificate::load(path); });
        CHECK_THAT(e_what, contains(path + "_secret"));
        CHECK_THAT(e_what, contains("differs"));
    }
}

TEST_CASE("comments, CRLF, unquoted values and other sections are read", "[cert][file]") {
    temp_dir dir;
    const auto c = zmqraii::certificate::generate();
    const std::string path = dir.file("lenient.key");
    write_text(path,
               "# header\r\n\r\nmetadata\r\n    owner = alice   # trailing comment\r\n"
               "    quoted = 'single quotes'\r\nother\r\n    thing = 1\r\n        deeper = 2\r\n"
               "curve\r\n    public-key = \"" +
                   c.public_key() + "\"\r\n");
    const auto loaded = zmqraii::certificate::load(path);
    CHECK(loaded.public_key() == c.public_key());
    CHECK(loaded.meta("owner") == std::optional<std::string>("alice"));
    CHECK(loaded.meta("quoted") == std::optional<std::string>("single quotes"));
    CHECK_FALSE(loaded.meta("thing"));
}

TEST_CASE("load_public_certificates reads every *.key of a directory", "[cert][file]") {
    temp_dir dir;
    const auto a = zmqraii::certificate::generate();
    const auto b = zmqraii::certificate::generate();
    a.save(dir.file("a.key"));  // also a.key_secret: skipped
    b.public_only().save(dir.file("b.key"));
    write_text(dir.file("README"), "not a certificate\n");

    const auto certs = zmqraii::load_public_certificates(dir.path.string());
    REQUIRE(certs.size() == 2);
    CHECK(certs[0].public_key() == a.public_key());
    CHECK(certs[1].public_key() == b.public_key());
    CHECK_FALSE(certs[0].has_secret());  // secrets are never kept

    SECTION("a garbled *.key file is an error naming it") {
        write_text(dir.file("c.key"), "curve\n    public-key = \"nope\"\n");
        const auto [e_code, e_what] =
            error_of([&] { zmqraii::load_public_certificates(dir.path.string()); });
        CHECK(e_code == std::errc::invalid_argument);
        CHECK_THAT(e_what, contains(dir.file("c.key")));
    }
    SECTION("a missing directory is an error naming it") {
        const std::string missing = dir.file("missing");
        const auto [e_code, e_what] = error_of([&] { zmqraii::load_public_certificates(missing); });
        CHECK(e_code == std::errc::no_such_file_or_directory);
        CHECK_THAT(e_what, contains(missing));
    }
}

// ---- what load() accepts: regular files, bounded, secrets kept private --------------

TEST_CASE("load does not block on a FIFO and refuses what is not a regular file", "[cert][file]") {
    temp_dir dir;
    const auto c = zmqraii::certificate::generate();

    SECTION("a FIFO as the certificate file (load and load_public)") {
        const std::string fifo = dir.file("k.key");
        REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
        for (const bool public_only : {false, true}) {
            INFO((public_only ? "load_public" : "load"));
            const auto r = returns_promptly(
                [&] {
                    if (public_only)
                        zmqraii::certificate::load_public(fifo);
                    else
                        zmqraii::certificate::load(fifo);
                },
                {fifo});
            REQUIRE(r);
            CHECK(r->code == EINVAL);
            CHECK_THAT(r->what, contains(fifo + ": is a FIFO (named pipe), not a regular file"));
        }
    }
    SECTION("a good x.key whose x.key_secret is a FIFO") {
        const std::string path = dir.file("x.key");
        c.save_public(path);
        REQUIRE(::mkfifo((path + "_secret").c_str(), 0600) == 0);
        const auto r =
            returns_promptly([&] { zmqraii::certificate::load(path); }, {path + "_secret"});
        REQUIRE(r);
        CHECK(r->code == EINVAL);
        CHECK_THAT(r->what, contains(path + "_secret: is a FIFO"));
    }
    SECTION("a directory") {
        const std::string sub = dir.file("d.key");
        std::filesystem::create_directory(sub);
        const auto r = outcome_of([&] { zmqraii::certificate::load(sub); });
        CHECK(r.code == EISDIR);
        CHECK_THAT(r.what, contains(sub + ": is a directory, not a regular file"));
    }
    SECTION("a file larger than a certificate can be") {
        const std::string big = dir.file("big.key");
        write_text(big, "# " + std::string(70000, 'x') + "\n");
        const auto r = outcome_of([&] { zmqraii::certificate::load(big); });
        CHECK(r.code == EFBIG);
        CHECK_THAT(r.what, contains(big + ": 70003 bytes, more than the 65536"));
    }
}

TEST_CASE("secret files that group or others may access are refused, saying how to fix them",
          "[cert][file]") {
    temp_dir dir;
    const auto c = zmqraii::certificate::generate();
    const std::string path = dir.file("server.key");
    const std::string secret = path + "_secret";
    c.save(path);

    for (const ::mode_t mode : {0640, 0644, 0666, 0604, 0660, 0610, 0601}) {
        char octal[8];
        std::snprintf(octal, sizeof octal, "0%o", static_cast<unsigned>(mode));
        INFO("mode " << octal);
        REQUIRE(::chmod(secret.c_str(), mode) == 0);
        // Through the public file and directly.
        for (const std::string& target : {path, secret}) {
            const auto r = outcome_of([&] { zmqraii::certificate::load(target); });
            CHECK(r.code == EACCES);
            CHECK_THAT(r.what, contains(secret));
            CHECK_THAT(r.what, contains(std::string("mode ") + octal));
            CHECK_THAT(r.what, contains("chmod 600 " + secret));
            CHECK_THAT(r.what, !contains(c.secret_key()));
        }
    }
    // Owner-only modes load.
    for (const ::mode_t mode : {0600, 0400, 0700}) {
        REQUIRE(::chmod(secret.c_str(), mode) == 0);
        CHECK(zmqraii::certificate::load(path).secret_key() == c.secret_key());
    }
    // The public file may be world-readable; load_public() keeps no secret, so
    // it reads a shared secret file too.
    REQUIRE(::chmod(path.c_str(), 0644) == 0);
    REQUIRE(::chmod(secret.c_str(), 0644) == 0);
    std::filesystem::rename(secret, dir.file("elsewhere"));
    CHECK_FALSE(zmqraii::certificate::load(path).has_secret());
    std::filesystem::rename(dir.file("elsewhere"), secret);
    CHECK(zmqraii::certificate::load_public(secret).public_key() == c.public_key());
}

TEST_CASE("secret_file_permissions::any loads a shared secret file on request", "[cert][file]") {
    temp_dir dir;
    const auto c = zmqraii::certificate::generate();
    const std::string path = dir.file("shared.key");
    c.save(path);
    REQUIRE(::chmod((path + "_secret").c_str(), 0640) == 0);
    CHECK(outcome_of([&] { zmqraii::certificate::load(path); }).code == EACCES);
    const auto loaded = zmqraii::certificate::load(path, zmqraii::secret_file_permissions::any);
    CHECK(loaded.secret_key() == c.secret_key());
    CHECK(zmqraii::certificate::load(path + "_secret", zmqraii::secret_file_permissions::any)
              .has_secret());
}

// ---- metadata: what save writes, load reads back -----------------------------------

TEST_CASE("metadata values survive save and load, whatever their characters", "[cert][file]") {
    temp_dir dir;
    zmqraii::certificate c = zmqraii::certificate::generate();
    const std::map<std::string, std::string> awkward = {
        {"hash-after-quote", "x\"  # rest"},
        {"double", "say \"hi\""},
        {"single", "it's"},
        {"only-double", "\""},
        {"only-single", "'"},
        {"two-singles", "''"},
        {"hash", "#"},
        {"hash-inside", "a # b"},
        {"lead", "  leading spaces"},
        {"trail", "trailing spaces  "},
        {"both", "  both  "},
        {"backslashes", "back\\slash\\"},
        {"escaped-looking", "\\\" \\n"},
        {"empty", ""},
        {"equals", "= a=b"},
        {"tab", "a\tb"},
        {"utf8", "h\xc3\xa9llo"},
        {"long", std::string(512, 'v')},
    };
    for (const auto& [k, v] : awkward) c.set_meta(k, v);
    const std::string path = dir.file("meta.key");
    c.save(path);

    const auto loaded = zmqraii::certificate::load(path);
    CHECK(loaded.metadata() == awkward);
    CHECK(zmqraii::certificate::load_public(path).metadata() == awkward);
    // Saving what was loaded writes the same text again.
    const std::string first = read_text(path);
    loaded.save(dir.file("again.key"));
    CHECK(read_text(dir.file("again.key")) == first);
    // CZMQ's form where it can: double quotes, unless the value has one.
    CHECK_THAT(first, contains("    single = \"it's\"\n"));
    CHECK_THAT(first, contains("    double = 'say \"hi\"'\n"));

    SECTION("the value of issue 11, written by hand in single quotes") {
        const std::string hand = dir.file("hand.key");
        write_text(hand, "metadata\n    note = 'x\"  # rest'\ncurve\n    public-key = \"" +
                             c.public_key() + "\"\n");
        const auto h = zmqraii::certificate::load(hand);
        CHECK(h.meta("note") == std::optional<std::string>("x\"  # rest"));
        h.save(dir.file("hand2.key"));
        CHECK(zmqraii::certificate::load(dir.file("hand2.key")).meta("note") ==
              std::optional<std::string>("x\"  # rest"));
    }
}

TEST_CASE("metadata the file format cannot hold is refused when it is set", "[cert]") {
    zmqraii::certificate c = zmqraii::certificate::generate();
    struct bad_case {
        std::string name;
        std::string value;
        std::string expect;
    };
    const std::vector<bad_case> cases = {
        {"both", "it's \"x\"", "both kinds of quotes"},
        {"newline", "a\nb", "control character 0x0a at position 1"},
        {"cr", "a\rb", "control character 0x0d"},
        {"nul", std::string("a\0b", 3), "control character 0x00"},
        {"escape", "\x1b[31m", "control character 0x1b at position 0"},
        {"del", "a\x7f", "control character 0x7f"},
        {"too-long", std::string(513, 'v'), "513 bytes, more than 512"},
        {"", "v", "1 to 64"},
        {"bad name", "v", "1 to 64"},
        {std::string(65, 'n'), "v", "1 to 64"},
        {"line\nbreak", "v", "metadata name \"line\\nbreak\" must be 1 to 64"},
        {"/lead", "v", "must not begin or end with '/'"},
        {"trail/", "v", "must not begin or end with '/'"},
    };
    for (const auto& bc : cases) {
        INFO("name " << bc.name);
        const auto r = outcome_of([&] { c.set_meta(bc.name, bc.value); });
        CHECK(r.code == EINVAL);
        CHECK_THAT(r.what, contains("certificate::set_meta"));
        CHECK_THAT(r.what, contains(bc.expect));
        CHECK(count_of(r.what, "Invalid argument") == 1);
        // What the caller passed is escaped: the message stays one line.
        CHECK(std::all_of(r.what.begin(), r.what.end(),
                          [](char ch) { return ch >= 0x20 && ch < 0x7f; }));
    }
    CHECK(c.metadata().empty());

    SECTION("the same values in a file are refused with the line") {
        temp_dir dir;
        const std::string path = dir.file("odd.key");
        write_text(path,
                   "metadata\n    ok = \"fine\"\n    both = a\"b'c\ncurve\n    public-key = \"" +
                       c.public_key() + "\"\n");
        const auto r = outcome_of([&] { zmqraii::certificate::load(path); });
        CHECK(r.code == EINVAL);
        CHECK_THAT(r.what, contains(path + ": line 3: the value of metadata \"both\""));
        CHECK_THAT(r.what, contains("both kinds of quotes"));
    }
    SECTION("a name twice in a file") {
        temp_dir dir;
        const std::string path = dir.file("twice.key");
        write_text(path, "metadata\n    n = \"1\"\n    n = \"2\"\ncurve\n    public-key = \"" +
                             c.public_key() + "\"\n");
        const auto r = outcome_of([&] { zmqraii::certificate::load(path); });
        CHECK_THAT(r.what, contains(path + ": line 3: metadata/n appears twice"));
    }
}

TEST_CASE("save refuses to write a file that load would refuse", "[cert][file]") {
    temp_dir dir;
    zmqraii::certificate c = zmqraii::certificate::generate();
    for (int i = 0; i < 200; ++i) c.set_meta("m" + std::to_string(i), std::string(400, 'v'));
    const std::string path = dir.file("huge.key");
    const auto r = outcome_of([&] { c.save(path); });
    CHECK(r.code == EFBIG);
    CHECK_THAT(r.what, contains(path));
    CHECK_THAT(r.what, contains("more than the 65536 bytes"));
    CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("key errors from a file name the file and the line, and say what is wrong once",
          "[cert][file]") {
    temp_dir dir;
    const auto c = zmqraii::certificate::generate();
    const std::string path = dir.file("k.key");
    std::string bad_public = c.public_key();
    bad_public[12] = '~';
    write_text(path, cert_text("    public-key = \"" + bad_public + "\"\n"));
    const auto r = outcome_of([&] { zmqraii::certificate::load(path); });
    CHECK(r.code == EINVAL);
    CHECK(r.what == "certificate::load " + path +
                        ": line 6: curve/public-key: character '~' at position 12 is not in the "
                        "Z85 alphabet: Invalid argument");

    std::string bad_secret = c.secret_key();
    bad_secret[3] = '~';
    write_text(path, cert_text("    public-key = \"" + c.public_key() + "\"\n    secret-key = \"" +
                               bad_secret + "\"\n"));
    const auto s = outcome_of([&] { zmqraii::certificate::load(path); });
    CHECK(s.what == "certificate::load " + path +
                        ": line 7: curve/secret-key: character at position 3 is not in the Z85 "
                        "alphabet: Invalid argument");
}

// ---- make_curve_server bounds what one frame may cost the server ------------------

namespace {

// A raw TCP connection to 127.0.0.1:`port`, receives time out after `timeout`.
struct raw_tcp {
    int fd = -1;
    raw_tcp(std::uint16_t port, std::chrono::milliseconds timeout) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
        REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
        timeval tv{};
        tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
        tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
        REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    }
    ~raw_tcp() { ::close(fd); }
    raw_tcp(const raw_tcp&) = delete;
    raw_tcp& operator=(const raw_tcp&) = delete;
    void send_all(const std::string& bytes) const {
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n < 0) return;  // the server closed: nothing more to send
            done += static_cast<std::size_t>(n);
        }
    }
    // True when the server closes the connection before the receive timeout
    // (whatever it sent before, e.g. its greeting, is read and dropped).
    bool closed_by_peer() const {
        char buf[4096];
        for (;;) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n == 0) return true;
            if (n < 0) return errno == ECONNRESET;
        }
    }
};

std::uint16_t port_of(const std::string& endpoint) {
    return static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
}

// A ZMTP 3.0 greeting of a client with `mechanism` (RFC 23), then a command
// frame header that announces `size` bytes.
std::string greeting_and_long_command(const std::string& mechanism, std::uint64_t size) {
    std::string g(64, '\0');
    g[0] = '\xff';
    g[9] = '\x7f';
    g[10] = 3;  // version 3.0
    g[11] = 0;
    g.replace(12, mechanism.size(), mechanism);
    std::string frame(1, '\x06');  // command, 8-byte size
    for (int shift = 56; shift >= 0; shift -= 8)
        frame += static_cast<char>((size >> static_cast<unsigned>(shift)) & 0xff);
    return g + frame + std::string(65536, 'h');
}

}  // namespace

TEST_CASE("make_curve_server sets a finite maxmsgsize, to be raised on request", "[cert][curve]") {
    const auto cert = zmqraii::certificate::generate();
    zmqraii::context_options opts;
    opts.linger = 0ms;
    zmqraii::context ctx(opts);
    CHECK(zmqraii::default_server_max_message_size == 1024 * 1024);

    zmqraii::socket s(ctx, zmqraii::socket_type::router);
    zmqraii::make_curve_server(s, cert);
    CHECK(s.get(zmqraii::option::maxmsgsize) == zmqraii::default_server_max_message_size);

    zmqraii::socket big(ctx, zmqraii::socket_type::router);
    zmqraii::make_curve_server(big, cert, 64 * 1024 * 1024);
    CHECK(big.get(zmqraii::option::maxmsgsize) == 64 * 1024 * 1024);

    zmqraii::socket unbounded(ctx, zmqraii::socket_type::router);
    zmqraii::make_curve_server(unbounded, cert, -1);
    CHECK(unbounded.get(zmqraii::option::maxmsgsize) == -1);

    for (const std::int64_t bad : {std::int64_t{0}, std::int64_t{-2}}) {
        zmqraii::socket refused(ctx, zmqraii::socket_type::router);
        const auto r = outcome_of([&] { zmqraii::make_curve_server(refused, cert, bad); });
        CHECK(r.code == EINVAL);
        CHECK_THAT(r.what, contains("max_message_size"));
        CHECK(refused.get(zmqraii::option::mechanism) == ZMQ_NULL);
    }
}

TEST_CASE("a CURVE server refuses a frame above its maxmsgsize", "[cert][curve][tcp]") {
    const auto server_cert = zmqraii::certificate::generate();
    const auto client_cert = zmqraii::certificate::generate();
    zmqraii::context_options opts;
    opts.linger = 0ms;
    zmqraii::context ctx(opts);
    zmqraii::socket server(ctx, zmqraii::socket_type::pull, "curve server");
    zmqraii::make_curve_server(server, server_cert, 64 * 1024);
    zmqraii::socket_monitor events(ctx, server);
    server.bind("tcp://127.0.0.1:*");

    zmqraii::socket client(ctx, zmqraii::socket_type::push, "curve client");
    zmqraii::make_curve_client(client, client_cert, server_cert.public_key());
    client.connect(server.last_endpoint());
    // The largest payload that fits: CURVE adds 33 bytes to a frame on the wire.
    client.send(std::string(64 * 1024 - 33, 'a'));
    const auto fits = server.recv_for(must_happen);
    REQUIRE(fits);
    CHECK(fits->size() == 64 * 1024 - 33);
    client.send(std::string(64 * 1024 - 32, 'b'));  // one byte too many
    CHECK(wait_for(events, zmqraii::event_kind::disconnected));
    CHECK_FALSE(server.recv_for(300ms));
}

TEST_CASE("an unauthenticated CURVE handshake cannot announce more than maxmsgsize",
          "[cert][curve][tcp]") {
    const auto server_cert = zmqraii::certificate::generate();
    zmqraii::context_options opts;
    opts.linger = 0ms;
    zmqraii::context ctx(opts);
    zmqraii::socket server(ctx, zmqraii::socket_type::router, "curve server");
    zmqraii::make_curve_server(server, server_cert);  // the default limit
    server.bind("tcp://127.0.0.1:*");
    // A HELLO that announces 128 MiB: the server closes the connection as soon as
    // it reads the size, instead of waiting for (and buffering) 128 MiB.
    raw_tcp peer(port_of(server.last_endpoint()), must_happen);
    peer.send_all(greeting_and_long_command("CURVE", 128u << 20));
    CHECK(peer.closed_by_peer());

    SECTION("without a limit, the same connection stays open (libzmq's default)") {
        zmqraii::socket open_server(ctx, zmqraii::socket_type::router, "unbounded");
        zmqraii::make_curve_server(open_server, server_cert, -1);
        open_server.bind("tcp://127.0.0.1:*");
        raw_tcp waiting(port_of(open_server.last_endpoint()), 500ms);
        waiting.send_all(greeting_and_long_command("CURVE", 128u << 20));
        CHECK_FALSE(waiting.closed_by_peer());
    }
}

TEST_CASE("pyzmq reads our certificate files and we read pyzmq's", "[cert][file][interop]") {
    if (!have_pyzmq()) {
        WARN("no /usr/bin/python3 with zmq.auth (Debian python3-zmq): interop not checked");
        return;
    }
    temp_dir dir;
    const auto ours = zmqraii::certificate::generate();
    ours.save(dir.file("ours.key"));
    const std::string py =
        "/usr/bin/python3 -c 'import sys, zmq.auth; "
        "p, s = zmq.auth.load_certificate(sys.argv[1]); "
        "print(p.decode()); print(s.decode() if s else \"\")' ";
    CHECK(run(py + dir.file("ours.key_secret")) ==
          ours.public_key() + "\n" + ours.secret_key() + "\n");
    CHECK(run(py + dir.file("ours.key")) == ours.public_key() + "\n\n");

    run("/usr/bin/python3 -c 'import sys, zmq.auth; "
        "zmq.auth.create_certificates(sys.argv[1], \"theirs\", {\"name\": \"py\"})' " +
        dir.path.string());
    // pyzmq writes the secret file with the umask's mode (0644 with umask 022):
    // refused until it is made private.
    const std::string their_secret = dir.file("theirs.key_secret");
    REQUIRE(::chmod(their_secret.c_str(), 0644) == 0);
    const auto refused = outcome_of([&] { zmqraii::certificate::load(dir.file("theirs.key")); });
    CHECK(refused.code == EACCES);
    CHECK_THAT(refused.what, contains("chmod 600 " + their_secret));
    REQUIRE(::chmod(their_secret.c_str(), 0600) == 0);
    const auto theirs = zmqraii::certificate::load(dir.file("theirs.key"));
    REQUIRE(theirs.has_secret());
    CHECK(zmqraii::curve_public_from_secret(theirs.secret_key()) == theirs.public_key());
    CHECK(theirs.meta("name") == std::optional<std::string>("py"));
}

TEST_CASE("make_curve_server and make_curve_client: an encrypted pair works", "[cert][curve]") {
    const auto server_cert = zmqraii::certificate::generate();
    const auto client_cert = zmqraii::certificate::generate();
    zmqraii::context_options opts;
    opts.linger = 0ms;
    zmqraii::context ctx(opts);

    zmqraii::socket server(ctx, zmqraii::socket_type::pair, "curve server");
    zmqraii::make_curve_server(server, server_cert);
    server.bind("tcp://127.0.0.1:*");
    CHECK(server.get(zmqraii::option::mechanism) == ZMQ_CURVE);

    zmqraii::socket client(ctx, zmqraii::socket_type::pair, "curve client");
    zmqraii::make_curve_client(client, client_cert, server_cert.public_key());
    client.connect(server.last_endpoint());
    client.send("sealed");
    const auto got = server.recv_for(must_happen);
    REQUIRE(got);
    CHECK(got->to_string() == "sealed");
    server.send("and back");
    const auto back = client.recv_for(must_happen);
    REQUIRE(back);
    CHECK(back->to_string() == "and back");
}

TEST_CASE("make_curve_server and make_curve_client refuse what cannot work", "[cert][curve]") {
    const auto cert = zmqraii::certificate::generate();
    zmqraii::context_options opts;
    opts.linger = 0ms;
    zmqraii::context ctx(opts);

    SECTION("after bind: the mechanism of the endpoint is fixed") {
        zmqraii::socket s(ctx, zmqraii::socket_type::pull, "bound early");
        s.bind("tcp://127.0.0.1:*");
        const auto [e_code, e_what] = error_of([&] { zmqraii::make_curve_server(s, cert); });
        CHECK(e_code == std::errc::invalid_argument);
        CHECK_THAT(e_what, contains("before bind() and connect()"));
        CHECK_THAT(e_what, contains("bound early"));
        CHECK(s.get(zmqraii::option::mechanism) == ZMQ_NULL);
    }
    SECTION("after connect") {
        zmqraii::socket s(ctx, zmqraii::socket_type::push, "connected early");
        s.connect("tcp://127.0.0.1:9");
        const auto [e_code, e_what] =
            error_of([&] { zmqraii::make_curve_client(s, cert, cert.public_key()); });
        CHECK(e_code == std::errc::invalid_argument);
        CHECK(s.get(zmqraii::option::mechanism) == ZMQ_NULL);
    }
    SECTION("a certificate without its secret key") {
        zmqraii::socket s(ctx, zmqraii::socket_type::pull);
        CHECK(error_of([&] { zmqraii::make_curve_server(s, cert.public_only()); }).first ==
              std::errc::invalid_argument);
        CHECK(error_of([&] {
                  zmqraii::make_curve_client(s, cert.public_only(), cert.public_key());
              }).first == std::errc::invalid_argument);
    }
    SECTION("a bad server key") {
        zmqraii::socket s(ctx, zmqraii::socket_type::push);
        const auto [e_code, e_what] =
            error_of([&] { zmqraii::make_curve_client(s, cert, "not a key"); });
        CHECK(e_code == std::errc::invalid_argument);
        CHECK(s.get(zmqraii::option::mechanism) == ZMQ_NULL);
    }
}

TEST_CASE("a CURVE server never accepts a NULL-mechanism client", "[cert][curve]") {
    const auto server_cert = zmqraii::certificate::generate();
    zmqraii::context_options opts;
    opts.linger = 0ms;
    zmqraii::context ctx(opts);
    zmqraii::socket server(ctx, zmqraii::socket_type::pull, "curve server");
    zmqraii::make_curve_server(server, server_cert);
    zmqraii::socket_monitor server_events(ctx, server);
    server.bind("tcp://127.0.0.1:*");

    zmqraii::socket client(ctx, zmqraii::socket_type::push, "null client");
    client.set(zmqraii::option::handshake_ivl, 200ms);
    client.connect(server.last_endpoint());
    CHECK(client.try_send("plaintext must not arrive"));  // queued, never delivered

    // The server refuses the handshake: the mechanisms do not match.
    const auto refused = wait_for(server_events, zmqraii::event_kind::handshake_failed_protocol);
    REQUIRE(refused);
    CHECK(refused->value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    CHECK_FALSE(server.recv_for(300ms));
}
