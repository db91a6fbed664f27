// Timeline: a trace as Chrome trace-event JSON, which Perfetto's UI
// (ui.perfetto.dev, "Open trace file") and chrome://tracing open.
//
// Layout: one process, the run; one track (thread) per component, in order
// of first appearance within these groups: "phases" (the run's phases as
// spans), each server instance (requests, responses and watch events), the
// scheduler strands (reflector, informer, processor listeners, workload,
// apiserver-N, ...: each TASK step), "writes" (the server's commits),
// each handler (its notifications), "faults injected" and "violations". Every step is
// a slice of 1 ns at its virtual time (steps at the same virtual
// microsecond are laid one after another within it, in trace order), named
// by its kind and carrying its index, actor and detail as arguments; faults
// and violations are also global instants, drawn across every track. Flows
// (arrows) lead from each server write to every notification of that
// resourceVersion, through the watch events that carried it.
//
// Times are virtual: 1 s of the run is 1 s on the timeline.
//
// Thread safety: a pure function.
#ifndef INFORMERSIM_SIM_TIMELINE_H_
#define INFORMERSIM_SIM_TIMELINE_H_

#include <string>

#include "absl/status/status.h"
#include "sim/trace.pb.h"

namespace informersim {
namespace sim {

// The trace's steps as Chrome trace-event JSON (the object form, with
// "traceEvents" and "displayTimeUnit").
std::string TimelineJson(const Trace& trace);

// Writes TimelineJson(trace) to `path`; errors name the path.
absl::Status WriteTimelineFile(const Trace& trace, const std::string& path);

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_TIMELINE_H_
