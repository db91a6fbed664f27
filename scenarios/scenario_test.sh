#!/usr/bin/env bash
# A scenario file as a Bazel test (scenarios/scenario.bzl). Checks that every
# faulty variant the file names in `catches` exists in tools/mutants/ (that
# each makes the scenario fail is tools/scenario_catches.py's job), then
# runs every seed x profile of the file with informer_sim --all_runs.
# Args: INFORMER_SIM FILE [informer_sim flags...] -- PATCH...
set -u
sim="$1" scenario="$2"
shift 2
flags=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  flags+=("$1")
  shift
done
[ $# -gt 0 ] && shift
description=$("$sim" --scenario="$scenario" --describe_scenario) || exit 1
for mutant in $(echo "$description" | grep -o '"mutant":"[^"]*"' | cut -d'"' -f4); do
  found=no
  for patch in "$@"; do
    [ "$(basename "$patch" .patch)" = "$mutant" ] && found=yes
  done
  if [ "$found" != yes ]; then
    echo "$scenario: catches names \"$mutant\", which is not a variant in tools/mutants/"
    exit 1
  fi
done
exec "$sim" --scenario="$scenario" --all_runs "${flags[@]}"
