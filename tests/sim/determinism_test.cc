// Determinism, checked rather than assumed (DESIGN rule 5): for many seeds,
// in both profiles and in swarm mode, two runs give the same trace hash and
// step count; and the hash actually depends on the seed.
#include <cstdint>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"

namespace informersim {
namespace sim {
namespace {

SimOptions Short(uint64_t seed) {
  SimOptions o = DrawSwarm(*ScenarioOptions("default", seed), seed);
  o.workload.initial_objects = 60;
  o.workload.writes_per_second = 20;
  o.duration = absl::Seconds(15);
  // Swarm faults were drawn over the scenario's length; keep those that fit.
  std::vector<ScriptedFault> kept;
  for (const ScriptedFault& f : o.faults) {
    if (f.at < o.duration) kept.push_back(f);
  }
  o.faults = kept;
  for (HandlerSpec& h : o.handlers) {
    if (h.added_at >= o.duration) h.added_at = o.duration / 2;
  }
  return o;
}

TEST(Determinism, ManySeedsRunTwiceGiveIdenticalTraces) {
  std::set<uint64_t> hashes;
  constexpr uint64_t kSeeds = 40;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const SimOptions o = Short(seed);
    absl::StatusOr<SimResult> a = RunSimulation(o);
    absl::StatusOr<SimResult> b = RunSimulation(o);
    ASSERT_TRUE(a.ok() && b.ok()) << seed;
    EXPECT_EQ(a->trace_hash, b->trace_hash) << "seed " << seed;
    EXPECT_EQ(a->trace_steps, b->trace_steps) << "seed " << seed;
    EXPECT_EQ(a->server.events_sent, b->server.events_sent) << "seed " << seed;
    hashes.insert(a->trace_hash);
  }
  EXPECT_EQ(hashes.size(), kSeeds) << "different seeds should give different runs";
}

TEST(Determinism, KeptTraceHashesToTheReportedHash) {
  SimOptions o = Short(77);
  o.keep_trace = true;
  absl::StatusOr<SimResult> r = RunSimulation(o);
  ASSERT_TRUE(r.ok());
  uint64_t h = EmptyTraceHash();
  for (const TraceStep& step : r->trace.steps()) h = HashStep(h, step);
  EXPECT_EQ(h, r->trace_hash);
  EXPECT_EQ(static_cast<uint64_t>(r->trace.steps_size()), r->trace_steps);
}

}  // namespace
}  // namespace sim
}  // namespace informersim
