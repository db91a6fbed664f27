// A swarm of seeds on the faithful core: each seed draws its own profile,
// knobs, fault probabilities and scripted faults; every run must pass. A
// failure prints the seed's whole report and the command that replays it.
#include <cstdint>

#include "gtest/gtest.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"

namespace informersim {
namespace sim {
namespace {

TEST(Swarm, SeedsPassOnTheFaithfulCore) {
  int64_t classic = 0, current = 0;
  for (uint64_t seed = 1000; seed < 1060; ++seed) {
    absl::StatusOr<SimOptions> o =
        OptionsFromFlags({"--swarm", "--seed=" + std::to_string(seed), "--duration=30s",
                          "--objects=150", "--write_rate=40"});
    ASSERT_TRUE(o.ok()) << o.status();
    (o->profile == Profile::kClassic ? classic : current) += 1;
    absl::StatusOr<SimResult> r = RunSimulation(*o, RunFlags({"--swarm", "--duration=30s",
                                                              "--objects=150", "--write_rate=40"},
                                                             seed));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->passed) << FormatSummary(*o, *r);
  }
  // The swarm drew both profiles.
  EXPECT_GT(classic, 10);
  EXPECT_GT(current, 10);
}

}  // namespace
}  // namespace sim
}  // namespace informersim
