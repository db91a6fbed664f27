#include "core/retry_with_deadline.h"

#include <utility>

namespace informersim {

RetryWithDeadline::RetryWithDeadline(absl::Duration max_retry_duration,
                                     absl::Duration min_reset_period,
                                     RetryablePredicate is_retryable,
                                     const Runtime* clock)
    : max_retry_duration_(max_retry_duration),
      min_reset_period_(min_reset_period),
      is_retryable_(std::move(is_retryable)),
      clock_(clock) {}

void RetryWithDeadline::Reset() {
  first_error_.reset();
  last_error_.reset();
}

void RetryWithDeadline::After(const absl::Status& status) {
  if (!is_retryable_(status)) return;
  const absl::Time now = clock_->Now();
  if (!last_error_.has_value() || now - *last_error_ >= min_reset_period_) Reset();
  if (!first_error_.has_value()) first_error_ = now;
  last_error_ = now;
}

bool RetryWithDeadline::ShouldRetry() {
  if (max_retry_duration_ <= absl::ZeroDuration()) return false;
  if (first_error_.has_value() &&
      clock_->Now() - *first_error_ <= max_retry_duration_) {
    return true;
  }
  Reset();
  return false;
}

}  // namespace informersim
