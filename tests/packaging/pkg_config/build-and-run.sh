#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Builds tests/packaging/main.cpp against an installed zmqraii with nothing but
# pkg-config and the compiler, then runs it. Run by ctest (packaging_pkg_config)
# after packaging_install.
#
# usage: build-and-run.sh PKGCONFIG_DIR OUT_DIR [CXX] [STD] [CHECKS]
#   PKGCONFIG_DIR  directory holding the installed zmqraii.pc
#   OUT_DIR        where to put the binary
#   CXX            compiler (default: c++), STD: 17, 20, ... (default: 17)
#   CHECKS         the ZMQRAII_THREAD_CHECKS value zmqraii.pc must give (0 or 1)
set -eu

pcdir=$1
out=$2
cxx=${3:-c++}
std=${4:-17}
checks=${5:-}
src=$(dirname "$0")/../main.cpp
pkg_config=${PKG_CONFIG:-pkg-config}

PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH

mkdir -p "$out"
"$pkg_config" --exists --print-errors zmqraii
echo "zmqraii.pc version: $("$pkg_config" --modversion zmqraii)"
echo "cflags: $("$pkg_config" --cflags zmqraii)"
echo "libs:   $("$pkg_config" --libs zmqraii)"

# The documented one-liner, with the compiler and standard under test:
#   c++ -std=c++17 $(pkg-config --cflags zmqraii) main.cpp $(pkg-config --libs zmqraii)
# shellcheck disable=SC2046  # word splitting of the flags is intended
"$cxx" -std=c++"$std" $("$pkg_config" --cflags zmqraii) "$src" -o "$out/consumer" \
    $("$pkg_config" --libs zmqraii)
status=0
"$out/consumer" >"$out/consumer.out" 2>&1 || status=$?
cat "$out/consumer.out"
if [ "$status" -ne 0 ]; then
    echo "build-and-run.sh: the consumer program failed ($status)" >&2
    exit "$status"
fi
if [ -n "$checks" ] && ! grep -q "ZMQRAII_THREAD_CHECKS=$checks) received 'hello'" "$out/consumer.out"; then
    echo "build-and-run.sh: expected ZMQRAII_THREAD_CHECKS=$checks from zmqraii.pc" >&2
    exit 1
fi
