#include "tools/shrink.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "sim/sim_options.h"
#include "sim/simulation.h"

namespace informersim {
namespace tools {
namespace {

struct Outcome {
  bool valid = false;   // the flags make a run
  bool fails = false;   // ... that fails with the target invariant
  int64_t writes = 0;
  absl::Duration failed_at;  // virtual time of the first target violation
};

// The search: the smallest failing flags so far and how they failed.
class Shrinker {
 public:
  Shrinker(const ShrinkLimits& limits, const std::function<void(const std::string&)>& progress)
      : limits_(limits),
        deadline_(limits.max_time > absl::ZeroDuration() ? absl::Now() + limits.max_time
                                                         : absl::InfiniteFuture()),
        progress_(progress) {}

  int64_t runs() const { return runs_; }
  // Wall time here decides only when to give up, never what a run does.
  bool exhausted() {
    if (!stopped_by_.empty()) return true;
    if (runs_ >= limits_.max_runs) {
      stopped_by_ = absl::StrCat("the run budget (", limits_.max_runs, " runs)");
    } else if (absl::Now() >= deadline_) {
      stopped_by_ = absl::StrCat("the time budget (", absl::FormatDuration(limits_.max_time), ")");
    } else if (limits_.stop != nullptr && limits_.stop->load(std::memory_order_relaxed)) {
      stopped_by_ = "a stop request";
    }
    return !stopped_by_.empty();
  }
  const std::string& stopped_by() const { return stopped_by_; }
  const std::string& target() const { return target_; }
  const std::vector<std::string>& flags() const { return flags_; }
  const Outcome& best() const { return best_; }

  // Runs `flags`; with an empty target, takes the first failing invariant.
  // The first run (is there anything to shrink?) is never refused.
  Outcome Try(const std::vector<std::string>& flags) {
    Outcome out;
    if (runs_ > 0 && exhausted()) return out;
    absl::StatusOr<sim::SimOptions> options = sim::OptionsFromFlags(flags);
    if (!options.ok()) return out;
    ++runs_;
    absl::StatusOr<sim::SimResult> r =
        sim::RunSimulation(*options, sim::RunFlags(flags, options->seed));
    if (!r.ok()) return out;
    out.valid = true;
    out.writes = r->workload.creates + r->workload.updates + r->workload.deletes;
    if (target_.empty() && !r->violations.empty()) target_ = r->violations.front().invariant;
    for (const sim::Violation& v : r->violations) {
      if (v.invariant == target_ && !out.fails) {
        out.fails = true;
        out.failed_at = v.at;
      }
    }
    return out;
  }

  // The starting point (a run already tried and failing).
  void Start(std::vector<std::string> flags, const Outcome& outcome) {
    flags_ = std::move(flags);
    best_ = outcome;
  }

  // Keeps `candidate` if it still fails the target invariant, and says so.
  bool Accept(std::vector<std::string> candidate, const std::string& step) {
    const Outcome o = Try(candidate);
    if (!o.fails) return false;
    flags_ = std::move(candidate);
    best_ = o;
    if (progress_) progress_(step);
    return true;
  }

  void Say(const std::string& what) {
    if (progress_) progress_(what);
  }

 private:
  const ShrinkLimits limits_;
  const absl::Time deadline_;
  const std::function<void(const std::string&)>& progress_;
  std::string stopped_by_;
  int64_t runs_ = 0;
  std::string target_;
  std::vector<std::string> flags_;
  Outcome best_;
};

// `flags` with --name=value (replacing any --name).
std::vector<std::string> With(std::vector<std::string> flags, const std::string& name,
                              const std::string& value) {
  const std::string prefix = absl::StrCat("--", name, "=");
  flags.erase(std::remove_if(flags.begin(), flags.end(),
                             [&](const std::string& f) {
                               return f.rfind(prefix, 0) == 0 || f == "--" + name;
                             }),
              flags.end());
  flags.push_back(prefix + value);
  return flags;
}

std::string Rate(double r) { return absl::StrFormat("%.17g", r); }

// Scripted faults by delta debugging: drop chunks of the list, halving the
// chunk size when no chunk can go.
void ShrinkFaults(Shrinker& s, std::vector<sim::ScriptedFault>& faults) {
  size_t chunks = 2;
  while (!faults.empty() && !s.exhausted()) {
    const size_t n = faults.size();
    const size_t size = (n + chunks - 1) / chunks;
    bool reduced = false;
    for (size_t start = 0; start < n && !s.exhausted(); start += size) {
      std::vector<sim::ScriptedFault> rest;
      for (size_t i = 0; i < n; ++i) {
        if (i < start || i >= start + size) rest.push_back(faults[i]);
      }
      if (s.Accept(With(s.flags(), "faults", sim::FormatScriptedFaults(rest)),
                   absl::StrCat(rest.size(), " scripted faults left"))) {
        faults = std::move(rest);
        chunks = std::max<size_t>(chunks - 1, 2);
        reduced = true;
        break;
      }
    }
    if (reduced) continue;
    if (chunks >= n) break;
    chunks = std::min(chunks * 2, n);
  }
}

// The duration, shortest first: just past the first violation (faults after
// it dropped), just past the last fault, then halves.
void ShrinkDuration(Shrinker& s, std::vector<sim::ScriptedFault>& faults, bool explicit_faults) {
  absl::StatusOr<sim::SimOptions> now = sim::OptionsFromFlags(s.flags());
  if (!now.ok()) return;
  const absl::Duration d = now->duration;
  absl::Duration floor = absl::Seconds(1);
  for (const sim::ScriptedFault& f : faults) floor = std::max(floor, f.at + absl::Seconds(1));
  std::vector<absl::Duration> tries = {floor};
  for (absl::Duration margin : {absl::Seconds(1), absl::Seconds(3), absl::Seconds(10)}) {
    tries.push_back(absl::Ceil(s.best().failed_at + margin, absl::Milliseconds(1)));
  }
  for (absl::Duration h = d / 2; h > absl::Seconds(1); h /= 2) {
    tries.push_back(absl::Ceil(h, absl::Milliseconds(1)));
  }
  std::sort(tries.begin(), tries.end());
  for (absl::Duration t : tries) {
    if (t >= d || s.exhausted()) break;
    std::vector<std::string> candidate = With(s.flags(), "duration", absl::FormatDuration(t));
    std::vector<sim::ScriptedFault> kept;
    for (const sim::ScriptedFault& f : faults) {
      if (f.at < t) kept.push_back(f);
    }
    if (explicit_faults) candidate = With(candidate, "faults", sim::FormatScriptedFaults(kept));
    if (s.Accept(std::move(candidate), absl::StrCat("duration ", absl::FormatDuration(t)))) {
      faults = std::move(kept);
      return;
    }
  }
}

// Objects: zero, else halves while it still fails. The write rate: zero,
// else a half or three quarters at a time while it fails.
void ShrinkLoad(Shrinker& s) {
  absl::StatusOr<sim::SimOptions> now = sim::OptionsFromFlags(s.flags());
  if (!now.ok()) return;
  int64_t objects = now->workload.initial_objects;
  for (int64_t candidate : {int64_t{0}, objects / 2}) {
    while (candidate < objects && !s.exhausted() &&
           s.Accept(With(s.flags(), "objects", absl::StrCat(candidate)),
                    absl::StrCat(candidate, " objects"))) {
      objects = candidate;
      candidate = objects / 2;
    }
  }
  double rate = now->workload.writes_per_second;
  std::vector<double> steps = {0.0};
  while (rate > 0 && !s.exhausted()) {
    bool accepted = false;
    for (double candidate : steps) {
      if (candidate >= rate || s.exhausted()) continue;
      if (s.Accept(With(s.flags(), "write_rate", Rate(candidate)),
                   absl::StrCat("write rate ", Rate(candidate)))) {
        rate = candidate;
        accepted = true;
        break;
      }
    }
    if (!accepted && steps.size() > 1) break;  // neither a half nor three quarters fails
    if (rate < 0.05) break;
    steps = {rate / 2, rate * 3 / 4};
  }
}

// Rate faults one at a time (unless all are off already), one server
// instance, no late handlers, one handler, no refused tags.
void ShrinkServer(Shrinker& s, bool rates_all_off) {
  absl::StatusOr<sim::SimOptions> on = sim::OptionsFromFlags(s.flags());
  if (!rates_all_off && on.ok()) {
    for (const std::string& rate : sim::NonZeroRates(on->fault_rates)) {
      // The rates already off (this pass's and earlier passes'), then this one.
      std::vector<std::string> names;
      for (const std::string& f : s.flags()) {
        if (f.rfind("--rates_off=", 0) != 0) continue;
        for (absl::string_view n : absl::StrSplit(f.substr(12), ',', absl::SkipEmpty())) {
          names.emplace_back(n);
        }
      }
      names.push_back(rate);
      s.Accept(With(s.flags(), "rates_off", absl::StrJoin(names, ",")),
               absl::StrCat("rate fault ", rate, " off"));
    }
  }
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"instances", "1"}, {"late_handlers", "0"}, {"handlers", "1"},
           {"refused_tags", "0"}}) {
    if (name == "refused_tags" && on.ok() && on->workload.refused_tag_fraction == 0) continue;
    const std::string set = absl::StrCat("--", name, "=", value);
    if (std::find(s.flags().begin(), s.flags().end(), set) != s.flags().end()) continue;
    s.Accept(With(s.flags(), name, value), set);
  }
}

}  // namespace

absl::StatusOr<ShrinkResult> Shrink(const std::vector<std::string>& input,
                                    const ShrinkLimits& limits,
                                    const std::function<void(const std::string&)>& progress) {
  std::vector<std::string> flags;
  for (const std::string& f : input) {
    if (!sim::IsToolFlag(f)) flags.push_back(f);
  }
  absl::StatusOr<sim::SimOptions> original = sim::OptionsFromFlags(flags);
  if (!original.ok()) return original.status();
  Shrinker s(limits, progress);
  const Outcome first = s.Try(flags);
  if (!first.valid) return absl::InvalidArgumentError("the run is not valid");
  if (!first.fails) {
    return absl::FailedPreconditionError(
        absl::StrCat("seed ", original->seed, " passes: nothing to shrink"));
  }
  s.Start(flags, first);
  ShrinkResult result;
  result.invariant = s.target();
  result.faults_before = static_cast<int64_t>(original->faults.size());
  result.objects_before = original->workload.initial_objects;
  result.write_rate_before = original->workload.writes_per_second;
  result.writes_before = first.writes;
  result.duration_before = absl::FormatDuration(original->duration);

  // What the seed drew, as flags (if the explicit form is not the same run,
  // shrink from the flags as given, without touching the faults).
  std::vector<sim::ScriptedFault> faults = original->faults;
  std::vector<std::string> explicit_flags = flags;
  explicit_flags = With(explicit_flags, "faults", sim::FormatScriptedFaults(faults));
  explicit_flags = With(explicit_flags, "objects", absl::StrCat(original->workload.initial_objects));
  explicit_flags = With(explicit_flags, "write_rate", Rate(original->workload.writes_per_second));
  explicit_flags = With(explicit_flags, "duration", absl::FormatDuration(original->duration));
  const bool explicit_faults =
      s.Accept(std::move(explicit_flags), "made the drawn options explicit");
  if (!explicit_faults) {
    s.Say("the drawn options do not replay as flags; shrinking the flags as given");
    faults.clear();
  }

  // Rate faults off, all at once (one at a time comes in the passes).
  result.rate_faults_off = s.Accept(With(s.flags(), "fault_scale", "0"), "rate faults off");

  // Passes until nothing shrinks any more (one reduction can make another
  // possible: fewer faults, a shorter run, fewer objects). The server's
  // reductions wait for the second pass: with fewer faults and a shorter
  // run they are more often not needed.
  for (int pass = 0; pass < 4 && !s.exhausted(); ++pass) {
    const std::vector<std::string> before = s.flags();
    if (explicit_faults) ShrinkFaults(s, faults);
    ShrinkDuration(s, faults, explicit_faults);
    ShrinkLoad(s);
    if (pass > 0) ShrinkServer(s, result.rate_faults_off);
    if (s.flags() == before) break;
  }

  absl::StatusOr<sim::SimOptions> last = sim::OptionsFromFlags(s.flags());
  if (!last.ok()) return last.status();
  result.flags = s.flags();
  result.runs = s.runs();
  result.faults_after = static_cast<int64_t>(last->faults.size());
  result.objects_after = last->workload.initial_objects;
  result.write_rate_after = last->workload.writes_per_second;
  result.writes_after = s.best().writes;
  result.duration_after = absl::FormatDuration(last->duration);
  s.exhausted();  // a budget met by the last run is still the reason
  result.stopped_by = s.stopped_by();
  return result;
}

std::string FormatShrinkResult(uint64_t seed, const ShrinkResult& r) {
  return absl::StrFormat(
      "shrink: seed %d keeps failing %s after %d runs%s\n"
      "  scripted faults %d -> %d, initial objects %d -> %d, write rate %g/s -> %g/s,\n"
      "  writes %d -> %d, duration %s -> %s%s\n"
      "smallest failing run: %s\n",
      seed, r.invariant, r.runs,
      r.stopped_by.empty() ? "" : absl::StrCat(" (stopped early by ", r.stopped_by, ")"),
      r.faults_before, r.faults_after, r.objects_before, r.objects_after, r.write_rate_before,
      r.write_rate_after, r.writes_before, r.writes_after, r.duration_before, r.duration_after,
      r.rate_faults_off ? ", rate faults off" : "", sim::ReplayCommand(r.flags));
}

}  // namespace tools
}  // namespace informersim
