// ManualRuntime: a deterministic, single-threaded Runtime in virtual time. A
// driver (a test, or the simulator's event loop) runs one task at a time and
// moves time itself; nothing happens between its calls.
//
// Determinism: runnable strands are ordered by the sequence number of their
// head task (the order in which tasks became runnable, timers included), and
// a Chooser picks one of them by index. The default chooser always picks the
// first, which makes the runtime a plain global FIFO; the simulator supplies a
// seeded chooser to explore other legal interleavings. Time advances only
// through AdvanceTo/AdvanceBy/AdvanceToNextTimer; timers with equal deadlines
// fire in the order they were set (DESIGN: ties break by deadline, then
// insertion sequence). No behaviour depends on hash-map order or pointers.
//
// Thread safety: all methods may be called from any thread (a Mutex guards the
// state), but tasks run on the caller of RunOne, one at a time, without the
// lock held, so tasks may post further tasks.
#ifndef INFORMERSIM_CORE_MANUAL_RUNTIME_H_
#define INFORMERSIM_CORE_MANUAL_RUNTIME_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "core/ring_queue.h"
#include "core/runtime.h"

namespace informersim {

class ManualRuntime final : public Runtime {
 public:
  // Picks the index, in [0, n), of the strand to run next among the n
  // runnable ones (ordered by head-task sequence). n >= 1.
  using Chooser = std::function<size_t(size_t n)>;
  // Called just before a task runs, with its strand and its sequence number.
  using StepObserver = std::function<void(StrandId strand, uint64_t sequence)>;

  explicit ManualRuntime(absl::Time start = absl::UnixEpoch());
  ManualRuntime(const ManualRuntime&) = delete;
  ManualRuntime& operator=(const ManualRuntime&) = delete;
  ~ManualRuntime() override;

  // Runtime.
  // Inline: the simulator's driver reads the time on every step.
  absl::Time Now() const override {
    MutexLock lock(&mu_);
    return now_;
  }
  StrandId NewStrand(absl::string_view name) override;
  void Post(StrandId strand, Task task) override;
  TimerId PostAfter(StrandId strand, absl::Duration delay, Task task) override;
  bool Cancel(TimerId timer) override;

  void SetChooser(Chooser chooser);
  void SetStepObserver(StepObserver observer);

  // Runs one task. False if nothing is runnable (time is not moved).
  bool RunOne();
  // The runnable strands, ordered by head-task sequence (the order a Chooser
  // indexes). For drivers that choose by strand (the simulator pauses and
  // slows particular strands).
  std::vector<StrandId> RunnableStrands() const;
  // The same into `out` (cleared first), for a driver that reuses a buffer.
  void RunnableStrands(std::vector<StrandId>* out) const;
  // Runs the head task of `strand`. False if that strand is not runnable.
  bool RunStrand(StrandId strand);
  // Runs the head task of the `index`-th runnable strand, in RunnableStrands
  // order: for a driver that has just listed them, so the strand need not be
  // looked up again. False if fewer strands are runnable.
  bool RunRunnable(size_t index);
  // Runs tasks until nothing is runnable or `max_steps` tasks have run;
  // returns the number run. Time is not moved.
  size_t RunUntilIdle(size_t max_steps = SIZE_MAX);
  // Moves time forward to `t` (never backwards), firing every timer due by
  // then. Tasks are not run.
  void AdvanceTo(absl::Time t);
  void AdvanceBy(absl::Duration d) { AdvanceTo(Now() + d); }
  // Moves time to the earliest pending timer's deadline and fires the due
  // timers. False if no timer is pending.
  bool AdvanceToNextTimer();
  // The FoundationDB loop: run until idle, then jump to the next timer, until
  // `deadline` would be passed or `max_steps` tasks have run. Time ends at
  // `deadline` if it was reached. Returns the number of tasks run.
  size_t RunUntil(absl::Time deadline, size_t max_steps = SIZE_MAX);
  size_t RunFor(absl::Duration d, size_t max_steps = SIZE_MAX) {
    return RunUntil(Now() + d, max_steps);
  }

  bool HasRunnable() const;
  size_t runnable_tasks() const;
  size_t pending_timers() const;
  // The earliest pending timer deadline; absl::InfiniteFuture() if none.
  absl::Time NextTimerDeadline() const;
  std::string StrandName(StrandId strand) const;
  // Strands made so far; their ids are 1..strand_count().
  size_t strand_count() const;
  uint64_t steps_run() const;

 private:
  struct Queued {
    // Built in place (emplace_back): moving a Task is an indirect call.
    Queued(uint64_t sequence, Task&& task) : sequence(sequence), task(std::move(task)) {}
    uint64_t sequence;
    Task task;
  };
  struct Strand {
    std::string name;
    RingQueue<Queued> tasks;
  };
  // A pending timer's task. Slots are reused (last freed, first reused);
  // `id` is 0 while the slot is free.
  struct TimerSlot {
    TimerId id = 0;
    StrandId strand = 0;
    Task task;
  };
  using TimerKey = std::pair<absl::Time, TimerId>;  // deadline, set order

  // How RunPicked picks the runnable strand to run: by the chooser
  // (RunOne), by strand id (RunStrand) or by index (RunRunnable).
  enum class Pick { kChooser, kStrand, kIndex };
  bool RunPicked(Pick how, size_t wanted);
  // Takes `task` by reference: each move of a Task costs an indirect call,
  // and every task passes through here.
  void PostLocked(StrandId strand, Task&& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkRunnableLocked(uint64_t sequence, StrandId strand) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FireDueTimersLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static uint32_t SlotOf(TimerId id) {
    return static_cast<uint32_t>(id & ((TimerId{1} << kTimerSlotBits) - 1));
  }
  // Whether `id` is a pending timer's (not fired, not cancelled).
  bool LiveLocked(TimerId id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Frees the slot of a timer that fired or was cancelled.
  void FreeSlotLocked(uint32_t slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Pops cancelled timers' keys off the top of timer_heap_.
  void DropCancelledLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Strand& StrandLocked(StrandId strand) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t next_timer_ ABSL_GUARDED_BY(mu_) = 1;  // set order, from 1
  uint64_t steps_run_ ABSL_GUARDED_BY(mu_) = 0;
  // Index = StrandId - 1. Pointers, so that finding a strand is one load
  // (a deque's index is arithmetic on its blocks).
  std::vector<std::unique_ptr<Strand>> strands_ ABSL_GUARDED_BY(mu_);
  // Runnable strands keyed by their head task's sequence, sorted: a flat
  // vector, as there are only ever a few strands and a step takes one.
  std::vector<std::pair<uint64_t, StrandId>> runnable_ ABSL_GUARDED_BY(mu_);
  // Timers. A TimerId is the timer's set order shifted left by
  // kTimerSlotBits, or'ed with the slot holding its task: ordering ids
  // orders by set order, and Cancel finds the slot without a lookup. Keys
  // (deadline, id) sit in a min-heap (std::greater); a cancelled timer's
  // slot is freed at once and its key left behind, popped when it surfaces
  // (a key is live only while its slot still holds its id), so the heap's
  // top is always a pending timer. Once stale keys outnumber the pending
  // timers, the heap is rebuilt without them.
  static constexpr int kTimerSlotBits = 28;  // up to 2^28 timers pending
  std::vector<TimerSlot> timer_slots_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> free_timer_slots_ ABSL_GUARDED_BY(mu_);
  std::vector<TimerKey> timer_heap_ ABSL_GUARDED_BY(mu_);
  size_t pending_timers_ ABSL_GUARDED_BY(mu_) = 0;
  size_t stale_keys_ ABSL_GUARDED_BY(mu_) = 0;
  Chooser chooser_ ABSL_GUARDED_BY(mu_);
  StepObserver observer_ ABSL_GUARDED_BY(mu_);
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_MANUAL_RUNTIME_H_
