// WaitForCacheSync / WaitForNamedCacheSync (core/cache_sync.h): an immediate
// check, then one every 100 ms of the runtime's time; `done` once, true when
// synced, false when stopped; both runtimes.
#include "core/cache_sync.h"

#include <atomic>
#include <optional>
#include <thread>

#include "core/manual_runtime.h"
#include "core/mutex.h"
#include "core/real_env.h"
#include "gtest/gtest.h"

namespace informersim {
namespace {

TEST(CacheSyncTest, AlreadySyncedIsDoneAtTheFirstCheck) {
  ManualRuntime rt;
  const StrandId strand = rt.NewStrand("waiter");
  std::optional<bool> result;
  auto wait = WaitForCacheSync(&rt, strand, {[] { return true; }, [] { return true; }},
                               [&](bool ok) { result = ok; });
  EXPECT_FALSE(result.has_value());  // a task, not a call
  rt.RunUntilIdle();
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(*result);
  EXPECT_TRUE(wait->Finished());
  EXPECT_EQ(rt.pending_timers(), 0u);
}

// Synced at 250 ms: seen at the 300 ms check (checks at 0, 100, 200, 300).
TEST(CacheSyncTest, PollsEvery100msOfVirtualTime) {
  ManualRuntime rt;
  const StrandId strand = rt.NewStrand("waiter");
  bool a = false, b = true;
  std::optional<absl::Time> done_at;
  const absl::Time start = rt.Now();
  rt.PostAfter(rt.NewStrand("informer"), absl::Milliseconds(250), [&] { a = true; });
  WaitForCacheSync(&rt, strand, {[&] { return a; }, [&] { return b; }}, [&](bool ok) {
    EXPECT_TRUE(ok);
    done_at = rt.Now();
  });
  rt.RunUntil(start + absl::Seconds(2));
  ASSERT_TRUE(done_at.has_value());
  EXPECT_EQ(*done_at - start, absl::Milliseconds(300));
  EXPECT_EQ(rt.pending_timers(), 0u);
}

TEST(CacheSyncTest, StopEndsTheWaitOnceWithFalse) {
  ManualRuntime rt;
  const StrandId strand = rt.NewStrand("waiter");
  int calls = 0;
  absl::Status status;
  auto wait = WaitForNamedCacheSync("pods-controller", &rt, strand, {[] { return false; }},
                                    [&](absl::Status s) {
                                      ++calls;
                                      status = s;
                                    });
  rt.RunFor(absl::Milliseconds(150));
  EXPECT_EQ(calls, 0);
  wait->Stop();
  wait->Stop();  // idempotent
  rt.RunFor(absl::Seconds(1));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(status.message(), "unable to sync caches for pods-controller");
  EXPECT_EQ(rt.pending_timers(), 0u);
}

TEST(CacheSyncTest, NamedWaitSucceeds) {
  ManualRuntime rt;
  absl::Status status = absl::UnknownError("not called");
  WaitForNamedCacheSync("c", &rt, rt.NewStrand("waiter"), {[] { return true; }},
                        [&](absl::Status s) { status = s; });
  rt.RunUntilIdle();
  EXPECT_TRUE(status.ok()) << status;
}

// Real threads and time: another thread syncs; `done` runs on the strand.
TEST(CacheSyncTest, RealRuntime) {
  RealRuntime rt(2);
  std::atomic<bool> synced{false};
  Mutex mu;
  CondVar cv;
  std::optional<bool> result;
  WaitForCacheSync(&rt, rt.NewStrand("waiter"), {[&] { return synced.load(); }}, [&](bool ok) {
    MutexLock lock(&mu);
    result = ok;
    cv.SignalAll();
  });
  std::thread syncer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    synced = true;
  });
  {
    MutexLock lock(&mu);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!result.has_value() && std::chrono::steady_clock::now() < deadline) {
      cv.WaitUntil(&mu, deadline);
    }
    ASSERT_TRUE(result.has_value());
    EXPECT_TRUE(*result);
  }
  syncer.join();
}

}  // namespace
}  // namespace informersim
