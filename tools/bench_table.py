#!/usr/bin/env python3
"""Markdown table of a benchmark run against client-go's recorded figures.

Usage: tools/bench_table.py RUN [--reference bench/client_go_reference.json]

RUN is a Google Benchmark JSON file or a directory of them (tools/bench.sh
--out writes one per binary). Each row of the reference file names a
benchmark and a counter; the table shows that counter's median over the
run's repetitions, client-go's figures with and without garbage collection,
the speed-up over each (client-go / InformerSim, so higher is faster), and
whether the row's target (a speed-up over the no-GC figure) is met.
Standard library only.
"""

import argparse
import json
import os
import statistics
import sys


def load_runs(path):
    """Returns {benchmark run_name: {counter: [values per repetition]}}."""
    files = []
    if os.path.isdir(path):
        files = sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith(".json"))
    else:
        files = [path]
    runs = {}
    for f in files:
        try:
            with open(f) as fh:
                data = json.load(fh)
        except (OSError, ValueError) as e:
            print(f"bench_table: skipping {f}: {e}", file=sys.stderr)
            continue
        for b in data.get("benchmarks", []):
            if b.get("run_type", "iteration") != "iteration":
                continue  # aggregates are recomputed from the repetitions
            name = b.get("run_name", b.get("name"))
            per = runs.setdefault(name, {})
            for key, value in b.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    per.setdefault(key, []).append(float(value))
    return runs


def fmt(x):
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 100:
        return f"{x:.0f}"
    return f"{x:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--reference",
                        default=os.path.join(here, "..", "bench", "client_go_reference.json"))
    args = parser.parse_args()
    with open(args.reference) as fh:
        reference = json.load(fh)
    runs = load_runs(args.run)
    print("| metric | unit | InformerSim (median) | client-go GC | client-go no GC "
          "| x vs GC | x vs no GC | target (x vs no GC) |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    missing = 0
    for m in reference["metrics"]:
        values = runs.get(m["benchmark"], {}).get(m["counter"])
        if not values:
            missing += 1
            print(f"| {m['label']} | {m['unit']} | (not run) | {fmt(m['gc'])} "
                  f"| {fmt(m['no_gc'])} | | | {m['target_no_gc_ratio']}x |")
            continue
        ours = statistics.median(values)
        x_gc = m["gc"] / ours
        x_nogc = m["no_gc"] / ours
        met = "met" if x_nogc >= m["target_no_gc_ratio"] else "not met"
        print(f"| {m['label']} | {m['unit']} | {fmt(ours)} (n={len(values)}) | {fmt(m['gc'])} "
              f"| {fmt(m['no_gc'])} | {x_gc:.1f}x | {x_nogc:.1f}x "
              f"| {m['target_no_gc_ratio']}x: {met} |")
    return 1 if missing == len(reference["metrics"]) else 0


if __name__ == "__main__":
    sys.exit(main())
