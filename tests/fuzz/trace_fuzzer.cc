// Fuzz target: trace files (--replay, --dump). Parsing and validation return
// an error or a trace; a valid trace describes step by step (--dump) and
// converts to a timeline (--timeline) without failing.
//
// The first byte chooses what the rest is: even, a whole file (the frame and
// its checksum are fuzzed); odd, a payload that gets a valid frame, so the
// fuzzer reaches the protobuf and the checks behind the checksum.
#include <cstdint>
#include <string>

#include "google/protobuf/stubs/logging.h"
#include "sim/timeline.h"
#include "sim/tracer.h"

// protobuf logs every string field with invalid UTF-8 it refuses to parse;
// mutated traces hit that constantly, and the log lines cost more than the
// parse. The refusal itself is what is tested.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace informersim::sim;  // NOLINT
  if (size < 1 || size > 1 << 20) return 0;
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string bytes = (data[0] & 1) != 0 ? FrameTracePayload(rest) : std::string(rest);
  absl::StatusOr<Trace> trace = ParseTrace(bytes, "fuzz");
  if (!trace.ok()) return 0;
  size_t total = 0;
  for (const TraceStep& step : trace->steps()) total += DescribeStep(step).size();
  total += TimelineJson(*trace).size();
  return total > 0 ? 0 : 0;
}
