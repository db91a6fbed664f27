#!/usr/bin/python3
"""The mutation report: how many known informer bugs a random campaign finds.

For each faulty variant in tools/mutants/*.patch (one upstream bug each, see
tools/mutants/README.md) this applies the patch to a scratch copy of the
source tree, builds informer_sim with -c opt, and runs a bounded random swarm
campaign against it (no scenario aimed at the bug): --swarm --time_budget
--jobs --max_failures=1, restricted to the profile(s) where the bug can
exist. It records whether the variant was caught, the invariants that fired,
the seeds and wall seconds to the first failure and the replay command. The
faithful core runs the same campaign first (0 failures expected). Results go
to a JSON file and a Markdown table (docs/DETECTION.md by default).

    tools/mutation_report.py                       # every mutant, 60 s each
    tools/mutation_report.py --only='dfifo-*' --budget=20s
    tools/mutation_report.py --faithful_budget=1h --only=none   # recorded beside the table
    tools/mutation_report.py --engine=fuzz --budget=15s         # the world fuzzer instead

With --engine=fuzz each variant's world fuzzer (tests/fuzz/world_fuzzer,
built with --config=worldfuzz: clang, libFuzzer coverage, -O2) runs for the
budget from its seed corpus with -fork=JOBS, the profile fixed as for the
swarm; caught means a violation (the fuzzer's crash). Its results go to
docs/detection_fuzz.json, and docs/DETECTION.md then compares the two
engines variant by variant.

Exit status: 0 when every variant was caught and the faithful core passed,
1 otherwise, 2 on bad arguments or a patch that no longer applies or builds.
"""

import argparse
import datetime
import fnmatch
import glob
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADER_KEYS = ("mutant", "area", "profiles", "upstream", "bug", "expect")


def die(msg):
    print(f"mutation_report: {msg}", file=sys.stderr)
    sys.exit(2)


def parse_duration(text):
    m = re.fullmatch(r"(\d+)(ms|s|m|h)", text)
    if not m:
        die(f"bad duration {text!r} (like 60s, 10m, 1h)")
    n, unit = int(m.group(1)), m.group(2)
    return n * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]


def read_header(path):
    """The '# key: value' lines before the diff; continuation lines append."""
    fields, key = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("diff ") or line.startswith("--- "):
                break
            if not line.startswith("#"):
                continue
            body = line[1:].strip()
            m = re.match(r"([a-z_]+):\s*(.*)", body)
            if m and (m.group(1) in HEADER_KEYS or m.group(1) == "seen"):
                key = m.group(1)
                fields[key] = m.group(2)
            elif key:
                fields[key] += " " + body
    missing = [k for k in HEADER_KEYS if not fields.get(k)]
    if missing:
        die(f"{path}: header lacks {', '.join(missing)} (see tools/mutants/README.md)")
    profiles = fields["profiles"].split()[0].lower()
    if profiles not in ("classic", "current", "interim", "both"):
        die(f"{path}: profiles must be classic, current, interim or both, not {profiles!r}")
    fields["profiles"] = profiles
    return fields


def run(cmd, cwd, log=None, check=True):
    out = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if log is not None:
        log.write(f"$ {' '.join(cmd)}\n{out.stdout}\n")
        log.flush()
    if check and out.returncode != 0:
        return None
    return out


def copy_tree(dst):
    """The working tree's files (tracked and untracked, not ignored) into dst."""
    if os.path.exists(dst):
        for name in os.listdir(dst):
            if name.startswith("bazel-"):
                continue
            p = os.path.join(dst, name)
            shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.remove(p)
    os.makedirs(dst, exist_ok=True)
    files = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT,
                           stdout=subprocess.PIPE, check=True).stdout.split(b"\0")
    for rel in files:
        if not rel:
            continue
        rel = rel.decode()
        src = os.path.join(ROOT, rel)
        if not os.path.isfile(src):
            continue
        os.makedirs(os.path.join(dst, os.path.dirname(rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dst, rel))


def build(ws, bazel_flags, log):
    out = run(["bazel", "build", "--config=opt", *bazel_flags, "//tools:informer_sim"], ws, log)
    if out is None:
        return None
    info = run(["bazel", "info", "--config=opt", *bazel_flags, "bazel-bin"], ws, log)
    return os.path.join(info.stdout.strip().splitlines()[-1], "tools", "informer_sim")


def build_fuzzer(ws, bazel_flags, log):
    target = "//tests/fuzz:world_fuzzer"
    out = run(["bazel", "build", "--config=worldfuzz", *bazel_flags, target], ws, log)
    if out is None:
        return None
    info = run(["bazel", "info", "--config=worldfuzz", *bazel_flags, "bazel-bin"], ws, log)
    return os.path.join(info.stdout.strip().splitlines()[-1], "tests", "fuzz", "world_fuzzer")


INVARIANT = re.compile(r"\b(INV\d+|LIVENESS|HASSYNCED|DETERMINISM|USER:[\w-]+)\b")
# Fork mode's own status lines ("#N: cov: ..."), else a single process's.
FORK_EXECS = re.compile(r"^#(\d+): ", re.M)
EXECS = re.compile(r"^#(\d+)\s", re.M)


def fuzz_campaign(binary, profiles, args, name, log):
    """The world fuzzer against one variant, until the budget or a violation."""
    work = os.path.join(args.scratch, "fuzz", name)
    shutil.rmtree(work, ignore_errors=True)
    corpus = os.path.join(work, "corpus")
    os.makedirs(corpus)
    # The hand-made seeds only (seed*): the merged corpus is hundreds of
    # worlds each fork job would replay before fuzzing, and a variant that
    # makes worlds slow would spend its budget there.
    seeds = os.path.join(work, "seeds")
    os.makedirs(seeds)
    for path in glob.glob(os.path.join(ROOT, "tests", "fuzz", "corpus", "world_fuzzer", "seed*")):
        shutil.copy2(path, seeds)
    budget = int(parse_duration(args.budget_arg))
    cmd = [binary, f"-max_total_time={budget}", "-timeout=60", "-rss_limit_mb=4096",
           f"-fork={args.jobs}", f"-artifact_prefix={work}/", "-print_final_stats=1",
           corpus, seeds]
    env = dict(os.environ, WORLD_FUZZER_PROFILE=profiles)
    started, started_epoch = time.monotonic(), time.time()
    out = subprocess.run(cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, errors="replace")
    wall = time.monotonic() - started
    text = out.stdout or ""
    log.write(f"$ WORLD_FUZZER_PROFILE={profiles} {' '.join(cmd)}\n{text[-20000:]}\n")
    log.flush()
    crashes = sorted(glob.glob(os.path.join(work, "crash-*")))
    caught = "world_fuzzer: VIOLATION" in text
    if not caught and (crashes or "ERROR: libFuzzer" in text):
        raise RuntimeError(f"{name}: the world fuzzer stopped without a violation (see the log)")
    violation = text[text.find("world_fuzzer: VIOLATION"):] if caught else ""
    invariants = sorted(set(INVARIANT.findall(violation.split("the world as a scenario file:")[0])))
    execs = [int(x) for x in FORK_EXECS.findall(text)] or [int(x) for x in EXECS.findall(text)]
    kept = None
    if crashes:
        kept = os.path.join(args.scratch, "fuzz", f"{name}.crash")
        shutil.copy2(crashes[0], kept)
    return {
        "caught": caught,
        "execs": max(execs) if execs else 0,
        # When the crash input was written: fork mode lets the other jobs
        # finish their current unit before it exits, which can take long.
        "seconds_to_first_failure": (round(os.path.getmtime(crashes[0]) - started_epoch, 2)
                                     if caught and crashes else round(wall, 2) if caught else None),
        "invariants": ", ".join(invariants),
        # Relative to --scratch: the report names no path of this machine.
        "crash_input": os.path.relpath(kept, args.scratch) if kept else None,
        "wall_seconds": round(wall, 1),
        "command": f"WORLD_FUZZER_PROFILE={profiles} world_fuzzer -max_total_time={budget} -fork={args.jobs}",
    }


def public_command(cmd):
    """The campaign as a user would type it: no scratch paths."""
    return " ".join(["informer_sim"] + [a for a in cmd[1:] if not a.startswith("--json=")])


def campaign(binary, profiles, args, json_path, log):
    cmd = [binary, "--swarm", f"--seed={args.first_seed}", f"--time_budget={args.budget_arg}",
           f"--jobs={args.jobs}", "--max_failures=1", f"--json={json_path}"]
    if profiles in ("classic", "current", "interim"):
        cmd.append(f"--profile={profiles}")
    started = time.monotonic()
    out = run(cmd, ROOT, log, check=False)
    wall = time.monotonic() - started
    summary, per_seed = None, []
    with open(json_path, encoding="utf-8") as f:
        for line in f:
            obj = json.loads(line)
            if "summary" in obj:
                summary = obj["summary"]
            else:
                per_seed.append(obj)
    if summary is None:
        raise RuntimeError(f"{binary}: no campaign summary (exit {out.returncode})")
    first = next((s for s in per_seed if s["verdict"] != "pass"), None)
    return {
        "caught": summary["failed"] > 0,
        "seeds_run": summary["passed"] + summary["failed"],
        "seeds_to_first_failure": summary["seeds_to_first_failure"],
        "seconds_to_first_failure": round(summary["seconds_to_first_failure"], 2),
        "invariants": summary["first_failure_invariants"],
        "first_failing_seed": first["seed"] if first else None,
        "first_violation": (first or {}).get("first_violation", (first or {}).get("error", "")),
        "world": (first or {}).get("world"),
        "replay": (first or {}).get("replay", ""),
        "wall_seconds": round(wall, 1),
        "command": public_command(cmd),
    }


SHRUNK = re.compile(r"scripted faults (\d+) -> (\d+).*?writes (\d+) -> (\d+)", re.S)


def smallest_failing_seed(binary, m, args, log):
    """Among the first few failing seeds, the one with the fewest writes: the
    campaign's first failure may be a large world, a poor start for shrinking."""
    path = os.path.join(args.scratch, f"{m['mutant']}-candidates.json")
    cmd = [binary, "--swarm", f"--seed={args.first_seed}", "--time_budget=20s",
           f"--jobs={args.jobs}", "--max_failures=5", f"--json={path}"]
    if m["profiles"] in ("classic", "current", "interim"):
        cmd.append(f"--profile={m['profiles']}")
    run(cmd, ROOT, log, check=False)
    best = (None, None)
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                if row.get("verdict") == "fail" and (best[1] is None or row["writes"] < best[1]):
                    best = (row["seed"], row["writes"])
    except (OSError, ValueError, KeyError):
        pass
    return best[0] if best[0] is not None else m["first_failing_seed"]


def shrink(binary, m, log, seed=None):
    """Shrinks a failing seed of the variant (its first by default)."""
    seed = m["first_failing_seed"] if seed is None else seed
    cmd = [binary, "--swarm", f"--seed={seed}", "--shrink"]
    if m["profiles"] in ("classic", "current", "interim"):
        cmd.append(f"--profile={m['profiles']}")
    started = time.monotonic()
    out = run(cmd, ROOT, log, check=False)
    found = SHRUNK.search(out.stdout or "")
    if not found:
        return None
    last = [line for line in out.stdout.splitlines() if line.startswith("smallest failing run: ")]
    return {
        "faults_before": int(found.group(1)), "faults": int(found.group(2)),
        "writes_before": int(found.group(3)), "writes": int(found.group(4)),
        "seconds": round(time.monotonic() - started, 2),
        "seed": seed,
        "command": last[0][len("smallest failing run: "):] if last else "",
    }


def machine():
    cpus = os.cpu_count()
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {cpus} cores ({model})"


def markdown(report):
    lines = []
    add = lines.append
    add("# Detection power: the mutation report")
    add("")
    add("Each row is a faulty variant of the core or the fake server that brings back one bug")
    add("from the public record of client-go and kube-apiserver (the patches and their sources:")
    add("`tools/mutants/`). A bounded random swarm campaign (`informer_sim --swarm`, no scenario")
    add("aimed at the bug, restricted to the profiles where the bug can exist) runs against each;")
    add("the faithful core runs the same campaign first. Regenerate with")
    add("`tools/mutation_report.py` (see its `--help`).")
    add("")
    add(f"- date: {report['date']}")
    add(f"- machine: {report['machine']}")
    add(f"- commit: {report['commit']}")
    add(f"- budget per variant: {report['budget']} wall, --jobs={report['jobs']}, "
        f"seeds from {report['first_seed']}, stop at the first failure")
    f = report.get("faithful")
    if f:
        add(f"- faithful core: {f['seeds_run']} seeds in {f['wall_seconds']} s, "
            f"{'FAILED: ' + f['invariants'] + ' (seed ' + str(f['first_failing_seed']) + ')' if f['caught'] else '0 failures'}")
    lf = report.get("long_faithful")
    if lf:
        add(f"- long faithful campaign ({lf['command']}, {lf['date']}): {lf['seeds']} seeds in "
            f"{lf['wall_seconds']} s, {lf['failed']} failures")
    muts = report["mutants"]
    if muts:
        caught = [m for m in muts if m["caught"]]
        secs = sorted(m["seconds_to_first_failure"] for m in caught)
        median = secs[len(secs) // 2] if secs else None
        add(f"- caught: {len(caught)} of {len(muts)}"
            + (f"; median {median} s, max {secs[-1]} s to the first failure" if secs else ""))
        sizes = sorted(m["shrunk"]["faults"] + m["shrunk"]["writes"] for m in caught if m.get("shrunk"))
        if sizes:
            add(f"- shrunk (`informer_sim --shrink` on the failing seed with the fewest writes among "
                f"the first five): median "
                f"{sizes[len(sizes) // 2]}, max {sizes[-1]} scripted faults plus writes")
        add("")
        add("| variant | area | profiles | caught | invariants | seeds | seconds | first failing seed (world) | shrunk to (faults + writes; seed) | upstream |")
        add("|---|---|---|---|---|---|---|---|---|---|")
        for m in muts:
            up = m["upstream"].replace("|", "/")
            if m["caught"]:
                sh = m.get("shrunk")
                shrunk = (f"{sh['faults']} + {sh['writes']} (from {sh['faults_before']} + "
                          f"{sh['writes_before']}; seed {sh.get('seed', m['first_failing_seed'])})"
                          if sh else "-")
                add(f"| {m['mutant']} | {m['area']} | {m['profiles']} | yes | {m['invariants']} | "
                    f"{m['seeds_to_first_failure']} | {m['seconds_to_first_failure']} | "
                    f"{m['first_failing_seed']} ({m['world']}) | {shrunk} | {up} |")
            else:
                add(f"| {m['mutant']} | {m['area']} | {m['profiles']} | **no** | - | "
                    f"{m['seeds_run']} run | - | - | - | {up} |")
    missed = [m for m in muts if not m["caught"]]
    if missed:
        add("")
        add("## Not caught, and why")
        add("")
        for m in missed:
            add(f"- **{m['mutant']}**: {m.get('seen') or m['expect']}")
    fz = report.get("fuzz")
    if fz:
        add("")
        add("## The swarm and the world fuzzer")
        add("")
        add(f"The world fuzzer (`tests/fuzz/world_fuzzer`: libFuzzer's coverage over the core "
            f"steers the choices of a small swarm world and its seed) against the same variants, "
            f"{fz['budget']} each with -fork={fz['jobs']}, run {fz['date']} at {fz['commit']}; "
            f"the faithful core: {fz['faithful']['execs'] if fz.get('faithful') else '-'} worlds, "
            f"{'FAILED' if (fz.get('faithful') or {}).get('caught') else 'no violation'}. "
            f"Seconds are wall time to the first violation; the swarm's columns are the table "
            f"above ({report['budget']} budget at {report['commit']}, {report['date']}), so the two "
            f"ran at different times and loads: compare orders of magnitude, not decimals.")
        add("")
        by_name = {m["mutant"]: m for m in fz["mutants"]}
        both = [m for m in muts if m["mutant"] in by_name]
        sc = sum(1 for m in both if m["caught"])
        fc = sum(1 for m in both if by_name[m["mutant"]]["caught"])
        add(f"Caught: swarm {sc} of {len(both)}, world fuzzer {fc} of {len(both)}.")
        add("")
        add("| variant | swarm: caught, seconds | world fuzzer: caught, seconds (worlds run) | fuzzer's invariants |")
        add("|---|---|---|---|")
        for m in both:
            f = by_name[m["mutant"]]
            sw = f"yes, {m['seconds_to_first_failure']}" if m["caught"] else "**no**"
            fw = (f"yes, {f['seconds_to_first_failure']} ({f['execs']})" if f["caught"]
                  else f"**no** ({f['execs']})")
            add(f"| {m['mutant']} | {sw} | {fw} | {f['invariants'] or '-'} |")
    add("")
    add("Seeds: how many seeds, in seed order, up to and including the first failing one;")
    add("seconds: wall time from the campaign's start to that seed's failure. A row's replay")
    add("command is in the JSON next to this file (`docs/detection.json`).")
    return "\n".join(lines) + "\n"


def write_report(report, args):
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    shown = dict(report)
    if os.path.exists(args.fuzz_json):
        with open(args.fuzz_json, encoding="utf-8") as f:
            shown["fuzz"] = json.load(f)
    with open(args.markdown, "w", encoding="utf-8") as f:
        f.write(markdown(shown))


def faithful_binary(binary, bins, what, log):
    """The faithful tree's build, kept as bins/faithful."""
    if binary is None:
        die(f"the faithful tree's {what} does not build (see {log.name})")
    os.makedirs(bins, exist_ok=True)
    shutil.copy2(binary, os.path.join(bins, "faithful"))
    return os.path.join(bins, "faithful")


def build_variant(path, ws, builder, bins, log):
    """Applies a variant's patch to the scratch tree, builds it with
    builder(), keeps the binary as bins/NAME and reverts the patch.
    Returns (binary path, None) or (None, why there is none)."""
    name = os.path.basename(path)[:-len(".patch")]
    if run(["patch", "-p1", "-s", "--dry-run", "-i", path], ws, log) is None:
        return None, f"{name}: does not apply"
    run(["patch", "-p1", "-s", "-i", path], ws, log)
    binary = builder()
    if binary is not None:
        shutil.copy2(binary, os.path.join(bins, name))
    run(["patch", "-p1", "-s", "-R", "-i", path], ws, log)
    if binary is None:
        return None, f"{name}: does not build"
    return os.path.join(bins, name), None


def finish(report, broken):
    """Exit 2 for variants that did not apply or build, else 0 when every
    variant was caught and the faithful core passed, 1 otherwise."""
    for b in broken:
        print(f"mutation_report: {b}", file=sys.stderr)
    if broken:
        sys.exit(2)
    ok = all(m["caught"] for m in report["mutants"]) and not (report["faithful"] or {}).get("caught")
    sys.exit(0 if ok else 1)


def with_faithful_budget(args, run_it):
    """run_it() with the faithful core's budget in place of the variants'."""
    saved = args.budget_arg
    args.budget_arg = args.faithful_budget or args.budget
    try:
        return run_it()
    finally:
        args.budget_arg = saved


def fuzz_main(args, selected, headers):
    """--engine=fuzz: the world fuzzer against the faithful core and each
    variant; results in --fuzz_json, the Markdown re-rendered with both."""
    ws = os.path.join(args.scratch, "ws")
    os.makedirs(args.scratch, exist_ok=True)
    log = open(os.path.join(args.scratch, "fuzz-log.txt"), "w", encoding="utf-8")
    print(f"mutation_report: world fuzzer, {len(selected)} variant(s), {args.budget} each; "
          f"log in {log.name}", flush=True)
    copy_tree(ws)
    bazel_flags = [f"--disk_cache={args.disk_cache}"]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True).stdout.strip()
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(), "commit": commit, "budget": args.budget, "jobs": args.jobs,
        "faithful": None, "mutants": [],
    }
    bins = os.path.join(args.scratch, "fuzzbin")
    faithful = faithful_binary(build_fuzzer(ws, bazel_flags, log), bins, "world fuzzer", log)
    if not args.no_faithful:
        f = with_faithful_budget(args, lambda: fuzz_campaign(faithful, "both", args, "faithful", log))
        report["faithful"] = f
        print(f"  faithful core: {f['execs']} worlds, "
              f"{'VIOLATION ' + f['invariants'] if f['caught'] else 'no violation'}", flush=True)
    broken = []
    for path in selected:
        h = headers[path]
        name = os.path.basename(path)[:-len(".patch")]
        binary, why = build_variant(path, ws, lambda: build_fuzzer(ws, bazel_flags, log), bins, log)
        if binary is None:
            broken.append(why)
            continue
        r = fuzz_campaign(binary, h["profiles"], args, name, log)
        r["mutant"] = name
        report["mutants"].append(r)
        print(f"  {name}: " + (f"caught, {r['invariants']}, {r['seconds_to_first_failure']} s "
                               f"({r['execs']} worlds)" if r["caught"]
                               else f"NOT caught in {r['execs']} worlds"), flush=True)
    with open(args.fuzz_json, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    if os.path.exists(args.json):
        with open(args.json, encoding="utf-8") as f:
            write_report(json.load(f), args)
    print(f"mutation_report: wrote {args.fuzz_json} and {args.markdown}")
    finish(report, broken)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--budget", default="60s", help="wall time per variant (default 60s)")
    p.add_argument("--faithful_budget", default=None, help="wall time for the faithful core (default: --budget)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--first_seed", type=int, default=1)
    p.add_argument("--only", default="*", help="glob over variant names; 'none' runs only the faithful core")
    p.add_argument("--no_faithful", action="store_true", help="skip the faithful core's campaign")
    p.add_argument("--scratch", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "informersim-mutants"))
    p.add_argument("--disk_cache", default=os.path.join(os.path.expanduser("~"), ".cache", "informersim-disk"))
    p.add_argument("--markdown", default=os.path.join(ROOT, "docs", "DETECTION.md"))
    p.add_argument("--json", default=os.path.join(ROOT, "docs", "detection.json"))
    p.add_argument("--engine", choices=("swarm", "fuzz"), default="swarm",
                   help="swarm campaigns (default) or the world fuzzer (results in --fuzz_json)")
    p.add_argument("--fuzz_json", default=os.path.join(ROOT, "docs", "detection_fuzz.json"))
    p.add_argument("--render_only", action="store_true",
                   help="rewrite the Markdown from the JSON (headers re-read), running nothing")
    p.add_argument("--no_shrink", action="store_true",
                   help="do not shrink each variant's first failing seed")
    p.add_argument("--shrink_only", action="store_true",
                   help="only (re)shrink the first failing seeds recorded in the JSON")
    args = p.parse_args()
    if args.render_only:
        with open(args.json, encoding="utf-8") as f:
            report = json.load(f)
        for m in [report["faithful"]] + report["mutants"]:
            if m is not None and "command" in m:
                m["command"] = public_command(m["command"].split())
        for m in report["mutants"]:
            path = os.path.join(ROOT, "tools", "mutants", m["mutant"] + ".patch")
            if os.path.exists(path):
                h = read_header(path)
                m.update({k: h[k] for k in HEADER_KEYS})
                m["seen"] = h.get("seen", "")
        write_report(report, args)
        print(f"mutation_report: rewrote {args.markdown} from {args.json}")
        return
    if args.shrink_only:
        with open(args.json, encoding="utf-8") as f:
            report = json.load(f)
        ws = os.path.join(args.scratch, "ws")
        os.makedirs(args.scratch, exist_ok=True)
        log = open(os.path.join(args.scratch, "shrink-log.txt"), "w", encoding="utf-8")
        copy_tree(ws)
        bazel_flags = [f"--disk_cache={args.disk_cache}"]
        for m in report["mutants"]:
            if not m["caught"] or not fnmatch.fnmatch(m["mutant"], args.only):
                continue
            path = os.path.join(ROOT, "tools", "mutants", m["mutant"] + ".patch")
            if run(["patch", "-p1", "-s", "-i", path], ws, log) is None:
                die(f"{m['mutant']}: does not apply")
            binary = build(ws, bazel_flags, log)
            if binary is not None:
                m["shrunk"] = shrink(binary, m, log, smallest_failing_seed(binary, m, args, log))
            run(["patch", "-p1", "-s", "-R", "-i", path], ws, log)
            sh = m.get("shrunk")
            print(f"  {m['mutant']}: " + (f"{sh['faults']} faults + {sh['writes']} writes" if sh else "not shrunk"),
                  flush=True)
        write_report(report, args)
        return
    budget_s = parse_duration(args.budget)
    args.budget_arg = args.budget
    if args.jobs < 1:
        die("--jobs must be at least 1")

    patches = sorted(glob.glob(os.path.join(ROOT, "tools", "mutants", "*.patch")))
    selected = [x for x in patches
                if fnmatch.fnmatch(os.path.basename(x)[:-len(".patch")], args.only)]
    headers = {x: read_header(x) for x in selected}
    if args.engine == "fuzz":
        fuzz_main(args, selected, headers)
        return
    ws = os.path.join(args.scratch, "ws")
    bins = os.path.join(args.scratch, "bin")
    os.makedirs(bins, exist_ok=True)
    log = open(os.path.join(args.scratch, "log.txt"), "w", encoding="utf-8")
    print(f"mutation_report: {len(selected)} variant(s), {args.budget} each; log in {log.name}", flush=True)
    copy_tree(ws)
    bazel_flags = [f"--disk_cache={args.disk_cache}"]

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           stdout=subprocess.PIPE, text=True).stdout.strip()
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "budget": args.budget,
        "jobs": args.jobs,
        "first_seed": args.first_seed,
        "faithful": None,
        "mutants": [],
    }

    faithful = faithful_binary(build(ws, bazel_flags, log), bins, "informer_sim", log)
    if not args.no_faithful:
        f = with_faithful_budget(args, lambda: campaign(
            faithful, "both", args, os.path.join(args.scratch, "faithful.json"), log))
        report["faithful"] = f
        print(f"  faithful core: {f['seeds_run']} seeds, "
              f"{'FAILED ' + f['invariants'] + ' seed ' + str(f['first_failing_seed']) if f['caught'] else 'no failure'}",
              flush=True)
        if args.only == "none" and os.path.exists(args.json):
            # A long faithful campaign alone: recorded beside the last table.
            with open(args.json, encoding="utf-8") as fp:
                last = json.load(fp)
            last["long_faithful"] = {
                "date": report["date"], "command": f["command"], "seeds": f["seeds_run"],
                "wall_seconds": f["wall_seconds"], "failed": 1 if f["caught"] else 0,
            }
            write_report(last, args)
            print(f"mutation_report: recorded the long faithful campaign in {args.json}")
            sys.exit(1 if f["caught"] else 0)

    broken = []
    for path in selected:
        h = headers[path]
        name = os.path.basename(path)[:-len(".patch")]
        binary, why = build_variant(path, ws, lambda: build(ws, bazel_flags, log), bins, log)
        if binary is None:
            broken.append(why)
            continue
        r = campaign(binary, h["profiles"], args, os.path.join(args.scratch, f"{name}.json"), log)
        r.update({k: h[k] for k in HEADER_KEYS})
        r["seen"] = h.get("seen", "")
        if r["caught"] and r["first_failing_seed"] is not None and not args.no_shrink:
            r["shrunk"] = shrink(binary, r, log, smallest_failing_seed(binary, r, args, log))
        r["mutant"] = name
        report["mutants"].append(r)
        if r["caught"]:
            print(f"  {name}: caught, {r['invariants']}, seed {r['first_failing_seed']} "
                  f"({r['seeds_to_first_failure']} seeds, {r['seconds_to_first_failure']} s)", flush=True)
        else:
            print(f"  {name}: NOT caught in {r['seeds_run']} seeds", flush=True)

    write_report(report, args)
    print(f"mutation_report: wrote {args.markdown} and {args.json}")
    finish(report, broken)


if __name__ == "__main__":
    main()
