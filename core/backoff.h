// BackoffManager: the reflector's delay function (client-go wait.Backoff with
// DelayWithReset, the backoffManager behind RF1, RF9, RF12 and RF16).
//
// Each Next() returns the current step's duration, jittered to
// [d, d + jitter*d) with the injected RandomSource, and then advances the base
// duration by `factor` up to `cap` (reaching the cap also ends the steps, after
// which the base stays put). The whole state goes back to the initial one when
// more than `reset_after` has passed since the manager was built or last reset:
// like client-go, the reset window is measured from the last reset, not from
// the last backoff.
//
// Thread safety: not thread-safe; the reflector calls it from its own strand.
// Invariant: Next() >= 0.
#ifndef INFORMERSIM_CORE_BACKOFF_H_
#define INFORMERSIM_CORE_BACKOFF_H_

#include <optional>

#include "absl/time/time.h"
#include "core/random.h"
#include "core/runtime.h"

namespace informersim {

// wait.Backoff as the reflector's backoff manager uses it (RF1). The defaults
// are client-go's reflector defaults.
struct BackoffOptions {
  absl::Duration initial = absl::Milliseconds(800);
  double factor = 2.0;
  double jitter = 1.0;
  absl::Duration cap = absl::Seconds(30);
  // Back to `initial` once this long has passed since the last reset.
  absl::Duration reset_after = absl::Minutes(2);
  // wait.Backoff.Steps: how many times the duration may still grow. nullopt
  // derives client-go's default, ceil(cap / initial) (the reflector makes a
  // supplied backoff's unset steps 0 first: see ReflectorOptions::backoff).
  std::optional<int> steps;
};

// client-go wait.Jitter: d plus a uniform share of up to max_factor*d; a
// non-positive max_factor counts as 1.
absl::Duration Jitter(absl::Duration d, double max_factor, RandomSource* random);

class BackoffManager {
 public:
  // `clock` and `random` must outlive the manager.
  BackoffManager(const BackoffOptions& options, const Runtime* clock,
                 RandomSource* random);

  // The next delay (client-go DelayFunc call).
  absl::Duration Next();

 private:
  struct State {
    absl::Duration duration;
    int steps;
  };

  const Runtime* const clock_;
  RandomSource* const random_;
  const double factor_;
  const double jitter_;
  const absl::Duration cap_;
  const absl::Duration reset_after_;
  // client-go: a non-positive factor means a plain DelayFunc (never reset).
  const bool resets_;
  const State initial_;
  State state_;
  absl::Time last_reset_;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_BACKOFF_H_
