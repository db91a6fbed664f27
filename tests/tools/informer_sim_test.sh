#!/bin/bash
# The informer_sim command line: exit codes, messages, trace round trip,
# determinism check, a small swarm campaign, and the default run.
set -u
SIM="$1"
CAMPAIGN_TEST="${2:-}"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0

expect_exit() {  # expected_code description -- command...
  local want="$1" what="$2"
  shift 3
  "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  if [[ "$got" != "$want" ]]; then
    echo "FAIL: $what: exit $got, want $want"
    sed 's/^/  stdout: /' "$TMP/out" | tail -20
    sed 's/^/  stderr: /' "$TMP/err" | tail -20
    failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}

expect_text() {  # file text description
  if ! grep -q -- "$2" "$1"; then
    echo "FAIL: $3: no \"$2\" in $1:"
    sed 's/^/  /' "$1" | tail -20
    failures=$((failures + 1))
  fi
}

SMALL=(--scenario=calm --duration=5s --objects=50 --write_rate=20)

expect_exit 0 "help" -- "$SIM" --help
expect_text "$TMP/out" "usage: informer_sim" "help text"

expect_exit 2 "unknown flag" -- "$SIM" --bogus=1
expect_text "$TMP/err" "unknown flag --bogus" "unknown flag message"
expect_exit 2 "bad duration" -- "$SIM" --duration=soon
expect_text "$TMP/err" "--duration" "bad duration message"
expect_exit 2 "bad profile" -- "$SIM" --profile=modern
expect_exit 2 "bad fault" -- "$SIM" --faults=3s:explode
expect_text "$TMP/err" "explode" "bad fault message"
expect_exit 2 "positional argument" -- "$SIM" run
expect_exit 2 "missing trace" -- "$SIM" --replay="$TMP/absent.trace"
printf 'not a trace at all' >"$TMP/corrupt.trace"
expect_exit 2 "corrupt trace" -- "$SIM" --replay="$TMP/corrupt.trace"
expect_text "$TMP/err" "corrupt.trace" "corrupt trace message names the file"
mkfifo "$TMP/pipe.trace"
expect_exit 2 "replay of a named pipe" -- timeout 20 "$SIM" --replay="$TMP/pipe.trace"
expect_text "$TMP/err" "not a regular file" "a pipe is refused, not read"
expect_exit 2 "dump of a directory" -- "$SIM" --dump="$TMP"
expect_exit 2 "trace_out with seeds" -- "$SIM" --seeds=2 --trace_out="$TMP/x"

expect_exit 2 "resync below a second" -- "$SIM" --resync=1ns
expect_exit 2 "seed overflow" -- "$SIM" --seed=18446744073709551615 --seeds=2
expect_exit 2 "lag beyond bounds" -- "$SIM" --max_lag=100h
expect_exit 0 "a tiny swarm phase" -- "$SIM" --swarm --duration=500us --objects=5

expect_exit 0 "small run writes a trace" -- "$SIM" "${SMALL[@]}" --seed=4 --trace_out="$TMP/run.trace"
expect_text "$TMP/out" "verdict: PASS" "small run verdict"
expect_text "$TMP/out" "trace hash:" "small run prints its trace hash"
expect_exit 0 "replay of the trace" -- "$SIM" --replay="$TMP/run.trace"
expect_text "$TMP/out" "identical" "replay reports identical"

# --dump filters: TASK lines hidden by default, a key as a whole word, kinds
# and a time window on the informer's clock; --timeline of a run and of a
# trace file.
expect_exit 0 "dump hides TASK steps" -- "$SIM" --dump="$TMP/run.trace"
if grep -qE "^#[0-9]+ @[^ ]+ TASK " "$TMP/out"; then echo "FAIL: dump shows TASK steps"; failures=$((failures + 1)); fi
expect_text "$TMP/out" "not shown; --dump_tasks shows TASK steps" "dump says what it hid"
expect_exit 0 "dump with tasks" -- "$SIM" --dump="$TMP/run.trace" --dump_tasks
expect_text "$TMP/out" "s TASK " "dump_tasks shows TASK steps"
expect_exit 0 "dump of faults and phases" -- "$SIM" --dump="$TMP/run.trace" --dump_kind=phase,fault
if grep -qE "^#[0-9]+ @[^ ]+ (WRITE|NOTIFY|TASK) " "$TMP/out"; then echo "FAIL: dump_kind leaks"; failures=$((failures + 1)); fi
expect_text "$TMP/out" "PHASE sim: faults" "dump_kind keeps phases"
expect_exit 0 "dump of one key in a window" -- "$SIM" --dump="$TMP/run.trace" --dump_key=ns-1/obj-1 --dump_from=0s --dump_to=5s
if grep -E "^#" "$TMP/out" | grep -qvE "ns-1/obj-1([^0-9]|$)"; then echo "FAIL: dump_key leaks"; failures=$((failures + 1)); fi
expect_exit 2 "dump filter without dump" -- "$SIM" --dump_kind=fault
expect_exit 2 "bad dump kind" -- "$SIM" --dump="$TMP/run.trace" --dump_kind=bogus
expect_exit 0 "timeline of a run" -- "$SIM" "${SMALL[@]}" --seed=4 --timeline="$TMP/run.json"
expect_text "$TMP/run.json" '"traceEvents"' "timeline JSON"
expect_exit 0 "timeline of a trace" -- "$SIM" --dump="$TMP/run.trace" --timeline="$TMP/dump.json"
if ! cmp -s "$TMP/run.json" "$TMP/dump.json"; then echo "FAIL: the two timelines differ"; failures=$((failures + 1)); fi
expect_exit 2 "timeline with a campaign" -- "$SIM" --seeds=2 --timeline="$TMP/x.json"
# The setup runs before the informer's start: negative times, one clock.
expect_exit 0 "dump of phases" -- "$SIM" --dump="$TMP/run.trace" --dump_kind=phase
expect_text "$TMP/out" "@-0.001000s PHASE sim: setup" "setup before time zero"
expect_text "$TMP/out" "@0.000000s PHASE sim: faults" "the informer starts at zero"

# A faulty swarm seed replays identically in a second process (per-process
# hash seeds must not leak into a run).
expect_exit 0 "swarm run writes a trace" -- "$SIM" --swarm --seed=12 --duration=20s --objects=80 --trace_out="$TMP/swarm.trace"
expect_exit 0 "replay of the swarm trace" -- "$SIM" --replay="$TMP/swarm.trace"
expect_text "$TMP/out" "identical" "swarm replay reports identical"

expect_exit 0 "check_determinism" -- "$SIM" "${SMALL[@]}" --profile=classic --check_determinism
expect_text "$TMP/out" "identical traces" "determinism message"

expect_exit 0 "swarm campaign" -- "$SIM" --swarm --seeds=4 --duration=10s --objects=60 --write_rate=20
expect_text "$TMP/out" "4 passed, 0 failed" "campaign total"

# Campaigns: seed order whatever the thread count, JSON that parses, the
# lowest failing seeds under --max_failures, bad campaign flags.
CAMPAIGN=(--swarm --seeds=24 --duration=8s --objects=20)
expect_exit 0 "campaign, one thread" -- "$SIM" "${CAMPAIGN[@]}" --jobs=1 --verbose --json="$TMP/one.jsonl"
cp "$TMP/out" "$TMP/one.out"
expect_exit 0 "campaign, three threads" -- "$SIM" "${CAMPAIGN[@]}" --jobs=3 --verbose --json="$TMP/three.jsonl"
if ! cmp -s "$TMP/one.out" "$TMP/out"; then
  echo "FAIL: campaign output differs between --jobs=1 and --jobs=3"
  diff "$TMP/one.out" "$TMP/out" | head -20
  failures=$((failures + 1))
fi
expect_text "$TMP/out" "^seed 24: PASS" "verbose campaign lists every seed"
expect_text "$TMP/out" "coverage (seeds in which" "campaign coverage table"
if ! /usr/bin/python3 - "$TMP/one.jsonl" "$TMP/three.jsonl" <<'PY'
import json, sys
def load(path):
    rows = [json.loads(line) for line in open(path)]
    summary = rows[-1]["summary"]
    seeds = rows[:-1]
    assert [r["seed"] for r in seeds] == list(range(1, 25)), [r["seed"] for r in seeds]
    assert summary["passed"] == 24 and summary["failed"] == 0, summary
    for r in seeds:
        assert r["verdict"] == "pass" and len(r["trace_hash"]) == 16, r
        assert r["world"] in ("small", "medium", "large"), r
    return [(r["seed"], r["trace_hash"], r["trace_steps"]) for r in seeds], summary["fault_coverage"]
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a == b, "the JSON differs between thread counts"
PY
then
  echo "FAIL: campaign JSON"
  failures=$((failures + 1))
fi

# Restarts against lagging instances go back in time in CLASSIC; declared a
# violation, some seeds fail. --max_failures=2 reports the two lowest.
FAILING=(--swarm --seeds=16 --profile=classic --scenario=default --restart_time_travel_is_violation)
expect_exit 1 "campaign with failures" -- "$SIM" "${FAILING[@]}" --jobs=1
all=$(sed -n 's/^seed \([0-9]*\): FAIL.*/\1/p' "$TMP/out" | tr '\n' ' ')
first_two=$(echo "$all" | awk '{print $1, $2}')
expect_exit 1 "campaign stops at two failures" -- "$SIM" "${FAILING[@]}" --jobs=2 --max_failures=2
got=$(sed -n 's/^seed \([0-9]*\): FAIL.*/\1/p' "$TMP/out" | tr '\n' ' ' | sed 's/ $//')
if [[ -z "$first_two" || "$got" != "$first_two" ]]; then
  echo "FAIL: --max_failures=2 reported \"$got\", want the two lowest of \"$all\""
  failures=$((failures + 1))
fi
expect_text "$TMP/out" "2 failed; failing seeds: $first_two" "summary names the failing seeds"
expect_text "$TMP/out" "replay: bazel run //tools:informer_sim -- --seed=" "failure line has a replay command"

# Failing seeds are kept as they are found; a kept trace replays.
expect_exit 1 "campaign keeps its failures" -- "$SIM" "${FAILING[@]}" --jobs=2 --max_failures=2 --failures_dir="$TMP/fails"
for seed in $first_two; do
  for f in replay.txt summary.txt report.txt run.trace seed.scenario; do
    if [[ ! -s "$TMP/fails/seed-$seed/$f" ]]; then
      echo "FAIL: no $f kept for seed $seed"
      failures=$((failures + 1))
    fi
  done
done
expect_text "$TMP/out" "kept in $TMP/fails/seed-" "failure line names where it is kept"
first=$(echo "$first_two" | awk '{print $1}')
expect_exit 1 "replay of a kept failure" -- "$SIM" --replay="$TMP/fails/seed-$first/run.trace" --quiet
expect_text "$TMP/out" "identical" "kept failure replays identically"
expect_exit 2 "unwritable failures dir" -- "$SIM" --seeds=2 "${SMALL[@]}" --failures_dir=/proc/no/such/dir
expect_text "$TMP/err" "cannot write" "unwritable failures dir message"

# SIGINT stops the campaign: the seeds that finished are reported, the JSON
# ends with a summary that says so, the exit status is 130.
"$SIM" --swarm --time_budget=120s --jobs=2 --json="$TMP/int.jsonl" >"$TMP/int.out" 2>"$TMP/int.err" &
pid=$!
sleep 3
kill -INT "$pid"
wait "$pid"
rc=$?
if [[ "$rc" != 130 ]]; then
  echo "FAIL: interrupted campaign exited $rc, want 130"
  failures=$((failures + 1))
fi
expect_text "$TMP/int.out" "campaign interrupted" "interrupt is reported"
expect_text "$TMP/int.out" " passed, 0 failed" "interrupted campaign prints its total"
if ! tail -1 "$TMP/int.jsonl" | grep -q '"interrupted":true'; then
  echo "FAIL: the interrupted campaign's JSON does not end with its summary"
  failures=$((failures + 1))
fi

# A worker process that dies mid-campaign: its seed is reported as an error
# with a replay command, a new worker takes its place, the campaign goes on
# to its budget. (Children found through /proc: no procps needed.)
children_of() {
  local stat line rest
  for stat in /proc/[0-9]*/stat; do
    read -r line < "$stat" 2>/dev/null || continue
    rest=${line##*) }
    set -- $rest
    [[ "$2" == "$1" ]] && continue
    if [[ "$2" == "$parent_pid" ]]; then
      line=${stat#/proc/}
      echo "${line%/stat}"
    fi
  done
}
"$SIM" --swarm --time_budget=6s --jobs=2 --json="$TMP/kill.jsonl" >"$TMP/kill.out" 2>"$TMP/kill.err" &
parent_pid=$!
sleep 2
victim=$(children_of | head -1)
if [[ -z "$victim" ]]; then
  echo "FAIL: the campaign has no worker process"
  failures=$((failures + 1))
else
  kill -KILL "$victim"
fi
wait "$parent_pid"
rc=$?
if [[ "$rc" != 1 ]]; then
  echo "FAIL: a campaign that lost a worker exited $rc, want 1 (one seed in error)"
  failures=$((failures + 1))
fi
expect_text "$TMP/kill.out" "worker process died of signal 9" "a dead worker's seed is an error"
expect_text "$TMP/kill.out" "; replay: bazel run //tools:informer_sim" "the error names its replay"
if ! grep -q '"verdict":"pass"' <(tail -3 "$TMP/kill.jsonl"); then
  echo "FAIL: no seed passed after the worker died (no new worker?)"
  failures=$((failures + 1))
fi

# A campaign's JSON has exactly one line for each of its N seeds.
expect_seed_lines() {  # file N description
  local lines distinct
  lines=$(grep -c '"seed":' "$1")
  distinct=$(grep -o '"seed":[0-9]*' "$1" | sort -u | wc -l)
  if [[ "$lines" != "$2" || "$distinct" != "$2" ]]; then
    echo "FAIL: $3: the JSON has $lines seed lines for $distinct distinct seeds, want $2 and $2"
    failures=$((failures + 1))
  fi
}

# A worker that dies after taking a seed from the shared counter and before
# marking it as running (the environment variable is the campaign's fault
# injection point for that window): the seed still runs, once, in a worker
# of its own, and every seed after it is printed and counted.
expect_exit 0 "a campaign whose worker died between two seeds" -- \
  env INFORMERSIM_TEST_WORKER_EXIT_AFTER_CLAIM=7 "$SIM" --swarm --world=small --seeds=40 --jobs=2 \
  --json="$TMP/claim.jsonl"
expect_text "$TMP/out" "40 passed, 0 failed" "a seed taken by a dying worker still runs"
expect_seed_lines "$TMP/claim.jsonl" 40 "a seed taken by a dying worker"

# --seed_timeout: a seed whose run never returns (the environment variable
# makes a worker hang at that seed) is killed after the timeout and is that
# seed's error with its replay; every other seed runs, also with one job.
for jobs in 1 2; do
  expect_exit 1 "a campaign with a hung seed (--jobs=$jobs)" -- \
    env INFORMERSIM_TEST_WORKER_HANG_AT=3 "$SIM" --swarm --world=small --seeds=12 --jobs="$jobs" \
    --seed_timeout=1s --json="$TMP/hang.jsonl"
  expect_text "$TMP/out" "seed 4: ERROR the run took longer than --seed_timeout=1s" \
    "a hung seed is killed and reported (--jobs=$jobs)"
  expect_text "$TMP/out" "11 passed, 1 failed; failing seeds: 4" "the rest ran (--jobs=$jobs)"
  expect_seed_lines "$TMP/hang.jsonl" 12 "a campaign with a hung seed (--jobs=$jobs)"
done
expect_exit 2 "--seed_timeout must be positive" -- "$SIM" --seeds=2 --seed_timeout=0s
expect_exit 2 "--seed_timeout goes with a campaign" -- "$SIM" --seed_timeout=5s

# --shrink: a kept failure becomes a smaller command that still fails.
expect_exit 1 "shrink a failing seed" -- "$SIM" --swarm --profile=classic --scenario=default --restart_time_travel_is_violation --seed="$first" --shrink
expect_text "$TMP/out" "keeps failing" "shrink result"
cmd=$(sed -n 's/^smallest failing run: bazel run \/\/tools:informer_sim -- //p' "$TMP/out")
read -r -a shrunk <<< "$cmd"
expect_exit 1 "the shrunk run still fails" -- "$SIM" "${shrunk[@]}"
expect_exit 0 "shrink a passing run" -- "$SIM" "${SMALL[@]}" --shrink
expect_text "$TMP/out" "passes" "nothing to shrink"
expect_exit 2 "shrink with a campaign" -- "$SIM" --seeds=2 --shrink
expect_exit 2 "shrink_failures without a campaign" -- "$SIM" --shrink_failures
expect_exit 2 "bad shrink time" -- "$SIM" --seeds=2 --shrink_failures --shrink_time=soon
expect_text "$TMP/err" "--shrink_time" "shrink time message"

# --shrink_failures: the campaign shrinks its lowest failing seed at the end,
# keeps the result beside the seed's files, and still ends with its total;
# the JSON summary carries it and the drawn-vs-effective fault statistics.
expect_exit 1 "campaign shrinks its first failure" -- "$SIM" "${FAILING[@]}" --jobs=2 --max_failures=1 \
  --shrink_failures --failures_dir="$TMP/sfails" --json="$TMP/shrink.jsonl"
expect_text "$TMP/out" "^shrink: seed $first keeps failing" "the campaign's shrink result"
expect_text "$TMP/out" "fault kinds drawn vs taking effect" "drawn vs taking effect table"
expect_text "$TMP/out" "^relists: " "relist statistics"
if [[ ! -s "$TMP/sfails/seed-$first/shrunk.txt" ]] || [[ ! -s "$TMP/sfails/seed-$first/shrunk.scenario" ]] || ! tail -1 "$TMP/out" | grep -q "1 failed; failing seeds: $first$"; then
  echo "FAIL: shrunk.txt not kept for seed $first, or the last line is not the total"
  tail -3 "$TMP/out"
  failures=$((failures + 1))
fi
cmd=$(sed -n 's/^smallest failing run: bazel run \/\/tools:informer_sim -- //p' "$TMP/sfails/seed-$first/shrunk.txt")
read -r -a shrunk <<< "$cmd"
expect_exit 1 "the campaign's shrunk run still fails" -- "$SIM" "${shrunk[@]}"
if ! /usr/bin/python3 - "$TMP/shrink.jsonl" "$first" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
summary = rows[-1]["summary"]
assert summary["shrunk_seed"] == int(sys.argv[2]), summary["shrunk_seed"]
assert "smallest failing run" in summary["shrunk"], summary["shrunk"]
drawn, took = summary["faults_drawn"], summary["faults_took_effect"]
assert drawn and took and summary["relists"] > 0, summary
for kind, n in took.items():
    assert n <= len(rows) - 1, (kind, n)
for r in rows[:-1]:
    assert set(r["faults_took_effect"]) <= set(r["faults_drawn"]) | {"add"}, r
PY
then
  echo "FAIL: campaign JSON statistics"
  failures=$((failures + 1))
fi

# The Bazel campaign runner: shard 1 of 3 of 16 seeds runs seeds 7..12, and a
# failing seed fails the shard, with its replay command in test.xml.
if [[ -n "$CAMPAIGN_TEST" ]]; then
  mkdir -p "$TMP/shard"
  TEST_TOTAL_SHARDS=3 TEST_SHARD_INDEX=1 TEST_SHARD_STATUS_FILE="$TMP/shard/status" \
    TEST_UNDECLARED_OUTPUTS_DIR="$TMP/shard" XML_OUTPUT_FILE="$TMP/shard/test.xml" \
    expect_exit 1 "a failing campaign shard" -- bash "$CAMPAIGN_TEST" "$SIM" 1 16 \
    --swarm --profile=classic --scenario=default --restart_time_travel_is_violation
  expect_text "$TMP/out" "seeds 7..12" "the shard's slice of the seeds"
  expect_text "$TMP/shard/test.xml" "<failure" "test.xml carries the failure"
  expect_text "$TMP/shard/test.xml" "replay: bazel run //tools:informer_sim -- --seed=" "test.xml has the replay command"
  if [[ ! -e "$TMP/shard/status" ]] || ! ls "$TMP/shard/failures" | grep -q "^seed-"; then
    echo "FAIL: the shard status file or the kept failures are missing"
    failures=$((failures + 1))
  fi
fi

expect_exit 2 "jobs zero" -- "$SIM" --seeds=3 --jobs=0
expect_text "$TMP/err" "--jobs" "jobs message"
expect_exit 2 "bad time budget" -- "$SIM" --time_budget=soon
expect_text "$TMP/err" "--time_budget" "time budget message"
expect_exit 2 "json without a campaign" -- "$SIM" --json="$TMP/x.jsonl"
expect_exit 2 "unwritable json" -- "$SIM" --seeds=2 "${SMALL[@]}" --json=/nonexistent/dir/x.jsonl
expect_text "$TMP/err" "cannot write" "unwritable json message"
expect_exit 0 "time budget campaign" -- "$SIM" --swarm --time_budget=2s --duration=5s --objects=10 --jobs=2
expect_text "$TMP/out" " passed, 0 failed" "time budget total"

# Scenario files: a swarm seed written out replays with the same trace hash
# (without --swarm); a file's own runs; errors with their position.
expect_exit 0 "swarm seed quiet" -- "$SIM" --swarm --seed=5 --quiet
want_hash=$(sed -n 's/.*trace hash \([0-9a-f]*\).*/\1/p' "$TMP/out")
expect_exit 0 "emit a scenario" -- "$SIM" --swarm --seed=5 --emit_scenario="$TMP/seed5.scenario"
expect_text "$TMP/out" "scenario written to" "emit message"
expect_exit 0 "run the emitted scenario" -- "$SIM" --scenario="$TMP/seed5.scenario" --quiet
expect_text "$TMP/out" "trace hash $want_hash" "the emitted scenario replays the seed"
expect_exit 2 "emit with a campaign" -- "$SIM" --seeds=2 --emit_scenario="$TMP/x.scenario"
cat >"$TMP/two.scenario" <<'SCN'
description: "two seeds in two profiles"
seeds: [4, 9]
profiles: [CLASSIC, CURRENT]
duration: "3s"
workload { initial_objects: 3 writes_per_second: 2 }
SCN
expect_exit 0 "all runs of a scenario" -- "$SIM" --scenario="$TMP/two.scenario" --all_runs
expect_text "$TMP/out" "^two seed 9 CURRENT: PASS" "each run is listed"
expect_text "$TMP/out" "^4 passed, 0 failed" "all runs total"
expect_exit 0 "describe a scenario" -- "$SIM" --scenario="$TMP/two.scenario" --describe_scenario
expect_text "$TMP/out" '"runs":\[{"seed":4,"profile":"classic"}' "describe lists the runs"
expect_exit 2 "all runs without a scenario file" -- "$SIM" --all_runs --seeds=3
printf 'duration: "5s"\nfault { at: "9s" kind: BREAK }\n' >"$TMP/late.scenario"
expect_exit 2 "a fault past the duration" -- "$SIM" --scenario="$TMP/late.scenario"
expect_text "$TMP/err" "late.scenario:2:9: at: the fault at 9s is at or past the duration" "scenario error position"
expect_exit 2 "a missing scenario" -- "$SIM" --scenario="$TMP/none.scenario"

expect_exit 0 "default scenario" -- "$SIM"
expect_text "$TMP/out" "verdict: PASS" "default verdict"
expect_text "$TMP/out" "what the informer did" "default summary"

if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
