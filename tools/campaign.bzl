"""informer_campaign_test: a seed campaign of informer_sim as a Bazel test.

    load("//tools:campaign.bzl", "informer_campaign_test")

    informer_campaign_test(
        name = "swarm_campaign",
        seeds = 100000,
        shard_count = 100,          # shard i runs the i-th slice of the seeds
        flags = ["--swarm"],
        tags = ["manual"],
    )

Each shard runs its slice with informer_sim --seeds; a failing seed fails the
shard, and its replay command is in the log and test.xml; the seed's files
(replay command, summary, report, a trace that replays) are in the test's
undeclared outputs (bazel-testlogs/.../test.outputs/failures/seed-N/).
"""

def informer_campaign_test(name, seeds, first_seed = 1, flags = [], shard_count = 1, size = "medium", **kwargs):
    native.sh_test(
        name = name,
        srcs = ["//tools:campaign_test.sh"],
        args = ["$(location //tools:informer_sim)", str(first_seed), str(seeds)] + flags,
        data = ["//tools:informer_sim"],
        shard_count = shard_count,
        size = size,
        **kwargs
    )
