// Mutex lock elision under SingleThreadedScope (core/mutex.h): elided only
// inside a scope, real outside it, an unlock always matching its lock across
// a scope's edge, scopes nesting, and a recursive lock inside a scope caught.
// Then the futex lock and condition variable themselves, across threads:
// mutual exclusion under contention (including sleepers), a wake never lost
// between a waiter's unlock and its sleep, SignalAll waking every waiter,
// and a timed wait returning at its deadline.
#include "core/mutex.h"

#include <chrono>
#include <thread>
#include <vector>

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

// Increments that are not atomic: a lock that let two holders in at once
// would lose some of them.
TEST(MutexContentionTest, EveryIncrementUnderTheLockCounts) {
  Mutex mu;
  int64_t counter = 0;
  constexpr int kThreads = 4;
  constexpr int kIncrements = 50000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        MutexLock lock(&mu);
        const int64_t seen = counter;
        counter = seen + 1;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  MutexLock lock(&mu);
  EXPECT_EQ(counter, int64_t{kThreads} * kIncrements);
}

// Lockers that find the lock held long enough go to sleep on its word; the
// holder's unlock must wake them, one after another.
TEST(MutexContentionTest, SleepersAreWokenInTurn) {
  Mutex mu;
  int entered = 0;
  std::vector<std::thread> threads;
  mu.Lock();
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      MutexLock lock(&mu);
      ++entered;
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(entered, 0);
  mu.Unlock();
  for (std::thread& t : threads) t.join();
  MutexLock lock(&mu);
  EXPECT_EQ(entered, 3);
}

// A ping-pong of turns: each side waits for its turn and signals the other.
// A wake lost between a waiter's unlock and its sleep would hang it (the
// test's timeout then fails it).
TEST(CondVarTest, SignalHandsTurnsBackAndForth) {
  Mutex mu;
  CondVar cv;
  int turn = 0;  // even: the main thread's turn; odd: the other's
  constexpr int kTurns = 20000;
  std::thread other([&] {
    for (int i = 0; i < kTurns; ++i) {
      MutexLock lock(&mu);
      while (turn % 2 == 0) cv.Wait(&mu);
      ++turn;
      cv.Signal();
    }
  });
  for (int i = 0; i < kTurns; ++i) {
    MutexLock lock(&mu);
    while (turn % 2 == 1) cv.Wait(&mu);
    ++turn;
    cv.Signal();
  }
  other.join();
  MutexLock lock(&mu);
  EXPECT_EQ(turn, 2 * kTurns);
}

TEST(CondVarTest, SignalAllWakesEveryWaiter) {
  Mutex mu;
  CondVar cv;
  bool go = false;
  int waiting = 0;
  int woken = 0;
  constexpr int kWaiters = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < kWaiters; ++t) {
    threads.emplace_back([&] {
      MutexLock lock(&mu);
      ++waiting;
      while (!go) cv.Wait(&mu);
      ++woken;
    });
  }
  // Every waiter is inside Wait (or about to re-check `go`) once all have
  // counted themselves.
  while (true) {
    MutexLock lock(&mu);
    if (waiting == kWaiters) break;
  }
  {
    MutexLock lock(&mu);
    go = true;
    cv.SignalAll();
  }
  for (std::thread& t : threads) t.join();
  MutexLock lock(&mu);
  EXPECT_EQ(woken, kWaiters);
}

TEST(CondVarTest, WaitUntilReturnsAtItsDeadlineWithoutASignal) {
  Mutex mu;
  CondVar cv;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::milliseconds(20);
  MutexLock lock(&mu);
  while (std::chrono::steady_clock::now() < deadline) cv.WaitUntil(&mu, deadline);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(20));
  // Generous: a shared machine may deschedule the waiter, but a wait that
  // ignored its deadline would never return at all.
  EXPECT_LT(waited, std::chrono::seconds(10));
  // A deadline already past returns at once, with the lock still held.
  cv.WaitUntil(&mu, start);
  mu.AssertHeld();
}

// Signals with nobody waiting (which skip the system call) leave the
// condition variable working for a later waiter.
TEST(CondVarTest, SignalWithoutWaitersIsHarmless) {
  Mutex mu;
  CondVar cv;
  cv.Signal();
  cv.SignalAll();
  bool ready = false;
  std::thread setter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    MutexLock lock(&mu);
    ready = true;
    cv.Signal();
  });
  {
    MutexLock lock(&mu);
    while (!ready) cv.Wait(&mu);
    EXPECT_TRUE(ready);
  }
  setter.join();
}

}  // namespace
}  // namespace informersim
