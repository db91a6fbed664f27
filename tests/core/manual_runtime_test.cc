// Tests of ManualRuntime, the deterministic Runtime: strand order, timers in
// virtual time, the chooser, and the run-until-idle-then-jump loop.
#include "core/manual_runtime.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>
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

// Cancelling most of many pending timers leaves more stale keys than live
// ones, which rebuilds the heap without them; the survivors and timers set
// afterwards (in reused slots) still fire in deadline, then set, order.
TEST(ManualRuntime, CancellingMostTimersKeepsTheRestInOrder) {
  const absl::Time t0 = absl::UnixEpoch();
  ManualRuntime rt(t0);
  const StrandId a = rt.NewStrand("a");
  std::vector<int> fired;
  std::vector<TimerId> ids;
  for (int i = 0; i < 300; ++i) {
    // Deadlines 1..10 s in a scrambled order, many shared.
    ids.push_back(rt.PostAfter(a, absl::Seconds(1 + (i * 7) % 10), [&fired, i] {
      fired.push_back(i);
    }));
  }
  std::vector<int> kept;
  for (int i = 0; i < 300; ++i) {
    if (i % 10 == 3) {
      kept.push_back(i);
    } else {
      ASSERT_TRUE(rt.Cancel(ids[i]));
    }
  }
  for (int i = 0; i < 300; ++i) {
    if (i % 10 != 3) EXPECT_FALSE(rt.Cancel(ids[i])) << "cancelled twice: " << i;
  }
  EXPECT_EQ(rt.pending_timers(), kept.size());
  // New timers take freed slots; their ids are new.
  for (int i = 300; i < 310; ++i) {
    const TimerId id = rt.PostAfter(a, absl::Seconds(1 + (i * 7) % 10), [&fired, i] {
      fired.push_back(i);
    });
    for (TimerId old : ids) ASSERT_NE(id, old);
    kept.push_back(i);
  }
  std::vector<int> want = kept;
  std::stable_sort(want.begin(), want.end(),
                   [](int x, int y) { return (x * 7) % 10 < (y * 7) % 10; });
  EXPECT_EQ(rt.NextTimerDeadline(), t0 + absl::Seconds(1 + (want.front() * 7) % 10));
  rt.RunUntil(t0 + absl::Seconds(20));
  EXPECT_EQ(fired, want);
  EXPECT_EQ(rt.pending_timers(), 0u);
}

// A plain reference for the runtime's contract: strands as FIFO queues of
// (sequence, label), runnable strands ordered by their head's sequence,
// timers in an ordered map on (deadline, set order) that post their task
// (taking the next sequence) once time reaches the deadline.
class ModelRuntime {
 public:
  explicit ModelRuntime(size_t strands) : strands_(strands) {}

  void Post(size_t strand, int label) { strands_[strand].emplace_back(next_sequence_++, label); }
  uint64_t PostAfter(size_t strand, absl::Duration delay, int label) {
    const uint64_t order = next_order_++;
    const TimerKey key{now_ + std::max(delay, absl::ZeroDuration()), order};
    timers_.emplace(key, std::make_pair(strand, label));
    keys_.emplace(order, key);
    FireDue();
    return order;
  }
  bool Cancel(uint64_t order) {
    auto k = keys_.find(order);
    if (k == keys_.end()) return false;
    timers_.erase(k->second);
    keys_.erase(k);
    return true;
  }
  void AdvanceTo(absl::Time t) {
    now_ = std::max(now_, t);
    FireDue();
  }
  bool AdvanceToNextTimer() {
    if (timers_.empty()) return false;
    AdvanceTo(timers_.begin()->first.first);
    return true;
  }
  // The runnable strands in head-sequence order.
  std::vector<size_t> Runnable() const {
    std::vector<std::pair<uint64_t, size_t>> heads;
    for (size_t s = 0; s < strands_.size(); ++s) {
      if (!strands_[s].empty()) heads.emplace_back(strands_[s].front().first, s);
    }
    std::sort(heads.begin(), heads.end());
    std::vector<size_t> out;
    for (const auto& h : heads) out.push_back(h.second);
    return out;
  }
  // Pops the head of `strand`: its label.
  int Pop(size_t strand) {
    const int label = strands_[strand].front().second;
    strands_[strand].pop_front();
    return label;
  }
  size_t runnable_tasks() const {
    size_t n = 0;
    for (const auto& q : strands_) n += q.size();
    return n;
  }
  size_t pending_timers() const { return timers_.size(); }
  absl::Time NextTimerDeadline() const {
    return timers_.empty() ? absl::InfiniteFuture() : timers_.begin()->first.first;
  }
  absl::Time now() const { return now_; }

 private:
  using TimerKey = std::pair<absl::Time, uint64_t>;
  void FireDue() {
    while (!timers_.empty() && timers_.begin()->first.first <= now_) {
      const auto [strand, label] = timers_.begin()->second;
      keys_.erase(timers_.begin()->first.second);
      timers_.erase(timers_.begin());
      Post(strand, label);
    }
  }

  absl::Time now_ = absl::UnixEpoch();
  uint64_t next_sequence_ = 1;
  uint64_t next_order_ = 1;
  std::vector<std::deque<std::pair<uint64_t, int>>> strands_;
  std::map<TimerKey, std::pair<size_t, int>> timers_;
  std::map<uint64_t, TimerKey> keys_;
};

// Random posts, timers (some at zero delay, many sharing deadlines),
// cancels of pending, fired and cancelled timers, runs by chooser, index
// and strand, tasks that post more work while they run, and time jumps:
// the runtime runs the same tasks in the same order as the model and
// agrees on every count it reports. Long queues and many pending timers
// exercise the storage's growth and reuse.
TEST(ManualRuntime, MatchesAReferenceModelUnderRandomOperations) {
  constexpr size_t kStrands = 4;
  constexpr int kChild = 1000000;  // a task's follow-up task
  constexpr int kChildTimer = 2000000;  // a task's follow-up timer
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    uint64_t state = seed * 0x9e3779b97f4a7c15ULL;
    auto next = [&state](uint64_t n) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return (state >> 33) % n;
    };
    ManualRuntime rt;
    ModelRuntime model(kStrands);
    std::vector<StrandId> ids;
    for (size_t s = 0; s < kStrands; ++s) ids.push_back(rt.NewStrand("s"));
    size_t chosen = 0;
    rt.SetChooser([&chosen](size_t n) { return chosen % n; });

    std::vector<int> ran;
    std::map<int, std::pair<TimerId, uint64_t>> timers;  // label -> real id, model order
    // A top-level task (label < kChild) whose label is a multiple of 5
    // posts a follow-up to another strand while it runs, one of 7 sets a
    // timer; the model does the same right after popping it.
    auto follow_up_strand = [](int label) { return static_cast<size_t>(label) % kStrands; };
    auto follow_up_delay = [](int label) { return absl::Milliseconds(label % 3); };
    std::function<Task(int)> task = [&](int label) -> Task {
      return [&, label] {
        ran.push_back(label);
        if (label >= kChild) return;
        if (label % 5 == 0) rt.Post(ids[follow_up_strand(label)], task(label + kChild));
        if (label % 7 == 0) {
          timers[label + kChildTimer].first = rt.PostAfter(
              ids[follow_up_strand(label + 1)], follow_up_delay(label), task(label + kChildTimer));
        }
      };
    };
    std::vector<int> expected;
    auto model_pop = [&](size_t strand) {
      const int label = model.Pop(strand);
      expected.push_back(label);
      if (label >= kChild) return;
      if (label % 5 == 0) model.Post(follow_up_strand(label), label + kChild);
      if (label % 7 == 0) {
        timers[label + kChildTimer].second = model.PostAfter(
            follow_up_strand(label + 1), follow_up_delay(label), label + kChildTimer);
      }
    };

    int next_label = 0;
    for (int op = 0; op < 600; ++op) {
      const uint64_t what = next(100);
      if (what < 25) {
        const int label = ++next_label;
        const size_t s = next(kStrands);
        rt.Post(ids[s], task(label));
        model.Post(s, label);
      } else if (what < 45) {
        const int label = ++next_label;
        const size_t s = next(kStrands);
        const absl::Duration d = absl::Milliseconds(static_cast<int64_t>(next(6)) - 1);
        timers[label] = {rt.PostAfter(ids[s], d, task(label)), model.PostAfter(s, d, label)};
      } else if (what < 55) {
        if (timers.empty()) continue;
        auto it = timers.begin();
        std::advance(it, static_cast<long>(next(timers.size())));
        const bool cancelled = rt.Cancel(it->second.first);
        ASSERT_EQ(cancelled, model.Cancel(it->second.second)) << "seed " << seed << " op " << op;
      } else if (what < 85) {
        const std::vector<size_t> runnable = model.Runnable();
        ASSERT_EQ(rt.HasRunnable(), !runnable.empty()) << "seed " << seed << " op " << op;
        if (runnable.empty()) continue;
        const size_t index = next(runnable.size());
        switch (next(3)) {
          case 0:
            chosen = index;
            ASSERT_TRUE(rt.RunOne());
            break;
          case 1:
            ASSERT_TRUE(rt.RunRunnable(index));
            break;
          default:
            ASSERT_TRUE(rt.RunStrand(ids[runnable[index]]));
        }
        model_pop(runnable[index]);
      } else if (what < 95) {
        const absl::Duration d = absl::Milliseconds(static_cast<int64_t>(next(4)));
        rt.AdvanceBy(d);
        model.AdvanceTo(model.now() + d);
      } else {
        ASSERT_EQ(rt.AdvanceToNextTimer(), model.AdvanceToNextTimer());
      }
      ASSERT_EQ(ran, expected) << "seed " << seed << " op " << op;
      ASSERT_EQ(rt.Now(), model.now());
      ASSERT_EQ(rt.pending_timers(), model.pending_timers()) << "seed " << seed << " op " << op;
      ASSERT_EQ(rt.runnable_tasks(), model.runnable_tasks()) << "seed " << seed << " op " << op;
      ASSERT_EQ(rt.NextTimerDeadline(), model.NextTimerDeadline())
          << "seed " << seed << " op " << op;
    }
    // A strand that is not runnable cannot be run by id.
    for (size_t s = 0; s < kStrands; ++s) {
      const std::vector<size_t> runnable = model.Runnable();
      if (std::find(runnable.begin(), runnable.end(), s) == runnable.end()) {
        EXPECT_FALSE(rt.RunStrand(ids[s]));
      }
    }
  }
}

}  // namespace
}  // namespace informersim
