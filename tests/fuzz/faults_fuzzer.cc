// Fuzz target: the --faults script language. Parsing returns an error or a
// script; a script formats to text that parses back to the same script.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/sim_options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace informersim::sim;  // NOLINT
  if (size > 16 * 1024) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<ScriptedFault>> faults = ParseScriptedFaults(text);
  if (!faults.ok()) return 0;
  const std::string formatted = FormatScriptedFaults(*faults);
  absl::StatusOr<std::vector<ScriptedFault>> again = ParseScriptedFaults(formatted);
  if (!again.ok() || FormatScriptedFaults(*again) != formatted) {
    std::fprintf(stderr, "faults_fuzzer: \"%s\" formats as \"%s\", which does not round-trip\n",
                 text.c_str(), formatted.c_str());
    std::abort();
  }
  return 0;
}
