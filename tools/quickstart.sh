#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# zmqraii quick start: from a fresh checkout to a running example or a passing
# test suite in one command.
#
#   tools/quickstart.sh example   build and run examples/NN-thread-per-socket.cpp
#   tools/quickstart.sh test      build everything and run the whole suite (ctest)
#
# Both first install what is missing (Debian/Ubuntu: apt-get, through sudo when
# not root), then configure a Debug build with tests and examples in
# build/quickstart. The exit status is the example's or ctest's.
#
# Environment:
#   ZMQRAII_NO_INSTALL=1   never call apt-get (you installed the dependencies)
#   ZMQRAII_BUILD_DIR=dir  build directory (default: build/quickstart)
#   CXX, CMAKE_GENERATOR   honored by CMake as usual
set -euo pipefail

# The flagship example: examples/NN-thread-per-socket.cpp (the lowest NN), or
# the file named by ZMQRAII_EXAMPLE.
FLAGSHIP_PATTERN='examples/[0-9]*-thread-per-socket.cpp'

# What the build and the test suite need.
readonly REQUIRED_PACKAGES=(cmake make g++ pkg-config libzmq3-dev catch2)
# What the rest of the project uses: sanitizer presets (clang, its runtime),
# format/lint checks, API docs, interop tests and benchmarks (pyzmq, cppzmq),
# valgrind runs. Installed when available; a missing one is only a warning.
readonly EXTRA_PACKAGES=(ninja-build python3-zmq cppzmq-dev clang libclang-rt-14-dev
                         clang-format clang-tidy doxygen valgrind)

usage() {
    cat <<EOF
usage: $0 example|test

  example  install what is missing, build and run the flagship example
           ($FLAGSHIP_PATTERN)
  test     install what is missing, build everything, run the whole suite (ctest)
EOF
}

say() { printf '\n==> %s\n' "$*"; }

# ---------------------------------------------------------------------------
# Dependencies.
# ---------------------------------------------------------------------------
SUDO=()
APT_UPDATED=0

need_root() {
    if [[ $(id -u) -eq 0 ]]; then
        SUDO=()
    elif command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "quickstart: need root (or sudo) to install: $*" >&2
        echo "quickstart: install them yourself, then rerun with ZMQRAII_NO_INSTALL=1" >&2
        exit 1
    fi
}

is_installed() {
    [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

apt_update_once() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        say "apt-get update"
        "${SUDO[@]}" apt-get update -q
        APT_UPDATED=1
    fi
}

apt_install() {
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "$@" </dev/null
}

install_dependencies() {
    if [[ ${ZMQRAII_NO_INSTALL:-0} == 1 ]]; then
        say "skipping package installation (ZMQRAII_NO_INSTALL=1)"
        return
    fi
    if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
        say "no apt-get here: install cmake, a C++17 compiler, pkg-config, libzmq and Catch2 yourself"
        return
    fi

    local missing=() extra=() pkg
    for pkg in "${REQUIRED_PACKAGES[@]}"; do
        is_installed "$pkg" || missing+=("$pkg")
    done
    for pkg in "${EXTRA_PACKAGES[@]}"; do
        is_installed "$pkg" || extra+=("$pkg")
    done
    if [[ ${#missing[@]} -eq 0 && ${#extra[@]} -eq 0 ]]; then
        say "all packages already installed"
        return
    fi

    need_root "${missing[@]}" "${extra[@]}"
    apt_update_once
    if [[ ${#missing[@]} -gt 0 ]]; then
        say "installing required packages: ${missing[*]}"
        apt_install "${missing[@]}"
    fi
    # Extras one by one where they exist, so that one absent package (say a
    # different clang runtime version on another release) stops nothing.
    local available=()
    for pkg in "${extra[@]}"; do
        if apt-cache show "$pkg" >/dev/null 2>&1; then
            available+=("$pkg")
        else
            echo "quickstart: warning: package $pkg is not available here, skipped" >&2
        fi
    done
    if [[ ${#available[@]} -gt 0 ]]; then
        say "installing tool packages: ${available[*]}"
        apt_install "${available[@]}" ||
            echo "quickstart: warning: could not install all of: ${available[*]}" >&2
    fi
}

# ---------------------------------------------------------------------------
# Build.
# ---------------------------------------------------------------------------
ncpus() {
    nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2
}

configure() {
    say "configure ($BUILD_DIR)"
    cmake -S . -B "$BUILD_DIR" \
        -DCMAKE_BUILD_TYPE=Debug \
        -DZMQRAII_BUILD_TESTS=ON \
        -DZMQRAII_BUILD_EXAMPLES=ON
}

main() {
    if [[ $# -ne 1 ]]; then
        usage >&2
        exit 2
    fi
    local mode=$1
    case $mode in
        example | test) ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac

    # Run from the repository root, wherever we were called from.
    cd "$(dirname "${BASH_SOURCE[0]}")/.."
    BUILD_DIR=${ZMQRAII_BUILD_DIR:-build/quickstart}

    install_dependencies
    configure

    if [[ $mode == example ]]; then
        local flagship=${ZMQRAII_EXAMPLE:-} stem target
        if [[ -z $flagship ]]; then
            local candidates=()
            # shellcheck disable=SC2206  # the glob is meant to expand
            candidates=($FLAGSHIP_PATTERN)
            flagship=${candidates[0]}
        fi
        if [[ ! -f $flagship ]]; then
            echo "quickstart: no flagship example ($FLAGSHIP_PATTERN) found" >&2
            exit 1
        fi
        stem=$(basename "$flagship" .cpp)
        target=example_$stem
        say "build $target"
        cmake --build "$BUILD_DIR" --target "$target" --parallel "$(ncpus)"
        say "run $BUILD_DIR/examples/$stem"
        "$BUILD_DIR/examples/$stem"
        say "example $stem finished with status 0"
    else
        say "build everything"
        cmake --build "$BUILD_DIR" --parallel "$(ncpus)"
        say "run the test suite"
        (cd "$BUILD_DIR" && ctest --output-on-failure -j "$(ncpus)")
        say "all tests passed"
    fi
}

main "$@"
