// Tests of the Kubernetes API error predicates the Reflector branches on.
#include "core/api_errors.h"

#include <string>

#include "gtest/gtest.h"

namespace informersim {
namespace {

TEST(ApiErrors, ReasonsAndCodes) {
  EXPECT_TRUE(IsResourceExpired(ExpiredError("too old")));
  EXPECT_FALSE(IsGone(ExpiredError("too old")));
  EXPECT_TRUE(IsGone(GoneError("gone")));
  EXPECT_TRUE(IsExpiredOrGone(GoneError("gone")));
  EXPECT_EQ(ExpiredError("x").code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(IsInternalError(InternalApiError("boom")));
  EXPECT_FALSE(IsInternalError(absl::InternalError("not an API error")));
  EXPECT_EQ(ReasonOf(absl::InternalError("plain")), "");
}

api::Status Shaped(int code, const std::string& why, const std::string& message = "m") {
  api::Status s;
  s.set_code(code);
  s.set_reason(why);
  s.set_message(message);
  return s;
}

// apimachinery's errors.go (eed236ce): IsGone, IsTimeout and IsInternalError
// match their reason, or a reason they do not know (the empty one, or an
// invented one) with their HTTP code; a known other reason with that code
// does not match; IsResourceExpired goes by its reason only.
TEST(ApiErrors, UnknownReasonsFallBackToTheHttpCode) {
  for (const std::string& unknown : {std::string(), std::string("Teapot")}) {
    EXPECT_TRUE(IsGone(ApiError(Shaped(410, unknown)))) << unknown;
    EXPECT_TRUE(IsExpiredOrGone(ApiError(Shaped(410, unknown)))) << unknown;
    EXPECT_TRUE(IsTimeout(ApiError(Shaped(504, unknown)))) << unknown;
    EXPECT_TRUE(IsInternalError(ApiError(Shaped(500, unknown)))) << unknown;
    EXPECT_FALSE(IsResourceExpired(ApiError(Shaped(410, unknown)))) << unknown;
  }
  EXPECT_FALSE(IsGone(ApiError(Shaped(410, "Conflict"))));
  EXPECT_FALSE(IsGone(ApiError(Shaped(410, "Expired"))));
  EXPECT_FALSE(IsTimeout(ApiError(Shaped(504, "ServerTimeout"))));
  EXPECT_FALSE(IsInternalError(ApiError(Shaped(500, "ServiceUnavailable"))));
  EXPECT_FALSE(IsGone(ApiError(Shaped(404, ""))));
  EXPECT_TRUE(IsKnownReason("Expired"));
  EXPECT_TRUE(IsKnownReason("StoreReadError"));
  EXPECT_FALSE(IsKnownReason(""));
  EXPECT_FALSE(IsKnownReason("Teapot"));
  // The 429 check predates the others and ignores the reason entirely.
  EXPECT_TRUE(IsTooManyRequests(ApiError(Shaped(429, "Conflict"))));
}

// isTooLargeResourceVersionError on a reasonless 504: IsTimeout by code; the
// words count only when the Status has details (here: causes or retry
// advice).
TEST(ApiErrors, TooLargeOnAReasonless504) {
  api::Status with_cause = Shaped(504, "", "x");
  with_cause.add_causes()->set_message("Too large resource version");
  EXPECT_TRUE(IsTooLargeResourceVersion(ApiError(with_cause)));
  api::Status words_with_advice = Shaped(504, "", "Too large resource version: 9");
  words_with_advice.set_retry_after_seconds(1);
  EXPECT_TRUE(IsTooLargeResourceVersion(ApiError(words_with_advice)));
  EXPECT_FALSE(IsTooLargeResourceVersion(ApiError(Shaped(504, "", "Too large resource version"))));
  api::Status known_other = Shaped(504, "ServerTimeout", "Too large resource version");
  known_other.set_retry_after_seconds(1);
  EXPECT_FALSE(IsTooLargeResourceVersion(ApiError(known_other)));
}

TEST(ApiErrors, TooManyRequestsByReasonOrCode) {
  const absl::Status by_reason = TooManyRequestsError("slow down", 3);
  EXPECT_TRUE(IsTooManyRequests(by_reason));
  EXPECT_EQ(RetryAfterSeconds(by_reason), 3);
  api::Status code_only;
  code_only.set_code(429);
  EXPECT_TRUE(IsTooManyRequests(ApiError(code_only)));
  EXPECT_FALSE(IsTooManyRequests(InternalApiError("x")));
}

// The three encodings of "resource version too large" that client-go's
// TestReflectorFullListIfTooLarge feeds the reflector are all recognised.
TEST(ApiErrors, TooLargeResourceVersionEncodings) {
  EXPECT_TRUE(IsTooLargeResourceVersion(TooLargeResourceVersionError("rv 9 > 5", 1)));
  EXPECT_TRUE(IsTooLargeResourceVersion(LegacyTooLargeResourceVersionError("x", 1)));
  EXPECT_TRUE(IsTooLargeResourceVersion(TimeoutApiError("Too large resource version: 9", 1)));
  EXPECT_FALSE(IsTooLargeResourceVersion(TimeoutApiError("plain timeout", 1)));
  // The words count only on a Timeout; a cause type counts on anything.
  EXPECT_FALSE(IsTooLargeResourceVersion(InternalApiError("Too large resource version")));
  api::Status typed;
  typed.set_code(500);
  typed.set_reason("InternalError");
  typed.add_causes()->set_type("ResourceVersionTooLarge");
  EXPECT_TRUE(IsTooLargeResourceVersion(ApiError(typed)));
}

TEST(ApiErrors, ConnectionRefusedIsNotAnApiError) {
  const absl::Status refused = ConnectionRefusedError("watch pods");
  EXPECT_TRUE(IsConnectionRefused(refused));
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(ApiStatusOf(refused).has_value());
  EXPECT_FALSE(IsConnectionRefused(InternalApiError("x")));
}

TEST(ApiErrors, RoundTripsTheWholeStatus) {
  const absl::Status err = TooLargeResourceVersionError("Too large resource version: 9, current: 5", 1);
  std::optional<api::Status> s = ApiStatusOf(err);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->code(), 504);
  EXPECT_EQ(s->reason(), "Timeout");
  EXPECT_EQ(err.message(), "Too large resource version: 9, current: 5");
  ASSERT_EQ(s->causes_size(), 1);
  EXPECT_EQ(s->causes(0).type(), "ResourceVersionTooLarge");
}

// An API server's protobuf encoding does not check that strings are UTF-8
// (Go strings are bytes), and client-go keeps whatever bytes came: a Status
// with any bytes in its reason or message is still the same API error
// (found by the API fuzzer: such a 410 stopped being an API error here).
TEST(ApiErrors, AnyBytesInAStatusKeepItAnApiError) {
  api::Status s;
  s.set_code(410);
  s.set_reason("\xff\xfe");
  static constexpr char kMessage[] = "too old \xc3\x28 version\0tail";  // NUL inside
  s.set_message(std::string(kMessage, sizeof(kMessage) - 1));
  s.add_causes()->set_message("\x80");
  const absl::Status err = ApiError(s);
  std::optional<api::Status> back = ApiStatusOf(err);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->reason(), s.reason());
  EXPECT_EQ(back->message(), s.message());
  EXPECT_EQ(back->causes(0).message(), "\x80");
  EXPECT_TRUE(IsGone(err));  // an unknown reason: the 410 decides
  s.set_reason("Expired");
  EXPECT_TRUE(IsResourceExpired(ApiError(s)));
}

}  // namespace
}  // namespace informersim
