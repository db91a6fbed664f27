#include "core/api_errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/errors.h"

namespace informersim {
namespace {

absl::StatusCode CodeForHttp(int http_code) {
  switch (http_code) {
    case 400:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 404:
      return absl::StatusCode::kNotFound;
    case 409:
      return absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 500:
      return absl::StatusCode::kInternal;
    case 503:
      return absl::StatusCode::kUnavailable;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      return absl::StatusCode::kUnknown;
  }
}

api::Status MakeStatus(int code, absl::string_view why, absl::string_view message,
                       int retry_after_seconds = 0) {
  api::Status s;
  s.set_code(code);
  s.set_reason(std::string(why));
  s.set_message(std::string(message));
  s.set_retry_after_seconds(retry_after_seconds);
  return s;
}

absl::Status Make(int code, absl::string_view why, absl::string_view message,
                  int retry_after_seconds = 0) {
  return ApiError(MakeStatus(code, why, message, retry_after_seconds));
}

}  // namespace

std::optional<api::Status> ApiStatusOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kApiStatusPayload);  // absl::optional
  if (!payload.has_value()) return std::nullopt;
  api::Status s;
  if (!s.ParseFromString(std::string(*payload))) return std::nullopt;
  return s;
}

absl::Status ApiError(const api::Status& api_status) {
  absl::StatusCode code = CodeForHttp(api_status.code());
  if (code == absl::StatusCode::kOk) code = absl::StatusCode::kUnknown;
  absl::Status status(code, api_status.message().empty()
                                ? absl::StrCat(api_status.reason(), " (", api_status.code(), ")")
                                : api_status.message());
  status.SetPayload(kApiStatusPayload, absl::Cord(api_status.SerializeAsString()));
  return status;
}

absl::Status ExpiredError(absl::string_view message) {
  return Make(410, reason::kExpired, message);
}
absl::Status GoneError(absl::string_view message) { return Make(410, reason::kGone, message); }
absl::Status TooManyRequestsError(absl::string_view message, int retry_after_seconds) {
  return Make(429, reason::kTooManyRequests, message, retry_after_seconds);
}
absl::Status InternalApiError(absl::string_view message) {
  return Make(500, reason::kInternalError, message);
}
absl::Status TimeoutApiError(absl::string_view message, int retry_after_seconds) {
  return Make(504, reason::kTimeout, message, retry_after_seconds);
}
absl::Status InvalidApiError(absl::string_view message) {
  return Make(422, reason::kInvalid, message);
}
absl::Status BadRequestApiError(absl::string_view message) {
  return Make(400, reason::kBadRequest, message);
}

absl::Status TooLargeResourceVersionError(absl::string_view message,
                                          int retry_after_seconds) {
  api::Status s = MakeStatus(504, reason::kTimeout, message, retry_after_seconds);
  api::StatusCause* cause = s.add_causes();
  cause->set_type(std::string(kCauseResourceVersionTooLarge));
  cause->set_message(std::string(kTooLargeResourceVersionText));
  return ApiError(s);
}

absl::Status LegacyTooLargeResourceVersionError(absl::string_view message,
                                                int retry_after_seconds) {
  api::Status s = MakeStatus(504, reason::kTimeout, message, retry_after_seconds);
  s.add_causes()->set_message(std::string(kTooLargeResourceVersionText));
  return ApiError(s);
}

absl::Status NotFoundApiError(absl::string_view group, absl::string_view resource,
                              absl::string_view name) {
  // GroupResource.String(), then %q of the name.
  std::string message(resource);
  if (!group.empty()) absl::StrAppend(&message, ".", group);
  message += " \"";
  for (unsigned char c : name) {
    if (c == '"' || c == '\\') {
      message += '\\';
      message += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      absl::StrAppendFormat(&message, "\\x%02x", c);
    } else {
      message += static_cast<char>(c);
    }
  }
  message += "\" not found";
  return Make(404, reason::kNotFound, message);
}

absl::Status ConnectionRefusedError(absl::string_view where) {
  return WithTag(absl::UnavailableError(absl::StrCat(where, ": connection refused")),
                 kConnectionRefusedTag);
}

std::string ReasonOf(const absl::Status& status) {
  std::optional<api::Status> s = ApiStatusOf(status);
  return s.has_value() ? s->reason() : std::string();
}

bool IsKnownReason(absl::string_view why) {
  // apimachinery's knownReasons; "" (StatusReasonUnknown) is not one.
  static constexpr absl::string_view kKnown[] = {
      "Unauthorized",   "Forbidden",        "NotFound",        "AlreadyExists",
      "Conflict",       "Gone",             "Invalid",         "ServerTimeout",
      "StoreReadError", "Timeout",          "TooManyRequests", "BadRequest",
      "MethodNotAllowed", "NotAcceptable",  "RequestEntityTooLarge",
      "UnsupportedMediaType", "InternalError", "Expired",      "ServiceUnavailable",
  };
  for (absl::string_view known : kKnown) {
    if (why == known) return true;
  }
  return false;
}

namespace {

// apimachinery's pattern for most Is* predicates: the reason, or a reason
// it does not know with the matching HTTP code.
bool ReasonOrCode(const absl::Status& status, absl::string_view why, int code) {
  std::optional<api::Status> s = ApiStatusOf(status);
  if (!s.has_value()) return false;
  if (s->reason() == why) return true;
  return !IsKnownReason(s->reason()) && s->code() == code;
}

}  // namespace

bool IsResourceExpired(const absl::Status& status) { return ReasonOf(status) == reason::kExpired; }
bool IsGone(const absl::Status& status) { return ReasonOrCode(status, reason::kGone, 410); }
bool IsTimeout(const absl::Status& status) { return ReasonOrCode(status, reason::kTimeout, 504); }
bool IsApiNotFound(const absl::Status& status) {
  return ReasonOrCode(status, reason::kNotFound, 404);
}
bool IsInternalError(const absl::Status& status) {
  return ReasonOrCode(status, reason::kInternalError, 500);
}

bool IsTooManyRequests(const absl::Status& status) {
  std::optional<api::Status> s = ApiStatusOf(status);
  if (!s.has_value()) return false;
  return s->reason() == reason::kTooManyRequests || s->code() == 429;
}

bool HasStatusCause(const absl::Status& status, absl::string_view cause_type) {
  std::optional<api::Status> s = ApiStatusOf(status);
  if (!s.has_value()) return false;
  for (const api::StatusCause& c : s->causes()) {
    if (c.type() == cause_type) return true;
  }
  return false;
}

bool IsTooLargeResourceVersion(const absl::Status& status) {
  std::optional<api::Status> s = ApiStatusOf(status);
  if (!s.has_value()) return false;
  for (const api::StatusCause& c : s->causes()) {
    if (c.type() == kCauseResourceVersionTooLarge) return true;
  }
  // Servers before 1.18.6 said it only in words, and only on a Timeout (by
  // reason, or by code with a reason apimachinery does not know), and
  // only with details (which hold the causes and the retry advice).
  if (!IsTimeout(status)) return false;
  if (s->causes().empty() && s->retry_after_seconds() == 0) return false;
  for (const api::StatusCause& c : s->causes()) {
    if (c.message() == kTooLargeResourceVersionText) return true;
  }
  return absl::StrContains(s->message(), kTooLargeResourceVersionText);
}

bool IsConnectionRefused(const absl::Status& status) {
  return HasTag(status, kConnectionRefusedTag);
}

int RetryAfterSeconds(const absl::Status& status) {
  std::optional<api::Status> s = ApiStatusOf(status);
  return s.has_value() ? s->retry_after_seconds() : 0;
}

}  // namespace informersim
