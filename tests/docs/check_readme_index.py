#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks that README.md links every docs/*.md page (its documentation index).

Usage: check_readme_index.py README.md DOCS_DIR
Exits 1 and names the pages README.md does not link.
"""

import os
import re
import sys


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    readme, docs_dir = argv
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    linked = {os.path.normpath(m) for m in re.findall(r"\]\((docs/[^)#\s]+\.md)", text)}
    pages = sorted(f for f in os.listdir(docs_dir) if f.endswith(".md"))
    missing = [p for p in pages if os.path.normpath("docs/" + p) not in linked]
    if missing:
        print("README.md does not link: " + ", ".join(missing)
              + " (add each to its Documentation table)", file=sys.stderr)
        return 1
    print(f"README.md links all {len(pages)} pages of docs/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
