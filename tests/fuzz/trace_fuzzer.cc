// Fuzz target: trace files (--replay, --dump). Parsing and validation return
// an error or a trace; a valid trace describes step by step (--dump) and
// converts to a timeline (--timeline) without failing.
#include <cstdint>
#include <string>

#include "sim/timeline.h"
#include "sim/tracer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace informersim::sim;  // NOLINT
  if (size > 1 << 20) return 0;
  absl::StatusOr<Trace> trace =
      ParseTrace(absl::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (!trace.ok()) return 0;
  size_t total = 0;
  for (const TraceStep& step : trace->steps()) total += DescribeStep(step).size();
  total += TimelineJson(*trace).size();
  return total > 0 ? 0 : 0;
}
