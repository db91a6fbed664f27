// The Queue interface of client-go's tools/cache (fifo.go): a ReflectorStore
// that hands out accumulated changes one key (DeltaFIFO, FIFO) or one delta
// (RealFIFO) at a time.
//
// Two ways to pop the same structure:
//   - Pop blocks on a condition variable while the queue is empty and open,
//     for threaded programs; Close wakes it.
//   - TryPop never blocks, for a deterministic driver that decides itself
//     when a pop is a runnable step.
// No implementation creates a thread.
//
// Readiness hook (SetReadyCallback): a strand-based consumer (the
// controller's process loop, core/controller.h) pops with TryPop and, when it
// finds the queue empty, ends its task; the queue then tells it through the
// ready callback when there is something to pop again.
//
// Thread safety: implementations are safe for concurrent use.
#ifndef INFORMERSIM_CORE_QUEUE_H_
#define INFORMERSIM_CORE_QUEUE_H_

#include <cstdint>
#include <functional>
#include <utility>
#include <functional>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "core/delta.h"
#include "core/store.h"

namespace informersim {

// client-go PopProcessFunc. `is_in_initial_list` is true while the queue has
// not yet handed out the whole first Replace (D8, R9).
using PopProcessFunc =
    absl::FunctionRef<absl::Status(const Deltas& deltas, bool is_in_initial_list)>;

enum class PopOutcome : uint8_t {
  kPopped,  // an item was popped and processed
  kEmpty,   // nothing queued (TryPop only)
  kClosed,  // the queue is closed and empty (client-go ErrFIFOClosed)
};

struct PopResult {
  PopOutcome outcome = PopOutcome::kEmpty;
  // The process callback's status when outcome == kPopped, else OK.
  absl::Status process_status;
};

// The readiness hook's state machine, shared by the queues: the hook is told
// once per empty -> non-empty edge, on every Close, and at once when it is
// installed on a non-empty queue. Not thread-safe: the owning queue calls it
// under its own lock, so the hook runs under that lock too (it must not call
// back into the queue; it typically posts a task).
class ReadySignal {
 public:
  void Install(std::function<void()> on_ready, bool non_empty) {
    on_ready_ = std::move(on_ready);
    signalled_ = false;
    if (non_empty) NonEmpty();
  }
  // Something is queued.
  void NonEmpty() {
    if (on_ready_ && !signalled_) {
      signalled_ = true;
      on_ready_();
    }
  }
  // The queue became empty: the next item is an edge again.
  void Emptied() { signalled_ = false; }
  void Closed() {
    if (on_ready_) on_ready_();
  }

 private:
  std::function<void()> on_ready_;
  bool signalled_ = false;
};

// client-go ErrFIFOClosed, as a status tagged kFIFOClosedTag.
absl::Status FIFOClosedError();

// client-go ErrZeroLengthDeltasObject (keying an empty Deltas), as a status
// tagged kZeroLengthDeltasTag.
absl::Status ZeroLengthDeltasError();

class Queue : public ReflectorStore {
 public:
  // Blocks while the queue is empty and open. Never returns kEmpty.
  virtual PopResult Pop(PopProcessFunc process) = 0;
  // Never blocks.
  virtual PopResult TryPop(PopProcessFunc process) = 0;
  // True once the first Replace (or any earlier Add/Update/Delete) has been
  // popped and processed in full (D11, F5, R9). Monotonic.
  virtual bool HasSynced() const = 0;
  // Wakes blocked pops; queued items stay poppable (D10).
  virtual void Close() = 0;
  virtual bool IsClosed() const = 0;

  // Installs (or, with an empty function, removes) the readiness hook. It is
  // called whenever the queue goes from empty to non-empty, and on every
  // Close. It may be called WITH THE QUEUE'S LOCK HELD, from whichever thread
  // made the change: it must not call back into this queue and should only
  // post a task (Runtime::Post) or set a flag. If the queue is already
  // non-empty when the hook is installed, it is called at once. Set it before
  // concurrent use starts; it is not meant to be swapped while producers run.
  virtual void SetReadyCallback(std::function<void()> on_ready) = 0;
};

// client-go ProcessBatchFunc (controller.go): processes several deltas of
// distinct keys at once, oldest first (R10).
using ProcessBatchFunc = absl::FunctionRef<absl::Status(
    absl::Span<const Delta> deltas, bool is_in_initial_list)>;

// client-go QueueWithBatch: a Queue that can also hand out a batch (R10).
// A batch of one goes to process_single, a longer one to process_batch.
class QueueWithBatch : public Queue {
 public:
  // Blocks while the queue is empty and open. Never returns kEmpty.
  virtual PopResult PopBatch(ProcessBatchFunc process_batch,
                             PopProcessFunc process_single) = 0;
  // Never blocks.
  virtual PopResult TryPopBatch(ProcessBatchFunc process_batch,
                                PopProcessFunc process_single) = 0;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_QUEUE_H_
