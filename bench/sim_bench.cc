// The whole simulated pipeline: one iteration is one standard run of the
// embedded default scenario (1,000 objects, 100 writes per virtual second
// across 10 namespaces, two server instances one lagging, watch drops, a
// compaction and 410, rate faults, a slow and a late handler), in both
// profiles, with the checker on. Reported:
//   events_per_s     simulated API events (watch events, initial ones
//                    included) delivered per second of CPU time;
//   writes_per_s     server writes per second of CPU time;
//   steps_per_s      scheduler steps per second of CPU time;
//   virtual_per_wall virtual seconds simulated per wall second.
// The simulator is single-threaded, so CPU time is its wall time.
#include <chrono>
#include <cstdint>

#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"

namespace informersim {
namespace sim {
namespace {

void BM_StandardRun(benchmark::State& state, Profile profile) {
  absl::StatusOr<SimOptions> options = ScenarioOptions("default", 1);
  if (!options.ok()) {
    state.SkipWithError("no default scenario");
    return;
  }
  options->profile = profile;
  int64_t events = 0, writes = 0, steps = 0;
  double virtual_s = 0, wall_s = 0;
  // A fixed cycle of seeds, so the figures do not depend on how many
  // iterations the benchmark library chooses.
  constexpr uint64_t kSeeds = 8;
  uint64_t iteration = 0;
  for (auto _ : state) {
    options->seed = 1 + iteration++ % kSeeds;
    // Wall time only to report the virtual/wall ratio; nothing is asserted.
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<SimResult> r = RunSimulation(*options);
    wall_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!r.ok() || !r->passed) {
      state.SkipWithError("the standard run failed");
      return;
    }
    events += r->server.events_sent;
    writes += r->server.writes;
    steps += static_cast<int64_t>(r->scheduler_steps);
    virtual_s += absl::ToDoubleSeconds(r->virtual_time);
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["writes_per_s"] =
      benchmark::Counter(static_cast<double>(writes), benchmark::Counter::kIsRate);
  state.counters["steps_per_s"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.counters["virtual_per_wall"] = wall_s > 0 ? virtual_s / wall_s : 0;
}

BENCHMARK_CAPTURE(BM_StandardRun, classic, Profile::kClassic)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_StandardRun, current, Profile::kCurrent)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sim
}  // namespace informersim
