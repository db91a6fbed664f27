#include "core/backoff.h"

#include <cmath>

namespace informersim {

absl::Duration Jitter(absl::Duration d, double max_factor, RandomSource* random) {
  if (max_factor <= 0.0) max_factor = 1.0;
  return d + absl::Nanoseconds(static_cast<int64_t>(
                 random->Float64() * max_factor *
                 static_cast<double>(absl::ToInt64Nanoseconds(d))));
}

namespace {

int DefaultSteps(const BackoffOptions& o) {
  if (o.initial <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::ceil(absl::FDivDuration(o.cap, o.initial)));
}

}  // namespace

BackoffManager::BackoffManager(const BackoffOptions& options, const Runtime* clock,
                               RandomSource* random)
    : clock_(clock),
      random_(random),
      // client-go DelayWithReset: without a reset interval the duration never
      // grows (steps and factor are zeroed).
      factor_(options.factor > 0 && options.reset_after <= absl::ZeroDuration()
                  ? 0.0
                  : options.factor),
      jitter_(options.jitter),
      cap_(options.cap),
      reset_after_(options.reset_after),
      resets_(options.factor > 0 && options.reset_after > absl::ZeroDuration()),
      initial_{options.initial,
               options.factor > 0 && options.reset_after <= absl::ZeroDuration()
                   ? 0
                   : options.steps.value_or(DefaultSteps(options))},
      state_(initial_),
      last_reset_(clock->Now()) {}

absl::Duration BackoffManager::Next() {
  if (resets_) {
    const absl::Time now = clock_->Now();
    if (now - last_reset_ > reset_after_) {
      state_ = initial_;
      last_reset_ = now;
    }
  }
  // wait.Backoff.Step: once the steps are spent the base no longer moves.
  if (state_.steps < 1) {
    return jitter_ > 0 ? Jitter(state_.duration, jitter_, random_) : state_.duration;
  }
  --state_.steps;
  absl::Duration current = state_.duration;
  if (factor_ != 0) {
    absl::Duration next = current * factor_;
    if (cap_ > absl::ZeroDuration() && next > cap_) {
      next = cap_;
      state_.steps = 0;
    }
    state_.duration = next;
  }
  if (jitter_ > 0) current = Jitter(current, jitter_, random_);
  return current;
}

}  // namespace informersim
