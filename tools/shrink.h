// Shrink: makes a failing run smaller while the same invariant still fails.
//
// The run is the user's flags with one seed. Everything the seed drew that
// a flag can state is first made explicit (the scripted faults, the object
// count, the write rate, the duration), so that every reduction is a plain
// flag and the result is a command anyone can run. Then, in a fixed order
// and each only if the invariant still fails: rate faults off
// (--fault_scale=0, else one by one with --rates_off), one server instance,
// no late handlers, one handler, no refused tags; then, to a fixpoint, scripted faults removed by delta
// debugging (halves, then smaller chunks, then one by one), the duration cut
// just past the first violation or the last fault, the object count and the
// write rate reduced while they can be.
// A candidate that is not a valid run (a fault past a shortened duration)
// is skipped. "Still fails" means: a violation of the first failing
// invariant of the original run (the same key is not required).
//
// Deterministic: the same flags give the same steps and the same result,
// unless a wall-time budget or a stop request ends it first (the result
// says so). Bounded by ShrinkLimits.
//
// Thread safety: none needed; one call runs simulations one after another.
#ifndef INFORMERSIM_TOOLS_SHRINK_H_
#define INFORMERSIM_TOOLS_SHRINK_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace informersim {
namespace tools {

struct ShrinkResult {
  std::string invariant;                // what keeps failing
  std::vector<std::string> flags;       // the smallest failing run's flags
  int64_t runs = 0;                     // simulations spent
  // Sizes before and after.
  int64_t faults_before = 0, faults_after = 0;
  int64_t objects_before = 0, objects_after = 0;
  double write_rate_before = 0, write_rate_after = 0;
  int64_t writes_before = 0, writes_after = 0;  // successful writes in the run
  std::string duration_before, duration_after;
  bool rate_faults_off = false;
  // Why the search ended before its fixpoint ("" if it reached it): the
  // run budget, the time budget, or a stop request.
  std::string stopped_by;
};

struct ShrinkLimits {
  int64_t max_runs = 400;                          // simulations
  absl::Duration max_time = absl::ZeroDuration();  // wall time; zero: none
  const std::atomic<bool>* stop = nullptr;         // set: stop soon (may be null)
};

// `flags`: the run's flags, with --seed. `progress` (may be null) is told
// of each accepted step. Errors: bad flags, or a run that does not fail
// (FailedPrecondition).
absl::StatusOr<ShrinkResult> Shrink(const std::vector<std::string>& flags,
                                    const ShrinkLimits& limits,
                                    const std::function<void(const std::string&)>& progress);

// The result as printed: what still fails, the sizes before and after, and
// the smallest failing run's command (its last line).
std::string FormatShrinkResult(uint64_t seed, const ShrinkResult& result);

}  // namespace tools
}  // namespace informersim

#endif  // INFORMERSIM_TOOLS_SHRINK_H_
