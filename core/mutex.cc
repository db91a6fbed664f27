#include "core/mutex.h"

#if !defined(__linux__)
#error "core/mutex.cc sleeps on Linux futexes"
#endif

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace informersim {
namespace {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
                  std::atomic<uint32_t>::is_always_lock_free,
              "a futex is a bare 32-bit word");

uint32_t* Address(std::atomic<uint32_t>* word) { return reinterpret_cast<uint32_t*>(word); }

// Sleeps while *word == expected, for at most *timeout_ns (null: no limit).
// A wake, a changed word, a signal and the timeout all return alike: every
// caller re-checks what it waits for.
void FutexWait(std::atomic<uint32_t>* word, uint32_t expected, const int64_t* timeout_ns) {
  timespec relative;
  timespec* timeout = nullptr;
  if (timeout_ns != nullptr) {
    relative.tv_sec = static_cast<time_t>(*timeout_ns / 1000000000);
    relative.tv_nsec = static_cast<long>(*timeout_ns % 1000000000);  // NOLINT(runtime/int)
    timeout = &relative;
  }
  syscall(SYS_futex, Address(word), FUTEX_WAIT_PRIVATE, expected, timeout, nullptr, 0);
}

void FutexWake(std::atomic<uint32_t>* word, int count) {
  syscall(SYS_futex, Address(word), FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
}

}  // namespace

void Mutex::LockContended() {
  // Mark the word as slept on before sleeping, so that the holder's unlock
  // wakes a sleeper; whoever swaps it from free holds the lock.
  while (word_.exchange(kHeldWithSleepers, std::memory_order_acquire) != kFree) {
    FutexWait(&word_, kHeldWithSleepers, nullptr);
  }
}

void Mutex::WakeOne() { FutexWake(&word_, 1); }

void CondVar::WaitFor(Mutex* mu, const int64_t* timeout_ns) {
  assert(mu->held_ == Mutex::Held::kLocked && "a wait in a single-threaded world never ends");
  if (timeout_ns != nullptr && *timeout_ns <= 0) return;  // the deadline has passed
  // Counted and read before the unlock: a Signal after the unlock changes
  // the sequence, and the sleep below then returns at once.
  waiters_.fetch_add(1, std::memory_order_seq_cst);
  const uint32_t sequence = sequence_.load(std::memory_order_seq_cst);
  mu->held_ = Mutex::Held::kNo;  // others may lock it while this waits
  mu->UnlockWord();
  FutexWait(&sequence_, sequence, timeout_ns);
  waiters_.fetch_sub(1, std::memory_order_relaxed);
  mu->LockWord();
  mu->held_ = Mutex::Held::kLocked;
}

void CondVar::WakeSleepers(int count) { FutexWake(&sequence_, count); }

}  // namespace informersim
