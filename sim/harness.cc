#include "sim/harness.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace informersim {
namespace sim {

Simulation::Simulation() = default;

absl::StatusOr<Simulation> Simulation::FromFlags(std::vector<std::string> flags) {
  for (const std::string& flag : flags) {
    absl::StatusOr<std::pair<std::string, std::string>> split = SplitFlag(flag);
    if (!split.ok()) return split.status();
    if (split->first == "seed") {
      return absl::InvalidArgumentError(
          "--seed: a Simulation takes its seed from Run(seed), not from its flags");
    }
  }
  Simulation sim;
  sim.flags_ = std::move(flags);
  // Fail now, not at the first Run, on flags that cannot work.
  absl::StatusOr<SimOptions> probe = sim.OptionsFor(1);
  if (!probe.ok()) return probe.status();
  return sim;
}

absl::StatusOr<Simulation> Simulation::FromScenario(absl::string_view name_or_path) {
  return FromFlags({absl::StrCat("--scenario=", name_or_path)});
}

Simulation Simulation::FromOptions(SimOptions options) {
  Simulation sim;
  sim.base_ = std::move(options);
  return sim;
}

Simulation& Simulation::AddHandler(UserHandler handler) {
  handlers_.push_back(std::move(handler));
  return *this;
}

Simulation& Simulation::AddHandler(std::string name, MakeHandler make) {
  UserHandler h;
  h.name = std::move(name);
  h.make = std::move(make);
  return AddHandler(std::move(h));
}

Simulation& Simulation::CheckAtQuiescence(std::string name, Check check) {
  invariants_.push_back(
      UserInvariant{std::move(name), UserInvariant::When::kQuiescent, std::move(check)});
  return *this;
}

Simulation& Simulation::CheckAfterEachNotification(std::string name, Check check) {
  invariants_.push_back(
      UserInvariant{std::move(name), UserInvariant::When::kAfterNotification, std::move(check)});
  return *this;
}

Simulation& Simulation::AddIndex(std::string name, IndexFunc func) {
  indexes_.emplace_back(std::move(name), std::move(func));
  return *this;
}

Simulation& Simulation::UseTransform(TransformFunc transform) {
  transform_ = std::move(transform);
  return *this;
}

Simulation& Simulation::UseQueue(QueueFactory factory) {
  queue_ = std::move(factory);
  return *this;
}

Simulation& Simulation::ReplayWith(std::function<std::string(uint64_t)> replay) {
  replay_ = std::move(replay);
  return *this;
}

Simulation& Simulation::Configure(std::function<void(SimOptions&)> configure) {
  configure_.push_back(std::move(configure));
  return *this;
}

absl::StatusOr<SimOptions> Simulation::OptionsFor(uint64_t seed) const {
  absl::StatusOr<SimOptions> o;
  if (base_.has_value()) {
    o = *base_;
    o->seed = seed;
  } else {
    o = OptionsFromFlags(RunFlags(flags_, seed));
    if (!o.ok()) return o.status();
  }
  for (const auto& configure : configure_) configure(*o);
  o->user_handlers.insert(o->user_handlers.end(), handlers_.begin(), handlers_.end());
  o->invariants.insert(o->invariants.end(), invariants_.begin(), invariants_.end());
  o->user_indexes.insert(o->user_indexes.end(), indexes_.begin(), indexes_.end());
  if (queue_ != nullptr) o->queue_factory = queue_;
  if (transform_ != nullptr) o->transform = transform_;
  o->replay = replay_ != nullptr ? replay_(seed) : TestReplayLine(seed);
  absl::Status valid = ValidateOptions(*o);
  if (!valid.ok()) return valid;
  return o;
}

absl::StatusOr<SimResult> Simulation::Run(uint64_t seed) const {
  absl::StatusOr<SimOptions> o = OptionsFor(seed);
  if (!o.ok()) return o.status();
  return RunSimulation(*o, RunFlags(flags_, seed));
}

std::string TestReplayLine(uint64_t seed) {
  const char* target = std::getenv("TEST_TARGET");
  if (target != nullptr && target[0] != '\0') {
    return absl::StrCat("bazel test ", target, " --test_env=INFORMERSIM_SEED=", seed);
  }
  return absl::StrCat("run the program that set up this simulation again with seed ", seed,
                      " (its handlers, invariants or queue are code, not flags)");
}

}  // namespace sim
}  // namespace informersim
