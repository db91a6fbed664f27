// Mutex, MutexLock and CondVar: the locks of core/, annotated for clang's
// -Wthread-safety analysis.
//
// Why not absl::Mutex: Debian's prebuilt Abseil is not built with
// -fsanitize=thread, so ThreadSanitizer cannot see its lock operations and
// reports every field it guards as racy. These wrappers sit on std::mutex and
// std::condition_variable, which go through pthreads and which TSan intercepts.
//
// Thread safety: the types are the synchronisation primitives themselves.
// Invariants: CondVar::Wait must be called with the mutex held; it returns
// with the mutex held.
#ifndef INFORMERSIM_CORE_MUTEX_H_
#define INFORMERSIM_CORE_MUTEX_H_

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

namespace informersim {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  // Tells the analysis the lock is held where it cannot prove it.
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() {}

 private:
  friend class CondVar;
  std::mutex mu_;
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
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // the caller still owns the mutex
  }
  // As Wait, but returns by `deadline` at the latest.
  template <class Clock, class Duration>
  void WaitUntil(Mutex* mu, const std::chrono::time_point<Clock, Duration>& deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait_until(lock, deadline);
    lock.release();
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_MUTEX_H_
