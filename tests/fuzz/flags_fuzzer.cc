// Fuzz target: informer_sim's run flags, one per line. OptionsFromFlags
// returns an error or options that validate; those options, emitted as a
// scenario (--emit_scenario), must parse.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "sim/scenario.h"
#include "sim/sim_options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace informersim::sim;  // NOLINT
  if (size > 4096) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> flags = absl::StrSplit(text, '\n', absl::SkipEmpty());
  if (flags.size() > 64) return 0;
  absl::StatusOr<SimOptions> o = OptionsFromFlags(flags);
  if (!o.ok()) return 0;
  if (!ValidateOptions(*o).ok()) {
    std::fprintf(stderr, "flags_fuzzer: OptionsFromFlags accepted options that do not validate\n");
    std::abort();
  }
  (void)FaultKindsDrawn(*o);
  const std::string emitted = ScenarioText(*o, {});
  absl::StatusOr<ScenarioFile> file = ParseScenario(emitted, "emitted", "fuzz");
  if (!file.ok()) {
    std::fprintf(stderr, "flags_fuzzer: the emitted scenario does not parse: %s\n---\n%s\n",
                 std::string(file.status().message()).c_str(), emitted.c_str());
    std::abort();
  }
  return 0;
}
