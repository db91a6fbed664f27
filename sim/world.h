// World: what one seed builds before anything else: the virtual clock and
// runtime that core/ runs on (ManualRuntime), the seeded scheduler that picks
// the next step, the tracer, and the PRNG sub-streams of every subsystem.
//
// The scheduler (the FoundationDB loop, with TigerBeetle-style client
// perturbation):
//   - Among the runnable strands (a watch event to deliver, a queue pop, a
//     listener dispatch, a fired timer, a workload write, ...), it picks one
//     by weighted seeded choice from the "scheduler" stream, so different
//     seeds explore different legal interleavings. Weight 1 by default; a
//     slow strand (a slow handler, a slow consumer) has a smaller weight.
//   - A paused strand (a stalled handler, a paused consumer) is not picked
//     until its pause ends.
//   - Time moves only when nothing eligible is runnable: to the earliest of
//     the next timer and the next pause end.
//   - Every step is recorded in the trace (TASK, actor = strand name).
// Every loop has a limit (max_steps); running out is reported, not hung on.
//
// Thread safety: none; one thread drives the world.
#ifndef INFORMERSIM_SIM_WORLD_H_
#define INFORMERSIM_SIM_WORLD_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/manual_runtime.h"
#include "sim/prng.h"
#include "sim/tracer.h"

namespace informersim {
namespace sim {

class World {
 public:
  // Time zero of every trace, report and fault script: a fixed instant on
  // every machine, at which the simulation starts its informer.
  static absl::Time StartTime() { return absl::FromUnixSeconds(1700000000); }

  // `lead_in`: the world's clock starts that long before StartTime() (the
  // simulation's setup: the server filled and its caches warm), so that
  // what happens then has negative times and the informer starts at zero.
  World(uint64_t seed, bool keep_trace_steps, absl::Duration lead_in = absl::ZeroDuration());
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  uint64_t seed() const { return seed_; }
  ManualRuntime* runtime() { return &runtime_; }
  Tracer* tracer() { return &tracer_; }
  // An independent PRNG stream for `subsystem` under this world's seed.
  Prng Stream(absl::string_view subsystem) const { return Prng::Stream(seed_, subsystem); }
  absl::Time Now() const { return runtime_.Now(); }
  // Since StartTime(); negative during a lead-in.
  absl::Duration Elapsed() const { return runtime_.Now() - StartTime(); }

  // Scheduler perturbation (see the header comment).
  void SetStrandWeight(StrandId strand, double weight);
  void PauseStrand(StrandId strand, absl::Time until);
  // Clears every weight and pause (the liveness phase).
  void ClearPerturbation();
  // The strands named `name`, in creation order.
  std::vector<StrandId> StrandsNamed(absl::string_view name);

  // Runs after every step (the checker's per-step safety checks).
  void SetAfterStep(std::function<void()> after_step) { after_step_ = std::move(after_step); }

  enum class StepResult {
    kRan,       // one task ran
    kAdvanced,  // nothing eligible was runnable: time moved
    kDeadline,  // time reached the deadline with nothing eligible before it
    kIdle,      // nothing runnable, no timer, no pause: the world is still
  };
  StepResult Step(absl::Time deadline);

  enum class RunResult {
    kDone,      // `done` returned true
    kDeadline,  // the deadline came first
    kIdle,      // nothing will ever happen again
    kStepLimit, // max_steps tasks ran
  };
  // Steps until `done` (checked before each step; may be null), the
  // deadline, idleness, or max_steps tasks.
  RunResult RunUntil(absl::Time deadline, const std::function<bool()>& done, uint64_t max_steps);

  uint64_t steps() const { return steps_; }

 private:
  // Step with the runtime's current time `now` (which the caller has read).
  StepResult StepAt(absl::Time now, absl::Time deadline);
  // Grows the per-strand tables to every strand the runtime has made.
  void TrackStrands();
  const std::string& NameOf(StrandId strand);

  const uint64_t seed_;
  ManualRuntime runtime_;
  Tracer tracer_;
  Prng scheduler_;
  uint64_t steps_ = 0;
  // Indexed by StrandId (0 unused); grown as strands appear. A strand's
  // name with its hash: the actor of each of its TASK steps.
  std::vector<TraceActor> names_;
  std::vector<double> weights_;
  std::vector<absl::Time> paused_until_;
  std::function<void()> after_step_;
  // Scratch, reused across steps: the runnable strands, and the positions
  // among them (what RunRunnable takes) and weights of the eligible ones.
  std::vector<StrandId> runnable_;
  std::vector<size_t> eligible_;
  std::vector<double> eligible_weights_;
};

absl::string_view RunResultName(World::RunResult result);

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_WORLD_H_
