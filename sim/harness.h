// Simulation: the entry point for running your own code under the
// simulator. Start from a scenario (the embedded default, a scenario file,
// or informer_sim flags), add your handlers, invariants or queue, and run it
// on seeds; every built-in check stays on, and your invariants' failures
// land in the same report, with the step, the virtual time and a replay
// instruction.
//
//   Simulation sim;  // the embedded default scenario
//   sim.AddHandler("counts", [] { return std::make_shared<NamespaceCounts>(); })
//      .CheckAtQuiescence("counts-match", [](const InvariantContext& c) {
//        return c.handler_as<NamespaceCounts>("counts")->Verify(c.truth());
//      });
//   absl::StatusOr<SimResult> r = sim.Run(/*seed=*/7);
//
// A run is decided by its seed and the code that set it up. Under
// `bazel test`, a failing run's replay line is the test target with the seed
// (`bazel test //my:test --test_env=INFORMERSIM_SEED=7`); sim/harness_gtest.h
// runs seed ranges across test shards and honours that variable.
//
// Thread safety: a Simulation is a value; Run is const and may be called
// from several threads at once (each run is its own world).
#ifndef INFORMERSIM_SIM_HARNESS_H_
#define INFORMERSIM_SIM_HARNESS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/controller.h"
#include "core/index.h"
#include "core/resource_event_handler.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"
#include "sim/user_code.h"

namespace informersim {
namespace sim {

class Simulation {
 public:
  using Check = std::function<absl::Status(const InvariantContext&)>;
  using MakeHandler = std::function<std::shared_ptr<ResourceEventHandler>()>;

  // The embedded default scenario.
  Simulation();
  // The world informer_sim's flags describe (--scenario=FILE, --swarm,
  // --objects=N, ...; no tool flags). Each Run applies them with its seed,
  // so a swarm draws a new world per seed.
  static absl::StatusOr<Simulation> FromFlags(std::vector<std::string> flags);
  // An embedded scenario's name or a scenario file's path.
  static absl::StatusOr<Simulation> FromScenario(absl::string_view name_or_path);
  // These options as they are, with each Run's seed (a swarm is not redrawn:
  // start from FromFlags({"--swarm"}) for that). Code-set parts in them are
  // kept and added to.
  static Simulation FromOptions(SimOptions options);

  // A handler of yours, made afresh for every informer process.
  Simulation& AddHandler(UserHandler handler);
  Simulation& AddHandler(std::string name, MakeHandler make);
  // Invariants of yours: at every quiescent point (and at the end), or
  // after every notification one of your handlers handled.
  Simulation& CheckAtQuiescence(std::string name, Check check);
  Simulation& CheckAfterEachNotification(std::string name, Check check);
  // An index of yours on the informer's indexer: the built-in INV8 checks it
  // against the items at every quiescent point; an error crashes the
  // informer (client-go's store panics) and the simulation restarts it.
  Simulation& AddIndex(std::string name, IndexFunc func);
  // A transform of yours (client-go SetTransform): the informer stores and
  // delivers what it returns, and the built-in checks compare the cache
  // with the server's objects transformed alike. It must be idempotent, as
  // client-go requires.
  Simulation& UseTransform(TransformFunc transform);
  // The informer's queue, in place of the profile's (a queue of yours).
  Simulation& UseQueue(QueueFactory factory);
  // What a failing run's report says to do to replay it; default: under
  // bazel test, the test target with INFORMERSIM_SEED, else a description.
  Simulation& ReplayWith(std::function<std::string(uint64_t seed)> replay);
  // Anything else SimOptions holds, applied to every run after the flags.
  Simulation& Configure(std::function<void(SimOptions&)> configure);

  // The options a run of `seed` uses.
  absl::StatusOr<SimOptions> OptionsFor(uint64_t seed) const;
  // One run. Errors: options that do not parse or validate; everything the
  // informer or your code does wrong is in the result.
  absl::StatusOr<SimResult> Run(uint64_t seed) const;

 private:
  std::vector<std::string> flags_;
  std::optional<SimOptions> base_;
  std::vector<UserHandler> handlers_;
  std::vector<UserInvariant> invariants_;
  std::vector<std::pair<std::string, IndexFunc>> indexes_;
  QueueFactory queue_;
  TransformFunc transform_;
  std::function<std::string(uint64_t)> replay_;
  std::vector<std::function<void(SimOptions&)>> configure_;
};

// The replay instruction for `seed` in the current test, from Bazel's
// TEST_TARGET: "bazel test //pkg:target --test_env=INFORMERSIM_SEED=<seed>";
// outside bazel test, a sentence naming the seed.
std::string TestReplayLine(uint64_t seed);

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_HARNESS_H_
