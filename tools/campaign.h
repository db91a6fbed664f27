// Campaign: runs many seeds of the simulation, in several worker processes,
// and reports them in seed order.
//
// Each seed is one independent RunSimulation (its own World, server and
// informer; runs share nothing), so seeds run in `jobs` forked worker
// processes (one job without a progress line: in this process) while the
// output stays deterministic: outcomes are printed in seed order as the
// seed-ordered prefix of finished runs grows. A seed whose worker dies
// before reporting (a crash in user code, say) is that seed's error; a
// new worker takes the dead one's place. Seeds are handed out in order;
// a campaign stops starting new ones when
//   - `seeds` have been started (0: no count limit),
//   - `time_budget` of wall time has passed (zero: none),
//   - `max_failures` failing seeds are known at or below a seed index (then
//     no seed above the max_failures-th lowest failing seed is started or
//     reported: the failures reported are the lowest failing seeds, whatever
//     `jobs` is),
//   - or Interrupt() was called (SIGINT/SIGTERM in informer_sim).
// Runs already started always finish and are reported.
//
// Output: a line per failing seed (seed, invariants with counts, the replay
// command), the full reports with `verbose`, a progress line on a terminal,
// then the statistics: the coverage table (seeds in which each fault kind
// met each informer state), fault kinds drawn vs taking effect (seeds),
// relists and time-travel findings, failing seeds by invariant; with
// `shrink_failures` the lowest failing seed shrunk (tools/shrink.h); and a
// last line "N passed, M failed" naming the failing seeds (the first 20 and
// a count). With `json_path`, one JSON object per seed and a summary
// (schema in docs/SIMULATOR.md, "Campaigns and coverage").
//
// Wall time and processes live here, in tools/, never under the simulator:
// a seed's run is decided by its seed and flags alone.
//
// Thread safety: Run is called once per Campaign, from a process's only
// thread (it forks); Interrupt may be called from a signal handler.
#ifndef INFORMERSIM_TOOLS_CAMPAIGN_H_
#define INFORMERSIM_TOOLS_CAMPAIGN_H_

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/shrink.h"

namespace informersim {
namespace tools {

struct CampaignOptions {
  // The user's flags (run and tool flags, without argv[0]); each seed's run
  // reads them with --seed=<seed> appended.
  std::vector<std::string> args;
  uint64_t first_seed = 1;
  int64_t seeds = 0;                                  // 0: until another limit
  absl::Duration time_budget = absl::ZeroDuration();  // zero: none
  int jobs = 1;
  int64_t max_failures = 0;  // 0: no limit
  bool verbose = false;      // full reports of failing seeds, a line per seed
  bool progress = false;     // a progress line on stderr (a terminal)
  // Zero: none. Otherwise seeds run in worker processes (whatever `jobs`)
  // and a seed still running after this much wall time has its worker
  // killed and is that seed's error, with its replay command: a run that
  // never returns (an endless loop in a user's handler, say) cannot hold
  // the campaign up.
  absl::Duration seed_timeout = absl::ZeroDuration();
  std::string json_path;     // "" : no JSON
  // "": none. Otherwise each failing seed is written there as soon as it
  // is known, as DIR/seed-<N>/ with replay.txt (the command), summary.txt
  // (what the seed drew and what happened), report.txt (the violations),
  // run.trace (re-run with the trace kept; it replays byte for byte) and
  // seed.scenario (the seed's world as a scenario file). Each
  // file is written to a temporary name and renamed, and the directory
  // appears only when complete.
  std::string failures_dir;
  // At the end (unless interrupted), shrink the lowest failing seed within
  // `shrink_limits` (an interrupt also stops the shrink); with failures_dir
  // the result is kept as DIR/seed-<N>/shrunk.txt and shrunk.scenario.
  bool shrink_failures = false;
  ShrinkLimits shrink_limits;
};

// What one seed's run came to.
struct SeedOutcome {
  uint64_t seed = 0;
  bool error = false;  // the options or the run were invalid
  std::string error_message;
  bool passed = false;
  std::map<std::string, int64_t> violations_by_invariant;
  int64_t violations = 0;
  std::string first_violation;  // one line
  std::string report;           // the checker's report (failing seeds)
  std::string replay;           // the replay command
  std::string failure_files;    // where --failures_dir kept it, or why not
  std::string profile;
  std::string world;  // the swarm's size class, or "none"
  std::string label_selector;  // the informer's ("" for none)
  std::string field_selector;  // the informer's ("" for none)
  int64_t initial_objects = 0;
  absl::Duration duration;
  int64_t scripted_faults = 0;
  int64_t time_travel_findings = 0;
  int64_t relists = 0;
  int64_t writes = 0;  // successful workload writes, preload included
  uint64_t trace_hash = 0;
  uint64_t trace_steps = 0;
  absl::Duration virtual_time;
  // fault -> informer states it met in this run (SimResult::fault_coverage).
  std::map<std::string, std::vector<std::string>> fault_states;
  // The fault kinds the seed's options can make happen (sim::FaultKindsDrawn).
  std::vector<std::string> faults_drawn;
  double wall_seconds = 0;      // this run's wall time
  double finished_at_s = 0;     // since the campaign started
};

struct CampaignSummary {
  int64_t passed = 0;
  int64_t failed = 0;  // failing runs and errors
  int64_t errors = 0;
  std::vector<uint64_t> failing_seeds;  // in seed order
  std::map<std::string, int64_t> violations_by_invariant;  // failing seeds per invariant
  // The lowest failing seed: how many seeds (in seed order) it took and the
  // wall time at which its run finished; -1 when nothing failed.
  int64_t seeds_to_first_failure = -1;
  double seconds_to_first_failure = -1;
  std::string first_failure_invariants;  // "INV5,INV1"
  // Seeds in which each fault took effect in each informer state: the
  // campaign's coverage of (fault kind x informer state); a zero is a
  // blind spot.
  std::map<std::string, std::map<std::string, int64_t>> fault_coverage;
  // Seeds per fault kind: drawn (possible in the seed's world) and taking
  // effect (seen at least once in its trace).
  std::map<std::string, int64_t> faults_drawn;
  std::map<std::string, int64_t> faults_took_effect;
  int64_t relists = 0;               // over every seed
  int64_t time_travel_findings = 0;  // allowed ones, over every seed
  // With shrink_failures: the seed shrunk (0: none) and the printed result,
  // or why there is none.
  uint64_t shrunk_seed = 0;
  std::string shrunk;
  double wall_seconds = 0;
  bool interrupted = false;
  bool budget_exhausted = false;
};

class Campaign {
 public:
  explicit Campaign(CampaignOptions options);

  // Runs the campaign, printing to `out`. Errors: the JSON file or the
  // failures directory cannot be written (checked before any seed runs; a
  // failure to write one seed's files later is reported on that seed's
  // line and the campaign goes on).
  absl::StatusOr<CampaignSummary> Run(std::FILE* out);

  // Stops starting seeds; safe from a signal handler.
  void Interrupt() { interrupted_.store(true, std::memory_order_relaxed); }

 private:
  // CampaignOptions::shrink_failures.
  void ShrinkFirstFailure(const CampaignOptions& opt, CampaignSummary& summary, std::FILE* out);

  CampaignOptions options_;
  std::atomic<bool> interrupted_{false};
};

// The JSON of one outcome (one line, no trailing newline).
std::string OutcomeJson(const SeedOutcome& outcome);

// Writes `content` to `path` through a temporary name and a rename, so a
// reader (or an interrupted campaign) never sees half a file.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view content);

}  // namespace tools
}  // namespace informersim

#endif  // INFORMERSIM_TOOLS_CAMPAIGN_H_
