#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What including zmqraii costs at compile time, next to cppzmq (GitHub issue 14).

Compiles one small program (a context, two PAIR sockets, bind/connect, send and
receive one message) written four ways:

  raw              libzmq's C API (<zmq.h>): the floor
  cppzmq           <zmq.hpp> + <zmq_addon.hpp>: the reference every ratio is taken against
  zmqraii-socket   <zmqraii/socket.hpp> alone (it brings context.hpp and message.hpp)
  zmqraii          the umbrella <zmqraii/zmqraii.hpp>
  zmqraii-socket-compiled, zmqraii-compiled
                   the same two with -DZMQRAII_SEPARATE_COMPILATION, as a program
                   linked with zmqraii::compiled compiles them: the registry, the
                   stop and the error texts are compiled once, in the library (its
                   own one-time cost is printed below the table), not in this file

Each is compiled to an object file (`-c`, what a user pays; not -fsyntax-only) with
-std=c++17, for every compiler x optimisation level asked for. The variants run
round-robin (raw, cppzmq, zmqraii-socket, zmqraii, raw, ...) --runs times, so load
from other work on the machine falls on all of them alike; the table gives each
variant's median and its ratio to cppzmq's median in the same configuration.

Time is the compiler's CPU time (user + system, summed over the driver and every
process it ran), which a loaded machine disturbs less than wall time; --metric wall
gives wall-clock seconds instead. --metric instructions counts the instructions
the compiler executes (valgrind --tool=cachegrind over the driver and every process
it runs), in millions: what load on the machine does not change; one run is enough.

  bench/compile_time.py                          g++ and clang++, -O0 and -O2, 5 runs
  bench/compile_time.py --compilers g++ --opts=-O0 --runs 9    (= after flags with a dash)
  bench/compile_time.py --variants cppzmq,zmqraii-socket --extra=-DZMQRAII_THREAD_CHECKS=0
  bench/compile_time.py --metric instructions --runs 1     (the table of docs/performance.md)

  # before/after a change, in one interleaved run (adds zmqraii-socket@ref, zmqraii@ref):
  git archive HEAD~3 include | tar -x -C /tmp/ref
  bench/compile_time.py --ref-include /tmp/ref/include

Standard library only; no build directory needed (or, from a build tree with
ZMQRAII_BUILD_BENCH=ON: `cmake --build <dir> --target zmqraii_compile_time`, which
runs it with the configured compiler). Not a test: it asserts nothing. Before timing, each program is
compiled, linked against libzmq and run once (--no-verify skips this), so the
numbers are for programs that work.
"""

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INCLUDE_DIR = os.path.join(os.path.dirname(HERE), "include")

PROGRAMS = {
    "raw": r"""
#include <zmq.h>

#include <cstring>

int main() {
    void* ctx = zmq_ctx_new();
    void* a = zmq_socket(ctx, ZMQ_PAIR);
    void* b = zmq_socket(ctx, ZMQ_PAIR);
    if (zmq_bind(a, "inproc://compile-time") != 0) return 1;
    if (zmq_connect(b, "inproc://compile-time") != 0) return 1;
    if (zmq_send(a, "hello", 5, 0) != 5) return 1;
    zmq_msg_t m;
    zmq_msg_init(&m);
    const int n = zmq_msg_recv(&m, b, 0);
    const bool ok = n == 5 && std::memcmp(zmq_msg_data(&m), "hello", 5) == 0;
    zmq_msg_close(&m);
    zmq_close(b);
    zmq_close(a);
    zmq_ctx_term(ctx);
    return ok ? 0 : 1;
}
""",
    "cppzmq": r"""
#include <zmq.hpp>
#include <zmq_addon.hpp>

int main() {
    zmq::context_t ctx;
    zmq::socket_t a(ctx, zmq::socket_type::pair);
    zmq::socket_t b(ctx, zmq::socket_type::pair);
    a.bind("inproc://compile-time");
    b.connect("inproc://compile-time");
    a.send(zmq::str_buffer("hello"), zmq::send_flags::none);
    zmq::message_t m;
    const auto n = b.recv(m, zmq::recv_flags::none);
    return n && m.to_string() == "hello" ? 0 : 1;
}
""",
    "zmqraii-socket": r"""
#include <zmqraii/socket.hpp>

int main() {
    zmqraii::context ctx;
    zmqraii::socket a(ctx, zmqraii::socket_type::pair);
    zmqraii::socket b(ctx, zmqraii::socket_type::pair);
    a.bind("inproc://compile-time");
    b.connect("inproc://compile-time");
    a.send("hello");
    const zmqraii::message m = b.recv();
    return m.to_string() == "hello" ? 0 : 1;
}
""",
}
PROGRAMS["zmqraii"] = PROGRAMS["zmqraii-socket"].replace("<zmqraii/socket.hpp>",
                                                          "<zmqraii/zmqraii.hpp>")
PROGRAMS["zmqraii-socket-compiled"] = PROGRAMS["zmqraii-socket"]
PROGRAMS["zmqraii-compiled"] = PROGRAMS["zmqraii"]
# Flags a variant adds to every compilation of it.
VARIANT_FLAGS = {"zmqraii-socket-compiled": ["-DZMQRAII_SEPARATE_COMPILATION"],
                 "zmqraii-compiled": ["-DZMQRAII_SEPARATE_COMPILATION"]}
# What a compiled variant links: the library's one translation unit.
LIBRARY_SOURCE = "#include <zmqraii/impl/src.hpp>\n"
VARIANTS = list(PROGRAMS)
REFERENCE = "cppzmq"


def compile_once(cxx, opt, extra, src, obj, include_dir):
    """Compiles src to obj; returns wall-clock seconds."""
    cmd = [cxx, "-std=c++17", opt, "-I", include_dir] + extra + ["-c", src, "-o", obj]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit("compile failed: %s\n%s" % (" ".join(cmd), err.decode(errors="replace")))
    return wall


def counted_compile(cxx, opt, extra, src, obj, include_dir):
    """Millions of instructions of one compilation (every process of it), by
    valgrind's cachegrind without the cache simulation."""
    with tempfile.TemporaryDirectory(prefix="zmqraii-cg-") as out:
        cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--trace-children=yes",
               "--cachegrind-out-file=" + os.path.join(out, "cg.%p"),
               cxx, "-std=c++17", opt, "-I", include_dir] + extra + ["-c", src, "-o", obj]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            sys.exit("compile failed under valgrind: %s\n%s" %
                     (" ".join(cmd), r.stderr.decode(errors="replace")))
        total = 0
        for name in os.listdir(out):
            with open(os.path.join(out, name)) as f:
                for line in f:
                    if line.startswith("summary:"):
                        total += int(line.split()[1])
        return total / 1e6


def timed_compile(cxx, opt, extra, src, obj, include_dir, metric):
    """Seconds of one compilation: CPU time of the compiler and everything it ran
    (the growth of RUSAGE_CHILDREN across the reaped call), or wall time; or
    millions of instructions (metric "instructions")."""
    if metric == "instructions":
        return counted_compile(cxx, opt, extra, src, obj, include_dir)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = compile_once(cxx, opt, extra, src, obj, include_dir)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if metric == "wall":
        return wall
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def verify(cxx, extra, src, workdir, name, include_dir, library=None):
    exe = os.path.join(workdir, name + ".verify")
    cmd = [cxx, "-std=c++17", "-O0", "-I", include_dir] + extra + [src] + \
        ([library] if library else []) + ["-o", exe, "-lzmq", "-pthread"]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit("verify: build failed: %s\n%s" % (" ".join(cmd), r.stderr.decode(errors="replace")))
    r = subprocess.run([exe], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        sys.exit("verify: %s (%s) exited %d\n%s" % (name, cxx, r.returncode,
                                                   r.stderr.decode(errors="replace")))


def amount(x, unit):
    return "{:,.0f} M".format(x) if unit == "M" else "%.2f s" % x


def compiler_version(cxx):
    try:
        out = subprocess.run([cxx, "--version"], stdout=subprocess.PIPE, text=True).stdout
        return out.splitlines()[0].strip()
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    ap.add_argument("--compilers", default="g++,clang++",
                    help="comma-separated compiler commands (default: g++,clang++)")
    ap.add_argument("--opts", default="-O0,-O2",
                    help="comma-separated optimisation flags (default: -O0,-O2)")
    ap.add_argument("--runs", type=int, default=5, help="compilations per variant (default: 5)")
    ap.add_argument("--variants", default=",".join(VARIANTS),
                    help="comma-separated subset of: " + ", ".join(VARIANTS))
    ap.add_argument("--metric", choices=["cpu", "wall", "instructions"], default="cpu",
                    help="cpu: user+system seconds of the compiler (default); wall: elapsed; "
                         "instructions: millions executed by the compiler (valgrind)")
    ap.add_argument("--extra", action="append", default=[],
                    help="an extra compiler flag for every variant (repeatable), "
                         "e.g. --extra=-DZMQRAII_THREAD_CHECKS=0")
    ap.add_argument("--ref-include", metavar="DIR",
                    help="also time the zmqraii variants against the headers in DIR (another "
                         "checkout's include/, e.g. from `git archive`), interleaved with this "
                         "one's: before/after numbers from one run")
    ap.add_argument("--no-verify", action="store_true",
                    help="skip building and running each program once before timing")
    args = ap.parse_args()

    compilers = [c for c in args.compilers.split(",") if c]
    opts = [o for o in args.opts.split(",") if o]
    variants = [v for v in args.variants.split(",") if v]
    for v in variants:
        if v not in PROGRAMS:
            ap.error("unknown variant %r (known: %s)" % (v, ", ".join(VARIANTS)))
    for c in compilers:
        if shutil.which(c) is None:
            ap.error("compiler not found: " + c)
    if args.metric == "instructions" and shutil.which("valgrind") is None:
        ap.error("--metric instructions needs valgrind (apt-get install valgrind)")
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    print("# compile_time.py: %d runs per cell, median %s, -std=c++17 -c" %
          (args.runs, {"cpu": "CPU (user+sys) seconds", "wall": "wall-clock seconds",
                       "instructions": "instructions executed (millions, valgrind)"}[
                           args.metric]))
    print("# machine: %s, %d cores, load average %s" %
          (platform.machine(), os.cpu_count() or 0,
           " ".join("%.2f" % x for x in os.getloadavg())))
    for c in compilers:
        print("# %s: %s" % (c, compiler_version(c)))
    if args.extra:
        print("# extra flags: " + " ".join(args.extra))

    include_of = {v: INCLUDE_DIR for v in variants}
    program_of = {v: v for v in variants}
    if args.ref_include:
        ref = os.path.abspath(args.ref_include)
        if not os.path.isfile(os.path.join(ref, "zmqraii", "socket.hpp")):
            ap.error("--ref-include: no zmqraii/socket.hpp in " + ref)
        for v in [v for v in variants if v.startswith("zmqraii")]:
            variants.append(v + "@ref")
            include_of[v + "@ref"] = ref
            program_of[v + "@ref"] = v
        print("# @ref: headers from " + ref)

    with tempfile.TemporaryDirectory(prefix="zmqraii-ctime-") as work:
        sources = {}
        for v in variants:
            sources[v] = os.path.join(work, v.replace("-", "_").replace("@", "_") + ".cpp")
            with open(sources[v], "w") as f:
                f.write(PROGRAMS[program_of[v]].lstrip())
        flags_of = {v: args.extra + VARIANT_FLAGS.get(program_of[v], []) for v in variants}
        library_source = os.path.join(work, "zmqraii_library.cpp")
        with open(library_source, "w") as f:
            f.write(LIBRARY_SOURCE)
        compiled = [v for v in variants if program_of[v] in VARIANT_FLAGS]
        if not args.no_verify:
            for c in compilers:
                for v in variants:
                    library = None
                    if v in compiled:  # link the compiled part, built for this variant
                        library = os.path.join(work, "library_%s.o" % v.replace("@", "_"))
                        compile_once(c, "-O0", flags_of[v], library_source, library,
                                     include_of[v])
                    verify(c, flags_of[v], sources[v], work, v.replace("@", "_"), include_of[v],
                           library)

        results = {}  # (compiler, opt) -> variant -> [seconds]
        for c in compilers:
            for o in opts:
                cell = {v: [] for v in variants}
                for _ in range(args.runs):
                    for v in variants:  # round-robin: one run of each, then again
                        obj = os.path.join(work, v.replace("@", "_") + ".o")
                        cell[v].append(timed_compile(c, o, flags_of[v], sources[v], obj,
                                                     include_of[v], args.metric))
                results[(c, o)] = cell
        # The compiled variants' one-time cost: zmqraii::compiled's translation unit.
        library_cost = {}
        if compiled:
            for c in compilers:
                for o in opts:
                    runs = [timed_compile(c, o, args.extra + ["-DZMQRAII_SEPARATE_COMPILATION"],
                                          library_source, os.path.join(work, "library.o"),
                                          INCLUDE_DIR, args.metric)
                            for _ in range(args.runs)]
                    library_cost[(c, o)] = statistics.median(runs)

    unit = "M" if args.metric == "instructions" else "s"
    header = "| compiler | opt | " + " | ".join(variants) + " |"
    print()
    print(header)
    print("|" + "---|" * (2 + len(variants)))
    for (c, o), cell in results.items():
        med = {v: statistics.median(cell[v]) for v in variants}
        ref = med.get(REFERENCE)
        cols = []
        for v in variants:
            if ref and v != REFERENCE:
                cols.append("%s (%.2f×)" % (amount(med[v], unit), med[v] / ref))
            else:
                cols.append(amount(med[v], unit))
        print("| %s | %s | %s |" % (c, o, " | ".join(cols)))
    print()
    print("Ratios are to cppzmq's median in the same row; min-max per cell:")
    for (c, o), cell in results.items():
        print("  %s %s: %s" % (c, o, ", ".join(
            "%s %.2f-%.2f" % (v, min(cell[v]), max(cell[v])) for v in variants)))
    if library_cost:
        print()
        print("Compiling the library's translation unit once (impl/src.hpp): " + ", ".join(
            "%s %s %s" % (c, o, amount(x, unit)) for (c, o), x in library_cost.items()))


if __name__ == "__main__":
    main()
