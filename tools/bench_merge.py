#!/usr/bin/env python3
"""Merges Google Benchmark JSON files into one: the first file's context and
every file's benchmarks, in the order given.

tools/bench.sh runs each simulator benchmark in a process of its own and
merges their outputs with this, so that tools/bench_table.py and
tools/bench_compare.py read one file per binary as before.

Usage: bench_merge.py OUT IN [IN ...]
"""
import json
import sys


def main(argv):
    if len(argv) < 3:
        print("usage: bench_merge.py OUT IN [IN ...]", file=sys.stderr)
        return 2
    out, inputs = argv[1], sorted(argv[2:], key=_part_order)
    merged = None
    for path in inputs:
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            print(f"bench_merge: {path}: {e}", file=sys.stderr)
            return 1
        if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
            print(f"bench_merge: {path}: not Google Benchmark JSON (no benchmarks list)",
                  file=sys.stderr)
            return 1
        if merged is None:
            merged = {"context": data.get("context", {}), "benchmarks": []}
        merged["benchmarks"].extend(data["benchmarks"])
    with open(out, "w") as f:
        json.dump(merged, f, indent=2)
        f.write("\n")
    return 0


def _part_order(path):
    # Parts are numbered in run order (1.json, 2.json, ...); a shell glob
    # sorts 10.json before 2.json.
    stem = path.rsplit("/", 1)[-1].split(".", 1)[0]
    return (0, int(stem), path) if stem.isdigit() else (1, 0, path)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
