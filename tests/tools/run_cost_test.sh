#!/bin/bash
# tools/run_cost.py on short runs: the table has a row per set with the
# events and scheduler steps each run reported, the ratios against the
# first set and net of a base set, the JSON holds every round, --warm adds
# the runs repeated in one process by tools/sim_repeat, and bad input
# fails clearly.
set -u
RUN_COST="$1"
SIM="$2"
REPEAT="$3"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0

fail() {
  echo "FAIL: $1"
  sed 's/^/  /' "$TMP/out" "$TMP/err" | tail -20
  failures=$((failures + 1))
}

/usr/bin/python3 "$RUN_COST" --bin "$SIM" --rounds 2 --json "$TMP/rounds.json" \
    --base duration=1s duration=2s "duration=4s write_rate=200" >"$TMP/out" 2>"$TMP/err"
rc=$?
[[ $rc == 0 ]] || fail "three sets, two rounds: exit $rc"
grep -q '^| `duration=1s` (base) | [0-9.]* | [0-9]* | [0-9]* | [0-9]* | [0-9.]* | - | - | - | - | - | - |$' "$TMP/out" ||
  fail "the base row"
grep -q '^| `duration=2s` | [0-9.]* | [0-9]* | [0-9]* | [0-9]* | [0-9.]* | 1.00 | 1.00 | 1.00 | \(1.00 | 1.00 | 1.00\|n/a | n/a | n/a\) |$' "$TMP/out" ||
  fail "the first set is 1.00 against itself"
grep -q '^| `duration=4s write_rate=200` | [0-9.]* | [0-9]* | [0-9]* | [0-9]* | [0-9.]* | [0-9.]* | [0-9.]* | [0-9.]* | [0-9.na/-]* | [0-9.na/-]* | [0-9.na/-]* |$' \
    "$TMP/out" || fail "a set of two flags"
# The events and steps columns are what informer_sim itself reported for
# that run, and the steps ratio is theirs.
"$SIM" --seed=1 --duration=2s >"$TMP/sim" 2>&1
want=$(grep -o '[0-9]* events and' "$TMP/sim" | cut -d' ' -f1)
steps2=$(grep -o '[0-9]* scheduler steps' "$TMP/sim" | cut -d' ' -f1)
grep -q "^| \`duration=2s\` | [0-9.]* | [0-9]* | $want | $steps2 |" "$TMP/out" ||
  fail "the events and steps of duration=2s are informer_sim's $want and $steps2"
"$SIM" --seed=1 --duration=4s --write_rate=200 >"$TMP/sim" 2>&1
steps4=$(grep -o '[0-9]* scheduler steps' "$TMP/sim" | cut -d' ' -f1)
want_ratio=$(/usr/bin/python3 -c "print(f'{$steps4 / $steps2:.2f}')")
grep -q "^| \`duration=4s write_rate=200\` | [0-9.]* | [0-9]* | [0-9]* | $steps4 | [0-9.]* | [0-9.]* | [0-9.]* | $want_ratio |" \
    "$TMP/out" || fail "the steps ratio is $steps4 / $steps2 = $want_ratio"
/usr/bin/python3 - "$TMP/rounds.json" <<'PY' >"$TMP/err" 2>&1 || fail "the JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["base"] == "duration=1s" and len(d["rounds"]) == 2, d
for r in d["rounds"]:
    assert set(r) == {"duration=1s", "duration=2s", "duration=4s write_rate=200"}, r
    assert all(v["cpu_s"] > 0 and v["events"] > 0 and v["page_faults"] > 0 and v["steps"] > 0
               for v in r.values()), r
PY

# --warm: a second table, a row per set (not the base), its figures from
# sim_repeat's own lines; the later runs fault in far fewer pages.
/usr/bin/python3 "$RUN_COST" --bin "$SIM" --rounds 1 --warm --repeat "$REPEAT" --warm_runs 2 \
    --json "$TMP/warm.json" duration=2s duration=4s >"$TMP/out" 2>"$TMP/err"
rc=$?
[[ $rc == 0 ]] || fail "--warm: exit $rc"
grep -q '^In one process (sim_repeat, 2 runs a round)' "$TMP/out" || fail "--warm: the second table"
grep -q '^| `duration=2s` | [0-9.]* | [0-9]* | [0-9.]* | [0-9]* | [0-9.]* | 1.00 | 1.00 | 1.00 |$' "$TMP/out" ||
  fail "--warm: the first set's row"
grep -q '^| `duration=4s` | [0-9.]* | [0-9]* | [0-9.]* | [0-9]* | [0-9.]* | [0-9.]* | [0-9.]* | [0-9.]* |$' "$TMP/out" ||
  fail "--warm: the second set's row"
/usr/bin/python3 - "$TMP/warm.json" <<'PY' >"$TMP/err" 2>&1 || fail "--warm: the JSON"
import json, sys
r = json.load(open(sys.argv[1]))["rounds"][0]["duration=2s"]
assert r["warm_events"] == r["events"] and r["warm_steps"] == r["steps"], r
assert r["warm_page_faults"] < r["first_page_faults"], r
PY
"$REPEAT" 2 --seed=1 --duration=2s >"$TMP/out" 2>"$TMP/err"
rc=$?
[[ $rc == 0 && $(grep -c '^run [01]: cpu_ms=[0-9.]* page_faults=[0-9]* events=[0-9]* steps=[0-9]* verdict=PASS$' "$TMP/out") == 2 ]] ||
  fail "sim_repeat: two run lines"
"$REPEAT" 0 >"$TMP/out" 2>"$TMP/err"
rc=$?
[[ $rc == 2 ]] && grep -q 'sim_repeat: usage' "$TMP/err" || fail "sim_repeat 0: exit $rc, want 2 and the usage"
"$REPEAT" 1 --objects=abc >"$TMP/out" 2>"$TMP/err"
rc=$?
[[ $rc == 2 ]] && grep -q 'sim_repeat: --objects' "$TMP/err" || fail "sim_repeat, a bad flag: exit $rc"
/usr/bin/python3 "$RUN_COST" --bin "$SIM" --rounds 1 --warm --repeat "$TMP/no-such-repeat" duration=1s \
    >"$TMP/out" 2>"$TMP/err"
rc=$?
[[ $rc == 2 ]] && grep -q 'run_cost: no sim_repeat at' "$TMP/err" || fail "--warm, a missing sim_repeat: exit $rc"
/usr/bin/python3 "$RUN_COST" --bin "$SIM" --rounds 1 --warm --repeat "$REPEAT" --warm_runs 1 duration=1s \
    >"$TMP/out" 2>"$TMP/err"
rc=$?
[[ $rc == 2 ]] || fail "--warm_runs 1: exit $rc, want 2"

# A run failing in the second round: the first round is still reported.
cat >"$TMP/flaky_sim" <<FAKE
#!/bin/bash
n=\$(cat "$TMP/calls" 2>/dev/null || echo 0)
echo \$((n + 1)) >"$TMP/calls"
if [[ \$n -ge 2 ]]; then echo "informer_sim: broke" >&2; exit 3; fi
echo "  0 LIST requests, 1 WATCH requests, 1234 events and 0 bookmarks received"
echo "  5678 scheduler steps, 9000 trace steps, 1s virtual"
echo "verdict: PASS"
FAKE
chmod +x "$TMP/flaky_sim"
/usr/bin/python3 "$RUN_COST" --bin "$TMP/flaky_sim" --rounds 3 duration=1s duration=2s \
    >"$TMP/out" 2>"$TMP/err"
rc=$?
[[ $rc == 1 ]] || fail "a run failing in round 2: exit $rc, want 1"
grep -q '^1 round(s), each set a fresh process' "$TMP/out" || fail "the finished round is reported"
grep -q '^| `duration=2s` | [0-9.]* | [0-9]* | 1234 | 5678 |' "$TMP/out" || fail "the finished round's row"
grep -q 'exit 3: informer_sim: broke (in round 2; the 1 round(s) before it are above)' "$TMP/err" ||
  fail "the failure names its round"

/usr/bin/python3 "$RUN_COST" --bin "$SIM" --rounds 1 --base duration=1s duration=1s \
    >"$TMP/out" 2>"$TMP/err"
rc=$?
[[ $rc == 2 ]] && grep -q 'must differ' "$TMP/err" || fail "a set twice: exit $rc, want 2"

/usr/bin/python3 "$RUN_COST" --bin "$SIM" --rounds 1 "objects=abc" >"$TMP/out" 2>"$TMP/err"
rc=$?
[[ $rc == 1 ]] || fail "a bad flag: exit $rc, want 1"
grep -q 'run_cost: .*--objects=abc: exit 2: informer_sim: --objects' "$TMP/err" ||
  fail "a bad flag is named with informer_sim's own message"

/usr/bin/python3 "$RUN_COST" --bin "$TMP/no-such-binary" duration=1s >"$TMP/out" 2>"$TMP/err"
rc=$?
[[ $rc == 2 ]] || fail "a missing binary: exit $rc, want 2"
grep -q 'run_cost: no informer_sim at' "$TMP/err" || fail "a missing binary is named"

/usr/bin/python3 "$RUN_COST" --bin "$SIM" --rounds 0 duration=1s >"$TMP/out" 2>"$TMP/err"
rc=$?
[[ $rc == 2 ]] || fail "--rounds 0: exit $rc, want 2"

if [[ $failures -gt 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "run_cost: all checks passed"
