// RetryWithDeadline: client-go's retryWithDeadline (RF13), the window within
// which the reflector re-opens a watch at once after an internal error.
//
// After(status) records a retryable error: when at least `min_reset_period`
// has passed since the previous one, the window restarts; the first error of
// a window fixes its start. ShouldRetry() holds while now - start <=
// `max_retry_duration`; a non-positive maximum never retries, and an expired
// window is cleared. "No error yet" counts as infinitely long ago, as Go's zero
// time does.
//
// Thread safety: not thread-safe; one reflector strand uses it.
#ifndef INFORMERSIM_CORE_RETRY_WITH_DEADLINE_H_
#define INFORMERSIM_CORE_RETRY_WITH_DEADLINE_H_

#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/runtime.h"

namespace informersim {

class RetryWithDeadline {
 public:
  using RetryablePredicate = std::function<bool(const absl::Status&)>;

  // `clock` must outlive this object.
  RetryWithDeadline(absl::Duration max_retry_duration, absl::Duration min_reset_period,
                    RetryablePredicate is_retryable, const Runtime* clock);

  void After(const absl::Status& status);
  bool ShouldRetry();

 private:
  void Reset();

  const absl::Duration max_retry_duration_;
  const absl::Duration min_reset_period_;
  const RetryablePredicate is_retryable_;
  const Runtime* const clock_;
  std::optional<absl::Time> first_error_;
  std::optional<absl::Time> last_error_;
};

}  // namespace informersim

#endif  // INFORMERSIM_CORE_RETRY_WITH_DEADLINE_H_
