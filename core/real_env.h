// The real environment: RealRuntime (worker threads and the steady clock) and
// RealRandom (seeded from the operating system). This pair of files is the
// only place in core/ where real time, threads and non-deterministic
// randomness appear; tests/core_purity_test.sh enforces it.
//
// RealRuntime keeps the Runtime contract (core/runtime.h) on real threads: a
// strand's tasks run one at a time and in order, on whichever worker is free;
// different strands run in parallel on `num_threads` workers. One timer
// thread moves due timers onto their strands.
//
// Thread safety: both classes are safe for concurrent use. Tasks must not
// call Shutdown() (it joins the workers). Destruction calls Shutdown();
// tasks still queued then are dropped without running.
#ifndef INFORMERSIM_CORE_REAL_ENV_H_
#define INFORMERSIM_CORE_REAL_ENV_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "core/mutex.h"
#include "core/random.h"
#include "core/runtime.h"

namespace informersim {

class RealRuntime final : public Runtime {
 public:
  explicit RealRuntime(int num_threads = 2);
  RealRuntime(const RealRuntime&) = delete;
  RealRuntime& operator=(const RealRuntime&) = delete;
  ~RealRuntime() override;

  // Wall-clock time read from the steady clock, anchored at construction to
  // the system clock so that values read as real dates.
  absl::Time Now() const override;
  StrandId NewStrand(absl::string_view name) override;
  void Post(StrandId strand, Task task) override;
  TimerId PostAfter(StrandId strand, absl::Duration delay, Task task) override;
  bool Cancel(TimerId timer) override;

  // Stops the workers and the timer thread and waits for them; the tasks
  // not yet started never run. Idempotent.
  void Shutdown();

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  struct Strand {
    std::string name;
    std::deque<Task> tasks;
    bool scheduled = false;  // in ready_ or running on a worker
  };
  struct Timer {
    StrandId strand;
    Task task;
  };
  using TimerKey = std::pair<SteadyTime, TimerId>;

  void WorkerLoop();
  void TimerLoop();
  void PostLocked(StrandId strand, Task task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SteadyTime steady_start_;
  const absl::Time wall_start_;

  Mutex mu_;
  CondVar work_cv_;
  CondVar timer_cv_;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Strand>> strands_ ABSL_GUARDED_BY(mu_);
  std::deque<StrandId> ready_ ABSL_GUARDED_BY(mu_);
  std::map<TimerKey, Timer> timers_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<TimerId, TimerKey> timer_keys_ ABSL_GUARDED_BY(mu_);
  TimerId next_timer_ ABSL_GUARDED_BY(mu_) = 1;

  std::vector<std::thread> workers_;
  std::thread timer_thread_;
};

// A RandomSource seeded from std::random_device (splitmix64 underneath).
class RealRandom final : public RandomSource {
 public:
  RealRandom();
  uint64_t NextUint64() override;

 private:
  Mutex mu_;
  uint64_t state_ ABSL_GUARDED_BY(mu_);
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_REAL_ENV_H_
