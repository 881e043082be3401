#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs zmqraii's benchmarks (GitHub issue 5) and prints the tables of docs/performance.md.

Three modes:

  run.py                 wall-clock: every scenario x size, implementations interleaved
                         run by run (raw, cppzmq, zmqraii, zmqraii-nocheck, raw, ...),
                         --repeats times; per scenario the median, min-max, the ratio of
                         each median to raw's median and the raw-vs-raw spread.
  run.py --pinned        the same under `taskset -c 0` (every thread on one CPU).
  run.py --instr         instruction counts with valgrind --tool=callgrind: per message,
                         per object (the program's own code, where the inlined wrapper
                         lives; libzmq; libc; ld.so; ...), from the difference of two runs
                         with different message counts, so start-up and tear-down cancel.

Build first:  cmake -S bench -B build/bench && cmake --build build/bench -j2
Every bench program verifies every message (count, size, sequence number) and exits
non-zero on a broken run; this script then stops with that program's error output.
"""

import argparse
import collections
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN_DIR = os.path.join(os.path.dirname(HERE), "build", "bench")

IMPLS = ["raw", "cppzmq", "zmqraii", "zmqraii-nocheck"]
PROGRAMS = {
    "raw": "bench_raw",
    "cppzmq": "bench_cppzmq",
    "zmqraii": "bench_zmqraii",
    "zmqraii-nocheck": "bench_zmqraii_nocheck",
    # Receivers other than a blocking recv() loop (thr_* only; lat_* is the same
    # as zmqraii's): a zmqraii::loop handler, and a coroutine on a loop (C++20).
    "zmqraii-loop": "bench_zmqraii_loop",
    "zmqraii-coro": "bench_zmqraii_coro",
}
SCENARIOS = ["thr_inproc", "thr_tcp", "lat_inproc", "lat_tcp"]
SIZES = [1, 64, 1024]

# Messages (thr_*) or round trips (lat_*) per run: about 0.2-0.5 s each on a
# 2-core EPYC VM. Scaled by --scale.
DEFAULT_COUNTS = {
    ("thr_inproc", 1): 2_000_000,
    ("thr_inproc", 64): 2_000_000,
    ("thr_inproc", 1024): 1_000_000,
    ("thr_tcp", 1): 1_000_000,
    ("thr_tcp", 64): 1_000_000,
    ("thr_tcp", 1024): 300_000,
    ("lat_inproc", 1): 20_000,
    ("lat_inproc", 64): 20_000,
    ("lat_inproc", 1024): 20_000,
    ("lat_tcp", 1): 5_000,
    ("lat_tcp", 64): 5_000,
    ("lat_tcp", 1024): 5_000,
}


def die(text):
    print("run.py: " + text, file=sys.stderr)
    sys.exit(1)


def program_path(bin_dir, impl):
    path = os.path.join(bin_dir, PROGRAMS[impl])
    if not os.access(path, os.X_OK):
        die("%s not found; build it: cmake -S bench -B build/bench && "
            "cmake --build build/bench -j2 (or pass --bin-dir)" % path)
    return path


def count_for(scenario, size, scale):
    base = DEFAULT_COUNTS.get((scenario, size))
    if base is None:  # a size without a default: scale the 64-byte count
        base = DEFAULT_COUNTS[(scenario, 64)]
    return max(1, int(base * scale))


def run_once(cmd, timeout):
    """Runs one bench program; returns its JSON result or stops on any failure."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        die("timed out after %d s: %s" % (timeout, " ".join(cmd)))
    if p.returncode != 0:
        die("broken run (exit status %d): %s\n%s" % (p.returncode, " ".join(cmd),
                                                      p.stderr.strip()))
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if len(lines) != 1:
        die("no result from: %s\n%s" % (" ".join(cmd), p.stdout))
    return json.loads(lines[0])


def environment_lines():
    out = []
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    out.append("machine: %s, %d CPUs online, %s" % (model or platform.processor(),
                                                  os.cpu_count() or 0, platform.platform()))
    try:
        with open("/proc/loadavg") as f:
            out.append("load average at start: " + " ".join(f.read().split()[:3]))
    except OSError:
        pass
    return out


def fmt_value(scenario, v):
    if scenario.startswith("thr"):
        return "%.0f k" % (v / 1e3)
    return "%.1f" % v


# ---------------------------------------------------------------------------
# Wall-clock mode.
# ---------------------------------------------------------------------------

def timing(args):
    impls = args.impls
    if impls[0] != "raw":
        die("--impls must start with raw (ratios are to raw)")
    paths = {i: program_path(args.bin_dir, i) for i in impls}
    prefix = ["taskset", "-c", args.cpu] if args.pinned else []
    if args.pinned and shutil.which("taskset") is None:
        die("--pinned needs taskset (util-linux)")

    for line in environment_lines():
        print(line)
    print("mode: %s, repeats: %d, implementations interleaved run by run: %s" % (
        "pinned (taskset -c %s: every thread on one CPU)" % args.cpu if args.pinned
        else "unpinned", args.repeats, ", ".join(impls)))
    print()

    results = []
    for scenario in args.scenarios:
        thr = scenario.startswith("thr")
        unit = "msgs/s" if thr else "round trip, us"
        better = "higher is better" if thr else "lower is better"
        print("## %s (%s; %s)" % (scenario, unit, better))
        print()
        print("| size | impl | median | min - max | median / raw median | within raw spread |")
        print("|---:|---|---:|---:|---:|---|")
        for size in args.sizes:
            n = count_for(scenario, size, args.scale)
            samples = collections.defaultdict(list)
            for _ in range(args.repeats):
                for impl in impls:
                    cmd = prefix + [paths[impl], "--scenario", scenario, "--size", str(size),
                                    "--count", str(n)]
                    r = run_once(cmd, args.timeout)
                    samples[impl].append(r["msgs_per_s"] if thr else r["rtt_us"])
                    results.append(r)
            raw = samples["raw"]
            raw_med = statistics.median(raw)
            spread = max(raw) / min(raw)
            for impl in impls:
                s = samples[impl]
                med = statistics.median(s)
                ratio = med / raw_med
                within = (1 / spread) <= ratio <= spread
                print("| %d | %s | %s | %s - %s | %.3f | %s |" % (
                    size, impl, fmt_value(scenario, med), fmt_value(scenario, min(s)),
                    fmt_value(scenario, max(s)), ratio,
                    "raw vs raw: max/min %.3f" % spread if impl == "raw"
                    else ("yes" if within else "NO")))
            sys.stdout.flush()
        print()
    try:
        with open("/proc/loadavg") as f:
            print("load average at end: " + " ".join(f.read().split()[:3]))
    except OSError:
        pass
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


# ---------------------------------------------------------------------------
# Instruction-count mode (callgrind).
# ---------------------------------------------------------------------------

def callgrind_self_cost_by_object(path):
    """Sums the self cost (Ir) of every cost line per ELF object.

    Callgrind's format: `ob=` names the object of the following `fn=` cost lines;
    a `calls=` line is followed by one line with the inclusive cost of that call,
    which belongs to the callee and is skipped here. Names may be compressed as
    `(id) name` the first time and `(id)` afterwards.
    """
    names = {}
    cost = collections.Counter()
    ob = "?"
    npos = 1
    skip_next = False
    summary = None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                if skip_next:
                    skip_next = False
                    continue
                fields = line.split()
                if len(fields) > npos:
                    cost[ob] += int(fields[npos])
                continue
            if line.startswith("ob="):
                m = re.match(r"ob=\((\d+)\)(?: (.*))?$", line)
                if m:
                    if m.group(2) is not None:
                        names[m.group(1)] = m.group(2)
                    ob = names.get(m.group(1), "?")
                else:
                    ob = line[3:]
            elif line.startswith("cob="):
                m = re.match(r"cob=\((\d+)\) (.*)$", line)
                if m:
                    names[m.group(1)] = m.group(2)
            elif line.startswith("calls="):
                skip_next = True
            elif line.startswith("positions:"):
                npos = len(line.split()[1:])
            elif line.startswith("events:"):
                if line.split()[1:2] != ["Ir"]:
                    die("unexpected callgrind events line: " + line)
            elif line.startswith("summary:"):
                summary = int(line.split()[1])
    total = sum(cost.values())
    if summary is not None and total != summary:
        die("callgrind parse mismatch in %s: objects sum to %d, summary says %d"
            % (path, total, summary))
    return cost


def object_class(obj, program):
    base = os.path.basename(obj)
    if os.path.realpath(obj) == os.path.realpath(program):
        return "program"
    if base.startswith("libzmq"):
        return "libzmq"
    if base.startswith("libc.so") or base.startswith("libc-"):
        return "libc"
    if base.startswith("ld-linux") or base.startswith("ld-"):
        return "ld.so"
    if base.startswith("libstdc++"):
        return "libstdc++"
    return "other"


CLASSES = ["program", "libzmq", "libc", "ld.so", "libstdc++", "other"]


def callgrind_run(program, scenario, size, count, workdir, timeout):
    out = os.path.join(workdir, "cg.%s.%s.%d.%d.out" % (os.path.basename(program), scenario,
                                                       size, count))
    cmd = ["valgrind", "--tool=callgrind", "--dump-instr=no", "--dump-line=no",
           "--callgrind-out-file=" + out, program, "--scenario", scenario, "--size", str(size),
           "--count", str(count)]
    run_once(cmd, timeout)
    by_obj = callgrind_self_cost_by_object(out)
    by_class = collections.Counter()
    for obj, ir in by_obj.items():
        by_class[object_class(obj, program)] += ir
    return by_class


def instructions(args):
    if shutil.which("valgrind") is None:
        die("--instr needs valgrind (apt-get install valgrind)")
    impls = args.impls
    if impls[0] != "raw":
        die("--impls must start with raw (differences are to raw)")
    paths = {i: program_path(args.bin_dir, i) for i in impls}
    n1, n2 = args.instr_counts
    if n2 <= n1:
        die("--instr-counts: the second count must be larger")
    for line in environment_lines()[:1]:
        print(line)
    print("callgrind: Ir per message = (Ir(%d msgs) - Ir(%d msgs)) / %d, self cost per object"
          % (n2, n1, n2 - n1))
    print()
    workdir = args.keep or tempfile.mkdtemp(prefix="zmqraii-bench-cg-")
    os.makedirs(workdir, exist_ok=True)
    for scenario in args.scenarios:
        for size in args.sizes:
            per = {}
            for impl in impls:
                a = callgrind_run(paths[impl], scenario, size, n1, workdir, args.timeout)
                b = callgrind_run(paths[impl], scenario, size, n2, workdir, args.timeout)
                per[impl] = {c: (b[c] - a[c]) / (n2 - n1) for c in CLASSES}
            unit = "message" if scenario.startswith("thr") else "round trip"
            print("## %s, %d B: instructions per %s" % (scenario, size, unit))
            print()
            ratio_to = args.ratio_to
            print("| impl | program's own code | minus raw | libzmq | libc | ld.so | "
                  "libstdc++ | other | all objects | all minus raw |"
                  + (" all / %s |" % ratio_to if ratio_to else ""))
            print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if ratio_to else ""))
            raw = per["raw"]
            raw_all = sum(raw.values())
            for impl in impls:
                p = per[impl]
                total = sum(p.values())
                print("| %s | %.2f | %+.2f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %+.1f |" % (
                    impl, p["program"], p["program"] - raw["program"], p["libzmq"], p["libc"],
                    p["ld.so"], p["libstdc++"], p["other"], total, total - raw_all)
                    + (" %.3f |" % (total / sum(per[ratio_to].values())) if ratio_to else ""))
            print()
            sys.stdout.flush()
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print("callgrind files kept in " + workdir)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin-dir", default=DEFAULT_BIN_DIR,
                    help="directory of the bench_* programs (default: %(default)s)")
    ap.add_argument("--repeats", type=int, default=5, help="runs per implementation (>= 5)")
    ap.add_argument("--scenarios", help="comma-separated subset of %s (default: all; "
                    "with --instr: thr_inproc)" % ",".join(SCENARIOS))
    ap.add_argument("--sizes", help="message sizes in bytes (default: %s; with --instr: 64)"
                    % ",".join(map(str, SIZES)))
    ap.add_argument("--impls", default=",".join(IMPLS), help="implementations, raw first")
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every message count")
    ap.add_argument("--pinned", action="store_true", help="run under taskset -c CPU")
    ap.add_argument("--cpu", default="0", help="the CPU list for --pinned (default 0)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per program run")
    ap.add_argument("--json", help="also write every run's result to this file")
    ap.add_argument("--instr", action="store_true", help="instruction counts with callgrind "
                    "(default scenario thr_inproc, size 64)")
    ap.add_argument("--instr-counts", default="20000,120000",
                    help="the two message counts of --instr (default %(default)s)")
    ap.add_argument("--keep", metavar="DIR", help="--instr: keep the callgrind files in DIR")
    ap.add_argument("--ratio-to", metavar="IMPL", help="--instr: add a column with each "
                    "implementation's total divided by IMPL's (e.g. zmqraii, the blocking "
                    "receiver, for zmqraii-loop and zmqraii-coro)")
    args = ap.parse_args()

    args.impls = [i for i in args.impls.split(",") if i]
    for i in args.impls:
        if i not in PROGRAMS:
            die("unknown implementation %s (known: %s)" % (i, ", ".join(PROGRAMS)))
    args.instr_counts = [int(x) for x in args.instr_counts.split(",")]
    if args.ratio_to and args.ratio_to not in args.impls:
        die("--ratio-to %s: not among --impls" % args.ratio_to)
    if args.scenarios is None:
        args.scenarios = "thr_inproc" if args.instr else ",".join(SCENARIOS)
    if args.sizes is None:
        args.sizes = "64" if args.instr else ",".join(map(str, SIZES))
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    for s in args.scenarios:
        if s not in SCENARIOS:
            die("unknown scenario %s (known: %s)" % (s, ", ".join(SCENARIOS)))
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.repeats < 1:
        die("--repeats must be at least 1 (5 or more for a result worth reading)")
    if args.repeats < 5 and not args.instr:
        print("run.py: warning: with fewer than 5 repeats the raw-vs-raw spread says little",
              file=sys.stderr)

    start = time.time()
    if args.instr:
        instructions(args)
    else:
        timing(args)
    print("(%.0f s)" % (time.time() - start))


if __name__ == "__main__":
    main()
