#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Per-message instruction counts of a bench program's hot loops, instruction by instruction.

Runs the program twice under `valgrind --tool=callgrind --dump-instr=yes` (message
counts N1 < N2), and prints the disassembly (objdump -d --no-show-raw-insn) of every
function of the program itself whose name matches --function, each instruction with
(Ir(N2) - Ir(N1)) / (N2 - N1): how many times it runs per message. Start-up and
tear-down cancel, so the loop body shows as 1.00 per instruction (or 2.00 where a
function holds two loops that each run once per message, as the latency round trip
does not).

  bench/annotate.py build/bench/bench_zmqraii --function thr_sender
  bench/annotate.py build/bench/bench_raw --function 'thr_(sender|receiver)'
"""

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile


def die(text):
    print("annotate.py: " + text, file=sys.stderr)
    sys.exit(1)


def instr_costs(path, program, fn_regex):
    """{address: Ir} of the cost lines of functions matching fn_regex in `program`."""
    names = {}
    fnames = {}
    costs = collections.Counter()
    ob = fn = None
    addr = 0
    skip_next = False
    want = re.compile(fn_regex)
    real = os.path.realpath(program)
    in_prog = False
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                fields = line.split()
                p = fields[0]
                if p.startswith("0x"):
                    addr = int(p, 16)
                elif p.startswith("+"):
                    addr += int(p[1:])
                elif p.startswith("-"):
                    addr -= int(p[1:])
                elif p != "*":
                    addr = int(p)
                if skip_next:  # inclusive cost of a call: not this instruction's own
                    skip_next = False
                    continue
                if in_prog and fn is not None and want.search(fn):
                    costs[addr] += int(fields[-1])
                continue
            if line.startswith("ob="):
                m = re.match(r"ob=\((\d+)\)(?: (.*))?$", line)
                if m.group(2) is not None:
                    names[m.group(1)] = m.group(2)
                ob = names.get(m.group(1))
                in_prog = ob is not None and os.path.realpath(ob) == real
            elif line.startswith("cob="):
                m = re.match(r"cob=\((\d+)\) (.*)$", line)
                if m:
                    names[m.group(1)] = m.group(2)
            elif line.startswith("fn="):
                m = re.match(r"fn=\((\d+)\)(?: (.*))?$", line)
                if m.group(2) is not None:
                    fnames[m.group(1)] = m.group(2)
                fn = fnames.get(m.group(1))
            elif line.startswith("cfn="):
                m = re.match(r"cfn=\((\d+)\) (.*)$", line)
                if m:
                    fnames[m.group(1)] = m.group(2)
            elif line.startswith("calls="):
                skip_next = True
            elif line.startswith("positions:") and line.split()[1:] != ["instr", "line"]:
                if line.split()[1:] != ["instr"]:
                    die("unexpected " + line)
    return costs


def run_callgrind(program, scenario, size, count, out):
    cmd = ["valgrind", "--tool=callgrind", "--dump-instr=yes", "--callgrind-out-file=" + out,
           program, "--scenario", scenario, "--size", str(size), "--count", str(count)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if p.returncode != 0:
        die("broken run: %s\n%s" % (" ".join(cmd), p.stderr[-2000:]))


def disassembly(program):
    """{address: instruction text}, branch targets shortened to <+offset> inside the
    same function, <cold+offset> for its cold part, <name@plt> for library calls."""
    p = subprocess.run(["objdump", "-d", "--no-show-raw-insn", program],
                       stdout=subprocess.PIPE, universal_newlines=True, check=True)
    lines = {}
    current = None
    for line in p.stdout.splitlines():
        m = re.match(r"[0-9a-f]+ <(.*)>:$", line)
        if m:
            current = m.group(1)
            continue
        m = re.match(r"\s+([0-9a-f]+):\t(.*)$", line)
        if not m:
            continue
        text = m.group(2).replace("\t", " ")
        t = re.search(r" <(.*?)(\+0x[0-9a-f]+)?>$", text)
        if t:
            name, off = t.group(1), t.group(2) or ""
            if name == current:
                short = off or "+0x0"
            elif name.endswith(".cold") and name[:-5] == current:
                short = "cold" + off
            elif "@plt" in name:
                short = name + off
            else:
                short = demangle(name) + off
            text = text[:t.start()] + " <" + short + ">"
        lines[int(m.group(1), 16)] = text
    return lines


def demangle(name):
    try:
        p = subprocess.run(["c++filt", name], stdout=subprocess.PIPE,
                           universal_newlines=True, check=True)
        out = p.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return name
    out = out.replace("(anonymous namespace)::", "")
    return out if len(out) <= 60 else out[:57] + "..."


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("program")
    ap.add_argument("--function", default="thr_(sender|receiver)",
                    help="regex over the (demangled) function names (default %(default)s)")
    ap.add_argument("--scenario", default="thr_inproc")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--counts", default="20000,120000")
    ap.add_argument("--all", action="store_true", help="also print instructions run 0 times "
                    "per message (the rest of the function)")
    args = ap.parse_args()
    n1, n2 = (int(x) for x in args.counts.split(","))
    with tempfile.TemporaryDirectory(prefix="zmqraii-annotate-") as d:
        a_out, b_out = os.path.join(d, "a.out"), os.path.join(d, "b.out")
        run_callgrind(args.program, args.scenario, args.size, n1, a_out)
        run_callgrind(args.program, args.scenario, args.size, n2, b_out)
        a = instr_costs(a_out, args.program, args.function)
        b = instr_costs(b_out, args.program, args.function)
    asm = disassembly(args.program)
    per = {addr: (b[addr] - a.get(addr, 0)) / (n2 - n1) for addr in b}
    total = sum(per.values())
    print("%s, %s %d B, functions matching /%s/: Ir per message, (Ir(%d) - Ir(%d)) / %d" % (
        os.path.basename(args.program), args.scenario, args.size, args.function, n2, n1,
        n2 - n1))
    for addr in sorted(set(per) | (set(asm) if args.all else set())):
        v = per.get(addr, 0.0)
        if not args.all and abs(v) < 0.005:
            continue
        if addr not in asm:
            continue
        print("%7.2f  %6x:  %s" % (v, addr, asm[addr]))
    print("%7.2f  total" % total)


if __name__ == "__main__":
    main()
