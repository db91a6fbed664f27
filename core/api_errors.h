// Kubernetes API errors as absl::Status: the errors a ListerWatcher returns and
// a watch stream carries, and the predicates the Reflector branches on
// (client-go reflector.go with apimachinery's api/errors; rules RF4, RF6, RF9,
// RF12, RF16).
//
// An API error is an absl::Status whose payload kApiStatusPayload holds the
// serialized api::Status (code, reason, message, causes, retry-after). The
// absl code follows the HTTP code (410 -> kOutOfRange, 429 ->
// kResourceExhausted, 500 -> kInternal, 504 -> kDeadlineExceeded, ...), so
// the status reads sensibly where only absl codes are looked at. A refused
// connection is not an API error: it is kUnavailable tagged
// kConnectionRefusedTag (client-go utilnet.IsConnectionRefused).
//
// Thread safety: free functions on values; safe from any thread.
#ifndef INFORMERSIM_CORE_API_ERRORS_H_
#define INFORMERSIM_CORE_API_ERRORS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/api/status.pb.h"

namespace informersim {

inline constexpr absl::string_view kApiStatusPayload = "informersim/ApiStatus";
inline constexpr absl::string_view kConnectionRefusedTag =
    "informersim/ConnectionRefused";

// metav1.StatusReason values used here.
namespace reason {
inline constexpr absl::string_view kExpired = "Expired";
inline constexpr absl::string_view kGone = "Gone";
inline constexpr absl::string_view kTooManyRequests = "TooManyRequests";
inline constexpr absl::string_view kInternalError = "InternalError";
inline constexpr absl::string_view kTimeout = "Timeout";
inline constexpr absl::string_view kInvalid = "Invalid";
inline constexpr absl::string_view kBadRequest = "BadRequest";
inline constexpr absl::string_view kNotFound = "NotFound";
}  // namespace reason

// metav1.CauseTypeResourceVersionTooLarge.
inline constexpr absl::string_view kCauseResourceVersionTooLarge =
    "ResourceVersionTooLarge";
// The message older API servers (< 1.18.6) used for the same condition.
inline constexpr absl::string_view kTooLargeResourceVersionText =
    "Too large resource version";

// The Status an API error carries; nullopt for any other status.
std::optional<api::Status> ApiStatusOf(const absl::Status& status);

// Builds an API error from a full api::Status.
absl::Status ApiError(const api::Status& api_status);

// Constructors for the errors the fake server and the test doubles produce.
absl::Status ExpiredError(absl::string_view message);  // 410 Expired
absl::Status GoneError(absl::string_view message);     // 410 Gone
absl::Status TooManyRequestsError(absl::string_view message, int retry_after_seconds);
absl::Status InternalApiError(absl::string_view message);  // 500 InternalError
absl::Status TimeoutApiError(absl::string_view message, int retry_after_seconds);  // 504
absl::Status InvalidApiError(absl::string_view message);    // 422 Invalid
absl::Status BadRequestApiError(absl::string_view message);  // 400 BadRequest
// "resource version too large" as current servers send it: a Timeout with a
// ResourceVersionTooLarge cause.
absl::Status TooLargeResourceVersionError(absl::string_view message,
                                          int retry_after_seconds);
// The same condition as 1.17.0-1.18.5 servers sent it: a Timeout whose cause
// message is "Too large resource version" and whose cause type is empty.
absl::Status LegacyTooLargeResourceVersionError(absl::string_view message,
                                                int retry_after_seconds);
absl::Status ConnectionRefusedError(absl::string_view where);
// apimachinery NewNotFound(GroupResource{group, resource}, name): 404
// NotFound, message `<resource>[.<group>] "<name>" not found` (the name
// quoted as Go's %q). apimachinery's Details (group, kind, name) have no
// field in api::Status; the message carries them.
absl::Status NotFoundApiError(absl::string_view group, absl::string_view resource,
                              absl::string_view name);

// The reason of an API error, "" for other statuses (apimachinery ReasonForError).
std::string ReasonOf(const absl::Status& status);

// apimachinery's api/errors predicates (apimachinery eed236ce), rule for
// rule: most match their reason, or a reason apimachinery does not know
// ("" included) with their HTTP code; IsResourceExpired matches the reason
// only; IsTooManyRequests the reason or code 429 whatever the reason.
bool IsKnownReason(absl::string_view reason);           // apimachinery knownReasons
bool IsResourceExpired(const absl::Status& status);  // reason Expired
bool IsGone(const absl::Status& status);             // reason Gone, or unknown + 410
bool IsTimeout(const absl::Status& status);          // reason Timeout, or unknown + 504
bool IsTooManyRequests(const absl::Status& status);  // reason, or code 429
bool IsInternalError(const absl::Status& status);    // reason InternalError, or unknown + 500
// apimachinery IsNotFound: reason NotFound, or unknown + 404. Named apart from
// absl::IsNotFound, which argument-dependent lookup would also find.
bool IsApiNotFound(const absl::Status& status);
bool HasStatusCause(const absl::Status& status, absl::string_view cause_type);
// reflector.go isTooLargeResourceVersionError: the cause type, or (for older
// servers) an IsTimeout error with details (causes or retry advice: the
// port's api::Status has no separate details object) whose cause message or
// message says so (RF6).
bool IsTooLargeResourceVersion(const absl::Status& status);
// Expired or Gone: what makes the Reflector treat its version as unusable.
inline bool IsExpiredOrGone(const absl::Status& status) {
  return IsResourceExpired(status) || IsGone(status);
}
bool IsConnectionRefused(const absl::Status& status);
// Seconds the server asked the client to wait, 0 when it did not.
int RetryAfterSeconds(const absl::Status& status);

}  // namespace informersim

#endif  // INFORMERSIM_CORE_API_ERRORS_H_
