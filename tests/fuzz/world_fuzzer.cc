// Fuzz target: whole worlds. The bytes choose a small world (world_input.h:
// every knob the swarm draws, and the seed of the run), the simulation runs
// it with every check on, and a violation aborts with the report and the
// scenario file that replays it. Coverage over core/ steers the fuzzer
// toward informer states that random draws reach rarely; tools/
// mutation_report.py --engine=fuzz compares it with the swarm.
//
// To replay a crash input:
//   bazel run //tests/fuzz:world_to_scenario -- CRASH_FILE $PWD/crash.scenario
//   bazel run //tools:informer_sim -- --scenario=$PWD/crash.scenario
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "sim/scenario.h"
#include "sim/simulation.h"
#include "tests/fuzz/world_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace informersim;  // NOLINT
  if (size > 4096) return 0;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<sim::SimOptions> world = fuzz::WorldFromInput(bytes);
  if (!world.ok()) {
    std::fprintf(stderr, "world_fuzzer: no world: %s\n",
                 std::string(world.status().message()).c_str());
    std::abort();
  }
  absl::StatusOr<sim::SimResult> result = sim::RunSimulation(*world);
  if (!result.ok()) {
    std::fprintf(stderr, "world_fuzzer: %s\n", std::string(result.status().message()).c_str());
    std::abort();
  }
  if (!result->passed) {
    std::fprintf(stderr, "world_fuzzer: VIOLATION\n%s\nthe world as a scenario file:\n%s\n",
                 result->report.c_str(),
                 sim::ScenarioText(*world, {"Found by the world fuzzer."}).c_str());
    std::abort();
  }
  return 0;
}
