// Graves retired at quiescent points (SimOptions::retire_graves,
// Checker::RetireGraves): a passing run's trace is the same with and without
// them, and the graves held no longer grow with the run's length.
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"

namespace informersim {
namespace sim {
namespace {

SimResult RunFor(Profile profile, absl::Duration duration, bool retire) {
  absl::StatusOr<SimOptions> o = ScenarioOptions("default", 1);
  EXPECT_TRUE(o.ok()) << o.status();
  o->profile = profile;
  o->duration = duration;
  o->retire_graves = retire;
  absl::StatusOr<SimResult> r = RunSimulation(*o);
  EXPECT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed) << FormatSummary(*o, *r);
  return *r;
}

class GravesRetired : public ::testing::TestWithParam<Profile> {};

TEST_P(GravesRetired, SameTraceAndBoundedGraves) {
  const SimResult kept = RunFor(GetParam(), absl::Minutes(12), /*retire=*/false);
  const SimResult retired = RunFor(GetParam(), absl::Minutes(12), /*retire=*/true);
  const SimResult longer = RunFor(GetParam(), absl::Minutes(24), /*retire=*/true);
  const SimResult longer_kept = RunFor(GetParam(), absl::Minutes(24), /*retire=*/false);
  // Retiring a grave changes only what the checker remembers.
  EXPECT_EQ(retired.trace_hash, kept.trace_hash);
  EXPECT_EQ(retired.trace_steps, kept.trace_steps);
  EXPECT_EQ(retired.restart_time_travel_findings, kept.restart_time_travel_findings);
  EXPECT_EQ(longer.trace_hash, longer_kept.trace_hash);
  // Without retiring, the graves grow with every delete of the run; with
  // it, they hold the deletes the server could still serve the objects of
  // (its history window and the time to the next compaction), whatever the
  // run's length.
  const std::string figures =
      absl::StrCat("graves at 12 / 24 minutes: kept ", kept.buried_keys, " / ",
                   longer_kept.buried_keys, ", retired ", retired.buried_keys, " / ",
                   longer.buried_keys, "; deletes ", kept.workload.deletes, " / ",
                   longer_kept.workload.deletes);
  ASSERT_GT(longer_kept.workload.deletes, kept.workload.deletes * 3 / 2) << figures;
  EXPECT_GT(kept.buried_keys, static_cast<size_t>(kept.workload.deletes / 2)) << figures;
  EXPECT_GT(longer_kept.buried_keys, kept.buried_keys * 3 / 2) << figures;
  EXPECT_LT(retired.buried_keys, kept.buried_keys) << figures;
  EXPECT_LT(longer.buried_keys, longer_kept.buried_keys / 3) << figures;
  EXPECT_LT(longer.buried_keys, kept.buried_keys) << figures;
}

// A world where retiring happens all the time and graves meet restarts:
// deleted keys buried from the first sweeps, a short history window
// compacted often, quiescent points every second, lagging instances and
// informer restarts whose first LIST at "0" goes back in time (restart time
// travel, findings). Retiring changes neither the findings nor the trace.
// (That nothing older than FakeApiServer::OldestServableRv is ever served,
// which makes retiring safe, is api_server_list_test's.)
TEST(GravesRetiredOften, RestartFindingsAndTracesAreKept) {
  int64_t findings = 0;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    absl::StatusOr<SimOptions> o = OptionsFromFlags(
        {absl::StrCat("--seed=", seed), "--profile=classic", "--duration=3m", "--objects=20",
         "--write_rate=20", "--instances=3", "--max_lag=5s",
         "--faults=10s:lag:1:30s,35s:restart,50s:lag:2:30s,1m15s:restart,1m30s:lag:1:30s,"
         "1m55s:restart,2m10s:lag:2:30s,2m35s:restart"});
    ASSERT_TRUE(o.ok()) << o.status();
    o->bury_slack = 2;
    o->server.history_window_events = 100;
    o->server.compaction_interval = absl::Seconds(5);
    o->quiescent_check_interval = absl::Seconds(1);
    SimResult with[2];
    for (bool retire : {false, true}) {
      o->retire_graves = retire;
      absl::StatusOr<SimResult> r = RunSimulation(*o);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_TRUE(r->passed) << FormatSummary(*o, *r);
      with[retire] = *r;
    }
    EXPECT_EQ(with[true].restart_time_travel_findings, with[false].restart_time_travel_findings)
        << "seed " << seed;
    EXPECT_EQ(with[true].trace_hash, with[false].trace_hash) << "seed " << seed;
    EXPECT_LT(with[true].buried_keys, with[false].buried_keys / 2) << "seed " << seed;
    findings += with[false].restart_time_travel_findings;
  }
  EXPECT_GT(findings, 0) << "no restart time travel: nothing for the graves to keep";
}

INSTANTIATE_TEST_SUITE_P(BothProfiles, GravesRetired,
                         ::testing::Values(Profile::kClassic, Profile::kCurrent),
                         [](const ::testing::TestParamInfo<Profile>& info) {
                           return info.param == Profile::kClassic ? "Classic" : "Current";
                         });

}  // namespace
}  // namespace sim
}  // namespace informersim
