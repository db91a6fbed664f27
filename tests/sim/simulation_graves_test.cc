// Graves retired at quiescent points (SimOptions::retire_graves,
// Checker::RetireGraves): a passing run's trace is the same with and without
// them, and the graves held no longer grow with the run's length.
#include <cstdint>
#include <cstdio>
#include <utility>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"

namespace informersim {
namespace sim {
namespace {

void RunFor(Profile profile, absl::Duration duration, bool retire, SimResult* result) {
  absl::StatusOr<SimOptions> o = ScenarioOptions("default", 1);
  ASSERT_TRUE(o.ok()) << o.status();
  o->profile = profile;
  o->duration = duration;
  o->retire_graves = retire;
  absl::StatusOr<SimResult> r = RunSimulation(*o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->passed) << FormatSummary(*o, *r);
  *result = *std::move(r);
}

class GravesRetired : public ::testing::TestWithParam<Profile> {};

TEST_P(GravesRetired, SameTraceAndBoundedGraves) {
  SimResult kept, retired, longer, longer_kept;
  ASSERT_NO_FATAL_FAILURE(RunFor(GetParam(), absl::Minutes(12), /*retire=*/false, &kept));
  ASSERT_NO_FATAL_FAILURE(RunFor(GetParam(), absl::Minutes(12), /*retire=*/true, &retired));
  ASSERT_NO_FATAL_FAILURE(RunFor(GetParam(), absl::Minutes(24), /*retire=*/true, &longer));
  ASSERT_NO_FATAL_FAILURE(RunFor(GetParam(), absl::Minutes(24), /*retire=*/false, &longer_kept));
  // Retiring a grave changes only what the checker remembers: not the
  // trace, nor the findings (which are not traced).
  using Pair = std::pair<const SimResult*, const SimResult*>;
  for (const auto& [with, without] : {Pair{&retired, &kept}, Pair{&longer, &longer_kept}}) {
    EXPECT_EQ(with->trace_hash, without->trace_hash);
    EXPECT_EQ(with->trace_steps, without->trace_steps);
    EXPECT_EQ(with->time_travel_findings, without->time_travel_findings);
    EXPECT_EQ(with->restart_time_travel_findings, without->restart_time_travel_findings);
  }
  // Without retiring, the graves grow with every delete of the run; with
  // it, they hold the deletes the server could still serve the objects of
  // (its history window and the time to the next compaction), whatever the
  // run's length.
  const std::string figures =
      absl::StrCat("graves at 12 / 24 minutes: kept ", kept.buried_keys, " / ",
                   longer_kept.buried_keys, ", retired ", retired.buried_keys, " / ",
                   longer.buried_keys, "; deletes ", kept.workload.deletes, " / ",
                   longer_kept.workload.deletes);
  std::printf("%s\n", figures.c_str());
  ASSERT_GT(longer_kept.workload.deletes, kept.workload.deletes * 3 / 2) << figures;
  EXPECT_GT(kept.buried_keys, static_cast<size_t>(kept.workload.deletes / 2)) << figures;
  EXPECT_GT(longer_kept.buried_keys, kept.buried_keys * 3 / 2) << figures;
  EXPECT_LT(retired.buried_keys, kept.buried_keys) << figures;
  EXPECT_LT(longer.buried_keys, longer_kept.buried_keys / 3) << figures;
  EXPECT_LT(longer.buried_keys, kept.buried_keys) << figures;
  // At most the deletes of a compaction interval (5 minutes) and of the
  // history window behind it (10,000 events, under 2 minutes here), with
  // slack: 8 minutes' worth, at either length.
  const int64_t per_minute = longer_kept.workload.deletes / 24;
  EXPECT_LT(static_cast<int64_t>(retired.buried_keys), 8 * per_minute) << figures;
  EXPECT_LT(static_cast<int64_t>(longer.buried_keys), 8 * per_minute) << figures;
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
    EXPECT_EQ(with[true].time_travel_findings, with[false].time_travel_findings)
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
