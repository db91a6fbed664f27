// SimOptions: everything that, with the seed, decides a simulation run:
// the informer's knobs, the server, the workload, the faults. Also the
// embedded scenarios, swarm mode and the informer_sim flag language, which
// live here so that the tool, the replay of a trace and the tests read
// options the same way.
//
// Flags (--name=value; booleans also as --name / --noname):
//   --seed=N              the run's seed (default 1)
//   --scenario=S          default | calm | a scenario file (sim/scenario.h):
//                         the base the other flags adjust
//   --profile=P           classic | current | interim
//   --duration=D          virtual length of the workload and fault phase
//   --objects=N           objects created before the informer starts
//   --spec_bytes=N        object spec sizes, uniform in [N/2, 3N/2]
//   --write_rate=R        workload writes per virtual second
//   --instances=N         API server instances (watch caches)
//   --max_lag=D           the lag of the slowest instance (others spread)
//   --fault_scale=X       multiplies every per-request/per-event fault rate
//   --rates_off=LIST      turns these rate faults off (comma-separated:
//                         list_too_many_requests, list_internal_error,
//                         watch_too_many_requests, connection_refused,
//                         continue_expired, watch_break, watch_error_event,
//                         watch_internal_error_event)
//   --faults=LIST         scripted faults, comma-separated AT:KIND[:ARG...]
//                         (see ParseScriptedFaults); "none" for none
//   --handlers=N          handlers registered before Run
//   --late_handlers=N     handlers added while events flow
//   --slow_handler=B      the last handler is slow and stalls
//   --resync=D            the informer's default resync period (0 = off)
//   --page_size=N         LIST page size (0 = the reflector's default)
//   --bookmarks=B         the server sends watch bookmarks
//   --watch_list=B        the server supports watch-list streams
//   --swarm=B             draw the knobs and fault probabilities from the seed
//   --world=W             with --swarm: the size class, small | medium | large
//                         (default: drawn, small 60%, medium 30%, large 10%)
//   --allow_time_travel=B report per-key RVs going back as findings only
//   --restart_time_travel_is_violation=B  a restarted informer's stale first
//                         list is a violation (default: a finding, as it is
//                         legal client-go behaviour)
// Durations use Go/absl syntax (90s, 1m30s, 500ms).
//
// Thread safety: plain values.
#ifndef INFORMERSIM_SIM_SIM_OPTIONS_H_
#define INFORMERSIM_SIM_SIM_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/controller.h"
#include "core/index.h"
#include "core/lister_watcher.h"
#include "core/profile.h"
#include "sim/api_server.h"
#include "sim/choice_stream.h"
#include "sim/user_code.h"
#include "sim/workload.h"

namespace informersim {
namespace sim {

enum class FaultKind {
  kBreakWatches,       // every open watch stream ends
  kCompact,            // history compacted to now: older RVs get 410
  kLagInstance,        // ARG instance, ARG lag: that watch cache falls behind
  kRefuseConnections,  // ARG duration: every request refused
  kFailRequests,       // ARG duration: every request answers 500
  kPauseConsumer,      // ARG duration: the informer's queue is not popped
  kStallHandler,       // ARG handler index, ARG duration: that handler stalls
  kAddHandler,         // a handler is added while events flow
  kRestartInformer,    // the informer is stopped and a new one started (a
                       // process restart); its handlers re-register
  kChurn,              // ARG duration: the workload deletes an object now and
                       // creates its name again that much later (new uid)
};
absl::string_view FaultKindName(FaultKind kind);

struct ScriptedFault {
  absl::Duration at;  // since the informer started
  FaultKind kind = FaultKind::kBreakWatches;
  int64_t target = 0;  // instance or handler index
  absl::Duration duration = absl::ZeroDuration();  // window, pause or lag
  // "KIND@list": armed at `at`, the fault fires when the informer next asks
  // for a whole state (a first LIST page or a watch-list), so it lands in
  // the middle of a relist, where timed faults rarely fall.
  bool on_list = false;
};
std::string DescribeFault(const ScriptedFault& fault);

// "10s:break,20s:compact,30s:lag:1:5s,40s:refuse:2s,45s:fail:1s,
//  50s:pause:3s,55s:stall:1:4s,60s:add,70s:restart" (kinds: break, compact,
// lag, refuse, fail, pause, stall, add, restart; any kind as KIND@list fires
// at the first relist after AT). Errors say which entry and why.
absl::StatusOr<std::vector<ScriptedFault>> ParseScriptedFaults(absl::string_view text);
std::string FormatScriptedFaults(const std::vector<ScriptedFault>& faults);

struct HandlerSpec {
  // In reports and traces; empty: "handler-<index>".
  std::string name;
  // nullopt: the informer's default resync period.
  std::optional<absl::Duration> resync_period;
  // Scheduler weight of the handler's listener (1 = normal; smaller is
  // slower).
  double speed = 1.0;
  // Zero: registered before Run; otherwise added at this time.
  absl::Duration added_at = absl::ZeroDuration();
  // The probability that the handler throws after handling a notification
  // (never for an initial-list add): a handler that panics.
  double crash_fraction = 0;
};

// A write at a given virtual time (scenario files), through the same
// writer as the workload's.
struct ScriptedWrite {
  enum class Op { kCreate, kUpdate, kDelete };
  absl::Duration at;  // since the informer started
  Op op = Op::kCreate;
  std::string namespace_name;  // "" for a cluster-scoped object
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // create, update
  std::string spec;                                         // create, update
};

// What a run must show besides passing every invariant (scenario files);
// each unmet one is an "EXPECT" violation naming it.
struct Expectations {
  // Non-empty: the run must violate these invariants and no others; it then
  // passes (its violations are reported as expected).
  std::vector<std::string> fails_with;
  std::optional<bool> relist;  // a relist happens / never happens
  std::optional<int64_t> min_lists, max_lists;
  bool no_time_travel = false;  // not even allowed findings
  std::optional<absl::Duration> converges_within;
  std::vector<std::pair<std::string, std::string>> tombstones;  // (handler, key)
  std::optional<int64_t> min_index_crashes, min_restarts, min_handler_crashes;
  std::vector<std::pair<std::string, int64_t>> faults_taken;  // (fault kind, at least)
  bool empty() const {
    return fails_with.empty() && !relist && !min_lists && !max_lists && !no_time_travel &&
           !converges_within && tombstones.empty() && !min_index_crashes && !min_restarts &&
           !min_handler_crashes && faults_taken.empty();
  }
};

// The size class a swarm seed drew (kNone outside swarm mode).
enum class SwarmWorld { kNone, kSmall, kMedium, kLarge };
absl::string_view SwarmWorldName(SwarmWorld world);

// Where a run is, for a progress line (SimOptions::progress).
struct RunProgress {
  std::string phase;               // setup, faults, liveness, check, shutdown
  absl::Duration virtual_time;     // since the informer's start (negative in setup)
  absl::Duration fault_phase;      // the fault phase's length (--duration)
  uint64_t steps = 0;              // scheduler steps so far
};

struct SimOptions {
  uint64_t seed = 1;
  std::string scenario = "default";
  Profile profile = Profile::kCurrent;
  // The workload and fault phase; then faults stop and the liveness phase
  // gives the informer `liveness_timeout` to converge, spending at most
  // `liveness_max_lists` lists (LIST requests without a continue token:
  // pages of one list count once) and `liveness_max_watches` WATCH requests.
  absl::Duration duration = absl::Seconds(120);
  absl::Duration liveness_timeout = absl::Seconds(120);
  int64_t liveness_max_lists = 20;
  int64_t liveness_max_watches = 20;
  // During the fault phase, the full quiescent checks also run whenever the
  // informer is caught up and idle, at most this often (virtual time); zero
  // turns them off.
  absl::Duration quiescent_check_interval = absl::Seconds(10);
  // Tests only: whether each of those quiescent points lets the checker
  // forget the graves of keys deleted before anything the server can still
  // serve (Checker::RetireGraves), which bounds them by the history window;
  // off, every deleted key's grave stays for the run. Never changes a
  // passing run's trace.
  bool retire_graves = true;
  // Tests only: CheckerOptions::bury_slack when set (small: deleted keys
  // become graves from the first sweeps, as in a long run).
  std::optional<size_t> bury_slack;

  WorkloadOptions workload;
  ApiServerOptions server;
  ServerFaultRates fault_rates;
  std::vector<ScriptedFault> faults;

  // Informer knobs.
  absl::Duration resync_period = absl::ZeroDuration();
  // The reflector's MaxInternalErrorRetryDuration (client-go informers: 0).
  absl::Duration max_internal_error_retry_duration = absl::ZeroDuration();
  int64_t page_size = 0;
  size_t batch_size = 1000;
  // The informer's label selector (metav1.ListOptions.LabelSelector, put
  // on every request as a filtered informer factory does); "" selects
  // everything. The checker compares the cache with the server's objects
  // that it selects.
  std::string label_selector;
  // The informer's field selector (metav1.ListOptions.FieldSelector, on
  // "metadata.name" and "metadata.namespace"; sim/selection.h), likewise on
  // every request; "" selects everything.
  std::string field_selector;
  std::vector<HandlerSpec> handlers = {HandlerSpec{}, HandlerSpec{}};
  // The informer's index functions, by name: "namespace", "app" (the app
  // label), "tags" (the multi-valued tags label).
  std::vector<std::string> indexes = {"namespace", "app", "tags"};
  std::vector<ScriptedWrite> writes;
  Expectations expect;
  bool allow_time_travel = false;
  bool restart_time_travel_is_violation = false;
  bool swarm = false;
  SwarmWorld swarm_world = SwarmWorld::kNone;

  // Run control (not part of what a seed decides).
  bool keep_trace = false;
  uint64_t max_steps = 50000000;
  // Called at each phase and every 65,536 scheduler steps (for a long run's
  // progress line); it must not touch the simulation. Null: none.
  std::function<void(const RunProgress&)> progress;
  // Tests only: the informer's queue maker (a deliberately broken queue).
  QueueFactory queue_factory;
  // Tests only: a layer between the informer's reflector and the (observed)
  // server, which sees the requests as this layer passes them on: a
  // deliberately broken client. Null: none.
  std::function<std::unique_ptr<ListerWatcher>(ListerWatcher* server)> client_layer;
  // Tests only: a layer between the observed server and the fake server,
  // whose answers the checker sees as the server's: a deliberately broken
  // server (INV14). Null: none.
  std::function<std::unique_ptr<ListerWatcher>(ListerWatcher* server)> server_layer;

  // Code-set parts (sim/harness.h): the user's own handlers and invariants
  // (sim/user_code.h). Flags and scenario files cannot state them, so a run
  // they shaped is replayed by re-running the code: `replay` says how (for
  // example a bazel test command with the seed), and reports print it in
  // place of an informer_sim command, which would run another world.
  std::vector<UserHandler> user_handlers;
  std::vector<UserInvariant> invariants;
  // Index functions of the user's, by index name, beside `indexes`. The
  // checker's INV8 recomputes them at quiescent points; one that fails
  // crashes the informer, as a panic in client-go's store would (see
  // WorkloadOptions::refused_tag_fraction for the built-in case).
  std::vector<std::pair<std::string, IndexFunc>> user_indexes;
  // The user's transform (client-go SetTransform): the informer stores and
  // delivers transformed objects, and the checker compares its cache with
  // the server's objects transformed alike. Null: none.
  TransformFunc transform;
  std::string replay;
};

// Whether code-set parts (a queue, a layer, user handlers or invariants)
// shape runs of these options.
bool HasCodeSetParts(const SimOptions& options);

// Whether a run of `options` is within the limits of sim/limits.h (its
// size: objects, writes, what the server holds; the spec size bound is
// Workload::Validate's); part of ValidateOptions.
absl::Status CheckRunSize(const SimOptions& options);
absl::Status ValidateOptions(const SimOptions& options);

// The rate faults that are on, by their --rates_off names.
std::vector<std::string> NonZeroRates(const ServerFaultRates& rates);

// The kinds of fault these options can make happen, sorted, named as the
// trace's FAULT steps (and so the coverage table) name them: each scripted
// kind ("add" also for late handlers), each rate fault that is on (both
// 429 rates are "too_many_requests", the LIST 500 rate "internal_error"),
// what refuse and fail windows show ("connection_refused",
// "internal_error"), "compaction" (periodic or scripted) and "index_crash"
// (refused tags). A kind drawn but never seen in the trace is a fault that
// the world never let take effect.
std::vector<std::string> FaultKindsDrawn(const SimOptions& options);

// The options of a scenario (an embedded name or a file, sim/scenario.h)
// with `seed`, its first profile. The embedded ones are
// scenarios/default.scenario (a realistic workload against two instances,
// one lagging, with the common faults and a restart) and
// scenarios/calm.scenario (the same workload, no faults).
absl::StatusOr<SimOptions> ScenarioOptions(absl::string_view name, uint64_t seed);

// Swarm mode: `base` with knobs and fault probabilities drawn from the seed
// (the world's size class: small 60%, medium 30%, large 10%, with its object
// count, namespaces, label and tag values, write rate, recreate and
// short-lived fractions and duration; profile, resync periods, page size,
// bookmarks, watch-list, instances and lags, history window and compaction,
// handler count and speeds, late handlers, fault rates, scripted faults,
// and for a fifth of the seeds a label selector on the "app" label, drawn
// from a stream of its own). Each seed explores its own corner.
// `keep_duration`: the base's duration stands (the user set it) and the
// faults are drawn within it.
// `world`, unless kNone, forces the size class (the draws stay the same).
SimOptions DrawSwarm(const SimOptions& base, uint64_t seed, bool keep_duration = false,
                     SwarmWorld world = SwarmWorld::kNone);

// The swarm's world drawn from a fuzzer's choices instead of the seed (the
// world fuzzer, tests/fuzz/world_fuzzer.cc): every knob the swarm draws is
// the fuzzer's; `seed` still drives the run itself (workload, rate faults,
// scheduler). Exhausted choices give the simplest world. The label
// selector, in the swarm's shapes, is the last choice.
SimOptions DrawWorldFromChoices(ChoiceStream& choices, const SimOptions& base, uint64_t seed,
                                SwarmWorld world);

// Applies informer_sim flags (already split, without argv[0]) over a base
// chosen by --scenario and --seed. Unknown flags and bad values are
// InvalidArgument errors naming the flag.
absl::StatusOr<SimOptions> OptionsFromFlags(const std::vector<std::string>& flags);
// The flags of `flags` that decide a run, with --seed set to `seed`
// (what a trace header stores and a replay command shows).
std::vector<std::string> RunFlags(const std::vector<std::string>& flags, uint64_t seed);
// Splits "--name=value", "--name" (a boolean: "true") and "--noname"
// ("false"); an argument that is not a flag is an error.
absl::StatusOr<std::pair<std::string, std::string>> SplitFlag(absl::string_view arg);
// True for the flags that only control the tool (--trace_out, --replay,
// --check_determinism, --seeds, --help, ...), not the run.
bool IsToolFlag(absl::string_view flag);

}  // namespace sim
}  // namespace informersim

#endif  // INFORMERSIM_SIM_SIM_OPTIONS_H_
