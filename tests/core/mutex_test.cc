// Mutex lock elision under SingleThreadedScope (core/mutex.h): elided only
// inside a scope, real outside it, an unlock always matching its lock across
// a scope's edge, scopes nesting, and a recursive lock inside a scope caught.
#include "core/mutex.h"

#include <thread>

#include "absl/base/thread_annotations.h"
#include "gtest/gtest.h"

namespace informersim {
namespace {

TEST(MutexTest, RealOutsideAnyScope) {
  EXPECT_FALSE(SingleThreadedScope::Active());
  Mutex mu;
  int64_t counter = 0;
  auto work = [&] {
    for (int i = 0; i < 20000; ++i) {
      MutexLock lock(&mu);
      ++counter;
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EXPECT_EQ(counter, 40000);
  MutexLock lock(&mu);
  EXPECT_FALSE(mu.HeldElided());
}

TEST(MutexTest, ElidedInsideAScopeAndScopesNest) {
  Mutex mu;
  {
    SingleThreadedScope outer;
    EXPECT_TRUE(SingleThreadedScope::Active());
    {
      SingleThreadedScope inner;
      MutexLock lock(&mu);
      EXPECT_TRUE(mu.HeldElided());
    }
    EXPECT_TRUE(SingleThreadedScope::Active());  // the inner scope restored it
    mu.Lock();
    EXPECT_TRUE(mu.HeldElided());
    {
      MutexUnlock unlocked(&mu);
      EXPECT_FALSE(mu.HeldElided());
    }
    EXPECT_TRUE(mu.HeldElided());
    mu.Unlock();
  }
  EXPECT_FALSE(SingleThreadedScope::Active());
  // The std::mutex was never taken: another thread gets it at once.
  std::thread other([&] {
    MutexLock lock(&mu);
    EXPECT_FALSE(mu.HeldElided());
  });
  other.join();
}

TEST(MutexTest, ScopeIsPerThread) {
  SingleThreadedScope scope;
  bool active_elsewhere = true;
  std::thread other([&] { active_elsewhere = SingleThreadedScope::Active(); });
  other.join();
  EXPECT_FALSE(active_elsewhere);
}

TEST(MutexTest, UnlockMatchesItsLockAcrossAScopeEdge) {
  Mutex mu;
  // Taken for real, released inside a scope: the release is real too, so
  // another thread can take it afterwards.
  mu.Lock();
  {
    SingleThreadedScope scope;
    mu.Unlock();
  }
  std::thread other([&] { MutexLock lock(&mu); });
  other.join();
  // Taken elided, released after the scope: nothing to release, and the
  // mutex is free for a real lock.
  {
    SingleThreadedScope scope;
    mu.Lock();
  }
  mu.Unlock();
  std::thread again([&] { MutexLock lock(&mu); });
  again.join();
}

// A Mutex on process-wide state stays real inside a scope: two threads,
// each in its own single-threaded world, still exclude each other.
TEST(MutexTest, NeverElidedMutexStaysRealInsideScopes) {
  Mutex shared(Mutex::Elision::kNever);
  int64_t counter = 0;
  auto work = [&] {
    SingleThreadedScope scope;
    for (int i = 0; i < 20000; ++i) {
      MutexLock lock(&shared);
      EXPECT_FALSE(shared.HeldElided());
      ++counter;
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EXPECT_EQ(counter, 40000);
}

// Locks a Mutex twice on purpose: the analysis would rightly refuse it.
void LockTwiceInsideAScope() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  SingleThreadedScope scope;
  Mutex mu;
  mu.Lock();
  mu.Lock();
}

TEST(MutexDeathTest, RecursiveLockInsideAScopeAsserts) {
#ifdef NDEBUG
  GTEST_SKIP() << "assertions are compiled out";
#else
  EXPECT_DEATH(LockTwiceInsideAScope(), "deadlock");
#endif
}

}  // namespace
}  // namespace informersim
