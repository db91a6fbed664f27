// Simulation: one seeded run of the real core/ informer (Reflector, DeltaFIFO
// or RealFIFO, Indexer, SharedIndexInformer with recording handlers) against
// the fake API server in a World, with the workload and the faults, checked
// by the Checker.
//
// Phases (recorded as PHASE steps):
//   setup     the server is filled with the initial objects and runs until
//             every watch cache has caught up (the longest lag); then the
//             informer and its early handlers are made and Run. Fault and
//             handler times count from here.
//   faults    for `duration`: workload writes, scripted faults at their
//             times, rate faults, late handlers, scheduler perturbation; the
//             checker's per-notification and per-step safety checks run
//             throughout, and its quiescent checks whenever the informer is
//             caught up and idle (at most every quiescent_check_interval).
//   liveness  faults stop (rates, refusal and failure windows, lag changes:
//             FakeApiServer::EndFaults), as do perturbation and writes; the
//             informer must reach
//             quiescence (reflector synced to the server's last RV, nothing
//             runnable: queue drained, every listener idle) within
//             `liveness_timeout`, spending at most the LIST/WATCH budget.
//   check     the checker's quiescent checks (INV1, INV5, INV6, INV8, INV9).
//   shutdown  the informer is stopped and the world drained.
//
// Thread safety: a run is single-threaded; separate runs share nothing and
// may run in parallel.
#ifndef INFORMERSIM_SIM_SIMULATION_H_
#define INFORMERSIM_SIM_SIMULATION_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sim/api_server.h"
#include "sim/checker.h"
#include "sim/sim_options.h"
#include "sim/trace.pb.h"
#include "sim/workload.h"

namespace informersim {
namespace sim {

struct HandlerSummary {
  std::string name;
  bool late = false;
  double speed = 1.0;
  HandlerCounts counts;
};

struct SimResult {
  uint64_t seed = 0;
  bool passed = false;
  std::vector<Violation> violations;
  int64_t time_travel_findings = 0;
  int64_t restarts = 0;
  int64_t restart_time_travel_findings = 0;
  // Deleted keys the checker still keeps a grave for at the end
  // (Checker::buried_keys): bounded by the history window's deletes unless
  // SimOptions::retire_graves is off.
  size_t buried_keys = 0;
  // Liveness.
  bool converged = false;
  // Quiescent points of the fault phase at which the full checks ran.
  int64_t quiescent_points_checked = 0;
  absl::Duration convergence_time;  // from the end of the fault phase
  int64_t liveness_lists = 0;  // LIST requests without a continue token
  int64_t liveness_watches = 0;
  // What happened.
  uint64_t trace_hash = 0;
  uint64_t trace_steps = 0;
  uint64_t scheduler_steps = 0;
  absl::Duration virtual_time;
  ApiServerStats server;
  WorkloadStats workload;
  std::vector<std::string> injected;  // scripted faults, as carried out
  // Coverage: for each fault that took effect (the FAULT step's actor), the
  // informer's state at that moment, counted. States: "unsynced" (the first
  // list not delivered), "relisting" (a list or a watch-list's initial state
  // in flight), "consumer-paused", "handler-behind" (a listener has
  // notifications buffered), "watching" (none of those).
  std::map<std::string, std::map<std::string, int64_t>> fault_coverage;
  std::vector<HandlerSummary> handlers;
  int64_t handler_crashes = 0;
  // Informer crashes on an object the tags index function refused
  // (WorkloadOptions::refused_tag_fraction); each one restarts the informer.
  int64_t index_crashes = 0;
  // First LIST pages and watch-lists the informers sent (restarts included).
  int64_t whole_state_requests = 0;
  // Expectations::fails_with met: the violations that made it pass.
  std::vector<Violation> expected_violations;
  size_t final_objects = 0;
  std::string last_sync_resource_version;
  // The checker's readable report (with the replay command).
  std::string report;
  // Kept only with options.keep_trace.
  Trace trace;
};

// Runs one simulation. `run_flags` (RunFlags) go into the trace header and
// the replay command. Errors: invalid options only; everything the informer
// does wrong is in the result.
absl::StatusOr<SimResult> RunSimulation(const SimOptions& options,
                                        const std::vector<std::string>& run_flags = {});

// The command that replays a run with these flags.
std::string ReplayCommand(const std::vector<std::string>& run_flags);

// A readable summary: what was injected, what the informer did, the verdict.
std::string FormatSummary(const SimOptions& options, const SimResult& result);

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_SIMULATION_H_
