#!/usr/bin/env python3
"""Compares two Google Benchmark JSON runs, benchmark by benchmark.

Usage: tools/bench_compare.py BEFORE AFTER [--counters PREFIX,...]

BEFORE and AFTER are JSON files or directories of them (as tools/bench.sh
--out writes). For every benchmark present in both, and for cpu_time and
every counter whose name starts with one of the prefixes (default ns_, ms_),
prints the median over each run's repetitions and the ratio BEFORE/AFTER
(above 1: AFTER is faster, for times). The two runs should come from the
same window on the same machine; a ratio from different windows of a shared
machine mostly measures the other tenants. Standard library only.
"""

import argparse
import os
import statistics
import sys


# The same reader as the table's: one notion of a run's repetitions.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_table import load_runs  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--counters", default="ns_,ms_",
                        help="comma-separated counter name prefixes (default: ns_,ms_)")
    args = parser.parse_args()
    for path in (args.before, args.after):
        if not os.path.exists(path):
            print(f"bench_compare: {path}: no such file or directory", file=sys.stderr)
            return 2
    before, after = load_runs(args.before), load_runs(args.after)
    prefixes = tuple(p for p in args.counters.split(",") if p)
    print("| benchmark | measure | before (median) | after (median) | before/after |")
    print("|---|---|---:|---:|---:|")
    common = [name for name in before if name in after]
    for name in common:
        keys = ["cpu_time"] + sorted(k for k in before[name]
                                     if k.startswith(prefixes) and k in after[name])
        for key in keys:
            if key not in before[name] or key not in after[name]:
                continue
            b = statistics.median(before[name][key])
            a = statistics.median(after[name][key])
            ratio = f"{b / a:.2f}" if a else "-"
            print(f"| {name} | {key} | {b:.4g} (n={len(before[name][key])}) "
                  f"| {a:.4g} (n={len(after[name][key])}) | {ratio} |")
    only = sorted(set(before) ^ set(after))
    if only:
        print(f"\nIn one run only: {', '.join(only)}")
    return 0 if common else 1


if __name__ == "__main__":
    sys.exit(main())
