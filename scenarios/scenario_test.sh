#!/usr/bin/env bash
# A scenario file as a Bazel test (scenarios/scenario.bzl): runs
# informer_sim --scenario=FILE --all_runs and passes its exit status on.
# Args: INFORMER_SIM --scenario=FILE --all_runs [--run_seeds=LIST]
set -u
exec "$@"
