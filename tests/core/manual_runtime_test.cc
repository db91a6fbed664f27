// Tests of ManualRuntime, the deterministic Runtime: strand order, timers in
// virtual time, the chooser, and the run-until-idle-then-jump loop.
#include "core/manual_runtime.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace informersim {
namespace {

TEST(ManualRuntime, DefaultOrderIsGlobalFifo) {
  ManualRuntime rt;
  const StrandId a = rt.NewStrand("a");
  const StrandId b = rt.NewStrand("b");
  std::string log;
  rt.Post(a, [&] { log += "a1 "; });
  rt.Post(b, [&] { log += "b1 "; });
  rt.Post(a, [&] { log += "a2 "; });
  EXPECT_EQ(rt.RunUntilIdle(), 3u);
  EXPECT_EQ(log, "a1 b1 a2 ");
  EXPECT_FALSE(rt.RunOne());
  EXPECT_EQ(rt.StrandName(b), "b");
}

TEST(ManualRuntime, ChooserPicksAmongStrandsButKeepsEachStrandInOrder) {
  ManualRuntime rt;
  const StrandId a = rt.NewStrand("a");
  const StrandId b = rt.NewStrand("b");
  rt.SetChooser([](size_t n) { return n - 1; });  // always the latest strand
  std::string log;
  rt.Post(a, [&] { log += "a1 "; });
  rt.Post(a, [&] { log += "a2 "; });
  rt.Post(b, [&] { log += "b1 "; });
  rt.RunUntilIdle();
  EXPECT_EQ(log, "b1 a1 a2 ");
}

TEST(ManualRuntime, TasksPostedByTasksRun) {
  ManualRuntime rt;
  const StrandId a = rt.NewStrand("a");
  int depth = 0;
  std::function<void()> again = [&] {
    if (++depth < 5) rt.Post(a, again);
  };
  rt.Post(a, again);
  EXPECT_EQ(rt.RunUntilIdle(), 5u);
  EXPECT_EQ(depth, 5);
}

TEST(ManualRuntime, TimersFireInDeadlineThenSetOrderAndOnlyWhenTimeMoves) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  ManualRuntime rt(t0);
  const StrandId a = rt.NewStrand("a");
  std::vector<int> fired;
  rt.PostAfter(a, absl::Seconds(2), [&] { fired.push_back(2); });
  rt.PostAfter(a, absl::Seconds(1), [&] { fired.push_back(1); });
  rt.PostAfter(a, absl::Seconds(1), [&] { fired.push_back(11); });
  EXPECT_EQ(rt.RunUntilIdle(), 0u);
  EXPECT_EQ(rt.pending_timers(), 3u);
  EXPECT_EQ(rt.NextTimerDeadline(), t0 + absl::Seconds(1));
  ASSERT_TRUE(rt.AdvanceToNextTimer());
  EXPECT_EQ(rt.Now(), t0 + absl::Seconds(1));
  rt.RunUntilIdle();
  EXPECT_EQ(fired, (std::vector<int>{1, 11}));
  rt.AdvanceBy(absl::Seconds(5));
  rt.RunUntilIdle();
  EXPECT_EQ(fired, (std::vector<int>{1, 11, 2}));
  EXPECT_EQ(rt.Now(), t0 + absl::Seconds(6));
}

TEST(ManualRuntime, CancelledTimerNeverRuns) {
  ManualRuntime rt;
  const StrandId a = rt.NewStrand("a");
  bool ran = false;
  const TimerId t = rt.PostAfter(a, absl::Seconds(1), [&] { ran = true; });
  EXPECT_TRUE(rt.Cancel(t));
  EXPECT_FALSE(rt.Cancel(t));
  EXPECT_FALSE(rt.AdvanceToNextTimer());
  rt.AdvanceBy(absl::Seconds(2));
  rt.RunUntilIdle();
  EXPECT_FALSE(ran);
}

TEST(ManualRuntime, ZeroDelayTimerQueuesBehindRunnableTasks) {
  ManualRuntime rt;
  const StrandId a = rt.NewStrand("a");
  std::string log;
  rt.Post(a, [&] { log += "first "; });
  rt.PostAfter(a, absl::ZeroDuration(), [&] { log += "timer "; });
  rt.RunUntilIdle();
  EXPECT_EQ(log, "first timer ");
}

TEST(ManualRuntime, RunUntilJumpsTimeOnlyWhenIdle) {
  const absl::Time t0 = absl::UnixEpoch();
  ManualRuntime rt(t0);
  const StrandId a = rt.NewStrand("a");
  std::vector<absl::Duration> at;
  std::function<void()> tick = [&] {
    at.push_back(rt.Now() - t0);
    rt.PostAfter(a, absl::Seconds(3), tick);
  };
  rt.Post(a, tick);
  rt.RunUntil(t0 + absl::Seconds(10));
  EXPECT_EQ(at, (std::vector<absl::Duration>{absl::ZeroDuration(), absl::Seconds(3),
                                             absl::Seconds(6), absl::Seconds(9)}));
  EXPECT_EQ(rt.Now(), t0 + absl::Seconds(10));
}

TEST(ManualRuntime, StepObserverSeesEveryTask) {
  ManualRuntime rt;
  const StrandId a = rt.NewStrand("a");
  const StrandId b = rt.NewStrand("b");
  std::vector<StrandId> seen;
  rt.SetStepObserver([&](StrandId s, uint64_t) { seen.push_back(s); });
  rt.Post(b, [] {});
  rt.Post(a, [] {});
  rt.RunUntilIdle();
  EXPECT_EQ(seen, (std::vector<StrandId>{b, a}));
  EXPECT_EQ(rt.steps_run(), 2u);
}

}  // namespace
}  // namespace informersim
