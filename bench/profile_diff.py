#!/usr/bin/env python3
"""Two storm profiles side by side, method by method: where one server spends more than the other.

Arguments: A's `perf script -F comm,tid,ip,sym,dso` output, B's, A's server CPU seconds, B's, and optionally
`incl` (a method with every sample it is on the stack of; the default) or `self` (samples whose leaf it is), the
number of rows (50), and the connections in the storm (10000). Prints microseconds per connection for A and B and
their difference, largest first. JIT tiers and method-table addresses are dropped from the names so that the two
processes' methods match. bench/profile-storm.sh keeps its perf.data in the directory it names (OUT=...):

  perf script -i A/perf.data -F comm,tid,ip,sym,dso > a.txt   # likewise b.txt
  bench/profile_diff.py a.txt b.txt 4.38 3.93
"""
import collections
import re
import sys

TIER = re.compile(r"\[(QuickJitted|InstrumentedTier|InstrumentedTier1|OptimizedTier1|OptimizedTier1OSR|Optimized|Tier0|Tier1|PreJIT|OSR)\]")


def name(frame):
    dso_match = re.search(r"\(([^()]*)\)$", frame)
    sym = re.sub(r"\s*\([^()]*\)$", "", frame)
    if sym.startswith("[unknown]"):  # native code without symbols: tell the libraries apart at least
        return "[unknown] " + (dso_match.group(1).split("/")[-1] if dso_match else "")
    sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
    sym = re.sub(r"/\* MT: 0x[0-9a-f]+ \*/", "", TIER.sub("", sym))
    return sym.strip()[:140]


def load(path):
    inclusive, leaf, samples, stack = collections.Counter(), collections.Counter(), 0, []

    def flush():
        nonlocal samples
        if stack:
            samples += 1
            leaf[stack[0]] += 1
            inclusive.update(set(stack))

    with open(path, errors="replace") as lines:
        for line in lines:
            if not line.strip() or line[0] not in " \t":  # a blank line or a sample's header ends a stack
                flush()
                stack = []
                continue
            parts = line.strip().split(None, 1)
            if len(parts) == 2:
                stack.append(name(parts[1]))
    flush()
    return inclusive, leaf, samples


def main(argv):
    a_path, b_path, a_cpu, b_cpu = argv[1], argv[2], float(argv[3]), float(argv[4])
    mode = argv[5] if len(argv) > 5 else "incl"
    rows = int(argv[6]) if len(argv) > 6 else 50
    conns = float(argv[7]) if len(argv) > 7 else 10000
    a_incl, a_leaf, a_n = load(a_path)
    b_incl, b_leaf, b_n = load(b_path)
    a, b = (a_incl, b_incl) if mode == "incl" else (a_leaf, b_leaf)
    a_us, b_us = a_cpu * 1e6 / conns / a_n, b_cpu * 1e6 / conns / b_n
    print(f"us per connection: A {a_n * a_us:.0f}, B {b_n * b_us:.0f} ({mode})")
    for key in sorted(set(a) | set(b), key=lambda k: -(a[k] * a_us - b[k] * b_us))[:rows]:
        print(f"{a[key] * a_us:7.1f} {b[key] * b_us:7.1f} {a[key] * a_us - b[key] * b_us:+7.1f}  {key}")


if __name__ == "__main__":
    main(sys.argv)
