#include "core/real_env.h"

#include <cassert>
#include <random>

namespace informersim {

RealRuntime::RealRuntime(int num_threads)
    : steady_start_(std::chrono::steady_clock::now()),
      wall_start_(absl::FromChrono(std::chrono::system_clock::now())) {
  assert(num_threads >= 1);
  for (int i = 0; i < num_threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  timer_thread_ = std::thread([this] { TimerLoop(); });
}

RealRuntime::~RealRuntime() { Shutdown(); }

void RealRuntime::Shutdown() {
  {
    MutexLock lock(&mu_);
    if (shutdown_) return;
    shutdown_ = true;
  }
  work_cv_.SignalAll();
  timer_cv_.SignalAll();
  for (std::thread& t : workers_) t.join();
  timer_thread_.join();
  // Drop what never ran outside the lock: a task's destructor may post.
  std::vector<std::unique_ptr<Strand>> strands;
  std::map<TimerKey, Timer> timers;
  {
    MutexLock lock(&mu_);
    strands.swap(strands_);
    timers.swap(timers_);
  }
}

absl::Time RealRuntime::Now() const {
  return wall_start_ + absl::FromChrono(std::chrono::steady_clock::now() - steady_start_);
}

StrandId RealRuntime::NewStrand(absl::string_view name) {
  MutexLock lock(&mu_);
  strands_.push_back(std::make_unique<Strand>());
  strands_.back()->name = std::string(name);
  return static_cast<StrandId>(strands_.size());
}

void RealRuntime::PostLocked(StrandId strand, Task task) {
  if (shutdown_) return;
  assert(strand >= 1 && strand <= strands_.size() && "unknown strand");
  Strand& s = *strands_[strand - 1];
  s.tasks.push_back(std::move(task));
  if (!s.scheduled) {
    s.scheduled = true;
    ready_.push_back(strand);
    work_cv_.Signal();
  }
}

void RealRuntime::Post(StrandId strand, Task task) {
  MutexLock lock(&mu_);
  PostLocked(strand, std::move(task));
}

TimerId RealRuntime::PostAfter(StrandId strand, absl::Duration delay, Task task) {
  MutexLock lock(&mu_);
  const TimerId id = next_timer_++;
  if (delay <= absl::ZeroDuration()) {
    PostLocked(strand, std::move(task));
    return id;
  }
  const TimerKey key{std::chrono::steady_clock::now() +
                         absl::ToChronoNanoseconds(delay),
                     id};
  const bool earliest = timers_.empty() || key < timers_.begin()->first;
  timers_.emplace(key, Timer{strand, std::move(task)});
  timer_keys_.emplace(id, key);
  if (earliest) timer_cv_.Signal();
  return id;
}

bool RealRuntime::Cancel(TimerId timer) {
  MutexLock lock(&mu_);
  auto it = timer_keys_.find(timer);
  if (it == timer_keys_.end()) return false;
  timers_.erase(it->second);
  timer_keys_.erase(it);
  return true;
}

void RealRuntime::WorkerLoop() {
  mu_.Lock();
  while (true) {
    while (!shutdown_ && ready_.empty()) work_cv_.Wait(&mu_);
    if (shutdown_) break;
    const StrandId id = ready_.front();
    ready_.pop_front();
    Strand& s = *strands_[id - 1];
    Task task = std::move(s.tasks.front());
    s.tasks.pop_front();
    {
      MutexUnlock unlock(&mu_);
      std::move(task)();
      task = nullptr;  // destroy captures outside the lock too
    }
    // The strand stays scheduled while its task runs, so no other worker
    // takes it; hand it back to the ready queue only now.
    if (s.tasks.empty()) {
      s.scheduled = false;
    } else {
      ready_.push_back(id);
      work_cv_.Signal();
    }
  }
  mu_.Unlock();
}

void RealRuntime::TimerLoop() {
  mu_.Lock();
  while (!shutdown_) {
    const SteadyTime now = std::chrono::steady_clock::now();
    while (!timers_.empty() && timers_.begin()->first.first <= now) {
      auto node = timers_.extract(timers_.begin());
      timer_keys_.erase(node.key().second);
      PostLocked(node.mapped().strand, std::move(node.mapped().task));
    }
    if (timers_.empty()) {
      timer_cv_.Wait(&mu_);
    } else {
      // A copy: Cancel may erase that timer while this thread waits.
      const SteadyTime deadline = timers_.begin()->first.first;
      timer_cv_.WaitUntil(&mu_, deadline);
    }
  }
  mu_.Unlock();
}

RealRandom::RealRandom() {
  std::random_device device;
  state_ = (static_cast<uint64_t>(device()) << 32) ^ device();
}

uint64_t RealRandom::NextUint64() {
  MutexLock lock(&mu_);
  // splitmix64
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace informersim
