#!/usr/bin/env bash
# A seed campaign as a Bazel test (tools/campaign.bzl). Honours Bazel test
# sharding: shard I of N runs the I-th contiguous slice of the seed range, so
# `bazel test` with remote execution spreads a million seeds over a cluster.
# Failures are kept in the test's undeclared outputs (failures/seed-N/ with a
# replay command and a trace), listed in the log and in test.xml.
# Args: INFORMER_SIM FIRST_SEED SEEDS [informer_sim flags...]
set -u
sim="$1" first="$2" seeds="$3"
shift 3
total="${TEST_TOTAL_SHARDS:-1}"
index="${TEST_SHARD_INDEX:-0}"
[ -n "${TEST_SHARD_STATUS_FILE:-}" ] && touch "$TEST_SHARD_STATUS_FILE"
per=$(( (seeds + total - 1) / total ))
start=$(( first + index * per ))
count=$(( per ))
if [ $(( index * per + count )) -gt "$seeds" ]; then count=$(( seeds - index * per )); fi
if [ "$count" -le 0 ]; then
  echo "shard $index of $total: no seeds"
  exit 0
fi
out="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}"
echo "shard $index of $total: seeds $start..$(( start + count - 1 ))"
"$sim" --seed="$start" --seeds="$count" --jobs=1 --failures_dir="$out/failures" \
  --json="$out/campaign.jsonl" "$@" >"$out/campaign.txt" 2>&1
rc=$?
grep -E "^seed [0-9]+: (FAIL|ERROR)|passed, .* failed" "$out/campaign.txt"
if [ -n "${XML_OUTPUT_FILE:-}" ]; then
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    fails=$(grep -cE "^seed [0-9]+: (FAIL|ERROR)" "$out/campaign.txt")
    echo "<testsuites><testsuite name=\"campaign\" tests=\"1\" failures=\"$([ "$rc" -eq 0 ] && echo 0 || echo 1)\">"
    echo "<testcase name=\"seeds $start..$(( start + count - 1 ))\" classname=\"campaign\">"
    if [ "$rc" -ne 0 ]; then
      echo "<failure message=\"$fails failing seed(s)\"><![CDATA["
      grep -E "^seed [0-9]+: (FAIL|ERROR)|passed, .* failed" "$out/campaign.txt" | sed 's/]]>/]] >/g'
      echo "]]></failure>"
    fi
    echo "</testcase></testsuite></testsuites>"
  } >"$XML_OUTPUT_FILE"
fi
exit "$rc"
