// gtest helpers for running a Simulation (sim/harness.h) over seeds in a
// user's own cc_test.
//
//   TEST(MyHandler, KeepsCountsRight) {
//     Simulation sim = ...;
//     EXPECT_TRUE(PassesOnSeeds(sim, SeedsForThisShard(1, 200)));
//   }
//
// Seeds and shards: SeedsForThisShard splits a seed range across Bazel's
// test shards (shard_count on the cc_test; TEST_TOTAL_SHARDS and
// TEST_SHARD_INDEX), so every TEST runs in every shard on its share of the
// seeds. This needs the harness's main (//sim:harness_main, which the
// informersim_cc_test macro in sim/harness.bzl links): gtest's own sharding
// would give each TEST to one shard only. INFORMERSIM_SEED=N (for example
// `--test_env=INFORMERSIM_SEED=12`) replaces the range by that one seed, in
// every shard's place: the replay of a failure.
//
// A failure prints a summary rather than whole reports: per invariant, the
// number of violations and the failing seeds; then the first failing run's
// first violation in full and its replay line.
//
// Thread safety: call from the test's thread.
#ifndef INFORMERSIM_SIM_HARNESS_GTEST_H_
#define INFORMERSIM_SIM_HARNESS_GTEST_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "sim/harness.h"

namespace informersim {
namespace sim {

// The seeds of [first, first + count) this shard runs (round robin), or the
// one seed INFORMERSIM_SEED names. A malformed INFORMERSIM_SEED fails the
// test (an ADD_FAILURE) and yields no seeds.
std::vector<uint64_t> SeedsForThisShard(uint64_t first, uint64_t count);

// Success when every seed's run passes.
::testing::AssertionResult PassesOnSeeds(const Simulation& sim, const std::vector<uint64_t>& seeds);

// Success when some seed's run fails with a violation of `invariant` (for
// example "USER:counts-match", or "INV1"): a check that a bug is caught.
// Stops at the first such seed.
::testing::AssertionResult CaughtOnSomeSeed(const Simulation& sim,
                                            const std::vector<uint64_t>& seeds,
                                            absl::string_view invariant);

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_HARNESS_GTEST_H_
