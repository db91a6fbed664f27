"""informer_scenario_test: a scenario file as a Bazel test.

    load("//scenarios:scenario.bzl", "informer_scenario_test")

    informer_scenario_test(
        name = "watch_drop",
        scenario = "watch_drop.scenario",
        seeds = [1, 2, 3],   # optional: instead of the file's own seeds
    )

The test checks that every faulty variant the file names in `catches` exists
in tools/mutants/ (tools/scenario_catches.py checks that each makes it fail),
then runs `informer_sim --scenario=FILE --all_runs`: every seed the file (or
`seeds`) lists in every profile it lists. A run passes when every invariant
holds and every expectation of the file is met; a failing run prints its
report and the command that replays it.
"""

def informer_scenario_test(name, scenario, seeds = [], size = "small", **kwargs):
    args = [
        "$(rootpath //tools:informer_sim)",
        "$(rootpath %s)" % scenario,
    ]
    if seeds:
        args.append("--run_seeds=" + ",".join([str(s) for s in seeds]))
    args += ["--", "$(rootpaths //tools/mutants:patches)"]
    native.sh_test(
        name = name,
        srcs = ["//scenarios:scenario_test.sh"],
        args = args,
        data = [scenario, "//tools:informer_sim", "//tools/mutants:patches"],
        size = size,
        **kwargs
    )
