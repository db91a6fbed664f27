#include "sim/world.h"

#include <algorithm>
#include <cassert>

namespace informersim {
namespace sim {

World::World(uint64_t seed, bool keep_trace_steps, absl::Duration lead_in)
    : seed_(seed),
      runtime_(StartTime() - lead_in),
      tracer_(&runtime_, StartTime(), keep_trace_steps),
      scheduler_(Prng::Stream(seed, "scheduler")) {}

void World::TrackStrands() {
  const size_t count = runtime_.strand_count();
  if (names_.size() <= count) {
    const size_t old = names_.size();
    names_.resize(count + 1);
    weights_.resize(count + 1, 1.0);
    paused_until_.resize(count + 1, absl::InfinitePast());
    for (size_t id = std::max<size_t>(old, 1); id <= count; ++id) {
      names_[id] = TraceActor(runtime_.StrandName(static_cast<StrandId>(id)));
    }
  }
}

const std::string& World::NameOf(StrandId strand) {
  TrackStrands();
  return names_[strand].name;
}

void World::SetStrandWeight(StrandId strand, double weight) {
  NameOf(strand);
  weights_[strand] = weight > 0 ? weight : 1e-6;
}

void World::PauseStrand(StrandId strand, absl::Time until) {
  NameOf(strand);
  paused_until_[strand] = until;
}

void World::ClearPerturbation() {
  std::fill(weights_.begin(), weights_.end(), 1.0);
  std::fill(paused_until_.begin(), paused_until_.end(), absl::InfinitePast());
}

std::vector<StrandId> World::StrandsNamed(absl::string_view name) {
  TrackStrands();
  std::vector<StrandId> out;
  for (size_t id = 1; id < names_.size(); ++id) {
    if (names_[id].name == name) out.push_back(static_cast<StrandId>(id));
  }
  return out;
}

World::StepResult World::Step(absl::Time deadline) { return StepAt(runtime_.Now(), deadline); }

World::StepResult World::StepAt(absl::Time now, absl::Time deadline) {
  runtime_.RunnableStrands(&runnable_);
  eligible_.clear();
  eligible_weights_.clear();
  absl::Time next_wake = absl::InfiniteFuture();  // earliest pause end
  for (size_t i = 0; i < runnable_.size(); ++i) {
    const StrandId strand = runnable_[i];
    // Strands are made rarely: asking the runtime for their count and names
    // only when one is new keeps that lookup off the per-step path.
    if (strand >= names_.size()) TrackStrands();
    if (paused_until_[strand] > now) {
      next_wake = std::min(next_wake, paused_until_[strand]);
      continue;
    }
    eligible_.push_back(i);
    eligible_weights_.push_back(weights_[strand]);
  }
  if (!eligible_.empty()) {
    const size_t pick = eligible_.size() == 1
                            ? 0
                            : scheduler_.Weighted(eligible_weights_.data(), eligible_.size());
    const size_t position = eligible_[pick];
    const TraceActor& actor = names_[runnable_[position]];
    tracer_.RecordAt(now, TASK, actor.name, actor.hash, "");
    ++steps_;
    // Nothing has run since the runnable strands were listed, so the
    // position still names the picked strand.
    const bool ran = runtime_.RunRunnable(position);
    assert(ran && "the picked strand is no longer runnable");
    (void)ran;
    if (after_step_) after_step_();
    return StepResult::kRan;
  }
  next_wake = std::min(next_wake, runtime_.NextTimerDeadline());
  if (next_wake == absl::InfiniteFuture()) return StepResult::kIdle;
  if (next_wake > deadline) {
    runtime_.AdvanceTo(deadline);
    return StepResult::kDeadline;
  }
  runtime_.AdvanceTo(next_wake);
  return StepResult::kAdvanced;
}

World::RunResult World::RunUntil(absl::Time deadline, const std::function<bool()>& done,
                                 uint64_t max_steps) {
  const uint64_t limit = steps_ + max_steps;
  while (true) {
    if (done && done()) return RunResult::kDone;
    if (steps_ >= limit) return RunResult::kStepLimit;
    const absl::Time now = runtime_.Now();
    if (now >= deadline) return RunResult::kDeadline;
    switch (StepAt(now, deadline)) {
      case StepResult::kRan:
      case StepResult::kAdvanced:
        break;
      case StepResult::kDeadline:
        if (done && done()) return RunResult::kDone;
        return RunResult::kDeadline;
      case StepResult::kIdle:
        if (done && done()) return RunResult::kDone;
        return RunResult::kIdle;
    }
  }
}

absl::string_view RunResultName(World::RunResult result) {
  switch (result) {
    case World::RunResult::kDone:
      return "done";
    case World::RunResult::kDeadline:
      return "deadline";
    case World::RunResult::kIdle:
      return "idle";
    case World::RunResult::kStepLimit:
      return "step limit";
  }
  return "unknown";
}

}  // namespace sim
}  // namespace informersim
