#!/bin/bash
# The informer_sim command line: exit codes, messages, trace round trip,
# determinism check, a small swarm campaign, and the default run.
set -u
SIM="$1"
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

# A faulty swarm seed replays identically in a second process (per-process
# hash seeds must not leak into a run).
expect_exit 0 "swarm run writes a trace" -- "$SIM" --swarm --seed=12 --duration=20s --objects=80 --trace_out="$TMP/swarm.trace"
expect_exit 0 "replay of the swarm trace" -- "$SIM" --replay="$TMP/swarm.trace"
expect_text "$TMP/out" "identical" "swarm replay reports identical"

expect_exit 0 "check_determinism" -- "$SIM" "${SMALL[@]}" --profile=classic --check_determinism
expect_text "$TMP/out" "identical traces" "determinism message"

expect_exit 0 "swarm campaign" -- "$SIM" --swarm --seeds=4 --duration=10s --objects=60 --write_rate=20
expect_text "$TMP/out" "4 passed, 0 failed" "campaign total"

expect_exit 0 "default scenario" -- "$SIM"
expect_text "$TMP/out" "verdict: PASS" "default verdict"
expect_text "$TMP/out" "what the informer did" "default summary"

if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
