#include "core/manual_runtime.h"

#include <algorithm>
#include <cassert>
#include <functional>

namespace informersim {

ManualRuntime::ManualRuntime(absl::Time start) : now_(start) {}

ManualRuntime::~ManualRuntime() {
  // Drop the pending work while every member is still alive: destroying a
  // task destroys its captures, which may call back into this runtime (a
  // Cancel, or a Post that will never run). Bounded, in case they keep
  // posting.
  for (int round = 0; round < 8; ++round) {
    std::vector<Task> dropped;
    {
      MutexLock lock(&mu_);
      for (const std::unique_ptr<Strand>& strand : strands_) {
        for (Queued& q : strand->tasks) dropped.push_back(std::move(q.task));
        strand->tasks.clear();
      }
      // In deadline order, not the hash map's (which is no order at all).
      std::sort(timer_heap_.begin(), timer_heap_.end());
      for (const TimerKey& key : timer_heap_) {
        auto it = timers_.find(key.second);
        if (it != timers_.end()) dropped.push_back(std::move(it->second.task));
      }
      timers_.clear();
      timer_heap_.clear();
      cancelled_keys_ = {};
      runnable_.clear();
    }
    if (dropped.empty()) break;
    dropped.clear();  // outside the lock
  }
}

StrandId ManualRuntime::NewStrand(absl::string_view name) {
  MutexLock lock(&mu_);
  strands_.push_back(std::make_unique<Strand>(Strand{std::string(name), {}}));
  return static_cast<StrandId>(strands_.size());
}

ManualRuntime::Strand& ManualRuntime::StrandLocked(StrandId strand) {
  assert(strand >= 1 && strand <= strands_.size() && "unknown strand");
  return *strands_[strand - 1];
}

void ManualRuntime::PostLocked(StrandId strand, Task&& task) {
  Strand& s = StrandLocked(strand);
  const uint64_t sequence = next_sequence_++;
  if (s.tasks.empty()) MarkRunnableLocked(sequence, strand);  // the newest: appended
  s.tasks.emplace_back(sequence, std::move(task));
}

void ManualRuntime::Post(StrandId strand, Task task) {
  MutexLock lock(&mu_);
  PostLocked(strand, std::move(task));
}

TimerId ManualRuntime::PostAfter(StrandId strand, absl::Duration delay, Task task) {
  MutexLock lock(&mu_);
  StrandLocked(strand);  // validates
  const TimerId id = next_timer_++;
  const absl::Time deadline = now_ + std::max(delay, absl::ZeroDuration());
  timers_.try_emplace(id, deadline, strand, std::move(task));
  timer_heap_.emplace_back(deadline, id);
  std::push_heap(timer_heap_.begin(), timer_heap_.end(), std::greater<TimerKey>());
  FireDueTimersLocked();
  return id;
}

bool ManualRuntime::Cancel(TimerId timer) {
  MutexLock lock(&mu_);
  auto it = timers_.find(timer);
  if (it == timers_.end()) return false;
  cancelled_keys_.emplace(it->second.deadline, timer);  // its key stays in the heap
  timers_.erase(it);
  // Once cancelled keys are the majority, rebuild the heap without them:
  // O(heap) once per that many Cancels.
  if (cancelled_keys_.size() > timers_.size() + 64) {
    size_t kept = 0;
    for (const TimerKey& key : timer_heap_) {
      if (timers_.contains(key.second)) timer_heap_[kept++] = key;
    }
    timer_heap_.resize(kept);
    std::make_heap(timer_heap_.begin(), timer_heap_.end(), std::greater<TimerKey>());
    cancelled_keys_ = {};
  }
  DropCancelledLocked();
  return true;
}

void ManualRuntime::SetChooser(Chooser chooser) {
  MutexLock lock(&mu_);
  chooser_ = std::move(chooser);
}

void ManualRuntime::SetStepObserver(StepObserver observer) {
  MutexLock lock(&mu_);
  observer_ = std::move(observer);
}

void ManualRuntime::FireDueTimersLocked() {
  // The top is pending (DropCancelledLocked): fire it, then drop any
  // cancelled keys that surface under it.
  while (!timer_heap_.empty() && timer_heap_.front().first <= now_) {
    const TimerId id = timer_heap_.front().second;
    std::pop_heap(timer_heap_.begin(), timer_heap_.end(), std::greater<TimerKey>());
    timer_heap_.pop_back();
    auto it = timers_.find(id);
    assert(it != timers_.end() && "the timer heap's top is not pending");
    PostLocked(it->second.strand, std::move(it->second.task));  // leaves timers_ be
    timers_.erase(it);
    DropCancelledLocked();
  }
}

void ManualRuntime::DropCancelledLocked() {
  // The top is the least key in the heap, so it is a cancelled timer's just
  // when it is the least cancelled key: no lookup per fired timer.
  while (!cancelled_keys_.empty() && timer_heap_.front() == cancelled_keys_.top()) {
    std::pop_heap(timer_heap_.begin(), timer_heap_.end(), std::greater<TimerKey>());
    timer_heap_.pop_back();
    cancelled_keys_.pop();
  }
}

bool ManualRuntime::RunOne() { return RunPicked(Pick::kChooser, 0); }

bool ManualRuntime::RunStrand(StrandId strand) { return RunPicked(Pick::kStrand, strand); }

bool ManualRuntime::RunRunnable(size_t index) { return RunPicked(Pick::kIndex, index); }

void ManualRuntime::MarkRunnableLocked(uint64_t sequence, StrandId strand) {
  // Mostly appended (a new task has the largest sequence); a strand that
  // stays runnable re-enters at its next task's older sequence.
  const std::pair<uint64_t, StrandId> entry{sequence, strand};
  if (runnable_.empty() || runnable_.back().first < sequence) {
    runnable_.push_back(entry);
  } else {
    runnable_.insert(std::lower_bound(runnable_.begin(), runnable_.end(), entry), entry);
  }
}

std::vector<StrandId> ManualRuntime::RunnableStrands() const {
  std::vector<StrandId> out;
  RunnableStrands(&out);
  return out;
}

void ManualRuntime::RunnableStrands(std::vector<StrandId>* out) const {
  MutexLock lock(&mu_);
  out->clear();
  for (const auto& [sequence, strand] : runnable_) out->push_back(strand);
}

bool ManualRuntime::RunPicked(Pick how, size_t wanted) {
  StepObserver observer;
  StrandId strand = 0;
  uint64_t sequence = 0;
  Task task;
  {
    MutexLock lock(&mu_);
    if (runnable_.empty()) return false;
    size_t index = 0;
    switch (how) {
      case Pick::kChooser:
        if (chooser_ && runnable_.size() > 1) {
          index = chooser_(runnable_.size());
          assert(index < runnable_.size() && "chooser out of range");
        }
        break;
      case Pick::kStrand: {
        if (wanted == 0 || wanted > strands_.size()) return false;
        const Strand& s = *strands_[wanted - 1];
        if (s.tasks.empty()) return false;
        const std::pair<uint64_t, StrandId> entry{s.tasks.front().sequence,
                                                  static_cast<StrandId>(wanted)};
        auto it = std::lower_bound(runnable_.begin(), runnable_.end(), entry);
        if (it == runnable_.end() || *it != entry) return false;
        index = static_cast<size_t>(it - runnable_.begin());
        break;
      }
      case Pick::kIndex:
        if (wanted >= runnable_.size()) return false;
        index = wanted;
        break;
    }
    const auto it = runnable_.begin() + static_cast<std::ptrdiff_t>(index);
    strand = it->second;
    runnable_.erase(it);
    Strand& s = StrandLocked(strand);
    sequence = s.tasks.front().sequence;
    task = std::move(s.tasks.front().task);
    s.tasks.pop_front();
    if (!s.tasks.empty()) MarkRunnableLocked(s.tasks.front().sequence, strand);
    ++steps_run_;
    if (observer_) observer = observer_;
  }
  if (observer) observer(strand, sequence);
  std::move(task)();
  return true;
}

size_t ManualRuntime::RunUntilIdle(size_t max_steps) {
  size_t n = 0;
  while (n < max_steps && RunOne()) ++n;
  return n;
}

void ManualRuntime::AdvanceTo(absl::Time t) {
  MutexLock lock(&mu_);
  if (t > now_) now_ = t;
  FireDueTimersLocked();
}

bool ManualRuntime::AdvanceToNextTimer() {
  MutexLock lock(&mu_);
  if (timer_heap_.empty()) return false;
  if (timer_heap_.front().first > now_) now_ = timer_heap_.front().first;
  FireDueTimersLocked();
  return true;
}

size_t ManualRuntime::RunUntil(absl::Time deadline, size_t max_steps) {
  size_t n = 0;
  while (n < max_steps) {
    n += RunUntilIdle(max_steps - n);
    if (n >= max_steps) break;
    if (NextTimerDeadline() > deadline) break;
    if (!AdvanceToNextTimer()) break;
  }
  if (n < max_steps) AdvanceTo(deadline);
  return n;
}

bool ManualRuntime::HasRunnable() const {
  MutexLock lock(&mu_);
  return !runnable_.empty();
}

size_t ManualRuntime::runnable_tasks() const {
  MutexLock lock(&mu_);
  size_t n = 0;
  for (const std::unique_ptr<Strand>& s : strands_) n += s->tasks.size();
  return n;
}

size_t ManualRuntime::pending_timers() const {
  MutexLock lock(&mu_);
  return timers_.size();
}

absl::Time ManualRuntime::NextTimerDeadline() const {
  MutexLock lock(&mu_);
  return timer_heap_.empty() ? absl::InfiniteFuture() : timer_heap_.front().first;
}

std::string ManualRuntime::StrandName(StrandId strand) const {
  MutexLock lock(&mu_);
  if (strand < 1 || strand > strands_.size()) return "<unknown strand>";
  return strands_[strand - 1]->name;
}

size_t ManualRuntime::strand_count() const {
  MutexLock lock(&mu_);
  return strands_.size();
}

uint64_t ManualRuntime::steps_run() const {
  MutexLock lock(&mu_);
  return steps_run_;
}

}  // namespace informersim
