// informer_sim: runs the deterministic informer simulation.
//
//   informer_sim                         the embedded default scenario, seed 1
//   informer_sim --seed=7 --profile=classic --duration=5m
//   informer_sim --swarm --seeds=1000    a swarm campaign over seeds 1..1000
//   informer_sim --swarm --time_budget=60s --jobs=2 --max_failures=1
//   informer_sim --check_determinism     runs the seed twice, compares traces
//   informer_sim --trace_out=run.trace   writes the trace
//   informer_sim --replay=run.trace      re-runs a trace's flags, compares
//
// Exit codes: 0 the run(s) passed; 1 a violation, a determinism difference
// or a replay difference; 2 bad flags or bad input (a clear message on
// stderr). See sim/sim_options.h for every run flag.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "scenarios/embedded.h"
#include "sim/limits.h"
#include "sim/scenario.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"
#include "sim/timeline.h"
#include "sim/tracer.h"
#include "tools/campaign.h"
#include "tools/shrink.h"

namespace informersim {
namespace sim {
namespace {

constexpr char kUsage[] =
    "usage: informer_sim [--flag=value ...]\n"
    "\n"
    "Runs client-go's informer (C++ port) against a fault-injecting fake API\n"
    "server in virtual time and checks its cache against the server's truth.\n"
    "\n"
    "run flags:\n"
    "  --seed=N              seed of the run (default 1)\n"
    "  --scenario=NAME       default | calm\n"
    "  --profile=P           classic | current | interim (client-go 1.33-1.34)\n"
    "  --duration=D          workload and fault phase, virtual (e.g. 2m)\n"
    "  --objects=N           objects before the informer starts\n"
    "  --write_rate=R        writes per virtual second\n"
    "  --spec_bytes=N        object spec sizes, uniform in [N/2, 3N/2] bytes\n"
    "  --instances=N         API server instances; --max_lag=D their spread\n"
    "  --fault_scale=X       multiplies every fault rate (0 = none)\n"
    "  --rates_off=LIST      turns single rate faults off (see sim_options.h)\n"
    "  --refused_tags=F      fraction of drawn tags labels that the tags index\n"
    "                        function refuses (the informer crashes and restarts)\n"
    "  --faults=LIST         scripted faults AT:KIND[:ARG...], comma-separated;\n"
    "                        kinds break, compact, lag:I:D, refuse:D, fail:D,\n"
    "                        churn:D (delete now, recreate D later), KIND@list\n"
    "                        (fires at the first relist after AT),\n"
    "                        pause:D, stall:H:D, add, restart; 'none' for none\n"
    "  --handlers=N, --late_handlers=N, --slow_handler=B\n"
    "  --resync=D, --page_size=N, --bookmarks=B, --watch_list=B\n"
    "  --label_selector=S    the informer's label selector (e.g. 'app in (a0,a2)'),\n"
    "                        on every request; the truth is the selected objects\n"
    "  --field_selector=S    the informer's field selector on metadata.name and\n"
    "                        metadata.namespace (e.g. 'metadata.namespace!=ns-1')\n"
    "  --swarm               draw knobs and fault probabilities from the seed\n"
    "  --world=W             with --swarm, the size class: small | medium | large\n"
    "  --allow_time_travel   report RVs going back as findings, not violations\n"
    "  --restart_time_travel_is_violation  a restarted informer's stale first\n"
    "                        list fails the run (default: reported as a finding)\n"
    "tool flags:\n"
    "  --seeds=N             run seeds seed..seed+N-1; print failures and a total\n"
    "  --time_budget=D       run seeds from --seed on until D of wall time passed\n"
    "  --jobs=J              seeds run in J worker processes (default: the\n"
    "                        cores); output is in seed order whatever J is\n"
    "  --max_failures=N      stop once the N lowest failing seeds are known\n"
    "  --seed_timeout=D      a seed still running after D of wall time is killed\n"
    "                        and reported as that seed's error (default: none)\n"
    "  --json=PATH           a JSON line per seed and a summary line\n"
    "  --failures_dir=DIR    each failing seed kept as DIR/seed-N/ (replay.txt,\n"
    "                        summary.txt, report.txt, run.trace, seed.scenario)\n"
    "                        as soon as found\n"
    "  --verbose             a campaign prints every seed and full reports\n"
    "  --shrink              make a failing seed's run smaller while the same\n"
    "                        invariant fails; prints the smallest run's command\n"
    "  --shrink_runs=N       at most N simulations per shrink (default 400)\n"
    "  --shrink_time=D       at most D of wall time per shrink (default 5m)\n"
    "  --shrink_failures     a campaign shrinks its lowest failing seed at the\n"
    "                        end (kept as shrunk.txt with --failures_dir)\n"
    "  --all_runs            with --scenario=FILE: run every seed x profile the\n"
    "                        file lists (or --run_seeds=LIST); exit 1 if any fails\n"
    "  --describe_scenario   with --scenario=FILE: print its runs and catches as JSON\n"
    "  --emit_scenario=PATH  write the run (with --shrink: the smallest failing\n"
    "                        run) as a scenario file that replays it\n"
    "  --check_determinism   run each seed twice; fail on any trace difference\n"
    "  --trace_out=PATH      write the trace (one seed)\n"
    "  --replay=PATH         re-run the flags stored in a trace and compare\n"
    "  --dump=PATH           print a trace file's header and steps as text, without\n"
    "                        the bare scheduler TASK lines unless --dump_tasks;\n"
    "                        --dump_key=S (steps naming S), --dump_kind=K,K\n"
    "                        (WRITE, REQUEST, RESPONSE, WATCH_EVENT, FAULT, NOTIFY,\n"
    "                        PHASE, VIOLATION, TASK), --dump_from=D, --dump_to=D\n"
    "                        (virtual time since the informer started) filter\n"
    "  --timeline=PATH       write Chrome trace JSON for Perfetto's UI: of the run\n"
    "                        (one seed), or with --dump of that trace file\n"
    "  --quiet               one line per run\n"
    "  --progress            a progress line on stderr every 2s of a long run\n"
    "                        (default: when stderr is a terminal and not --quiet)\n"
    "exit: 0 pass, 1 violation or difference, 2 bad flags or input (including a\n"
    "      run beyond the limits below, refused before it starts)\n";

int UsageError(const std::string& message) {
  std::fprintf(stderr, "informer_sim: %s\nrun informer_sim --help for the flags\n",
               message.c_str());
  return 2;
}

struct ToolFlags {
  int64_t seeds = 1;
  bool seeds_given = false;
  absl::Duration time_budget = absl::ZeroDuration();
  int jobs = 0;  // 0: the cores available
  int64_t max_failures = 0;
  absl::Duration seed_timeout = absl::ZeroDuration();
  bool verbose = false;
  bool shrink = false;
  int64_t shrink_runs = 400;
  absl::Duration shrink_time = absl::Minutes(5);
  bool shrink_failures = false;
  std::string json;
  std::string failures_dir;
  bool check_determinism = false;
  bool quiet = false;
  // A progress line on stderr every few seconds of a long single run; by
  // default when stderr is a terminal.
  bool progress = false;
  bool progress_given = false;
  bool help = false;
  std::string trace_out;
  std::string timeline;
  std::string emit_scenario;
  // --dump filters.
  std::string dump_key;
  std::set<std::string> dump_kinds;  // empty: every kind
  std::optional<absl::Duration> dump_from, dump_to;
  bool dump_tasks = false;
  bool all_runs = false;
  bool describe_scenario = false;
  std::vector<uint64_t> run_seeds;  // --run_seeds: instead of the file's seeds
  std::string replay;
  std::string dump;
};

absl::StatusOr<ToolFlags> ParseToolFlags(const std::vector<std::string>& args) {
  ToolFlags t;
  for (const std::string& arg : args) {
    if (!IsToolFlag(arg)) continue;
    absl::StatusOr<std::pair<std::string, std::string>> flag = SplitFlag(arg);
    if (!flag.ok()) return flag.status();
    const auto& [name, value] = *flag;
    const bool on = value != "false" && value != "0";
    if (name == "seeds") {
      if (!absl::SimpleAtoi(value, &t.seeds) || t.seeds < 1) {
        return absl::InvalidArgumentError(absl::StrCat("--seeds: \"", value,
                                                       "\" is not a positive integer"));
      }
      t.seeds_given = true;
    } else if (name == "time_budget") {
      if (!absl::ParseDuration(value, &t.time_budget) || t.time_budget <= absl::ZeroDuration() ||
          t.time_budget == absl::InfiniteDuration()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--time_budget: \"", value, "\" is not a positive duration (like 60s, 10m)"));
      }
    } else if (name == "jobs") {
      if (!absl::SimpleAtoi(value, &t.jobs) || t.jobs < 1 || t.jobs > sim::kMaxJobs) {
        return absl::InvalidArgumentError(absl::StrCat("--jobs: \"", value,
                                                       "\" is not an integer in [1, ",
                                                       sim::kMaxJobs, "]"));
      }
    } else if (name == "seed_timeout") {
      if (!absl::ParseDuration(value, &t.seed_timeout) ||
          t.seed_timeout <= absl::ZeroDuration() ||
          t.seed_timeout == absl::InfiniteDuration()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--seed_timeout: \"", value, "\" is not a positive duration (like 30s, 5m)"));
      }
    } else if (name == "max_failures") {
      if (!absl::SimpleAtoi(value, &t.max_failures) || t.max_failures < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--max_failures: \"", value, "\" is not a non-negative integer (0: no limit)"));
      }
    } else if (name == "json") {
      if (value.empty()) return absl::InvalidArgumentError("--json needs a path");
      t.json = value;
    } else if (name == "failures_dir") {
      if (value.empty()) return absl::InvalidArgumentError("--failures_dir needs a path");
      t.failures_dir = value;
    } else if (name == "verbose") {
      t.verbose = on;
    } else if (name == "shrink") {
      t.shrink = on;
    } else if (name == "shrink_runs") {
      if (!absl::SimpleAtoi(value, &t.shrink_runs) || t.shrink_runs < 1 || t.shrink_runs > 1000000) {
        return absl::InvalidArgumentError(
            absl::StrCat("--shrink_runs: \"", value, "\" is not an integer in [1, 1000000]"));
      }
    } else if (name == "shrink_time") {
      if (!absl::ParseDuration(value, &t.shrink_time) || t.shrink_time <= absl::ZeroDuration() ||
          t.shrink_time == absl::InfiniteDuration()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--shrink_time: \"", value, "\" is not a positive duration (like 60s, 10m)"));
      }
    } else if (name == "shrink_failures") {
      t.shrink_failures = on;
    } else if (name == "all_runs") {
      t.all_runs = on;
    } else if (name == "describe_scenario") {
      t.describe_scenario = on;
    } else if (name == "run_seeds") {
      for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        uint64_t seed = 0;
        if (!absl::SimpleAtoi(part, &seed)) {
          return absl::InvalidArgumentError(
              absl::StrCat("--run_seeds: \"", part, "\" is not an unsigned integer"));
        }
        t.run_seeds.push_back(seed);
      }
      if (t.run_seeds.empty()) return absl::InvalidArgumentError("--run_seeds needs seeds");
    } else if (name == "emit_scenario") {
      if (value.empty()) return absl::InvalidArgumentError("--emit_scenario needs a path");
      t.emit_scenario = value;
    } else if (name == "trace_out" || name == "replay" || name == "dump") {
      if (value.empty()) return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a path"));
      (name == "trace_out" ? t.trace_out : name == "replay" ? t.replay : t.dump) = value;
    } else if (name == "timeline") {
      if (value.empty()) return absl::InvalidArgumentError("--timeline needs a path");
      t.timeline = value;
    } else if (name == "dump_key") {
      t.dump_key = value;
    } else if (name == "dump_kind") {
      for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        StepKind kind;
        const std::string upper = absl::AsciiStrToUpper(part);
        if (!StepKind_Parse(upper, &kind) || kind == STEP_KIND_UNSPECIFIED) {
          return absl::InvalidArgumentError(absl::StrCat(
              "--dump_kind: \"", part, "\" is not a step kind (WRITE, REQUEST, RESPONSE, "
              "WATCH_EVENT, FAULT, NOTIFY, PHASE, VIOLATION, TASK)"));
        }
        t.dump_kinds.insert(upper);
      }
    } else if (name == "dump_from" || name == "dump_to") {
      absl::Duration d;
      if (!absl::ParseDuration(value, &d) || d == absl::InfiniteDuration() ||
          d == -absl::InfiniteDuration()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, ": \"", value, "\" is not a duration (like 20s, -1s)"));
      }
      (name == "dump_from" ? t.dump_from : t.dump_to) = d;
    } else if (name == "dump_tasks") {
      t.dump_tasks = on;
    } else if (name == "progress") {
      t.progress = on;
      t.progress_given = true;
    } else if (name == "check_determinism") {
      t.check_determinism = on;
    } else if (name == "quiet") {
      t.quiet = on;
    } else if (name == "help") {
      t.help = on;
    }
  }
  return t;
}

// Runs one seed; prints its summary; returns the result.
// A progress line on stderr at most every two seconds of wall time (none for
// a run shorter than that).
std::function<void(const RunProgress&)> ProgressPrinter(uint64_t seed) {
  const absl::Time started = absl::Now();
  auto last = std::make_shared<absl::Time>(started);
  return [seed, started, last](const RunProgress& p) {
    const absl::Time now = absl::Now();
    if (now - *last < absl::Seconds(2)) return;
    *last = now;
    std::fprintf(stderr,
                 "informer_sim: seed %llu: %s, virtual %s of %s, %llu steps, %s wall\n",
                 static_cast<unsigned long long>(seed), p.phase.c_str(),
                 absl::FormatDuration(absl::Trunc(p.virtual_time, absl::Milliseconds(1))).c_str(),
                 absl::FormatDuration(p.fault_phase).c_str(),
                 static_cast<unsigned long long>(p.steps),
                 absl::FormatDuration(absl::Trunc(now - started, absl::Seconds(1))).c_str());
  };
}

absl::StatusOr<SimResult> RunOne(const SimOptions& options, const std::vector<std::string>& run_flags,
                                 bool quiet, bool progress = false) {
  SimOptions run = options;
  if (progress) run.progress = ProgressPrinter(options.seed);
  absl::StatusOr<SimResult> result = RunSimulation(run, run_flags);
  if (!result.ok()) return result;
  if (quiet) {
    std::printf("seed %llu: %s, trace hash %016llx, %llu steps\n",
                static_cast<unsigned long long>(result->seed), result->passed ? "PASS" : "FAIL",
                static_cast<unsigned long long>(result->trace_hash),
                static_cast<unsigned long long>(result->trace_steps));
    if (!result->passed) std::printf("%s", result->report.c_str());
  } else {
    std::printf("%s", FormatSummary(options, *result).c_str());
  }
  return result;
}

// The scenario file named by --scenario in `args`, for a tool flag (`what`)
// that needs one.
absl::StatusOr<ScenarioFile> ScenarioOfArgs(const std::vector<std::string>& args,
                                            absl::string_view what) {
  std::string scenario;
  for (const std::string& arg : args) {
    absl::StatusOr<std::pair<std::string, std::string>> flag = SplitFlag(arg);
    if (flag.ok() && flag->first == "scenario") scenario = flag->second;
  }
  if (scenario.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " needs --scenario=FILE"));
  }
  absl::StatusOr<ScenarioFile> file = LoadScenario(scenario);
  if (!file.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--scenario: ", file.status().message()));
  }
  return file;
}

// --all_runs: each (seed, profile) of the scenario file, one line each;
// a failing run prints its report and replay command.
int RunAll(const std::vector<std::string>& args, const ToolFlags& tool) {
  absl::StatusOr<ScenarioFile> file = ScenarioOfArgs(args, "--all_runs");
  if (!file.ok()) return UsageError(std::string(file.status().message()));
  std::vector<std::string> base;
  for (const std::string& arg : args) {
    absl::StatusOr<std::pair<std::string, std::string>> flag = SplitFlag(arg);
    if (!flag.ok() || IsToolFlag(arg) || flag->first == "seed" || flag->first == "profile") {
      continue;
    }
    base.push_back(arg);
  }
  std::vector<std::pair<uint64_t, Profile>> runs = ScenarioRuns(*file);
  if (!tool.run_seeds.empty()) {
    runs.clear();
    for (uint64_t seed : tool.run_seeds) {
      for (Profile p : ScenarioProfiles(*file)) runs.emplace_back(seed, p);
    }
  }
  int64_t passed = 0, failed = 0;
  for (const auto& [seed, profile] : runs) {
    std::vector<std::string> flags = base;
    flags.push_back(absl::StrCat("--profile=", absl::AsciiStrToLower(ProfileName(profile))));
    flags.push_back(absl::StrCat("--seed=", seed));
    absl::StatusOr<SimOptions> options = OptionsFromFlags(flags);
    if (!options.ok()) return UsageError(std::string(options.status().message()));
    const std::vector<std::string> run_flags = RunFlags(flags, seed);
    absl::StatusOr<SimResult> result = RunSimulation(*options, run_flags);
    if (!result.ok()) return UsageError(std::string(result.status().message()));
    std::printf("%s seed %llu %s: %s\n", file->name.c_str(), static_cast<unsigned long long>(seed),
                std::string(ProfileName(profile)).c_str(), result->passed ? "PASS" : "FAIL");
    if (!result->passed) std::printf("%s", result->report.c_str());
    (result->passed ? passed : failed) += 1;
  }
  std::printf("%lld passed, %lld failed\n", static_cast<long long>(passed),
              static_cast<long long>(failed));
  return failed == 0 ? 0 : 1;
}

// --describe_scenario: what tools/scenario_catches.py needs, as one JSON
// object: the file's name, its runs and its catches.
int DescribeScenario(const std::vector<std::string>& args) {
  absl::StatusOr<ScenarioFile> file = ScenarioOfArgs(args, "--describe_scenario");
  if (!file.ok()) return UsageError(std::string(file.status().message()));
  const auto profile_name = [](Profile p) {
    return absl::StrCat("\"", absl::AsciiStrToLower(ProfileName(p)), "\"");
  };
  std::vector<std::string> runs;
  for (const auto& [seed, profile] : ScenarioRuns(*file)) {
    runs.push_back(absl::StrCat("{\"seed\":", seed, ",\"profile\":", profile_name(profile), "}"));
  }
  std::vector<std::string> catches;
  for (const scenarios::Catches& c : file->proto.catches()) {
    std::vector<std::string> profiles;
    for (int p : c.profiles()) {
      profiles.push_back(profile_name(ProfileOf(static_cast<scenarios::Profile>(p))));
    }
    catches.push_back(absl::StrCat("{\"mutant\":\"", c.mutant(), "\",\"invariant\":\"",
                                   c.invariant(), "\",\"profiles\":[",
                                   absl::StrJoin(profiles, ","), "]}"));
  }
  std::printf("{\"name\":\"%s\",\"runs\":[%s],\"catches\":[%s]}\n", file->name.c_str(),
              absl::StrJoin(runs, ",").c_str(), absl::StrJoin(catches, ",").c_str());
  return 0;
}

int CheckDeterminism(SimOptions options, const std::vector<std::string>& run_flags) {
  options.keep_trace = true;
  absl::StatusOr<SimResult> first = RunSimulation(options, run_flags);
  absl::StatusOr<SimResult> second = RunSimulation(options, run_flags);
  if (!first.ok()) return UsageError(std::string(first.status().message()));
  if (!second.ok()) return UsageError(std::string(second.status().message()));
  if (first->trace_hash == second->trace_hash && first->trace_steps == second->trace_steps) {
    std::printf("determinism: seed %llu ran twice, identical traces (%llu steps, hash %016llx)\n",
                static_cast<unsigned long long>(options.seed),
                static_cast<unsigned long long>(first->trace_steps),
                static_cast<unsigned long long>(first->trace_hash));
    return 0;
  }
  const std::vector<TraceStep> a(first->trace.steps().begin(), first->trace.steps().end());
  const std::vector<TraceStep> b(second->trace.steps().begin(), second->trace.steps().end());
  std::printf("determinism: seed %llu is NOT deterministic: hashes %016llx and %016llx; first "
              "difference at %s\n",
              static_cast<unsigned long long>(options.seed),
              static_cast<unsigned long long>(first->trace_hash),
              static_cast<unsigned long long>(second->trace_hash), FirstDifference(a, b).c_str());
  return 1;
}

// Whether `text` names `key` as a whole word (ns-3/obj-1 is not
// ns-3/obj-12).
bool NamesKey(absl::string_view text, absl::string_view key) {
  auto part_of_key = [](char c) { return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '/'; };
  for (size_t at = text.find(key); at != absl::string_view::npos; at = text.find(key, at + 1)) {
    const bool starts = at == 0 || !part_of_key(text[at - 1]);
    const size_t end = at + key.size();
    const bool ends = end == text.size() || !part_of_key(text[end]);
    if (starts && ends) return true;
  }
  return false;
}

// Whether a step passes the --dump filters.
bool Shown(const TraceStep& step, const ToolFlags& tool) {
  const bool kinds_given = !tool.dump_kinds.empty();
  if (kinds_given && tool.dump_kinds.count(StepKind_Name(step.kind())) == 0) return false;
  // A TASK step only names the strand that ran: noise unless asked for.
  if (step.kind() == TASK && !tool.dump_tasks && !kinds_given) return false;
  const absl::Duration at = absl::Microseconds(step.time_us());
  if (tool.dump_from.has_value() && at < *tool.dump_from) return false;
  if (tool.dump_to.has_value() && at > *tool.dump_to) return false;
  if (!tool.dump_key.empty() && step.actor() != tool.dump_key &&
      !NamesKey(step.detail(), tool.dump_key)) {
    return false;
  }
  return true;
}

int Dump(const std::string& path, const ToolFlags& tool) {
  absl::StatusOr<Trace> trace = ReadTraceFile(path);
  if (!trace.ok()) return UsageError(std::string(trace.status().message()));
  if (!tool.timeline.empty()) {
    absl::Status written = WriteTimelineFile(*trace, tool.timeline);
    if (!written.ok()) return UsageError(std::string(written.message()));
    std::printf("timeline written to %s (open it in ui.perfetto.dev)\n", tool.timeline.c_str());
    return 0;
  }
  std::printf("trace %s: seed %llu, %llu steps, hash %016llx\nflags:",
              path.c_str(), static_cast<unsigned long long>(trace->header().seed()),
              static_cast<unsigned long long>(trace->step_count()),
              static_cast<unsigned long long>(trace->hash()));
  for (const std::string& f : trace->header().flags()) std::printf(" %s", f.c_str());
  std::printf("\n");
  int64_t hidden = 0;
  for (const TraceStep& step : trace->steps()) {
    if (Shown(step, tool)) {
      std::printf("%s\n", DescribeStep(step).c_str());
    } else {
      ++hidden;
    }
  }
  if (hidden > 0) {
    std::printf("(%lld of %d steps not shown%s)\n", static_cast<long long>(hidden),
                trace->steps_size(), tool.dump_tasks ? "" : "; --dump_tasks shows TASK steps");
  }
  return 0;
}

int Replay(const std::string& path, bool quiet) {
  absl::StatusOr<Trace> trace = ReadTraceFile(path);
  if (!trace.ok()) return UsageError(std::string(trace.status().message()));
  const std::vector<std::string> flags(trace->header().flags().begin(),
                                       trace->header().flags().end());
  absl::StatusOr<SimOptions> options = OptionsFromFlags(flags);
  if (!options.ok()) {
    return UsageError(absl::StrCat(path, ": the trace's flags are not valid here: ",
                                   options.status().message()));
  }
  options->keep_trace = true;
  absl::StatusOr<SimResult> result = RunOne(*options, flags, quiet);
  if (!result.ok()) return UsageError(std::string(result.status().message()));
  const std::vector<TraceStep> expected(trace->steps().begin(), trace->steps().end());
  const std::vector<TraceStep> actual(result->trace.steps().begin(), result->trace.steps().end());
  const std::string diff = FirstDifference(expected, actual);
  if (!diff.empty() || result->trace_hash != trace->hash()) {
    std::printf("replay of %s DIFFERS: %s\n", path.c_str(),
                diff.empty() ? "same steps, different hash" : diff.c_str());
    return 1;
  }
  std::printf("replay of %s: identical (%llu steps, hash %016llx)\n", path.c_str(),
              static_cast<unsigned long long>(result->trace_steps),
              static_cast<unsigned long long>(result->trace_hash));
  return result->passed ? 0 : 1;
}

tools::ShrinkLimits ShrinkLimitsOf(const ToolFlags& tool, const std::atomic<bool>* stop) {
  tools::ShrinkLimits limits;
  limits.max_runs = tool.shrink_runs;
  limits.max_time = tool.shrink_time;
  limits.stop = stop;
  return limits;
}

// --emit_scenario: the run of `flags` as a scenario file.
int EmitScenario(const std::vector<std::string>& flags, const std::string& path,
                 const std::string& outcome) {
  absl::StatusOr<SimOptions> options = OptionsFromFlags(flags);
  if (!options.ok()) return UsageError(std::string(options.status().message()));
  const std::string text = ScenarioText(
      *options, {"Written by informer_sim --emit_scenario; it runs the same world as:",
                 "  " + ReplayCommand(flags), outcome,
                 "As a regression test it expects the run to pass (edit `expect` to say more)."});
  absl::Status written = tools::WriteFileAtomically(path, text);
  if (!written.ok()) {
    std::fprintf(stderr, "informer_sim: %s\n", std::string(written.message()).c_str());
    return 2;
  }
  std::printf("scenario written to %s\n", path.c_str());
  return 0;
}

int RunShrink(const std::vector<std::string>& args, uint64_t seed,
              const tools::ShrinkLimits& limits, const std::string& emit) {
  const std::vector<std::string> flags = RunFlags(args, seed);
  absl::StatusOr<tools::ShrinkResult> r = tools::Shrink(
      flags, limits, [](const std::string& step) {
        std::fprintf(stderr, "shrink: %s\n", step.c_str());
      });
  if (!r.ok()) {
    if (absl::IsFailedPrecondition(r.status())) {
      std::printf("shrink: %s\n", std::string(r.status().message()).c_str());
      return 0;
    }
    return UsageError(std::string(r.status().message()));
  }
  std::printf("%s", tools::FormatShrinkResult(seed, *r).c_str());
  if (!emit.empty()) {
    const int rc = EmitScenario(r->flags, emit,
                                absl::StrCat("(the smallest run found failing ", r->invariant, ")"));
    if (rc != 0) return rc;
  }
  return 1;
}

std::atomic<tools::Campaign*> active_campaign{nullptr};
std::atomic<int> signals_seen{0};

// First SIGINT/SIGTERM: no new seeds, the summary is printed; a second one
// exits at once (what is written is written whole: the JSON by lines).
void OnSignal(int sig) {
  if (signals_seen.fetch_add(1) > 0) _exit(128 + sig);
  tools::Campaign* c = active_campaign.load();
  if (c != nullptr) c->Interrupt();
}

int RunCampaign(const std::vector<std::string>& args, uint64_t first_seed, const ToolFlags& tool) {
  tools::CampaignOptions co;
  for (const std::string& arg : args) {
    absl::StatusOr<std::pair<std::string, std::string>> flag = SplitFlag(arg);
    if (flag.ok() && flag->first == "seed") continue;
    co.args.push_back(arg);
  }
  co.first_seed = first_seed;
  co.seeds = tool.seeds_given ? tool.seeds : 0;  // Main checked the range
  co.time_budget = tool.time_budget;
  co.jobs = tool.jobs > 0 ? tool.jobs : std::max(1u, std::thread::hardware_concurrency());
  co.max_failures = tool.max_failures;
  co.seed_timeout = tool.seed_timeout;
  co.verbose = tool.verbose;
  co.progress = isatty(STDERR_FILENO) != 0;
  co.json_path = tool.json;
  co.failures_dir = tool.failures_dir;
  co.shrink_failures = tool.shrink_failures;
  co.shrink_limits = ShrinkLimitsOf(tool, nullptr);  // the campaign's stop flag is added
  tools::Campaign c(co);
  active_campaign.store(&c);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  absl::StatusOr<tools::CampaignSummary> summary = c.Run(stdout);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  active_campaign.store(nullptr);
  if (!summary.ok()) return UsageError(std::string(summary.status().message()));
  if (summary->interrupted) return 130;
  return summary->failed == 0 ? 0 : 1;
}

// `bazel run` starts the tool in its runfiles; relative paths the user gave
// mean the directory they ran it from.
std::string UserPath(const std::string& path) {
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
  if (path.empty() || path[0] == '/' || dir == nullptr || *dir == '\0') return path;
  return absl::StrCat(dir, "/", path);
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // A scenario file named relative to where the user ran `bazel run`.
  for (std::string& arg : args) {
    absl::StatusOr<std::pair<std::string, std::string>> flag = SplitFlag(arg);
    if (!flag.ok() || flag->first != "scenario" ||
        scenarios::EmbeddedScenario(flag->second).has_value()) {
      continue;
    }
    arg = absl::StrCat("--scenario=", UserPath(flag->second));
  }
  absl::StatusOr<ToolFlags> tool = ParseToolFlags(args);
  if (!tool.ok()) return UsageError(std::string(tool.status().message()));
  tool->trace_out = UserPath(tool->trace_out);
  tool->replay = UserPath(tool->replay);
  tool->dump = UserPath(tool->dump);
  tool->json = UserPath(tool->json);
  tool->failures_dir = UserPath(tool->failures_dir);
  tool->emit_scenario = UserPath(tool->emit_scenario);
  if (tool->help) {
    std::printf("%slimits:\n%s", kUsage, sim::LimitsHelp().c_str());
    return 0;
  }
  absl::StatusOr<SimOptions> options = OptionsFromFlags(args);
  if (!options.ok()) return UsageError(std::string(options.status().message()));
  tool->timeline = UserPath(tool->timeline);
  const bool dump_filters = !tool->dump_key.empty() || !tool->dump_kinds.empty() ||
                            tool->dump_from.has_value() || tool->dump_to.has_value() ||
                            tool->dump_tasks;
  if (dump_filters && tool->dump.empty()) return UsageError("--dump_* filters go with --dump");
  if (!tool->dump.empty()) return Dump(tool->dump, *tool);
  if (!tool->replay.empty()) {
    for (const std::string& arg : args) {
      if (!IsToolFlag(arg)) {
        return UsageError(absl::StrCat("--replay takes its run flags from the trace, not ", arg));
      }
    }
    if (!tool->timeline.empty()) {
      return UsageError("--timeline of a trace file goes with --dump, not --replay");
    }
    return Replay(tool->replay, tool->quiet);
  }
  int64_t passed = 0;
  int64_t failed = 0;
  const uint64_t first_seed = options->seed;
  if (first_seed > UINT64_MAX - static_cast<uint64_t>(tool->seeds - 1)) {
    return UsageError("--seed plus --seeds runs past the largest seed");
  }
  const bool campaign = tool->seeds > 1 || tool->time_budget > absl::ZeroDuration();
  if (!campaign && (tool->jobs > 0 || tool->max_failures > 0 || !tool->json.empty() ||
                    !tool->failures_dir.empty() || tool->shrink_failures ||
                    tool->seed_timeout > absl::ZeroDuration())) {
    return UsageError(
        "--jobs, --max_failures, --seed_timeout, --json, --failures_dir and --shrink_failures "
        "go with --seeds or --time_budget");
  }
  if (campaign && !tool->emit_scenario.empty()) {
    return UsageError(
        "--emit_scenario writes one run: a campaign keeps each failing seed's scenario with "
        "--failures_dir");
  }
  if (campaign && (!tool->trace_out.empty() || !tool->timeline.empty())) {
    return UsageError(
        "--trace_out and --timeline write one run: they cannot go with --seeds or --time_budget");
  }
  if (tool->describe_scenario) return DescribeScenario(args);
  if (tool->all_runs) {
    if (campaign || tool->shrink || !tool->trace_out.empty() || !tool->emit_scenario.empty() ||
        !tool->timeline.empty()) {
      return UsageError("--all_runs runs a scenario file's own runs: not with a campaign, "
                        "--shrink, --trace_out, --timeline or --emit_scenario");
    }
    return RunAll(args, *tool);
  }
  if (tool->shrink) {
    if (campaign) return UsageError("--shrink makes one failing seed smaller: not with a campaign");
    if (!tool->timeline.empty()) {
      return UsageError("--timeline with --shrink: write the shrunk run's trace with "
                        "--trace_out, then --dump=TRACE --timeline=PATH");
    }
    return RunShrink(args, first_seed, ShrinkLimitsOf(*tool, nullptr), tool->emit_scenario);
  }
  if (campaign && !tool->check_determinism) {
    return RunCampaign(args, first_seed, *tool);
  }
  // One run, or --check_determinism over --seeds (a campaign returned above).
  for (int64_t i = 0; i < tool->seeds; ++i) {
    const uint64_t seed = first_seed + static_cast<uint64_t>(i);
    std::vector<std::string> seed_args = args;
    seed_args.push_back(absl::StrCat("--seed=", seed));
    absl::StatusOr<SimOptions> seed_options =
        i == 0 ? options : OptionsFromFlags(seed_args);
    if (!seed_options.ok()) {
      // Keep going: a campaign never loses what it has found so far.
      std::printf("seed %llu: ERROR %s\n", static_cast<unsigned long long>(seed),
                  std::string(seed_options.status().message()).c_str());
      ++failed;
      continue;
    }
    const std::vector<std::string> run_flags = RunFlags(args, seed);
    if (tool->check_determinism) {
      const int rc = CheckDeterminism(*seed_options, run_flags);
      (rc == 0 ? passed : failed) += 1;
      continue;
    }
    seed_options->keep_trace = !tool->trace_out.empty() || !tool->timeline.empty();
    const bool progress = tool->progress_given ? tool->progress
                                               : (!tool->quiet && isatty(STDERR_FILENO) != 0);
    absl::StatusOr<SimResult> result = RunOne(*seed_options, run_flags, tool->quiet, progress);
    if (!result.ok()) return UsageError(std::string(result.status().message()));
    (result->passed ? passed : failed) += 1;
    if (!tool->emit_scenario.empty()) {
      std::string outcome = "(it passed)";
      if (!result->passed) {
        std::set<std::string> invariants;
        for (const Violation& v : result->violations) invariants.insert(v.invariant);
        outcome = absl::StrCat("(it failed: ", absl::StrJoin(invariants, ", "), ")");
      }
      const int rc = EmitScenario(run_flags, tool->emit_scenario, outcome);
      if (rc != 0) return rc;
    }
    if (!tool->trace_out.empty()) {
      absl::Status written = WriteTraceFile(result->trace, tool->trace_out);
      if (!written.ok()) {
        std::fprintf(stderr, "informer_sim: %s\n", std::string(written.message()).c_str());
        return 2;
      }
      std::printf("trace written to %s\n", tool->trace_out.c_str());
    }
    if (!tool->timeline.empty()) {
      absl::Status written = WriteTimelineFile(result->trace, tool->timeline);
      if (!written.ok()) {
        std::fprintf(stderr, "informer_sim: %s\n", std::string(written.message()).c_str());
        return 2;
      }
      std::printf("timeline written to %s (open it in ui.perfetto.dev)\n", tool->timeline.c_str());
    }
    std::fflush(stdout);
  }
  if (tool->check_determinism) {
    std::printf("%lld passed, %lld failed\n", static_cast<long long>(passed),
                static_cast<long long>(failed));
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace sim
}  // namespace informersim

int main(int argc, char** argv) { return informersim::sim::Main(argc, argv); }
