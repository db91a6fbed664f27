#!/usr/bin/python3
"""Checks that each scenario's faulty variants make it fail.

A scenario in scenarios/ is a regression test when a bug makes it fail: its
`catches { mutant: NAME invariant: INV }` entries name faulty variants from
tools/mutants/ and the invariant each must violate. For every variant named
by some scenario, this applies the patch to a scratch copy of the tree,
builds informer_sim with -c opt and runs each scenario that names it, in
the scenario's runs (seeds x profiles, or the catch's own profiles): the
catch holds when some run fails with the named invariant. The faithful build
runs the same scenarios first: they must pass (as their Bazel tests do).

    tools/scenario_catches.py                    # every scenario, every catch
    tools/scenario_catches.py --only='dfifo-*'   # the variants matching a glob
    tools/scenario_catches.py --scenarios='bugs/*'   # the scenarios matching a glob

Results go to docs/scenario_catches.json and a table printed at the end.
Exit status: 0 when every catch holds and the faithful core passes every
scenario, 1 otherwise, 2 on a patch that does not apply or build.
"""

import argparse
import collections
import datetime
import fnmatch
import glob
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mutation_report as mr  # noqa: E402

ROOT = mr.ROOT
INVARIANT = re.compile(r"^\s*#\d+ (\S+) ", re.M)


def scenario_files(pattern):
    base = os.path.join(ROOT, "scenarios")
    return sorted(p for p in glob.glob(os.path.join(base, "**", "*.scenario"), recursive=True)
                  if fnmatch.fnmatch(os.path.relpath(p, base), pattern))


def describe(binary, path, log):
    out = mr.run([binary, f"--scenario={path}", "--describe_scenario"], ROOT, log)
    if out is None:
        mr.die(f"{path}: informer_sim cannot read it (see the log)")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_one(binary, path, seed, profile, log, timeout):
    """(passed, invariants seen) of one run of the scenario. A run that takes
    longer than `timeout` seconds (a variant looping in place) is stopped and
    counts as failing with "TIMEOUT"."""
    cmd = [binary, f"--scenario={path}", f"--seed={seed}", f"--profile={profile}"]
    try:
        out = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        log.write(f"$ {' '.join(cmd)}\n(stopped after {timeout} s)\n")
        return False, ["TIMEOUT"]
    log.write(f"$ {' '.join(cmd)}\n{out.stdout}\n")
    return out.returncode == 0, sorted(set(INVARIANT.findall(out.stdout or "")))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default="*", help="glob over variant names")
    p.add_argument("--scenarios", default="*",
                   help="glob over scenario paths relative to scenarios/ (e.g. 'bugs/*')")
    p.add_argument("--timeout", type=int, default=120, help="seconds per run (default 120)")
    p.add_argument("--scratch", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "informersim-catches"))
    p.add_argument("--disk_cache", default=os.path.join(os.path.expanduser("~"), ".cache", "informersim-disk"))
    p.add_argument("--json", default=os.path.join(ROOT, "docs", "scenario_catches.json"))
    args = p.parse_args()

    ws = os.path.join(args.scratch, "ws")
    os.makedirs(args.scratch, exist_ok=True)
    log = open(os.path.join(args.scratch, "log.txt"), "w", encoding="utf-8")
    mr.copy_tree(ws)
    flags = [f"--disk_cache={args.disk_cache}"]
    faithful = mr.build(ws, flags, log)
    if faithful is None:
        mr.die(f"the faithful tree does not build (see {log.name})")
    faithful_bin = os.path.join(args.scratch, "faithful")
    subprocess.run(["cp", faithful, faithful_bin], check=True)

    scenarios = {path: describe(faithful_bin, path, log) for path in scenario_files(args.scenarios)}
    by_mutant = collections.defaultdict(list)
    for path, d in scenarios.items():
        for c in d["catches"]:
            if fnmatch.fnmatch(c["mutant"], args.only):
                by_mutant[c["mutant"]].append((path, c))
    print(f"scenario_catches: {len(scenarios)} scenario(s), {len(by_mutant)} variant(s) named; "
          f"log in {log.name}", flush=True)

    results = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "faithful": [], "catches": []}
    ok = True
    # The faithful core passes every scenario that names a selected variant.
    for path in sorted({path for items in by_mutant.values() for path, _ in items}):
        d = scenarios[path]
        fails = [(r["seed"], r["profile"]) for r in d["runs"]
                 if not run_one(faithful_bin, path, r["seed"], r["profile"], log, args.timeout)[0]]
        results["faithful"].append({"scenario": d["name"], "failing_runs": fails})
        if fails:
            ok = False
            print(f"  faithful core FAILS {d['name']}: {fails}", flush=True)

    broken = []
    for mutant in sorted(by_mutant):
        patch = os.path.join(ROOT, "tools", "mutants", mutant + ".patch")
        if not os.path.exists(patch):
            broken.append(f"{mutant}: no tools/mutants/{mutant}.patch")
            continue
        if mr.run(["patch", "-p1", "-s", "-i", patch], ws, log) is None:
            broken.append(f"{mutant}: does not apply")
            continue
        binary = mr.build(ws, flags, log)
        mr.run(["patch", "-p1", "-s", "-R", "-i", patch], ws, log)
        if binary is None:
            broken.append(f"{mutant}: does not build")
            continue
        for path, c in by_mutant[mutant]:
            d = scenarios[path]
            profiles = set(c["profiles"]) or {r["profile"] for r in d["runs"]}
            seen, caught_by = set(), None
            for r in d["runs"]:
                if r["profile"] not in profiles:
                    continue
                passed, invariants = run_one(binary, path, r["seed"], r["profile"], log, args.timeout)
                seen.update(invariants)
                if not passed and c["invariant"] in invariants:
                    caught_by = r
                    break
            held = caught_by is not None
            ok = ok and held
            results["catches"].append({"scenario": d["name"], "mutant": mutant,
                                       "invariant": c["invariant"], "held": held,
                                       "run": caught_by, "invariants_seen": sorted(seen)})
            print(f"  {d['name']} x {mutant}: " +
                  (f"fails {c['invariant']} (seed {caught_by['seed']}, {caught_by['profile']})"
                   if held else f"NOT caught as {c['invariant']} (saw {sorted(seen) or 'a pass'})"),
                  flush=True)

    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    held = sum(1 for c in results["catches"] if c["held"])
    print(f"scenario_catches: {held} of {len(results['catches'])} catches hold; wrote {args.json}")
    for b in broken:
        print(f"scenario_catches: {b}", file=sys.stderr)
    if broken:
        sys.exit(2)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
