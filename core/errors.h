// Error tags: how core/ marks an absl::Status as a particular kind of failure,
// the way client-go uses sentinel errors and wrapped error types.
//
// A tag is a Status payload keyed by a type URL. Wrapping a status (a KeyError
// around an index-function error, say) copies every payload of the cause, so
// HasTag sees through any depth of wrapping, as Go's errors.Is does through
// Unwrap (client-go KeyError.Unwrap, rule K4).
//
// Thread safety: free functions on values; safe from any thread.
#ifndef INFORMERSIM_CORE_ERRORS_H_
#define INFORMERSIM_CORE_ERRORS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace informersim {

// Tags of the stores and queues.
inline constexpr absl::string_view kKeyErrorTag = "informersim/KeyError";
inline constexpr absl::string_view kZeroLengthDeltasTag =
    "informersim/ErrZeroLengthDeltasObject";
inline constexpr absl::string_view kFIFOClosedTag = "informersim/ErrFIFOClosed";
inline constexpr absl::string_view kRequeueTag = "informersim/ErrRequeue";
inline constexpr absl::string_view kTransactionErrorTag =
    "informersim/TransactionError";

// Returns `status` with `tag` attached. `status` must not be OK.
absl::Status WithTag(absl::Status status, absl::string_view tag);
bool HasTag(const absl::Status& status, absl::string_view tag);

// Returns a status of `cause`'s code whose message is `prefix` + ": " + the
// cause's message, carrying every payload of `cause`.
absl::Status Wrap(const absl::Status& cause, absl::string_view prefix);

}  // namespace informersim

#endif  // INFORMERSIM_CORE_ERRORS_H_
