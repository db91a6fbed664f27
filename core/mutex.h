// Mutex, MutexLock and CondVar: the locks of core/, annotated for clang's
// -Wthread-safety analysis.
//
// A Mutex is one 32-bit word on a Linux futex (0 free, 1 held, 2 held with
// sleepers): an uncontended Lock is one compare-and-swap and an Unlock one
// exchange, both inline, where std::mutex spends some fifty instructions in
// two pthread calls around the same two atomic operations on every queue
// and store call. Contended, a locker sleeps in the kernel on the word, as
// glibc's own mutex does. A CondVar is a sequence word on a futex: Wait
// reads it, unlocks, and sleeps only while it is unchanged, so a signal
// between the unlock and the sleep is never lost; Signal and SignalAll skip
// the system call when nobody waits.
//
// Why not absl::Mutex: Debian's prebuilt Abseil is not built with
// -fsanitize=thread, so ThreadSanitizer cannot see its lock operations and
// reports every field it guards as racy. These are built with the code that
// uses them, so ThreadSanitizer sees their acquire and release operations,
// which order every critical section after the one before it.
//
// Single-threaded worlds: a deterministic simulation runs every component on
// one thread, where each lock is uncontended by construction and its atomic
// operations are pure cost (a tenth of a simulated event's CPU time). While a
// SingleThreadedScope is open on a thread, Mutexes locked on that thread
// skip the atomic operations; each Mutex remembers how it was taken, so an
// unlock always matches its lock even across a scope's edge. Locking an
// elided Mutex that is already held asserts (it would deadlock for real),
// and a CondVar wait inside the scope asserts (nothing else could ever
// signal it). The compile-time analysis is unchanged. The scope's contract:
// no other thread touches the world's objects while it is open; a Mutex on
// process-wide state that worlds share is built with Elision::kNever.
//
// Thread safety: the types are the synchronisation primitives themselves.
// Invariants: CondVar::Wait must be called with the mutex held; it returns
// with the mutex held. A Mutex's word is 0 exactly when nobody holds it
// for real; 2 whenever a thread sleeps on it.
#ifndef INFORMERSIM_CORE_MUTEX_H_
#define INFORMERSIM_CORE_MUTEX_H_

#include <atomic>
#include <cassert>
#include <chrono>
#include <cstdint>

#include "absl/base/thread_annotations.h"

// clang's analysis models a scoped unlock only through release_capability on
// the constructor; Abseil 20220623 has no macro for it.
#if defined(__clang__)
#define INFORMERSIM_RELEASE_CAPABILITY(...) \
  __attribute__((release_capability(__VA_ARGS__)))
#else
#define INFORMERSIM_RELEASE_CAPABILITY(...)
#endif

// initial-exec: one load off the thread pointer, with no call, in every
// Lock; the variable lives in the executable or a library loaded with it.
#if defined(__GNUC__)
#define INFORMERSIM_TLS_INITIAL_EXEC __attribute__((tls_model("initial-exec")))
#else
#define INFORMERSIM_TLS_INITIAL_EXEC
#endif

namespace informersim {

namespace mutex_internal {
inline thread_local bool single_threaded INFORMERSIM_TLS_INITIAL_EXEC = false;
}  // namespace mutex_internal

// Declares the calling thread the only one touching the objects it locks
// until the scope ends (see above). Scopes nest.
class SingleThreadedScope {
 public:
  SingleThreadedScope() : previous_(mutex_internal::single_threaded) {
    mutex_internal::single_threaded = true;
  }
  ~SingleThreadedScope() { mutex_internal::single_threaded = previous_; }
  SingleThreadedScope(const SingleThreadedScope&) = delete;
  SingleThreadedScope& operator=(const SingleThreadedScope&) = delete;

  static bool Active() { return mutex_internal::single_threaded; }

 private:
  const bool previous_;
};

class ABSL_LOCKABLE Mutex {
 public:
  // kNever: a lock on state shared by every thread of the process (a
  // process-wide cache), which two single-threaded worlds on two threads
  // may both take: never elided.
  enum class Elision : unsigned char { kAllowed, kNever };

  Mutex() = default;
  explicit Mutex(Elision elision) : elision_(elision) {}
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    if (mutex_internal::single_threaded && elision_ == Elision::kAllowed) {
      assert(held_ != Held::kElided && "a Mutex locked twice on one thread (a deadlock)");
      held_ = Held::kElided;
      return;
    }
    LockWord();
    held_ = Held::kLocked;
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    if (held_ == Held::kElided) {
      held_ = Held::kNo;
      return;
    }
    held_ = Held::kNo;
    UnlockWord();
  }
  // Tells the analysis the lock is held where it cannot prove it.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}
  // Whether the holder took it inside a SingleThreadedScope (tests).
  bool HeldElided() const { return held_ == Held::kElided; }

 private:
  friend class CondVar;
  enum class Held : unsigned char { kNo, kLocked, kElided };
  static constexpr uint32_t kFree = 0;
  static constexpr uint32_t kHeld = 1;
  static constexpr uint32_t kHeldWithSleepers = 2;

  void LockWord() {
    uint32_t expected = kFree;
    if (!word_.compare_exchange_strong(expected, kHeld, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      LockContended();
    }
  }
  void UnlockWord() {
    if (word_.exchange(kFree, std::memory_order_release) == kHeldWithSleepers) WakeOne();
  }
  // The slow paths, out of line (core/mutex.cc).
  void LockContended();
  void WakeOne();

  std::atomic<uint32_t> word_{kFree};
  const Elision elision_ = Elision::kAllowed;
  // Written only by the holder (under the word when kLocked).
  Held held_ = Held::kNo;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// Releases a held lock for the scope's duration and takes it back at the end
// (RealFIFO's UnlockWhileProcessing).
class ABSL_SCOPED_LOCKABLE MutexUnlock {
 public:
  explicit MutexUnlock(Mutex* mu) INFORMERSIM_RELEASE_CAPABILITY(mu) : mu_(mu) {
    mu_->Unlock();
  }
  ~MutexUnlock() ABSL_UNLOCK_FUNCTION() { mu_->Lock(); }
  MutexUnlock(const MutexUnlock&) = delete;
  MutexUnlock& operator=(const MutexUnlock&) = delete;

 private:
  Mutex* const mu_;
};

class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Atomically releases *mu and waits for a signal; may wake spuriously, so
  // callers loop on their condition.
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { WaitFor(mu, nullptr); }
  // As Wait, but returns by `deadline` at the latest.
  template <class Clock, class Duration>
  void WaitUntil(Mutex* mu, const std::chrono::time_point<Clock, Duration>& deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    const auto left = deadline - Clock::now();
    const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    WaitFor(mu, &ns);
  }
  void Signal() { Wake(1); }
  void SignalAll() { Wake(kEveryone); }

 private:
  static constexpr int kEveryone = 0x7fffffff;

  // Waits at most *timeout_ns nanoseconds (none at all when it is not
  // positive: a legal spurious wakeup), or with no limit when null
  // (core/mutex.cc).
  void WaitFor(Mutex* mu, const int64_t* timeout_ns) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void Wake(int count) {
    // Sequentially consistent with Wait's increment of waiters_ and read of
    // sequence_: either a signaller sees the waiter, or the waiter sees the
    // new sequence and does not sleep.
    sequence_.fetch_add(1, std::memory_order_seq_cst);
    if (waiters_.load(std::memory_order_seq_cst) > 0) WakeSleepers(count);
  }
  void WakeSleepers(int count);

  std::atomic<uint32_t> sequence_{0};
  std::atomic<int32_t> waiters_{0};
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_MUTEX_H_
