// Tests of the Kubernetes API error predicates the Reflector branches on.
#include "core/api_errors.h"

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

}  // namespace
}  // namespace informersim
