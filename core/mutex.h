// Mutex, MutexLock and CondVar: the locks of core/, annotated for clang's
// -Wthread-safety analysis.
//
// Why not absl::Mutex: Debian's prebuilt Abseil is not built with
// -fsanitize=thread, so ThreadSanitizer cannot see its lock operations and
// reports every field it guards as racy. These wrappers sit on std::mutex and
// std::condition_variable, which go through pthreads and which TSan intercepts.
//
// Single-threaded worlds: a deterministic simulation runs every component on
// one thread, where each lock is uncontended by construction and its atomic
// operations are pure cost (a tenth of a simulated event's CPU time). While a
// SingleThreadedScope is open on a thread, Mutexes locked on that thread
// skip the pthread lock; each Mutex remembers how it was taken, so an
// unlock always matches its lock even across a scope's edge. Locking an
// elided Mutex that is already held asserts (it would deadlock for real),
// and a CondVar wait inside the scope asserts (nothing else could ever
// signal it). The compile-time analysis is unchanged. The scope's contract:
// no other thread touches the world's objects while it is open; a Mutex on
// process-wide state that worlds share is built with Elision::kNever.
//
// Thread safety: the types are the synchronisation primitives themselves.
// Invariants: CondVar::Wait must be called with the mutex held; it returns
// with the mutex held.
#ifndef INFORMERSIM_CORE_MUTEX_H_
#define INFORMERSIM_CORE_MUTEX_H_

#include <cassert>
#include <chrono>
#include <condition_variable>
#include <mutex>

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
    mu_.lock();
    held_ = Held::kLocked;
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    if (held_ == Held::kElided) {
      held_ = Held::kNo;
      return;
    }
    held_ = Held::kNo;
    mu_.unlock();
  }
  // Tells the analysis the lock is held where it cannot prove it.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}
  // Whether the holder took it inside a SingleThreadedScope (tests).
  bool HeldElided() const { return held_ == Held::kElided; }

 private:
  friend class CondVar;
  enum class Held : unsigned char { kNo, kLocked, kElided };
  std::mutex mu_;
  const Elision elision_ = Elision::kAllowed;
  // Written only by the holder (under mu_ when kLocked).
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
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    assert(mu->held_ == Mutex::Held::kLocked && "a wait in a single-threaded world never ends");
    mu->held_ = Mutex::Held::kNo;  // others may lock it while this waits
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // the caller still owns the mutex
    mu->held_ = Mutex::Held::kLocked;
  }
  // As Wait, but returns by `deadline` at the latest.
  template <class Clock, class Duration>
  void WaitUntil(Mutex* mu, const std::chrono::time_point<Clock, Duration>& deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    assert(mu->held_ == Mutex::Held::kLocked && "a wait in a single-threaded world never ends");
    mu->held_ = Mutex::Held::kNo;
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait_until(lock, deadline);
    lock.release();
    mu->held_ = Mutex::Held::kLocked;
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_MUTEX_H_
