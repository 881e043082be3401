#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks the relative links of Markdown files: every target file exists, and
every #anchor names a heading (or an <a id="...">) of the page it points to.

Usage: check_links.py REPO_ROOT FILE.md...
Links with a scheme (https:, mailto:) are not followed. Anchors follow
GitHub's rule: the heading's text in lower case, punctuation other than `-`
and `_` removed, spaces turned into `-`; a repeated heading gets -1, -2...
Exits 1 and names each broken link with its file and line.
"""

import os
import re
import sys

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
HTML_ID = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"")
FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")


def slug(text):
    text = re.sub(r"<[^>]+>", "", text)              # inline HTML
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their text
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)             # punctuation, backticks
    return text.replace(" ", "-")


def outside_fences(text):
    """Yields (line number, line) for the lines outside fenced code blocks."""
    fence = None
    for n, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if fence is None:
            if m:
                fence = m.group(1)
                continue
            yield n, line
        elif m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) \
                and not line.strip()[len(m.group(1)):].strip():
            fence = None


def anchors(path, cache={}):
    if path not in cache:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        found, seen = set(), {}
        for _, line in outside_fences(text):
            found.update(HTML_ID.findall(line))
            m = HEADING.match(line)
            if m:
                s = slug(m.group(2))
                k = seen.get(s, 0)
                seen[s] = k + 1
                found.add(s if k == 0 else f"{s}-{k}")
        cache[path] = found
    return cache[path]


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    root, docs = os.path.abspath(argv[0]), argv[1:]
    broken, count = [], 0
    for md in docs:
        with open(md, encoding="utf-8") as f:
            text = f.read()
        for n, line in outside_fences(text):
            line = re.sub(r"`[^`]*`", "", line)  # code spans are not links
            for target in LINK.findall(line) + IMAGE.findall(line):
                if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
                    continue
                count += 1
                path, _, anchor = target.partition("#")
                dest = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(md)), path)) \
                    if path else os.path.abspath(md)
                where = f"{os.path.relpath(md, root)}:{n}"
                if not dest.startswith(root) or not os.path.exists(dest):
                    broken.append(f"{where}: {target}: no such file")
                elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
                    broken.append(f"{where}: {target}: no heading #{anchor} in "
                                  f"{os.path.relpath(dest, root)}")
    if broken:
        print("broken links:\n  " + "\n  ".join(broken), file=sys.stderr)
        return 1
    print(f"{count} relative links in {len(docs)} documents resolve")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
