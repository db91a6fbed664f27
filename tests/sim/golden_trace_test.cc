// Golden trace hashes: the same seed and options give the same trace on
// every machine, compiler and process (DESIGN determinism rule 5). Each test
// process has its own hash-map seeds and addresses, so a run whose output
// leaked either would miss these values.
//
// A change that alters what the simulator or the core does on purpose
// changes these hashes: check the new behaviour with informer_sim
// --check_determinism and --dump, then update the constants here in the
// same commit, saying why. (The swarm run's hash last moved when the swarm
// learned small worlds, server shapes, crashing handlers, KIND@list and
// churn faults; the two scenario runs kept theirs, the store's first
// revision aside. All three moved, with their step counts unchanged, when
// the step hash went from byte-wise FNV-1a to a word-wise mix, trace format
// 2, for speed; and again, step counts unchanged, when time zero became the
// informer's start, the setup running before it at negative times, so that
// traces, reports and fault scripts share one clock. The two runs with a
// lagging server instance moved, with fewer steps, when an instance that no
// stream reads and no request waits on stopped taking a timer per write and
// applied its changes when next read or written instead. All three moved,
// step counts unchanged and every step the same, when strings came to be
// hashed on their own and chained as one word each, trace format 4, for
// speed.)
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"

namespace informersim {
namespace sim {
namespace {

struct Golden {
  std::vector<std::string> flags;
  uint64_t hash;
  uint64_t steps;
};

class GoldenTrace : public ::testing::TestWithParam<Golden> {};

TEST_P(GoldenTrace, HashIsPinned) {
  const Golden& g = GetParam();
  absl::StatusOr<SimOptions> o = OptionsFromFlags(g.flags);
  ASSERT_TRUE(o.ok()) << o.status();
  absl::StatusOr<SimResult> r = RunSimulation(*o, g.flags);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed) << r->report;
  EXPECT_EQ(r->trace_steps, g.steps);
  EXPECT_EQ(r->trace_hash, g.hash) << std::hex << "got " << r->trace_hash;
}

INSTANTIATE_TEST_SUITE_P(
    Runs, GoldenTrace,
    ::testing::Values(
        Golden{{"--seed=3", "--scenario=calm", "--duration=10s", "--objects=40",
                "--write_rate=10", "--profile=classic"},
               0x504ac1316ff2467cULL, 1474},
        Golden{{"--seed=42", "--swarm", "--duration=15s", "--objects=60", "--write_rate=20"},
               0x46e8a58b2bc6e059ULL, 6694},
        Golden{{"--seed=9", "--scenario=default", "--duration=20s", "--objects=100",
                "--write_rate=30", "--profile=current"},
               0x2f357a18cee664d7ULL, 8721}));

}  // namespace
}  // namespace sim
}  // namespace informersim
