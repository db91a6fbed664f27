"""informersim_cc_test: a cc_test of your own code under the simulator.

    load("@informersim//sim:harness.bzl", "informersim_cc_test")

    informersim_cc_test(
        name = "my_handler_test",
        srcs = ["my_handler_test.cc"],
        deps = [":my_handler"],
        shard_count = 4,
    )

The test links the harness (sim/harness.h), its gtest helpers
(sim/harness_gtest.h) and its main, which lets SeedsForThisShard split a seed
range across the shards. Replay one seed of a failure with
`bazel test //pkg:my_handler_test --test_env=INFORMERSIM_SEED=N`.
"""

def informersim_cc_test(name, srcs, deps = [], shard_count = 2, size = "medium", **kwargs):
    native.cc_test(
        name = name,
        srcs = srcs,
        deps = deps + [
            str(Label("//sim:harness")),
            str(Label("//sim:harness_gtest")),
            str(Label("//sim:harness_main")),
        ],
        shard_count = shard_count,
        size = size,
        **kwargs
    )
