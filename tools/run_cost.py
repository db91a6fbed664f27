#!/usr/bin/env python3
"""What whole informer_sim runs cost, each in a fresh process.

Usage: tools/run_cost.py [--bin PATH] [--rounds N] [--common FLAGS]
                         [--base FLAGS] FLAGS [FLAGS ...]

FLAGS is a set of informer_sim's flags, space-separated in one argument,
the leading dashes optional: duration=20m, or "objects=10000 duration=1m".
Example, the issue's duration and object sets:

  tools/run_cost.py --base duration=1s duration=2m duration=20m
  tools/run_cost.py --base duration=1s duration=5m duration=50m
  tools/run_cost.py objects=1000 objects=10000 objects=100000

Runs informer_sim once per set in every round, the sets in turn so that each round sees
one window of a shared machine, and measures each run's CPU time (user +
system, from the kernel's accounting of the finished child: start-up, page
faults and teardown included, as a user pays them). Pinned to CPU 1 with
taskset when the machine has more than one. Prints a Markdown table: per
set, the median CPU time, the simulated API events the run received, the
scheduler steps it took, CPU per event, the page faults the run took (its
first touches of memory: on a virtual machine each can cost microseconds,
so they are shown apart), and against the first set the median over
rounds of the per-round CPU ratio (a ratio within a round is what survives
a machine whose speed drifts) next to the ratios of events and of steps.
Steps are the run's work as a whole: a relist hands every handler an
update for each unchanged object, and a resync pass one for each object,
which are steps but not API events; a longer run of the default scenario
relists more per minute (periodic compaction, and with it most 410s,
starts when the history window fills). So the cost per unit of work is
the CPU ratio against the steps ratio.

--base FLAGS  also runs this set each round (say duration=1s: start-up,
              the initial list and the final checks with next to no
              workload) and adds the ratios net of it: (CPU - base CPU)
              against (events - base events) and (steps - base steps),
              the cost of what the sets add over that fixed part.
--common      flags given to every run (default seed=1).
--warm        also runs each set with tools/sim_repeat (--repeat PATH; by
              default the one next to the informer_sim run: bazel build
              --config=opt //tools:sim_repeat), --warm_runs times in one
              process each
              round, and prints a second table: the first run in a process
              (which faults its memory in) and the median of the later ones
              (which reuse it: the computation alone, as sim_bench and a
              campaign's runs see it), with the later runs' ratios against
              the first set.
--json FILE   also writes every round's figures.

Every run must pass its checks: a run that fails costs something else, so
the script stops with an error (exit 1), still printing the rounds it
finished. Standard library only. sim_bench measures
the same scenarios repeated inside one process (a warm heap, no start-up);
docs/PERFORMANCE.md says when each view applies.
"""

import argparse
import json
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys

EVENTS = re.compile(r"(\d+) events and \d+ bookmarks received")
STEPS = re.compile(r"(\d+) scheduler steps")
REPEAT = re.compile(r"^run (\d+): cpu_ms=([\d.]+) page_faults=(\d+) events=(\d+) steps=(\d+) "
                    r"verdict=(\S+)$",
                    re.MULTILINE)
VERDICT = re.compile(r"^verdict: (\S+)", re.MULTILINE)


def default_binary():
    """informer_sim from the optimised build, as tools/bench.sh builds it."""
    try:
        bin_dir = subprocess.run(["bazel", "info", "--config=opt", "bazel-bin"],
                                 check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return os.path.join(bin_dir, "tools", "informer_sim")


def flags(text):
    """informer_sim flags from a set as given: dashes added where left off."""
    return [f if f.startswith("-") else "--" + f for f in shlex.split(text)]


def run(command):
    """(stdout, the command as shown, CPU seconds, page faults) of a child;
    raises RuntimeError, naming the command, if it exits non-zero."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    faults = (after.ru_minflt - before.ru_minflt) + (after.ru_majflt - before.ru_majflt)
    shown = " ".join(shlex.quote(c) for c in command)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{shown}: exit {done.returncode}: " + " / ".join(tail))
    return done.stdout, shown, cpu, faults


def run_once(command):
    """(CPU seconds, page faults, events, steps) of one run; raises
    RuntimeError if it fails."""
    stdout, shown, cpu, faults = run(command)
    verdict = VERDICT.search(stdout)
    if verdict is None or verdict.group(1) != "PASS":
        raise RuntimeError(f"{shown}: the run did not pass its checks")
    events = EVENTS.search(stdout)
    if events is None:
        raise RuntimeError(f"{shown}: no \"N events and M bookmarks received\" line")
    steps = STEPS.search(stdout)
    if steps is None:
        raise RuntimeError(f"{shown}: no \"N scheduler steps\" line")
    return cpu, faults, int(events.group(1)), int(steps.group(1))


def run_repeated(command, runs):
    """[(CPU seconds, page faults, events, steps)] of each run sim_repeat made in
    one process; raises RuntimeError if one fails or lines are missing."""
    stdout, shown, _, _ = run(command)
    found = [(float(m.group(2)) / 1e3, int(m.group(3)), int(m.group(4)), int(m.group(5)))
             for m in REPEAT.finditer(stdout) if m.group(6) == "PASS"]
    if len(found) != runs:
        raise RuntimeError(f"{shown}: {len(found)} passing run lines, want {runs}")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", metavar="FLAGS")
    parser.add_argument("--bin", help="informer_sim to run (default: the --config=opt build)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--common", default="seed=1")
    parser.add_argument("--base", help="a set to measure each round and net out")
    parser.add_argument("--json", help="write every round's figures here")
    parser.add_argument("--warm", action="store_true",
                        help="also run each set repeated in one process with sim_repeat")
    parser.add_argument("--repeat", help="the sim_repeat binary for --warm")
    parser.add_argument("--warm_runs", type=int, default=3)
    args = parser.parse_args()
    if args.rounds < 1:
        print("run_cost: --rounds must be at least 1", file=sys.stderr)
        return 2
    if args.warm_runs < 2:
        print("run_cost: --warm_runs must be at least 2 (a first run and a later one)",
              file=sys.stderr)
        return 2
    binary = args.bin or default_binary()
    if not binary or not os.access(binary, os.X_OK):
        print(f"run_cost: no informer_sim at {binary or '(bazel info failed)'}; build it with "
              "bazel build --config=opt //tools:informer_sim or pass --bin", file=sys.stderr)
        return 2
    repeat = None
    if args.warm:
        repeat = args.repeat or os.path.join(os.path.dirname(binary), "sim_repeat")
        if not os.access(repeat, os.X_OK):
            print(f"run_cost: no sim_repeat at {repeat}; build it with bazel build "
                  "--config=opt //tools:sim_repeat or give --repeat PATH", file=sys.stderr)
            return 2
    pin = ["taskset", "-c", "1"] if (os.cpu_count() or 1) > 1 and shutil.which("taskset") else []
    common = flags(args.common)
    labels = ([args.base] if args.base else []) + args.sets
    if len(set(labels)) != len(labels):
        print("run_cost: each set (and --base) must differ from the others", file=sys.stderr)
        return 2
    rounds = []
    failure = None
    try:
        for _ in range(args.rounds):
            figures = {}
            for label in labels:
                cpu, faults, events, steps = run_once(pin + [binary] + common + flags(label))
                figures[label] = {"cpu_s": cpu, "page_faults": faults, "events": events,
                                  "steps": steps}
                if repeat and label != args.base:
                    runs = run_repeated(pin + [repeat, str(args.warm_runs)] + common +
                                        flags(label), args.warm_runs)
                    later = runs[1:]
                    figures[label].update({
                        "first_cpu_s": runs[0][0], "first_page_faults": runs[0][1],
                        "warm_cpu_s": statistics.median(r[0] for r in later),
                        "warm_page_faults": statistics.median(r[1] for r in later),
                        "warm_events": runs[0][2],
                        "warm_steps": runs[0][3],
                    })
            rounds.append(figures)
    except RuntimeError as error:
        # The rounds already finished are still reported below.
        failure = f"run_cost: {error}"
    if not rounds:
        print(failure, file=sys.stderr)
        return 1

    def median(label, key):
        return statistics.median(r[label][key] for r in rounds)

    def warm_ratio(label):
        """Median over rounds of the later runs' CPU against the first set's,
        and the events and steps ratios (the same every round), as text."""
        first = args.sets[0]
        cpu = [r[label]["warm_cpu_s"] / r[first]["warm_cpu_s"] for r in rounds
               if r[first]["warm_cpu_s"] > 0]
        work = [rounds[0][label][k] / max(rounds[0][first][k], 1)
                for k in ("warm_events", "warm_steps")]
        return [f"{statistics.median(cpu):.2f}" if cpu else "n/a"] + [f"{w:.2f}" for w in work]

    def ratio(label, net):
        """Median over rounds of CPU(label)/CPU(first), and the events and
        steps ratios, as text; net of the base, a round where the first set
        cost or did no more than the base (noise, or a first set hardly
        larger) has no ratio."""
        first = args.sets[0]
        keys = ("cpu_s", "events", "steps")
        found = {k: [] for k in keys}
        for r in rounds:
            under = {k: r[first][k] - (r[args.base][k] if net else 0) for k in keys}
            if min(under.values()) > 0:
                for k in keys:
                    found[k].append((r[label][k] - (r[args.base][k] if net else 0)) / under[k])
        return [f"{statistics.median(found[k]):.2f}" if found[k] else "n/a" for k in keys]

    print(f"{len(rounds)} round(s), each set a fresh process, CPU time (user + system); "
          f"common flags: {args.common or '(none)'}\n")
    header = ("| run | CPU ms (median) | page faults | events | steps | us per event "
              "| x CPU vs first | x events vs first | x steps vs first |")
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    if args.base:
        header += " x CPU net of base | x events net of base | x steps net of base |"
        rule += "---:|---:|---:|"
    print(header)
    print(rule)
    for label in labels:
        cpu_ms = median(label, "cpu_s") * 1e3
        events = median(label, "events")
        row = (f"| `{label}`{' (base)' if label == args.base else ''} | {cpu_ms:.1f} | "
               f"{median(label, 'page_faults'):.0f} | {events:.0f} | "
               f"{median(label, 'steps'):.0f} | {cpu_ms * 1e3 / max(events, 1):.2f} |")
        if label == args.base:
            row += " - | - | - | - | - | - |"
        else:
            row += " {} | {} | {} |".format(*ratio(label, net=False))
            if args.base:
                row += " {} | {} | {} |".format(*ratio(label, net=True))
        print(row)
    if repeat:
        print(f"\nIn one process (sim_repeat, {args.warm_runs} runs a round): its first run, "
              "which faults its memory in, and the median of the later ones\n")
        print("| run | first run ms | its page faults | later runs ms | their page faults "
              "| us per event (later) | x later CPU vs first | x events vs first "
              "| x steps vs first |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for label in args.sets:
            warm_ms = median(label, "warm_cpu_s") * 1e3
            events = rounds[0][label]["warm_events"]
            print(f"| `{label}` | {median(label, 'first_cpu_s') * 1e3:.1f} | "
                  f"{median(label, 'first_page_faults'):.0f} | {warm_ms:.1f} | "
                  f"{median(label, 'warm_page_faults'):.0f} | "
                  f"{warm_ms * 1e3 / max(events, 1):.2f} | " +
                  "{} | {} | {} |".format(*warm_ratio(label)))
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"binary": binary, "common": args.common, "base": args.base,
                       "sets": args.sets, "rounds": rounds}, out, indent=1)
    if failure:
        print(f"{failure} (in round {len(rounds) + 1}; the {len(rounds)} round(s) before it "
              "are above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
