#include "sim/world.h"

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace informersim {
namespace sim {
namespace {

// Three strands, each posting `n` tasks that append the strand's letter.
std::string Interleaving(uint64_t seed, int n = 8) {
  World world(seed, false);
  ManualRuntime* rt = world.runtime();
  std::string order;
  for (char c : std::string("abc")) {
    const StrandId s = rt->NewStrand(std::string(1, c));
    for (int i = 0; i < n; ++i) rt->Post(s, [&order, c] { order.push_back(c); });
  }
  world.RunUntil(absl::InfiniteFuture(), nullptr, 1000);
  return order;
}

TEST(World, SameSeedSameInterleavingAndHash) {
  EXPECT_EQ(Interleaving(1), Interleaving(1));
  World a(5, false), b(5, false);
  for (World* w : {&a, &b}) {
    const StrandId s = w->runtime()->NewStrand("x");
    w->runtime()->PostAfter(s, absl::Seconds(1), [] {});
    w->RunUntil(absl::InfiniteFuture(), nullptr, 10);
  }
  EXPECT_EQ(a.tracer()->hash(), b.tracer()->hash());
  EXPECT_EQ(a.tracer()->step_count(), 1u);
}

TEST(World, DifferentSeedsExploreDifferentInterleavings) {
  std::vector<std::string> seen;
  for (uint64_t seed = 1; seed <= 20; ++seed) seen.push_back(Interleaving(seed));
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  EXPECT_GT(seen.size(), 10u);
  for (const std::string& s : seen) EXPECT_EQ(s.size(), 24u);
}

TEST(World, TimeMovesOnlyWhenNothingIsRunnable) {
  World world(3, true);
  ManualRuntime* rt = world.runtime();
  const StrandId s = rt->NewStrand("s");
  std::vector<absl::Duration> at;
  rt->PostAfter(s, absl::Seconds(5), [&] { at.push_back(world.Elapsed()); });
  rt->Post(s, [&] { at.push_back(world.Elapsed()); });
  EXPECT_EQ(world.RunUntil(absl::InfiniteFuture(), nullptr, 100), World::RunResult::kIdle);
  EXPECT_EQ(at, (std::vector<absl::Duration>{absl::ZeroDuration(), absl::Seconds(5)}));
}

TEST(World, PausedStrandWaitsAndSlowStrandRunsLess) {
  World world(9, false);
  ManualRuntime* rt = world.runtime();
  const StrandId fast = rt->NewStrand("fast");
  const StrandId paused = rt->NewStrand("paused");
  absl::Duration paused_ran_at = absl::InfiniteDuration();
  rt->Post(paused, [&] { paused_ran_at = world.Elapsed(); });
  world.PauseStrand(paused, World::StartTime() + absl::Seconds(2));
  int fast_runs = 0;
  rt->Post(fast, [&] { ++fast_runs; });
  world.RunUntil(absl::InfiniteFuture(), nullptr, 100);
  EXPECT_EQ(fast_runs, 1);
  EXPECT_EQ(paused_ran_at, absl::Seconds(2));

  // A strand of weight 0.01 against one of weight 1: the slow one's tasks
  // mostly run after the other's.
  World w2(4, false);
  ManualRuntime* r2 = w2.runtime();
  const StrandId a = r2->NewStrand("a");
  const StrandId b = r2->NewStrand("b");
  w2.SetStrandWeight(b, 0.01);
  std::string order;
  for (int i = 0; i < 50; ++i) {
    r2->Post(a, [&] { order.push_back('a'); });
    r2->Post(b, [&] { order.push_back('b'); });
  }
  w2.RunUntil(absl::InfiniteFuture(), nullptr, 1000);
  ASSERT_EQ(order.size(), 100u);
  const auto first_half = order.substr(0, 50);
  EXPECT_LT(std::count(first_half.begin(), first_half.end(), 'b'), 10) << order;
}

TEST(World, DeadlineAndStepLimitAreReported) {
  World world(1, false);
  ManualRuntime* rt = world.runtime();
  const StrandId s = rt->NewStrand("loop");
  std::function<void()> again = [&] { rt->Post(s, again); };
  rt->Post(s, again);
  EXPECT_EQ(world.RunUntil(absl::InfiniteFuture(), nullptr, 50), World::RunResult::kStepLimit);
  EXPECT_EQ(world.steps(), 50u);

  World idle(1, false);
  const StrandId t = idle.runtime()->NewStrand("t");
  idle.runtime()->PostAfter(t, absl::Seconds(10), [] {});
  EXPECT_EQ(idle.RunUntil(World::StartTime() + absl::Seconds(3), nullptr, 50),
            World::RunResult::kDeadline);
  EXPECT_EQ(idle.Elapsed(), absl::Seconds(3));
  int calls = 0;
  EXPECT_EQ(idle.RunUntil(absl::InfiniteFuture(), [&] { return ++calls > 0; }, 50),
            World::RunResult::kDone);
}

TEST(World, StrandsNamedFindsByName) {
  World world(1, false);
  const StrandId a1 = world.runtime()->NewStrand("a");
  world.runtime()->NewStrand("b");
  const StrandId a2 = world.runtime()->NewStrand("a");
  EXPECT_EQ(world.StrandsNamed("a"), (std::vector<StrandId>{a1, a2}));
}

}  // namespace
}  // namespace sim
}  // namespace informersim
