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

class Shrinker {
 public:
  Shrinker(int64_t max_runs, const std::function<void(const std::string&)>& progress)
      : max_runs_(max_runs), progress_(progress) {}

  int64_t runs() const { return runs_; }
  bool exhausted() const { return runs_ >= max_runs_; }

  // Runs `flags`; with an empty target, takes the first failing invariant.
  Outcome Try(const std::vector<std::string>& flags) {
    Outcome out;
    if (exhausted()) return out;
    absl::StatusOr<sim::SimOptions> options = sim::OptionsFromFlags(flags);
    if (!options.ok()) return out;
    ++runs_;
    uint64_t seed = options->seed;
    absl::StatusOr<sim::SimResult> r = sim::RunSimulation(*options, sim::RunFlags(flags, seed));
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

  const std::string& target() const { return target_; }
  void Step(const std::string& what) {
    if (progress_) progress_(what);
  }

 private:
  const int64_t max_runs_;
  const std::function<void(const std::string&)>& progress_;
  int64_t runs_ = 0;
  std::string target_;
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

}  // namespace

absl::StatusOr<ShrinkResult> Shrink(const std::vector<std::string>& input, int64_t max_runs,
                                    const std::function<void(const std::string&)>& progress) {
  std::vector<std::string> flags;
  for (const std::string& f : input) {
    if (!sim::IsToolFlag(f)) flags.push_back(f);
  }
  absl::StatusOr<sim::SimOptions> original = sim::OptionsFromFlags(flags);
  if (!original.ok()) return original.status();
  Shrinker s(max_runs, progress);
  const Outcome first = s.Try(flags);
  if (!first.valid) return absl::InvalidArgumentError("the run is not valid");
  if (!first.fails) {
    return absl::FailedPreconditionError(
        absl::StrCat("seed ", original->seed, " passes: nothing to shrink"));
  }
  ShrinkResult result;
  result.invariant = s.target();
  result.faults_before = static_cast<int64_t>(original->faults.size());
  result.objects_before = original->workload.initial_objects;
  result.write_rate_before = original->workload.writes_per_second;
  result.writes_before = first.writes;
  result.duration_before = absl::FormatDuration(original->duration);

  // What the seed drew, as flags (if the explicit form is not the same run,
  // shrink from the flags as given).
  std::vector<sim::ScriptedFault> faults = original->faults;
  std::vector<std::string> explicit_flags = flags;
  explicit_flags = With(explicit_flags, "faults", sim::FormatScriptedFaults(faults));
  explicit_flags = With(explicit_flags, "objects", absl::StrCat(original->workload.initial_objects));
  explicit_flags = With(explicit_flags, "write_rate", Rate(original->workload.writes_per_second));
  explicit_flags = With(explicit_flags, "duration", absl::FormatDuration(original->duration));
  Outcome best = first;
  if (Outcome o = s.Try(explicit_flags); o.fails) {
    flags = explicit_flags;
    best = o;
    s.Step("made the drawn options explicit");
  } else {
    s.Step("the drawn options do not replay as flags; shrinking the flags as given");
    faults.clear();
  }
  const bool explicit_run = !faults.empty() || flags == explicit_flags;

  // Rate faults off, all at once (one at a time comes in the passes).
  if (Outcome o = s.Try(With(flags, "fault_scale", "0")); o.fails) {
    flags = With(flags, "fault_scale", "0");
    best = o;
    result.rate_faults_off = true;
    s.Step("rate faults off");
  }

  // Passes until nothing shrinks any more (one reduction can make another
  // possible: fewer faults, a shorter run, fewer objects).
  for (int pass = 0; pass < 4 && !s.exhausted(); ++pass) {
    const std::vector<std::string> before = flags;
    // Scripted faults: delta debugging over the list.
    if (explicit_run) {
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
          const std::vector<std::string> candidate =
              With(flags, "faults", sim::FormatScriptedFaults(rest));
          if (Outcome o = s.Try(candidate); o.fails) {
            faults = std::move(rest);
            flags = candidate;
            best = o;
            chunks = std::max<size_t>(chunks - 1, 2);
            reduced = true;
            s.Step(absl::StrCat(faults.size(), " scripted faults left"));
            break;
          }
        }
        if (reduced) continue;
        if (chunks >= n) break;
        chunks = std::min(chunks * 2, n);
      }

    }

    // The duration, shortest first: just past the first violation (faults
    // after it dropped), just past the last fault, then halves.
    absl::StatusOr<sim::SimOptions> now = sim::OptionsFromFlags(flags);
    if (now.ok()) {
      const absl::Duration d = now->duration;
      absl::Duration floor = absl::Seconds(1);
      for (const sim::ScriptedFault& f : faults) floor = std::max(floor, f.at + absl::Seconds(1));
      std::vector<absl::Duration> tries = {floor};
      for (absl::Duration margin : {absl::Seconds(1), absl::Seconds(3), absl::Seconds(10)}) {
        tries.push_back(absl::Ceil(best.failed_at + margin, absl::Milliseconds(1)));
      }
      for (absl::Duration h = d / 2; h > absl::Seconds(1); h /= 2) {
        tries.push_back(absl::Ceil(h, absl::Milliseconds(1)));
      }
      std::sort(tries.begin(), tries.end());
      for (absl::Duration t : tries) {
        if (t >= d || s.exhausted()) break;
        std::vector<std::string> candidate = With(flags, "duration", absl::FormatDuration(t));
        std::vector<sim::ScriptedFault> kept;
        for (const sim::ScriptedFault& f : faults) {
          if (f.at < t) kept.push_back(f);
        }
        if (explicit_run) candidate = With(candidate, "faults", sim::FormatScriptedFaults(kept));
        if (Outcome o = s.Try(candidate); o.fails) {
          flags = candidate;
          faults = kept;
          best = o;
          s.Step(absl::StrCat("duration ", absl::FormatDuration(t)));
          break;
        }
      }
    }

    // Objects and the write rate: zero, else halves while it still fails.
    now = sim::OptionsFromFlags(flags);
    if (now.ok()) {
      int64_t objects = now->workload.initial_objects;
      for (int64_t candidate_objects : {int64_t{0}, objects / 2}) {
        while (candidate_objects < objects && !s.exhausted()) {
          const std::vector<std::string> candidate =
              With(flags, "objects", absl::StrCat(candidate_objects));
          Outcome o = s.Try(candidate);
          if (!o.fails) break;
          flags = candidate;
          best = o;
          objects = candidate_objects;
          s.Step(absl::StrCat(objects, " objects"));
          candidate_objects = objects / 2;
        }
      }
      double rate = now->workload.writes_per_second;
      // Zero, else a half or three quarters at a time while it fails.
      std::vector<double> steps = {0.0};
      while (rate > 0 && !s.exhausted()) {
        bool accepted = false;
        for (double candidate_rate : steps) {
          if (candidate_rate >= rate || s.exhausted()) continue;
          const std::vector<std::string> candidate =
              With(flags, "write_rate", Rate(candidate_rate));
          if (Outcome o = s.Try(candidate); o.fails) {
            flags = candidate;
            best = o;
            rate = candidate_rate;
            accepted = true;
            s.Step(absl::StrCat("write rate ", Rate(rate)));
            break;
          }
        }
        const bool first = steps.size() == 1;
        if (!accepted && !first) break;  // neither a half nor three quarters fails
        if (rate < 0.05) break;
        steps = {rate / 2, rate * 3 / 4};
      }
    }

    // Rate faults one at a time, one server instance, no late handlers
    // (after the first pass: with fewer faults and a shorter run these
    // are more often not needed).
    if (pass > 0 && !result.rate_faults_off) {
      absl::StatusOr<sim::SimOptions> on = sim::OptionsFromFlags(flags);
      if (on.ok()) {
        for (const std::string& rate : sim::NonZeroRates(on->fault_rates)) {
          // The rates already off (this pass's and earlier passes'), then this one.
          std::vector<std::string> names;
          for (const std::string& f : flags) {
            if (f.rfind("--rates_off=", 0) != 0) continue;
            for (absl::string_view n : absl::StrSplit(f.substr(12), ',', absl::SkipEmpty())) {
              names.emplace_back(n);
            }
          }
          names.push_back(rate);
          const std::vector<std::string> candidate =
              With(flags, "rates_off", absl::StrJoin(names, ","));
          if (Outcome o2 = s.Try(candidate); o2.fails) {
            flags = candidate;
            best = o2;
            s.Step(absl::StrCat("rate fault ", rate, " off"));
          }
        }
      }
    }
    if (pass > 0) {
      for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
               {"instances", "1"}, {"late_handlers", "0"}}) {
        const std::string set = absl::StrCat("--", name, "=", value);
        if (std::find(flags.begin(), flags.end(), set) != flags.end()) continue;
        const std::vector<std::string> candidate = With(flags, name, value);
        if (Outcome o = s.Try(candidate); o.fails) {
          flags = candidate;
          best = o;
          s.Step(set);
        }
      }
    }
    if (flags == before) break;
  }

  absl::StatusOr<sim::SimOptions> last = sim::OptionsFromFlags(flags);
  if (!last.ok()) return last.status();
  result.flags = flags;
  result.runs = s.runs();
  result.faults_after = static_cast<int64_t>(last->faults.size());
  result.objects_after = last->workload.initial_objects;
  result.write_rate_after = last->workload.writes_per_second;
  result.writes_after = best.writes;
  result.duration_after = absl::FormatDuration(last->duration);
  return result;
}

}  // namespace tools
}  // namespace informersim
