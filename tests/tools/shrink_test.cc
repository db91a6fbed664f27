// Tests of the shrinker (tools/shrink.h): a failing run becomes smaller, the
// result is a command that still fails the same invariant, a passing run is
// refused, and the work is bounded and deterministic.
#include "tools/shrink.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"

namespace informersim {
namespace tools {
namespace {

// The default scenario's restart against a lagging instance: a CLASSIC
// informer's first LIST at "0" may go back in time, declared a violation.
std::vector<std::string> Flags(uint64_t seed) {
  return {absl::StrCat("--seed=", seed), "--scenario=default", "--profile=classic",
          "--restart_time_travel_is_violation", "--objects=60", "--write_rate=20"};
}

ShrinkLimits Runs(int64_t n) {
  ShrinkLimits limits;
  limits.max_runs = n;
  return limits;
}

bool Fails(const std::vector<std::string>& flags, std::string* invariant) {
  absl::StatusOr<sim::SimOptions> o = sim::OptionsFromFlags(flags);
  EXPECT_TRUE(o.ok()) << o.status();
  if (!o.ok()) return false;
  absl::StatusOr<sim::SimResult> r = sim::RunSimulation(*o, flags);
  EXPECT_TRUE(r.ok());
  if (!r.ok() || r->passed) return false;
  if (invariant != nullptr) *invariant = r->violations.front().invariant;
  return true;
}

TEST(Shrink, MakesAFailingRunSmallerAndItStillFails) {
  uint64_t seed = 0;
  std::string invariant;
  for (uint64_t s = 1; s <= 20 && seed == 0; ++s) {
    if (Fails(Flags(s), &invariant)) seed = s;
  }
  ASSERT_NE(seed, 0u) << "no failing seed in 1..20";
  std::vector<std::string> steps;
  absl::StatusOr<ShrinkResult> r =
      Shrink(Flags(seed), Runs(200), [&steps](const std::string& s) { steps.push_back(s); });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->invariant, invariant);
  EXPECT_LE(r->runs, 200);
  EXPECT_FALSE(steps.empty());
  // Smaller: fewer scripted faults (the scenario has 11), no more objects
  // and no more writes than before.
  EXPECT_LT(r->faults_after, r->faults_before);
  EXPECT_LE(r->objects_after, r->objects_before);
  EXPECT_LE(r->writes_after, r->writes_before);
  // The result is a command that fails the same way.
  std::string again;
  EXPECT_TRUE(Fails(r->flags, &again)) << absl::StrCat(r->flags.size(), " flags");
  EXPECT_EQ(again, invariant);
  // Deterministic.
  absl::StatusOr<ShrinkResult> twice = Shrink(Flags(seed), Runs(200), nullptr);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->flags, r->flags);
  EXPECT_EQ(twice->runs, r->runs);
}

TEST(Shrink, RefusesAPassingRunAndBadFlags) {
  absl::StatusOr<ShrinkResult> r =
      Shrink({"--seed=3", "--scenario=calm", "--duration=5s", "--objects=20"}, Runs(50), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(r.status())) << r.status();
  EXPECT_FALSE(Shrink({"--bogus=1"}, Runs(50), nullptr).ok());
}

TEST(Shrink, StaysWithinItsBudget) {
  uint64_t seed = 0;
  for (uint64_t s = 1; s <= 20 && seed == 0; ++s) {
    if (Fails(Flags(s), nullptr)) seed = s;
  }
  ASSERT_NE(seed, 0u);
  absl::StatusOr<ShrinkResult> r = Shrink(Flags(seed), Runs(3), nullptr);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_LE(r->runs, 3);
  EXPECT_TRUE(absl::StrContains(r->stopped_by, "run budget")) << r->stopped_by;
  EXPECT_TRUE(absl::StrContains(FormatShrinkResult(seed, *r), "stopped early by the run budget"));

  // A stop request already set: only the first run (the check that it
  // fails) happens, and the result says why.
  std::atomic<bool> stop{true};
  ShrinkLimits stopped = Runs(200);
  stopped.stop = &stop;
  absl::StatusOr<ShrinkResult> s = Shrink(Flags(seed), stopped, nullptr);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->runs, 1);
  EXPECT_EQ(s->stopped_by, "a stop request");

  // A time budget that is already spent after the first run.
  ShrinkLimits timed = Runs(200);
  timed.max_time = absl::Nanoseconds(1);
  absl::StatusOr<ShrinkResult> t = Shrink(Flags(seed), timed, nullptr);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->runs, 1);
  EXPECT_TRUE(absl::StrContains(t->stopped_by, "time budget")) << t->stopped_by;
}

}  // namespace
}  // namespace tools
}  // namespace informersim
