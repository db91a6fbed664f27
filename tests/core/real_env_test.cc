// Tests of the real environment: strands stay serial on several workers,
// timers fire, cancelled timers do not, shutdown drops queued work.
#include "core/real_env.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>

#include "gtest/gtest.h"

namespace informersim {
namespace {

// Blocks the test thread until `n` arrivals.
class Latch {
 public:
  explicit Latch(int n) : n_(n) {}
  void Arrive() {
    std::lock_guard<std::mutex> l(mu_);
    if (--n_ == 0) cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return n_ <= 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_;
};

TEST(RealRuntime, EachStrandRunsSeriallyAndInOrder) {
  RealRuntime rt(4);
  constexpr int kStrands = 8;
  constexpr int kTasks = 500;
  Latch done(kStrands * kTasks);
  std::vector<std::vector<int>> order(kStrands);
  std::vector<std::atomic<int>> running(kStrands);
  std::atomic<bool> overlap{false};
  for (int s = 0; s < kStrands; ++s) {
    const StrandId id = rt.NewStrand("s");
    for (int i = 0; i < kTasks; ++i) {
      rt.Post(id, [&, s, i] {
        if (running[s].fetch_add(1) != 0) overlap = true;
        order[s].push_back(i);  // unsynchronised on purpose: strands are serial
        running[s].fetch_sub(1);
        done.Arrive();
      });
    }
  }
  done.Wait();
  EXPECT_FALSE(overlap);
  for (int s = 0; s < kStrands; ++s) {
    ASSERT_EQ(order[s].size(), static_cast<size_t>(kTasks));
    for (int i = 0; i < kTasks; ++i) EXPECT_EQ(order[s][i], i);
  }
}

TEST(RealRuntime, TimersFireAndCancelledOnesDoNot) {
  RealRuntime rt(2);
  const StrandId a = rt.NewStrand("a");
  Latch done(1);
  std::atomic<bool> cancelled_ran{false};
  const absl::Time start = rt.Now();
  const TimerId cancelled =
      rt.PostAfter(a, absl::Milliseconds(5), [&] { cancelled_ran = true; });
  EXPECT_TRUE(rt.Cancel(cancelled));
  absl::Time fired_at;
  rt.PostAfter(a, absl::Milliseconds(20), [&] {
    fired_at = rt.Now();
    done.Arrive();
  });
  done.Wait();
  EXPECT_GE(fired_at - start, absl::Milliseconds(20));
  EXPECT_FALSE(cancelled_ran);
}

// The timer thread waits on the earliest deadline; cancelling that very
// timer while it waits must be safe (ASan catches a dangling wait).
TEST(RealRuntime, CancelTheTimerBeingWaitedOn) {
  RealRuntime rt(1);
  const StrandId a = rt.NewStrand("a");
  for (int i = 0; i < 50; ++i) {
    const TimerId t = rt.PostAfter(a, absl::Milliseconds(2), [] {});
    absl::SleepFor(absl::Microseconds(200));  // let the timer thread wait on it
    rt.Cancel(t);
  }
  Latch done(1);
  rt.PostAfter(a, absl::Milliseconds(1), [&] { done.Arrive(); });
  done.Wait();
}

TEST(RealRuntime, ShutdownDropsPendingTimers) {
  auto rt = std::make_unique<RealRuntime>(1);
  const StrandId a = rt->NewStrand("a");
  std::atomic<bool> ran{false};
  rt->PostAfter(a, absl::Hours(1), [&] { ran = true; });
  rt->Shutdown();
  rt->Shutdown();  // idempotent
  rt.reset();
  EXPECT_FALSE(ran);
}

TEST(RealRandom, ProducesVariedValuesInRange) {
  RealRandom r;
  std::set<uint64_t> seen;
  for (int i = 0; i < 100; ++i) {
    seen.insert(r.NextUint64());
    const double f = r.Float64();
    EXPECT_GE(f, 0.0);
    EXPECT_LT(f, 1.0);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace informersim
