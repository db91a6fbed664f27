// Runtime: what runs core's loops, and its clock. client-go runs each loop
// (the reflector's list/watch loop, the resync timer, the controller's pop
// loop, each listener's dispatch) on a goroutine that blocks; core instead
// posts each step of a loop as a task onto a Strand of an injected Runtime,
// and every place where a goroutine would block becomes the end of one task
// and the start of another (a callback, a timer, a "queue is ready" signal).
//
// One interface, two kinds of implementation:
//   - ManualRuntime (core/manual_runtime.h): single-threaded, virtual time;
//     a driver runs one task at a time and chooses which strand goes next,
//     which is how the simulator explores interleavings.
//   - RealRuntime (core/real_env.h): threads and the steady clock, for real
//     programs; the only place in core/ where real time and threads appear.
//
// Contract:
//   - Tasks of one strand run one at a time, in the order they became
//     runnable (posted, or their timer fired): a strand is a goroutine.
//     Tasks of different strands may run in any order, and with RealRuntime
//     concurrently, so state shared across strands needs a lock.
//   - Time is read only through Now(); a timer posts its task to its strand
//     once Now() has reached its deadline. Timers with the same deadline fire
//     in the order they were set.
//   - Cancel before the deadline guarantees the task never runs.
//
// Thread safety: implementations are safe for concurrent use.
#ifndef INFORMERSIM_CORE_RUNTIME_H_
#define INFORMERSIM_CORE_RUNTIME_H_

#include <cstdint>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace informersim {

using Task = absl::AnyInvocable<void()>;

// Identifies a strand of one Runtime. 0 is never a valid strand.
using StrandId = uint32_t;
// Identifies a timer of one Runtime. 0 is never a valid timer.
using TimerId = uint64_t;

class Runtime {
 public:
  virtual ~Runtime() = default;

  virtual absl::Time Now() const = 0;

  // A new strand; `name` is for traces and messages ("reflector", ...).
  virtual StrandId NewStrand(absl::string_view name) = 0;

  // Makes `task` runnable on `strand`.
  virtual void Post(StrandId strand, Task task) = 0;

  // Makes `task` runnable on `strand` once `delay` has passed (at once for a
  // delay <= 0, but still after the tasks already runnable on the strand).
  virtual TimerId PostAfter(StrandId strand, absl::Duration delay, Task task) = 0;

  // Stops a timer. True if it had not fired yet (its task will never run);
  // false if it had already fired, was cancelled, or is unknown.
  virtual bool Cancel(TimerId timer) = 0;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_RUNTIME_H_
