// Fuzz target: scenario files. Whatever the bytes, parsing returns an error
// or a file; a file whose world validates, emitted as a scenario again
// (--emit_scenario), must parse, and emitting that must give the same text.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/scenario.h"
#include "sim/sim_options.h"

namespace {

void Fail(const char* what, const std::string& text) {
  std::fprintf(stderr, "scenario_fuzzer: %s\n---\n%s\n---\n", what, text.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace informersim::sim;  // NOLINT
  if (size > 64 * 1024) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ScenarioFile> file = ParseScenario(text, "fuzz", "fuzz");
  if (!file.ok()) return 0;
  const SimOptions world = ScenarioBase(*file, ScenarioSeed(*file));
  if (!ValidateOptions(world).ok()) return 0;
  const std::string emitted = ScenarioText(world, {});
  absl::StatusOr<ScenarioFile> again = ParseScenario(emitted, "emitted", "fuzz");
  if (!again.ok()) Fail(std::string(again.status().message()).c_str(), emitted);
  const std::string twice = ScenarioText(ScenarioBase(*again, ScenarioSeed(*again)), {});
  if (twice != emitted) Fail("emitting the emitted scenario changed it", twice);
  return 0;
}
