#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Generates zmqraii's API reference from the doc comments of include/zmqraii/
# (docs/Doxyfile; HTML in build/docs/html/index.html) and fails on any doxygen
# warning: an undocumented public class, member or enumerator, an @param that
# names no parameter, a broken reference...
#
# Usage: tools/doxygen.sh        (from any directory; doxygen runs at the repo root)
#
# docs/Doxyfile has WARN_AS_ERROR = YES, so doxygen stops at the first warning.
# When that happens, this script runs doxygen once more with warnings not fatal,
# to list every warning at once, and exits 1.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! command -v doxygen >/dev/null 2>&1; then
    echo "tools/doxygen.sh: doxygen not found (Debian/Ubuntu: apt-get install doxygen)" >&2
    exit 2
fi

# PROJECT_NUMBER = $(ZMQRAII_VERSION) in the Doxyfile: read it from version.hpp.
version_part() {
    sed -n "s/^#define ZMQRAII_VERSION_$1 \([0-9][0-9]*\).*/\1/p" include/zmqraii/version.hpp
}
ZMQRAII_VERSION="$(version_part MAJOR).$(version_part MINOR).$(version_part PATCH)"
export ZMQRAII_VERSION

mkdir -p build/docs
log=build/docs/doxygen-warnings.log

status=0
doxygen docs/Doxyfile 2>"$log" || status=$?
if [ "$status" -eq 0 ] && [ ! -s "$log" ]; then
    echo "tools/doxygen.sh: no warnings; API reference for zmqraii $ZMQRAII_VERSION in" \
        "build/docs/html/index.html"
    exit 0
fi

# Failed: list every warning, not just the first.
{ cat docs/Doxyfile; echo "WARN_AS_ERROR = NO"; } | doxygen - 2>"$log" || true
awk '!seen[$0]++' "$log" >&2
count=$(grep -c 'warning:' "$log" || true)
echo "tools/doxygen.sh: doxygen reported $count warning(s) (WARN_AS_ERROR); fix the doc" \
    "comments listed above (also in $log)" >&2
exit 1
