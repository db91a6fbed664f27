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
        for (; !strand->tasks.empty(); strand->tasks.pop_front()) {
          dropped.push_back(std::move(strand->tasks.front().task));
        }
      }
      // In deadline order, not the slots' (which is no order at all).
      std::sort(timer_heap_.begin(), timer_heap_.end());
      for (const TimerKey& key : timer_heap_) {
        if (LiveLocked(key.second)) dropped.push_back(std::move(timer_slots_[SlotOf(key.second)].task));
      }
      timer_slots_.clear();
      free_timer_slots_.clear();
      timer_heap_.clear();
      pending_timers_ = 0;
      stale_keys_ = 0;
      runnable_.clear();
    }
    if (dropped.empty()) break;
    dropped.clear();  // outside the lock
  }
}

StrandId ManualRuntime::NewStrand(absl::string_view name) {
  MutexLock lock(&mu_);
  strands_.push_back(std::make_unique<Strand>());
  strands_.back()->name = std::string(name);
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
  uint32_t slot;
  if (free_timer_slots_.empty()) {
    assert(timer_slots_.size() < (size_t{1} << kTimerSlotBits) && "too many timers pending");
    slot = static_cast<uint32_t>(timer_slots_.size());
    timer_slots_.emplace_back();
  } else {
    slot = free_timer_slots_.back();
    free_timer_slots_.pop_back();
  }
  assert(next_timer_ < (uint64_t{1} << (64 - kTimerSlotBits)) && "timer ids exhausted");
  const TimerId id = (next_timer_++ << kTimerSlotBits) | slot;
  TimerSlot& s = timer_slots_[slot];
  s.id = id;
  s.strand = strand;
  s.task = std::move(task);
  ++pending_timers_;
  const absl::Time deadline = now_ + std::max(delay, absl::ZeroDuration());
  timer_heap_.emplace_back(deadline, id);
  std::push_heap(timer_heap_.begin(), timer_heap_.end(), std::greater<TimerKey>());
  FireDueTimersLocked();
  return id;
}

bool ManualRuntime::LiveLocked(TimerId id) const {
  const uint32_t slot = SlotOf(id);
  return id != 0 && slot < timer_slots_.size() && timer_slots_[slot].id == id;
}

void ManualRuntime::FreeSlotLocked(uint32_t slot) {
  TimerSlot& s = timer_slots_[slot];
  s.id = 0;
  s.task = nullptr;
  free_timer_slots_.push_back(slot);
  --pending_timers_;
}

bool ManualRuntime::Cancel(TimerId timer) {
  MutexLock lock(&mu_);
  if (!LiveLocked(timer)) return false;
  FreeSlotLocked(SlotOf(timer));  // its key stays in the heap, stale
  ++stale_keys_;
  // Once stale keys are the majority, rebuild the heap without them:
  // O(heap) once per that many Cancels.
  if (stale_keys_ > pending_timers_ + 64) {
    size_t kept = 0;
    for (const TimerKey& key : timer_heap_) {
      if (LiveLocked(key.second)) timer_heap_[kept++] = key;
    }
    timer_heap_.resize(kept);
    std::make_heap(timer_heap_.begin(), timer_heap_.end(), std::greater<TimerKey>());
    stale_keys_ = 0;
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
    const uint32_t slot = SlotOf(id);
    assert(LiveLocked(id) && "the timer heap's top is not pending");
    TimerSlot& s = timer_slots_[slot];
    PostLocked(s.strand, std::move(s.task));
    FreeSlotLocked(slot);
    DropCancelledLocked();
  }
}

void ManualRuntime::DropCancelledLocked() {
  // Only while stale keys remain: no slot read per fired timer otherwise.
  while (stale_keys_ > 0 && !timer_heap_.empty() && !LiveLocked(timer_heap_.front().second)) {
    std::pop_heap(timer_heap_.begin(), timer_heap_.end(), std::greater<TimerKey>());
    timer_heap_.pop_back();
    --stale_keys_;
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
  return pending_timers_;
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
