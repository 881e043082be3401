#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Extract the C++ code blocks of Markdown files into translation units.

Used by tests/docs/CMakeLists.txt at configure time; CONTRIBUTING.md ("The docs test")
describes the conventions. In short, a fenced block whose info string starts
with `cpp` (or `c++`, `cxx`) is C++ and must say what to do with it:

  ```cpp              a translation unit of its own (namespace-scope code:
                      functions, classes, main); compiled as is
  ```cpp fragment     statements; compiled as the body of a function
  ```cpp nocompile    shown, not compiled (say why in the text around it)

A word `if=MACRO` after the language compiles the block only where the
configuration macro MACRO (config.hpp) is 1, e.g. ```cpp if=ZMQRAII_HAS_COROUTINES
for C++20 coroutines: the generated file wraps it in `#if MACRO`.

Every C++ block is compiled unless it says `nocompile`. An HTML comment on the
line(s) right before the fence, `<!-- snippet-setup: ... -->`, adds hidden code
before the block (declarations a fragment uses: `zmqraii::context ctx;`); it
may span several lines. Blocks in other languages (text, sh, cmake, none) are
ignored. Fences may be indented (inside list items), use ``` or ~~~, and be
longer than three characters.

Usage: extract_snippets.py OUT_DIR MANIFEST FILE.md...
Writes OUT_DIR/<file>_L<line>.cpp (only when the content changed, so that an
unchanged snippet is not recompiled), deletes generated files that no longer
correspond to a block, and writes MANIFEST: one generated path per line.
Prints a summary. Exits 1 on a malformed document (an unterminated fence, an
unknown C++ block kind), naming the file and line.
"""

import os
import re
import sys

CPP_LANGS = {"cpp", "c++", "cxx"}
KINDS = {"": "tu", "tu": "tu", "fragment": "fragment", "nocompile": "nocompile"}
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
SETUP_START = "<!-- snippet-setup:"


class DocError(Exception):
    pass


def parse_blocks(path, text):
    """Yields (line_of_first_code_line, lang, kind, code, setup, cond) per fenced
    block; setup is None or (text, line of the comment); cond is None or a macro."""
    lines = text.splitlines()
    i = 0
    pending_setup = None  # (text, line) of a snippet-setup comment right before a fence
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith(SETUP_START):
            start = i
            body = stripped[len(SETUP_START):]
            while "-->" not in body:
                i += 1
                if i >= len(lines):
                    raise DocError(f"{path}:{start + 1}: unterminated snippet-setup comment")
                body += "\n" + lines[i]
            pending_setup = (body[: body.index("-->")].strip(), start + 1)
            i += 1
            continue
        m = FENCE.match(line)
        if not m or (m.group("fence")[0] == "`" and "`" in m.group("info")):
            if stripped:
                pending_setup = None
            i += 1
            continue
        indent = len(m.group("indent").expandtabs(4))
        fence = m.group("fence")
        words = m.group("info").strip().split()
        lang = words[0].lower() if words else ""
        # Pandoc-style {.cpp} and attributes after the language are tolerated.
        lang = lang.strip("{}.")
        conds = [w[3:] for w in words[1:] if w.startswith("if=")]
        kinds = [w for w in words[1:] if not w.startswith("if=")]
        kind_word = kinds[0].lower() if kinds else ""
        open_line = i + 1
        code = []
        i += 1
        closed = False
        while i < len(lines):
            cm = FENCE.match(lines[i])
            if (cm and cm.group("fence")[0] == fence[0] and len(cm.group("fence")) >= len(fence)
                    and not cm.group("info").strip()):
                closed = True
                break
            raw = lines[i]
            # Remove the fence's indentation (CommonMark: up to that many spaces).
            expanded = raw.expandtabs(4)
            lead = len(expanded) - len(expanded.lstrip(" "))
            code.append(expanded[min(lead, indent):])
            i += 1
        if not closed:
            raise DocError(f"{path}:{open_line}: code block is never closed")
        i += 1  # past the closing fence
        if lang in CPP_LANGS:
            if kind_word not in KINDS:
                raise DocError(
                    f"{path}:{open_line}: unknown C++ block kind '{kind_word}' "
                    f"(use ```cpp, ```cpp fragment or ```cpp nocompile; see CONTRIBUTING.md, 'The docs test')")
            if len(conds) > 1 or (conds and not re.fullmatch(r"ZMQRAII_[A-Z0-9_]+", conds[0])):
                raise DocError(f"{path}:{open_line}: `if=` takes one ZMQRAII_ configuration macro")
            yield (open_line + 1, lang, KINDS[kind_word], "\n".join(code), pending_setup,
                   conds[0] if conds else None)
        pending_setup = None


def c_string(path):
    return path.replace("\\", "\\\\").replace('"', '\\"')


def render(md_path, first_line, kind, code, setup, ident, cond=None):
    out = [
        "// Generated by tests/docs/extract_snippets.py from",
        f"// {os.path.basename(md_path)}, line {first_line}: edit the document, not this file.",
        "#include \"snippet_prelude.hpp\"",
    ]
    if cond:
        out.append(f"#if {cond}")
    if kind == "tu":
        if setup:
            out.append(f'#line {setup[1]} "{c_string(md_path)}"')
            out.append(setup[0])
        out.append(f'#line {first_line} "{c_string(md_path)}"')
        out.append(code)
    else:  # fragment
        out.append(f"[[maybe_unused]] static void {ident}() {{")
        out.append("    using namespace std::chrono_literals;")
        if setup:
            out.append(f'#line {setup[1]} "{c_string(md_path)}"')
            out.append(setup[0])
        out.append(f'#line {first_line} "{c_string(md_path)}"')
        out.append(code)
        out.append("}")
    if cond:
        out.append(f"#endif  // {cond}")
    return "\n".join(out) + "\n"


def write_if_changed(path, content):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == content:
                return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir, manifest, docs = argv[0], argv[1], argv[2:]
    os.makedirs(out_dir, exist_ok=True)
    generated = []
    counts = {"tu": 0, "fragment": 0, "nocompile": 0}
    skipped = []
    try:
        for md in sorted(docs):
            with open(md, encoding="utf-8") as f:
                text = f.read()
            stem = re.sub(r"[^A-Za-z0-9]", "_", os.path.splitext(os.path.basename(md))[0])
            for first_line, _lang, kind, code, setup, cond in parse_blocks(md, text):
                counts[kind] += 1
                if kind == "nocompile":
                    skipped.append(f"{os.path.basename(md)}:{first_line - 1}")
                    continue
                ident = f"zmqraii_doc_{stem}_L{first_line}"
                name = f"{stem}_L{first_line}.cpp"
                write_if_changed(os.path.join(out_dir, name),
                                 render(os.path.abspath(md), first_line, kind, code, setup, ident,
                                        cond))
                generated.append(os.path.join(out_dir, name))
    except DocError as e:
        print(f"extract_snippets: error: {e}", file=sys.stderr)
        return 1
    keep = {os.path.basename(g) for g in generated}
    for f in os.listdir(out_dir):
        if f.endswith(".cpp") and f not in keep:
            os.remove(os.path.join(out_dir, f))
    write_if_changed(manifest, "".join(g + "\n" for g in generated))
    print(f"docs snippets: {counts['tu']} translation unit(s), {counts['fragment']} fragment(s) "
          f"compiled from {len(docs)} document(s); {counts['nocompile']} marked nocompile"
          + (f" ({', '.join(skipped)})" if skipped else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
