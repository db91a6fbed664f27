#include "sim/sim_options.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/labels.h"
#include "sim/choice_stream.h"
#include "sim/limits.h"
#include "sim/prng.h"
#include "sim/scenario.h"
#include "sim/selection.h"

namespace informersim {
namespace sim {
namespace {

struct FaultName {
  FaultKind kind;
  const char* name;
  int args;  // how many :ARG parts follow
};
constexpr FaultName kFaultNames[] = {
    {FaultKind::kBreakWatches, "break", 0},   {FaultKind::kCompact, "compact", 0},
    {FaultKind::kLagInstance, "lag", 2},      {FaultKind::kRefuseConnections, "refuse", 1},
    {FaultKind::kFailRequests, "fail", 1},    {FaultKind::kPauseConsumer, "pause", 1},
    {FaultKind::kStallHandler, "stall", 2},   {FaultKind::kAddHandler, "add", 0},
    {FaultKind::kRestartInformer, "restart", 0}, {FaultKind::kChurn, "churn", 1},
};

std::string Dur(absl::Duration d) { return absl::FormatDuration(d); }

// Drops the faults and late handlers that the options no longer fit: a
// scenario's or swarm's fault on an instance or handler the user's flags
// removed, or after a shortened fault phase. (Faults the user wrote are
// validated strictly instead.)
void FitToOptions(SimOptions& o, bool fit_faults) {
  std::vector<HandlerSpec> handlers;
  for (const HandlerSpec& h : o.handlers) {
    if (h.added_at < o.duration) handlers.push_back(h);
  }
  o.handlers = std::move(handlers);
  if (!fit_faults) return;
  std::vector<ScriptedFault> kept;
  for (const ScriptedFault& f : o.faults) {
    if (f.at >= o.duration) continue;
    if (f.kind == FaultKind::kLagInstance &&
        static_cast<size_t>(f.target) >= o.server.instance_lags.size()) {
      continue;
    }
    if (f.kind == FaultKind::kStallHandler && static_cast<size_t>(f.target) >= o.handlers.size()) {
      continue;
    }
    kept.push_back(f);
  }
  o.faults = std::move(kept);
}

absl::StatusOr<absl::Duration> ParseDurationValue(absl::string_view what, absl::string_view text) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d < absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": \"", text, "\" is not a duration (like 90s, 1m30s, 500ms)"));
  }
  return d;
}

absl::StatusOr<int64_t> ParseInt(absl::string_view what, absl::string_view text, int64_t lo,
                                 int64_t hi) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(text, &v) || v < lo || v > hi) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": \"", text,
                                                   "\" is not an integer in [", lo, ", ", hi, "]"));
  }
  return v;
}

absl::StatusOr<double> ParseDouble(absl::string_view what, absl::string_view text, double lo,
                                   double hi) {
  double v = 0;
  if (!absl::SimpleAtod(text, &v) || !(v >= lo && v <= hi)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": \"", text,
                                                   "\" is not a number in [", lo, ", ", hi, "]"));
  }
  return v;
}

absl::StatusOr<bool> ParseBool(absl::string_view what, absl::string_view text) {
  const std::string t = absl::AsciiStrToLower(text);
  if (t == "true" || t == "1" || t == "yes") return true;
  if (t == "false" || t == "0" || t == "no") return false;
  return absl::InvalidArgumentError(absl::StrCat(what, ": \"", text, "\" is not true or false"));
}

// Instances get lags spread evenly up to `max_lag` (instance 0 never lags).
void SetInstances(SimOptions& o, int64_t instances, absl::Duration max_lag) {
  o.server.instance_lags.assign(static_cast<size_t>(instances), absl::ZeroDuration());
  for (int64_t i = 1; i < instances; ++i) {
    o.server.instance_lags[static_cast<size_t>(i)] = max_lag * i / (instances - 1);
  }
}

absl::Duration MaxLag(const SimOptions& o) {
  absl::Duration m = absl::ZeroDuration();
  for (absl::Duration d : o.server.instance_lags) m = std::max(m, d);
  return m;
}

struct RateName {
  const char* name;
  double ServerFaultRates::*rate;
};
constexpr RateName kRateNames[] = {
    {"list_too_many_requests", &ServerFaultRates::list_too_many_requests},
    {"list_internal_error", &ServerFaultRates::list_internal_error},
    {"watch_too_many_requests", &ServerFaultRates::watch_too_many_requests},
    {"connection_refused", &ServerFaultRates::connection_refused},
    {"continue_expired", &ServerFaultRates::continue_expired},
    {"watch_break", &ServerFaultRates::watch_break},
    {"watch_error_event", &ServerFaultRates::watch_error_event},
    {"watch_internal_error_event", &ServerFaultRates::watch_internal_error_event},
};

void ScaleRates(ServerFaultRates& r, double k) {
  for (const RateName& n : kRateNames) r.*(n.rate) = std::min(1.0, r.*(n.rate) * k);
}

const char* const kRunFlags[] = {
    "seed",     "scenario",   "profile",       "duration",       "objects",
    "spec_bytes",
    "write_rate", "instances", "max_lag",      "fault_scale",    "faults",
    "handlers", "late_handlers", "slow_handler", "resync",        "page_size",
    "bookmarks", "watch_list", "swarm",         "allow_time_travel",
    "restart_time_travel_is_violation", "rates_off", "refused_tags", "world",
    "label_selector", "field_selector",
};
const char* const kToolFlags[] = {"trace_out", "replay",      "dump",         "check_determinism",
                                  "seeds",     "help",        "quiet",        "jobs",
                                  "time_budget", "max_failures", "seed_timeout", "verbose", "json",
                                  "failures_dir", "shrink",     "shrink_runs",
                                          "shrink_time", "shrink_failures", "emit_scenario",
                                  "all_runs", "run_seeds", "describe_scenario", "timeline",
                                  "dump_key", "dump_kind", "dump_from", "dump_to", "dump_tasks",
                                  "progress"};

bool IsBoolFlag(absl::string_view name) {
  return name == "slow_handler" || name == "bookmarks" || name == "watch_list" ||
         name == "swarm" || name == "allow_time_travel" || name == "check_determinism" ||
         name == "restart_time_travel_is_violation" ||
         name == "help" || name == "quiet" || name == "verbose" || name == "shrink" ||
         name == "shrink_failures" || name == "all_runs" || name == "describe_scenario" ||
         name == "dump_tasks" || name == "progress";
}

}  // namespace

absl::StatusOr<std::pair<std::string, std::string>> SplitFlag(absl::string_view arg) {
  if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg,
                                                   "\" (flags look like --name=value)"));
  }
  const size_t eq = arg.find('=');
  std::string name(arg.substr(0, eq));
  if (eq != absl::string_view::npos) return std::make_pair(name, std::string(arg.substr(eq + 1)));
  if (IsBoolFlag(name)) return std::make_pair(name, std::string("true"));
  if (name.size() > 2 && name.rfind("no", 0) == 0 && IsBoolFlag(name.substr(2))) {
    return std::make_pair(name.substr(2), std::string("false"));
  }
  return std::make_pair(name, std::string());
}

namespace {

bool Known(absl::string_view name) {
  for (const char* f : kRunFlags) {
    if (name == f) return true;
  }
  for (const char* f : kToolFlags) {
    if (name == f) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> NonZeroRates(const ServerFaultRates& rates) {
  std::vector<std::string> out;
  for (const RateName& r : kRateNames) {
    if (rates.*(r.rate) > 0) out.push_back(r.name);
  }
  return out;
}

std::vector<std::string> FaultKindsDrawn(const SimOptions& o) {
  std::set<std::string> kinds;
  for (const ScriptedFault& f : o.faults) {
    kinds.emplace(FaultKindName(f.kind));
    if (f.kind == FaultKind::kRefuseConnections) kinds.emplace("connection_refused");
    if (f.kind == FaultKind::kFailRequests) kinds.emplace("internal_error");
    if (f.kind == FaultKind::kCompact) kinds.emplace("compaction");
  }
  for (const HandlerSpec& h : o.handlers) {
    if (h.added_at > absl::ZeroDuration()) kinds.emplace("add");
  }
  const ServerFaultRates& r = o.fault_rates;
  if (r.list_too_many_requests > 0 || r.watch_too_many_requests > 0) {
    kinds.emplace("too_many_requests");
  }
  if (r.list_internal_error > 0) kinds.emplace("internal_error");
  if (r.connection_refused > 0) kinds.emplace("connection_refused");
  if (r.continue_expired > 0) kinds.emplace("continue_expired");
  if (r.watch_break > 0) kinds.emplace("watch_break");
  if (r.watch_error_event > 0) kinds.emplace("watch_error_event");
  if (r.watch_internal_error_event > 0) kinds.emplace("watch_internal_error");
  if (o.server.compaction_interval > absl::ZeroDuration()) kinds.emplace("compaction");
  if (o.workload.refused_tag_fraction > 0 && o.workload.tag_values > 0) {
    kinds.emplace("index_crash");
  }
  return std::vector<std::string>(kinds.begin(), kinds.end());
}

absl::string_view FaultKindName(FaultKind kind) {
  for (const FaultName& f : kFaultNames) {
    if (f.kind == kind) return f.name;
  }
  return "unknown";
}

std::string DescribeFault(const ScriptedFault& fault) {
  std::string out =
      absl::StrCat(Dur(fault.at), ":", FaultKindName(fault.kind), fault.on_list ? "@list" : "");
  switch (fault.kind) {
    case FaultKind::kLagInstance:
    case FaultKind::kStallHandler:
      absl::StrAppend(&out, ":", fault.target, ":", Dur(fault.duration));
      break;
    case FaultKind::kRefuseConnections:
    case FaultKind::kFailRequests:
    case FaultKind::kPauseConsumer:
    case FaultKind::kChurn:
      absl::StrAppend(&out, ":", Dur(fault.duration));
      break;
    default:
      break;
  }
  return out;
}

absl::StatusOr<std::vector<ScriptedFault>> ParseScriptedFaults(absl::string_view text) {
  std::vector<ScriptedFault> out;
  if (text.empty() || text == "none") return out;
  int index = 0;
  for (absl::string_view entry : absl::StrSplit(text, ',')) {
    ++index;
    const std::string where = absl::StrCat("fault ", index, " \"", entry, "\"");
    std::vector<absl::string_view> parts = absl::StrSplit(entry, ':');
    if (parts.size() < 2) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": expected AT:KIND[:ARG...]"));
    }
    ScriptedFault f;
    absl::StatusOr<absl::Duration> at = ParseDurationValue(where, parts[0]);
    if (!at.ok()) return at.status();
    f.at = *at;
    const FaultName* found = nullptr;
    absl::string_view kind = parts[1];
    f.on_list = absl::ConsumeSuffix(&kind, "@list");
    for (const FaultName& n : kFaultNames) {
      if (kind == n.name) found = &n;
    }
    if (found == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": unknown kind \"", parts[1],
          "\" (break, compact, lag, refuse, fail, pause, stall, add, restart, churn; each also as "
          "KIND@list)"));
    }
    f.kind = found->kind;
    if (static_cast<int>(parts.size()) != 2 + found->args) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", found->name, " takes ", found->args, " argument(s)"));
    }
    if (found->args == 2) {
      absl::StatusOr<int64_t> target = ParseInt(where, parts[2], 0, 1000);
      if (!target.ok()) return target.status();
      f.target = *target;
    }
    if (found->args >= 1) {
      absl::StatusOr<absl::Duration> d = ParseDurationValue(where, parts.back());
      if (!d.ok()) return d.status();
      f.duration = *d;
    }
    out.push_back(f);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ScriptedFault& a, const ScriptedFault& b) { return a.at < b.at; });
  return out;
}

std::string FormatScriptedFaults(const std::vector<ScriptedFault>& faults) {
  if (faults.empty()) return "none";
  std::vector<std::string> parts;
  for (const ScriptedFault& f : faults) parts.push_back(DescribeFault(f));
  return absl::StrJoin(parts, ",");
}

bool HasCodeSetParts(const SimOptions& o) {
  return o.queue_factory != nullptr || o.client_layer != nullptr || o.server_layer != nullptr ||
         !o.user_handlers.empty() || !o.invariants.empty() || !o.user_indexes.empty() ||
         o.transform != nullptr;
}

absl::Status CheckRunSize(const SimOptions& o) {
  const WorkloadOptions& w = o.workload;
  if (w.initial_objects > kMaxObjects) {
    return absl::InvalidArgumentError(
        absl::StrCat(w.initial_objects, " initial objects: more than the limit of ", kMaxObjects));
  }
  if (w.writes_per_second > kMaxWriteRate) {
    return absl::InvalidArgumentError(absl::StrCat("write rate ", w.writes_per_second,
                                                   "/s: more than the limit of ", kMaxWriteRate,
                                                   "/s"));
  }
  if (o.server.instance_lags.size() > static_cast<size_t>(kMaxInstances)) {
    return absl::InvalidArgumentError(absl::StrCat(o.server.instance_lags.size(),
                                                   " server instances: more than the limit of ",
                                                   kMaxInstances));
  }
  if (o.handlers.size() > static_cast<size_t>(2 * kMaxHandlers)) {
    return absl::InvalidArgumentError(absl::StrCat(o.handlers.size(),
                                                   " handlers: more than the limit of ",
                                                   2 * kMaxHandlers));
  }
  if (o.page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page size ", o.page_size,
                                                   ": more than the limit of ", kMaxPageSize));
  }
  // Sizes in doubles: the products of in-range values can pass 2^63.
  const double mean_spec = (static_cast<double>(w.min_spec_bytes) + w.max_spec_bytes) / 2;
  const double initial_bytes = static_cast<double>(w.initial_objects) * mean_spec;
  if (initial_bytes > kMaxInitialBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        w.initial_objects, " initial objects of ", mean_spec, " spec bytes on average: ",
        static_cast<int64_t>(initial_bytes / (1 << 20)), " MiB, more than the limit of ",
        kMaxInitialBytes >> 20, " MiB (fewer objects or smaller specs)"));
  }
  const double seconds = absl::ToDoubleSeconds(o.duration);
  const double writes = w.writes_per_second * seconds;
  if (writes > kMaxWrites) {
    return absl::InvalidArgumentError(absl::StrCat(
        "write rate ", w.writes_per_second, "/s for ", absl::FormatDuration(o.duration), " is ",
        static_cast<int64_t>(writes), " writes, more than the limit of ", kMaxWrites,
        " per run (a lower rate or a shorter duration)"));
  }
  // The server keeps every write until a compaction drops those older than
  // its history window.
  const double interval = absl::ToDoubleSeconds(o.server.compaction_interval);
  const double held =
      interval > 0 ? std::min(writes, w.writes_per_second * interval +
                                          static_cast<double>(o.server.history_window_events))
                   : writes;
  if (held > kMaxHeldWrites) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the server would hold ", static_cast<int64_t>(held),
        " writes before compacting them (write rate x compaction interval + history window): "
        "more than the limit of ",
        kMaxHeldWrites, " (a lower rate or more frequent compaction)"));
  }
  if (held * mean_spec > kMaxHeldBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the server would hold ", static_cast<int64_t>(held * mean_spec / (1 << 20)),
        " MiB of written specs before compacting them: more than the limit of ",
        kMaxHeldBytes >> 20, " MiB (smaller specs, a lower rate or more frequent compaction)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateOptions(const SimOptions& o) {
  std::set<std::string> user_names;
  for (const UserHandler& h : o.user_handlers) {
    if (h.name.empty()) return absl::InvalidArgumentError("a user handler needs a name");
    if (!user_names.insert(h.name).second) {
      return absl::InvalidArgumentError(absl::StrCat("two user handlers are named \"", h.name, "\""));
    }
    if (h.make == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("user handler \"", h.name, "\" has no make"));
    }
    if (h.speed <= 0 || h.added_at < absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("user handler \"", h.name, "\": speed must be positive, added_at >= 0"));
    }
  }
  for (const auto& [name, func] : o.user_indexes) {
    if (name.empty() || func == nullptr) {
      return absl::InvalidArgumentError("a user index needs a name and a function");
    }
    if (std::find(o.indexes.begin(), o.indexes.end(), name) != o.indexes.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("user index \"", name, "\" has the name of a built-in index"));
    }
  }
  std::set<std::string> invariant_names;
  for (const UserInvariant& inv : o.invariants) {
    if (inv.name.empty()) return absl::InvalidArgumentError("a user invariant needs a name");
    if (!invariant_names.insert(inv.name).second) {
      return absl::InvalidArgumentError(absl::StrCat("two user invariants are named \"", inv.name, "\""));
    }
    if (inv.check == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("user invariant \"", inv.name, "\" has no check"));
    }
  }
  if (o.duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("duration must be positive");
  }
  if (o.liveness_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("liveness_timeout must be positive");
  }
  if (o.server.instance_lags.empty()) {
    return absl::InvalidArgumentError("the server needs at least one instance");
  }
  if (o.server.min_latency < absl::ZeroDuration() ||
      o.server.min_latency > o.server.max_latency) {
    return absl::InvalidArgumentError("server latency: min must be in [0, max]");
  }
  if (o.batch_size == 0) return absl::InvalidArgumentError("batch_size must be positive");
  if (o.page_size < 0) return absl::InvalidArgumentError("page_size must not be negative");
  if (!o.label_selector.empty()) {
    absl::StatusOr<labels::Selector> selector = labels::Parse(o.label_selector);
    if (!selector.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("label selector \"", o.label_selector,
                                                     "\": ", selector.status().message()));
    }
  }
  if (!o.field_selector.empty()) {
    absl::StatusOr<ObjectSelection> selection = ObjectSelection::Parse("", o.field_selector);
    if (!selection.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("field selector \"", o.field_selector,
                                                     "\": ", selection.status().message()));
    }
  }
  absl::Status workload = Workload::Validate(o.workload);
  if (!workload.ok()) return workload;
  absl::Status size = CheckRunSize(o);
  if (!size.ok()) return size;
  if (o.duration > kMaxDuration) {
    return absl::InvalidArgumentError(absl::StrCat("duration ", absl::FormatDuration(o.duration),
                                                   " is longer than the maximum ",
                                                   absl::FormatDuration(kMaxDuration)));
  }
  if (o.resync_period != absl::ZeroDuration() && o.resync_period < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        "resync period must be 0 (off) or at least 1s (client-go's minimum for handlers)");
  }
  // The bound scenario files state every duration within, so that any
  // world flags make can be written as a scenario (found by the flags
  // fuzzer: --resync=9999999099999s).
  if (o.resync_period > kMaxDuration) {
    return absl::InvalidArgumentError(absl::StrCat("resync period ",
                                                   absl::FormatDuration(o.resync_period),
                                                   " is longer than the maximum ",
                                                   absl::FormatDuration(kMaxDuration)));
  }
  for (const HandlerSpec& h : o.handlers) {
    if (h.resync_period.has_value() && *h.resync_period > kMaxDuration) {
      return absl::InvalidArgumentError(absl::StrCat(
          "a handler's resync period ", absl::FormatDuration(*h.resync_period),
          " is longer than the maximum ", absl::FormatDuration(kMaxDuration)));
    }
  }
  for (absl::Duration lag : o.server.instance_lags) {
    if (lag < absl::ZeroDuration() || lag > kMaxLag) {
      return absl::InvalidArgumentError(absl::StrCat("instance lag ", absl::FormatDuration(lag),
                                                     " is outside [0, ",
                                                     absl::FormatDuration(kMaxLag), "]"));
    }
  }
  for (size_t i = 0; i < o.handlers.size(); ++i) {
    if (!(o.handlers[i].crash_fraction >= 0 && o.handlers[i].crash_fraction <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("handler ", i, ": crash_fraction must be in [0, 1]"));
    }
    if (o.handlers[i].added_at < absl::ZeroDuration() || o.handlers[i].added_at >= o.duration) {
      return absl::InvalidArgumentError(absl::StrCat(
          "handler ", i, " is added at ", absl::FormatDuration(o.handlers[i].added_at),
          ", outside the fault phase [0, ", absl::FormatDuration(o.duration), ")"));
    }
  }
  for (const ScriptedFault& f : o.faults) {
    if (f.at >= o.duration) {
      return absl::InvalidArgumentError(absl::StrCat("fault ", DescribeFault(f),
                                                     " comes after the fault phase (duration ",
                                                     absl::FormatDuration(o.duration), ")"));
    }
    if (f.kind == FaultKind::kLagInstance && f.duration > kMaxLag) {
      return absl::InvalidArgumentError(absl::StrCat("fault ", DescribeFault(f), ": lag above ",
                                                     absl::FormatDuration(kMaxLag)));
    }
    if (f.kind == FaultKind::kLagInstance &&
        (f.target < 0 || static_cast<size_t>(f.target) >= o.server.instance_lags.size())) {
      return absl::InvalidArgumentError(absl::StrCat("fault ", DescribeFault(f),
                                                     ": no instance ", f.target, " (there are ",
                                                     o.server.instance_lags.size(), ")"));
    }
    if (f.kind == FaultKind::kStallHandler &&
        (f.target < 0 || static_cast<size_t>(f.target) >= o.handlers.size())) {
      return absl::InvalidArgumentError(absl::StrCat("fault ", DescribeFault(f), ": no handler ",
                                                     f.target, " (there are ", o.handlers.size(),
                                                     ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SimOptions> ScenarioOptions(absl::string_view name, uint64_t seed) {
  if (const ScenarioFile* embedded = FindEmbeddedScenario(name)) return ScenarioBase(*embedded, seed);
  absl::StatusOr<ScenarioFile> file = LoadScenario(name);
  if (!file.ok()) return file.status();
  return ScenarioBase(*file, seed);
}

absl::string_view SwarmWorldName(SwarmWorld world) {
  switch (world) {
    case SwarmWorld::kSmall:
      return "small";
    case SwarmWorld::kMedium:
      return "medium";
    case SwarmWorld::kLarge:
      return "large";
    case SwarmWorld::kNone:
      return "none";
  }
  return "unknown";
}

namespace {

// The swarm's draws from any source with Prng's drawing methods: a seed's
// Prng (DrawSwarm) or a fuzzer's bytes (DrawWorldFromChoices).
// `reasonless_errors` is drawn by the caller (a Prng stream of its own for
// seeds, so that adding it shifted no other draw).
template <typename Source>
SimOptions DrawSwarmFrom(Source& r, const SimOptions& base, uint64_t seed, bool keep_duration,
                         SwarmWorld world, bool reasonless_errors) {
  SimOptions o = base;
  o.seed = seed;
  o.swarm = true;
  // The world's size first. Small worlds (a handful of keys, seconds of
  // virtual time, dense faults, tiny pages and history windows) build the
  // sharp situations most informer bugs need and run in milliseconds, so a
  // campaign draws them most often; medium and large worlds keep the load
  // and pagination paths honest.
  const uint64_t size_draw = r.Below(10);
  o.swarm_world = size_draw < 6 ? SwarmWorld::kSmall
                  : size_draw < 9 ? SwarmWorld::kMedium
                                  : SwarmWorld::kLarge;
  // A forced size class still consumes the draw, so a seed that drew that
  // class anyway is the same world with or without --world.
  if (world != SwarmWorld::kNone) o.swarm_world = world;
  const bool small = o.swarm_world == SwarmWorld::kSmall;
  const bool medium = o.swarm_world == SwarmWorld::kMedium;
  if (small || medium) {
    o.workload.initial_objects = small ? r.Range(0, 12) : r.Range(20, 200);
    o.workload.namespaces = static_cast<int>(r.Range(1, small ? 3 : 10));
    o.workload.label_values = static_cast<int>(r.Range(1, 4));
    o.workload.tag_values = r.Chance(0.7) ? static_cast<int>(r.Range(1, 4)) : 0;
    // Skewed low in small worlds: a key left alone after a relist keeps
    // whatever the informer made of it (a later write would heal a bug).
    const double rate_draw = r.Float64();
    o.workload.writes_per_second =
        small ? 0.5 + rate_draw * rate_draw * 29.5 : 5 + rate_draw * 95;
    o.workload.recreate_fraction = 0.05 + r.Float64() * 0.45;
    o.workload.recreate_delay_max = absl::Milliseconds(r.Range(10, 3000));
    o.workload.short_lived_fraction = r.Float64() * 0.5;
    o.workload.label_change_fraction = r.Float64() * 0.6;
    const absl::Duration drawn =
        small ? absl::Milliseconds(r.Range(2000, 30000)) : absl::Milliseconds(r.Range(10000, 60000));
    if (!keep_duration) o.duration = drawn;
    o.quiescent_check_interval = small ? absl::Seconds(1) : absl::Seconds(5);
  } else {
    o.workload.tag_values = r.Chance(0.5) ? 4 : 0;
  }
  // Both first-class profiles equally; INTERIM (client-go 1.33-1.34's
  // RealFIFO without atomic events) a quarter of the time.
  const uint64_t profile_draw = r.Below(8);
  o.profile = profile_draw < 3   ? Profile::kClassic
              : profile_draw < 6 ? Profile::kCurrent
                                 : Profile::kInterim;
  o.resync_period = r.Chance(0.5)   ? absl::ZeroDuration()
                    : small         ? absl::Seconds(r.Range(1, 10))
                                    : absl::Seconds(r.Range(1, 60));
  o.page_size = r.Chance(0.3) ? 0 : small ? r.Range(1, 5) : r.Range(1, 500);
  o.batch_size = r.Chance(0.3) ? static_cast<size_t>(r.Range(1, 10)) : 1000;
  o.server.bookmark_interval = r.Chance(0.3) ? absl::ZeroDuration()
                               : small       ? absl::Milliseconds(r.Range(100, 10000))
                                             : absl::Seconds(r.Range(1, 60));
  o.server.watch_list_supported = r.Chance(0.8);
  o.server.watch_list_fails = r.Chance(0.05);
  o.server.legacy_too_large_encoding = r.Chance(0.3);
  o.server.message_only_too_large = r.Chance(0.15);
  // From a stream of its own: a draw added here shifts no other.
  o.server.reasonless_errors = reasonless_errors;
  // Each 410 shape alone, or mixed: a client that handles one shape only
  // loops on the other for ever, which a mix would hide.
  o.server.expired_reason = static_cast<ApiServerOptions::ExpiredReason>(r.Below(3));
  o.server.expired_watch = static_cast<ApiServerOptions::ExpiredWatch>(r.Below(3));
  o.server.fresh_wait = absl::Milliseconds(r.Range(100, 5000));
  // One draw per statement: the order in which a call's arguments are
  // evaluated differs between compilers.
  const int64_t instances = r.Range(1, 3);
  const absl::Duration max_lag = absl::Milliseconds(r.Range(0, small ? 5000 : 10000));
  SetInstances(o, instances, max_lag);
  o.server.max_latency = absl::Milliseconds(r.Range(0, 50));
  o.server.min_latency = o.server.max_latency * r.Float64();
  o.server.history_window_events = small ? r.Range(5, 200) : r.Range(50, 5000);
  o.server.compaction_interval = small ? absl::Milliseconds(r.Range(500, 20000))
                                       : absl::Seconds(r.Range(5, 120));
  // Each rate is on or off by a coin, then drawn up to its ceiling.
  auto rate = [&r](double ceiling) { return r.Chance(0.5) ? r.Float64() * ceiling : 0.0; };
  o.fault_rates.list_too_many_requests = rate(0.3);
  o.fault_rates.list_internal_error = rate(0.2);
  o.fault_rates.watch_too_many_requests = rate(0.2);
  o.fault_rates.connection_refused = rate(0.1);
  o.fault_rates.continue_expired = rate(0.3);
  // Per-event rates shrink with the object count: a stream that breaks
  // within every initial list leaves a watch-list client (client-go, RF15)
  // retrying at once, for ever; with ~1 break per initial list it
  // eventually gets through.
  const double per_event = std::min(1.0, 100.0 / static_cast<double>(
                                                 std::max<int64_t>(1, o.workload.initial_objects)));
  o.fault_rates.watch_break = rate(0.01 * per_event);
  o.fault_rates.watch_error_event = rate(0.005 * per_event);
  const int64_t handlers = r.Range(1, 4);
  o.handlers.clear();
  for (int64_t i = 0; i < handlers; ++i) {
    HandlerSpec h;
    // Its own period, often 0 (never resynced, while others are: INV11).
    if (r.Chance(0.4)) {
      const bool never = r.Chance(0.35);
      h.resync_period = never ? absl::ZeroDuration() : absl::Seconds(r.Range(1, small ? 10 : 60));
    }
    h.speed = r.Chance(0.3) ? 0.01 + r.Float64() * 0.3 : 1.0;
    if (small && r.Chance(0.15)) h.crash_fraction = 0.01 + r.Float64() * 0.2;
    o.handlers.push_back(h);
  }
  const int64_t span_ms = absl::ToInt64Milliseconds(o.duration);
  const int64_t late = span_ms >= 2 ? r.Range(0, 2) : 0;
  for (int64_t i = 0; i < late; ++i) {
    HandlerSpec h;
    h.added_at = absl::Milliseconds(r.Range(1, span_ms - 1));
    o.handlers.push_back(h);
  }
  // Scripted faults: a few of each kind at random times.
  o.faults.clear();
  const int64_t count = span_ms >= 1 ? r.Range(0, small ? 20 : 12) : 0;
  for (int64_t i = 0; i < count; ++i) {
    ScriptedFault f;
    f.at = absl::Milliseconds(r.Range(0, span_ms - 1));
    f.kind = static_cast<FaultKind>(r.Below(10));
    f.on_list = r.Chance(0.3);
    switch (f.kind) {
      case FaultKind::kLagInstance:
        f.target = r.Range(0, static_cast<int64_t>(o.server.instance_lags.size()) - 1);
        f.duration = absl::Milliseconds(r.Range(0, 10000));
        break;
      case FaultKind::kStallHandler:
        f.target = r.Range(0, static_cast<int64_t>(o.handlers.size()) - 1);
        f.duration = absl::Milliseconds(r.Range(100, 10000));
        break;
      case FaultKind::kRefuseConnections:
      case FaultKind::kFailRequests:
      case FaultKind::kPauseConsumer:
      case FaultKind::kChurn:
        f.duration = absl::Milliseconds(r.Range(100, 5000));
        break;
      default:
        break;
    }
    o.faults.push_back(f);
  }
  // A relist while the consumer is behind: the queue holds deltas (adds of
  // short-lived objects, deletes of recreated ones) when Replace runs, the
  // situation of most DeltaFIFO/RealFIFO Replace bugs. The consumer pauses;
  // during the pause the watch breaks and cannot reconnect for a while, and
  // the history is compacted just before it can: its re-watch gets 410 and
  // it relists (when anything was written meanwhile).
  if (small && span_ms >= 1 && r.Chance(0.5)) {
    // Few writes: a key the relist got wrong stays wrong (a later write to
    // it would heal the informer before the checker looks).
    o.workload.writes_per_second = std::min(o.workload.writes_per_second, 3.0);
    ScriptedFault pause;
    pause.at = absl::Milliseconds(r.Range(0, span_ms - 1));
    pause.kind = FaultKind::kPauseConsumer;
    // The pause outlasts the last relist by a few seconds (the reflector
    // backs off before it watches again, gets 410 and lists).
    absl::Duration pause_end = pause.at;
    const int64_t relists = r.Range(1, 3);
    for (int64_t i = 0; i < relists; ++i) {
      const absl::Duration at = pause.at + absl::Milliseconds(r.Range(0, 4000));
      const absl::Duration window = absl::Milliseconds(r.Range(300, 3000));
      // An object deleted just before the watch breaks (its delete queued
      // behind the paused consumer) and recreated while the client is away.
      const absl::Duration lead = absl::Milliseconds(r.Range(10, 500));
      const absl::Duration recreate =
          lead + absl::Milliseconds(r.Range(0, absl::ToInt64Milliseconds(window)));
      if (at >= o.duration) continue;
      pause_end = std::max(pause_end, at + window);
      if (at >= lead) {
        ScriptedFault churn;
        churn.at = at - lead;
        churn.kind = FaultKind::kChurn;
        churn.duration = recreate;
        o.faults.push_back(churn);
      }
      ScriptedFault brk;
      brk.at = at;
      brk.kind = FaultKind::kBreakWatches;
      o.faults.push_back(brk);
      ScriptedFault refuse;
      refuse.at = at;
      refuse.kind = FaultKind::kRefuseConnections;
      refuse.duration = window;
      o.faults.push_back(refuse);
      if (at + window - absl::Milliseconds(1) < o.duration) {
        ScriptedFault compact;
        compact.at = at + window - absl::Milliseconds(1);
        compact.kind = FaultKind::kCompact;
        o.faults.push_back(compact);
      }
    }
    pause.duration = pause_end - pause.at + absl::Milliseconds(r.Range(2000, 5000));
    o.faults.push_back(pause);
  }
  // A user index function that fails now and then (the tags index refuses
  // a value): each failure crashes the informer, as client-go's panic
  // does, and the checker looks at what the refused write left behind.
  // Drawn last, so the other draws of a seed stay as they were.
  if ((small || medium) && o.workload.tag_values > 0 && r.Chance(0.2)) {
    o.workload.refused_tag_fraction = 0.01 + r.Float64() * 0.2;
  }
  std::stable_sort(o.faults.begin(), o.faults.end(),
                   [](const ScriptedFault& a, const ScriptedFault& b) { return a.at < b.at; });
  return o;
}

// A fifth of the seeds watch through a label selector on the "app" label
// (values a0..a<label_values-1>, sometimes one no object carries), one of
// the shapes informers use: equality, inequality, set membership and
// existence. Objects whose label changes move in and out of it.
template <typename Source>
std::string LabelSelectorShape(Source& r, int label_values) {
  // One past the values in use: a value nobody has now and then.
  const uint64_t values = static_cast<uint64_t>(std::max(label_values, 1)) + 1;
  const uint64_t shape = r.Below(6);
  const std::string v = absl::StrCat("a", r.Below(values));
  std::string w = absl::StrCat("a", r.Below(values));
  if (w == v) w = absl::StrCat("a", values);
  switch (shape) {
    case 0:
      return absl::StrCat("app=", v);
    case 1:
      return absl::StrCat("app!=", v);
    case 2:
      return absl::StrCat("app in (", v, ",", w, ")");
    case 3:
      return absl::StrCat("app notin (", v, ",", w, ")");
    case 4:
      return "app";
    default:
      return "!app";
  }
}

std::string DrawLabelSelector(Prng& r, int label_values) {
  // The draw's upper fifth (the lower one would give the golden swarm seed
  // of tests/sim/golden_trace_test.cc a selector and move its hash).
  if (r.Chance(0.8)) return "";
  return LabelSelectorShape(r, label_values);
}

// Some seeds also watch through a field selector, on the only fields a kind
// without its own field conversion has: a namespace in or out, one object's
// name in or out (names come back after churn, with a new uid), or both
// exclusions at once. The names drawn are among the first objects created.
template <typename Source>
std::string FieldSelectorShape(Source& r, int namespaces, int64_t initial_objects) {
  const std::string ns =
      absl::StrCat("ns-", r.Below(static_cast<uint64_t>(std::max(namespaces, 1))));
  const std::string name =
      absl::StrCat("obj-", r.Below(static_cast<uint64_t>(std::max<int64_t>(initial_objects, 1))));
  switch (r.Below(5)) {
    case 0:
      return absl::StrCat("metadata.namespace=", ns);
    case 1:
      return absl::StrCat("metadata.namespace!=", ns);
    case 2:
      return absl::StrCat("metadata.name=", name);
    case 3:
      return absl::StrCat("metadata.name!=", name);
    default:
      return absl::StrCat("metadata.namespace!=", ns, ",metadata.name!=", name);
  }
}

}  // namespace

SimOptions DrawSwarm(const SimOptions& base, uint64_t seed, bool keep_duration,
                     SwarmWorld world) {
  Prng r = Prng::Stream(seed, "swarm");
  // From a stream of its own: a draw added here shifts no other.
  const bool reasonless = Prng::Stream(seed, "swarm-shapes").Chance(0.15);
  SimOptions o = DrawSwarmFrom(r, base, seed, keep_duration, world, reasonless);
  // Likewise: the selector's stream leaves every other draw of the seed as
  // it was.
  Prng selector = Prng::Stream(seed, "swarm-selector");
  std::string drawn = DrawLabelSelector(selector, o.workload.label_values);
  if (!drawn.empty()) o.label_selector = std::move(drawn);
  Prng field = Prng::Stream(seed, "swarm-field-selector");
  if (field.Chance(0.15)) {
    o.field_selector =
        FieldSelectorShape(field, o.workload.namespaces, o.workload.initial_objects);
  }
  return o;
}

SimOptions DrawWorldFromChoices(ChoiceStream& choices, const SimOptions& base, uint64_t seed,
                                SwarmWorld world) {
  const bool reasonless = choices.Chance(0.15);
  SimOptions o = DrawSwarmFrom(choices, base, seed, /*keep_duration=*/false, world, reasonless);
  // A zero byte (or the end of the input) says no selector.
  if (choices.Chance(0.2)) o.label_selector = LabelSelectorShape(choices, o.workload.label_values);
  if (choices.Chance(0.15)) {
    o.field_selector =
        FieldSelectorShape(choices, o.workload.namespaces, o.workload.initial_objects);
  }
  return o;
}

bool IsToolFlag(absl::string_view flag) {
  absl::StatusOr<std::pair<std::string, std::string>> split = SplitFlag(flag);
  if (!split.ok()) return false;
  for (const char* f : kToolFlags) {
    if (split->first == f) return true;
  }
  return false;
}

std::vector<std::string> RunFlags(const std::vector<std::string>& flags, uint64_t seed) {
  std::vector<std::string> out;
  out.push_back(absl::StrCat("--seed=", seed));
  for (const std::string& f : flags) {
    if (IsToolFlag(f)) continue;
    absl::StatusOr<std::pair<std::string, std::string>> split = SplitFlag(f);
    if (split.ok() && split->first == "seed") continue;
    out.push_back(f);
  }
  return out;
}

absl::StatusOr<SimOptions> OptionsFromFlags(const std::vector<std::string>& flags) {
  // Last occurrence wins, as with most flag libraries.
  std::map<std::string, std::string> values;
  for (const std::string& arg : flags) {
    absl::StatusOr<std::pair<std::string, std::string>> split = SplitFlag(arg);
    if (!split.ok()) return split.status();
    if (!Known(split->first)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", split->first,
                                                     " (see --help)"));
    }
    if (split->second.empty() && !IsBoolFlag(split->first)) {
      return absl::InvalidArgumentError(absl::StrCat("flag --", split->first, " needs a value"));
    }
    values[split->first] = split->second;
  }
  auto get = [&values](const char* name) -> const std::string* {
    auto it = values.find(name);
    return it == values.end() ? nullptr : &it->second;
  };
  uint64_t seed = 1;
  if (const std::string* v = get("seed")) {
    if (!absl::SimpleAtoi(*v, &seed)) {
      return absl::InvalidArgumentError(absl::StrCat("--seed: \"", *v,
                                                     "\" is not an unsigned integer"));
    }
  }
  // The scenario: an embedded one by name, or a file. Without --seed the
  // file's first seed; its first profile unless --profile says otherwise.
  const std::string* scenario = get("scenario");
  const absl::string_view scenario_name = scenario ? absl::string_view(*scenario) : "default";
  // An embedded scenario is read in place; a file is loaded into `loaded`.
  absl::StatusOr<ScenarioFile> loaded;
  const ScenarioFile* file = FindEmbeddedScenario(scenario_name);
  if (file == nullptr) {
    loaded = LoadScenario(scenario_name);
    if (!loaded.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--scenario: ", loaded.status().message()));
    }
    file = &*loaded;
  }
  if (get("seed") == nullptr) seed = ScenarioSeed(*file);
  SimOptions o = ScenarioBase(*file, seed);
  bool swarm = file->proto.swarm();
  if (const std::string* v = get("swarm")) {
    absl::StatusOr<bool> b = ParseBool("--swarm", *v);
    if (!b.ok()) return b.status();
    swarm = *b;
  }
  if (swarm) {
    // The drawn faults refer to the phase length, so apply it first.
    if (const std::string* d = get("duration")) {
      absl::StatusOr<absl::Duration> dd = ParseDurationValue("--duration", *d);
      if (!dd.ok()) return dd.status();
      o.duration = *dd;
    }
    const bool keep_duration =
        get("duration") != nullptr || (!file->path.empty() && !file->proto.duration().empty());
    SwarmWorld world = SwarmWorld::kNone;
    if (const std::string* w = get("world")) {
      if (*w == "small") {
        world = SwarmWorld::kSmall;
      } else if (*w == "medium") {
        world = SwarmWorld::kMedium;
      } else if (*w == "large") {
        world = SwarmWorld::kLarge;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("--world: \"", *w, "\" is not small, medium or large"));
      }
    }
    o = DrawSwarm(o, seed, keep_duration, world);
    // A scenario file fixes what it states; over the embedded ones (bases
    // that state everything) the swarm draws everything, as it always has.
    if (!file->path.empty()) {
      ApplyScenario(*file, &o);
      if (!file->proto.profiles().empty()) o.profile = ScenarioProfile(*file);
    }
  }
  for (const auto& [name, value] : values) {
    const std::string what = absl::StrCat("--", name);
    absl::Status status;
    if (name == "profile") {
      if (const std::optional<Profile> p = ProfileFromName(value); p.has_value()) {
        o.profile = *p;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": \"", value, "\" is not classic, current or interim"));
      }
    } else if (name == "duration") {
      absl::StatusOr<absl::Duration> d = ParseDurationValue(what, value);
      if (!d.ok()) return d.status();
      if (*d <= absl::ZeroDuration()) {
        return absl::InvalidArgumentError(absl::StrCat(what, " must be positive"));
      }
      o.duration = *d;
    } else if (name == "objects") {
      absl::StatusOr<int64_t> n = ParseInt(what, value, 0, kMaxObjects);
      if (!n.ok()) return n.status();
      o.workload.initial_objects = *n;
    } else if (name == "spec_bytes") {
      absl::StatusOr<int64_t> n = ParseInt(what, value, 2, kMaxSpecBytes * 2 / 3);
      if (!n.ok()) return n.status();
      o.workload.min_spec_bytes = *n / 2;
      o.workload.max_spec_bytes = *n + *n / 2;
    } else if (name == "write_rate") {
      absl::StatusOr<double> r = ParseDouble(what, value, 0, kMaxWriteRate);
      if (!r.ok()) return r.status();
      o.workload.writes_per_second = *r;
    } else if (name == "instances" || name == "max_lag") {
      absl::StatusOr<int64_t> n = ParseInt(
          "--instances", get("instances") ? *get("instances")
                                          : absl::StrCat(o.server.instance_lags.size()),
          1, kMaxInstances);
      if (!n.ok()) return n.status();
      absl::Duration lag = MaxLag(o);
      if (const std::string* l = get("max_lag")) {
        absl::StatusOr<absl::Duration> d = ParseDurationValue("--max_lag", *l);
        if (!d.ok()) return d.status();
        lag = *d;
      }
      SetInstances(o, *n, lag);
    } else if (name == "fault_scale") {
      absl::StatusOr<double> k = ParseDouble(what, value, 0, 1000);
      if (!k.ok()) return k.status();
      ScaleRates(o.fault_rates, *k);
    } else if (name == "rates_off") {
      for (absl::string_view rate : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        bool known = false;
        for (const RateName& r : kRateNames) {
          if (rate == r.name) {
            o.fault_rates.*(r.rate) = 0;
            known = true;
          }
        }
        if (!known) {
          std::vector<std::string> names;
          for (const RateName& r : kRateNames) names.push_back(r.name);
          return absl::InvalidArgumentError(absl::StrCat(what, ": unknown rate \"", rate, "\" (",
                                                         absl::StrJoin(names, ", "), ")"));
        }
      }
    } else if (name == "refused_tags") {
      absl::StatusOr<double> f = ParseDouble(what, value, 0, 1);
      if (!f.ok()) return f.status();
      o.workload.refused_tag_fraction = *f;
      if (*f > 0 && o.workload.tag_values == 0) o.workload.tag_values = 3;
    } else if (name == "faults") {
      absl::StatusOr<std::vector<ScriptedFault>> f = ParseScriptedFaults(value);
      if (!f.ok()) return absl::InvalidArgumentError(absl::StrCat(what, ": ", f.status().message()));
      o.faults = *std::move(f);
    } else if (name == "handlers" || name == "late_handlers") {
      absl::StatusOr<int64_t> early =
          ParseInt("--handlers", get("handlers") ? *get("handlers") : "0", 0, kMaxHandlers);
      absl::StatusOr<int64_t> late =
          ParseInt("--late_handlers", get("late_handlers") ? *get("late_handlers") : "0", 0,
                   kMaxHandlers);
      if (!early.ok()) return early.status();
      if (!late.ok()) return late.status();
      std::vector<HandlerSpec> handlers;
      for (const HandlerSpec& h : o.handlers) {
        if (get("handlers") == nullptr && h.added_at == absl::ZeroDuration()) handlers.push_back(h);
      }
      for (int64_t i = 0; get("handlers") != nullptr && i < *early; ++i) handlers.emplace_back();
      if (get("late_handlers") == nullptr) {
        for (const HandlerSpec& h : o.handlers) {
          if (h.added_at > absl::ZeroDuration()) handlers.push_back(h);
        }
      }
      for (int64_t i = 0; get("late_handlers") != nullptr && i < *late; ++i) {
        HandlerSpec h;
        h.added_at = o.duration * static_cast<double>(i + 1) / static_cast<double>(*late + 1);
        handlers.push_back(h);
      }
      // An unnamed handler is "handler-<index>": where a kept handler's own
      // name already says that (the default scenario names its late one),
      // the unnamed one takes the next free number, so no two share a name.
      std::set<std::string> taken;
      for (const HandlerSpec& h : handlers) {
        if (!h.name.empty()) taken.insert(h.name);
      }
      size_t next_free = handlers.size();
      for (size_t i = 0; i < handlers.size(); ++i) {
        if (!handlers[i].name.empty() || taken.count(absl::StrCat("handler-", i)) == 0) continue;
        while (taken.count(absl::StrCat("handler-", next_free)) > 0) ++next_free;
        handlers[i].name = absl::StrCat("handler-", next_free++);
        taken.insert(handlers[i].name);
      }
      o.handlers = std::move(handlers);
    } else if (name == "slow_handler") {
      absl::StatusOr<bool> b = ParseBool(what, value);
      if (!b.ok()) return b.status();
      if (!o.handlers.empty()) o.handlers.back().speed = *b ? 0.05 : 1.0;
    } else if (name == "resync") {
      absl::StatusOr<absl::Duration> d = ParseDurationValue(what, value);
      if (!d.ok()) return d.status();
      o.resync_period = *d;
    } else if (name == "label_selector") {
      absl::StatusOr<labels::Selector> selector = labels::Parse(value);
      if (!selector.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": \"", value, "\" is not a label selector: ",
                         selector.status().message()));
      }
      o.label_selector = value;
    } else if (name == "field_selector") {
      absl::StatusOr<ObjectSelection> selection = ObjectSelection::Parse("", value);
      if (!selection.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": \"", value, "\" is not a field selector: ",
                         selection.status().message()));
      }
      o.field_selector = value;
    } else if (name == "page_size") {
      absl::StatusOr<int64_t> n = ParseInt(what, value, 0, kMaxPageSize);
      if (!n.ok()) return n.status();
      o.page_size = *n;
    } else if (name == "bookmarks") {
      absl::StatusOr<bool> b = ParseBool(what, value);
      if (!b.ok()) return b.status();
      o.server.bookmark_interval = *b ? absl::Seconds(10) : absl::ZeroDuration();
    } else if (name == "watch_list") {
      absl::StatusOr<bool> b = ParseBool(what, value);
      if (!b.ok()) return b.status();
      o.server.watch_list_supported = *b;
    } else if (name == "allow_time_travel") {
      absl::StatusOr<bool> b = ParseBool(what, value);
      if (!b.ok()) return b.status();
      o.allow_time_travel = *b;
    } else if (name == "restart_time_travel_is_violation") {
      absl::StatusOr<bool> b = ParseBool(what, value);
      if (!b.ok()) return b.status();
      o.restart_time_travel_is_violation = *b;
    } else if (name == "check_determinism" || name == "help" || name == "quiet" ||
               name == "verbose" || name == "shrink" || name == "shrink_failures" ||
               name == "all_runs" || name == "describe_scenario" || name == "dump_tasks" ||
               name == "progress") {
      absl::StatusOr<bool> b = ParseBool(what, value);
      if (!b.ok()) return b.status();
    } else if (name == "seeds") {
      absl::StatusOr<int64_t> n = ParseInt(what, value, 1, kMaxSeeds);
      if (!n.ok()) return n.status();
    } else if (name == "world" && !swarm) {
      return absl::InvalidArgumentError("--world: a size class is drawn only with --swarm");
    }
    // seed, scenario, swarm, world, trace_out, replay: handled above or by
    // the tool.
  }
  FitToOptions(o, /*fit_faults=*/get("faults") == nullptr);
  absl::Status valid = ValidateOptions(o);
  if (!valid.ok()) return valid;
  return o;
}

}  // namespace sim
}  // namespace informersim
