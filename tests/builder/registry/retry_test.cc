#include "builder/registry/retry.h"

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace cook::registry {
namespace {

TEST(RetryTest, RetryableFailures) {
  EXPECT_TRUE(IsRetryableStatus(absl::UnavailableError("reset")));
  EXPECT_TRUE(IsRetryableStatus(absl::DeadlineExceededError("slow")));
  EXPECT_FALSE(IsRetryableStatus(absl::PermissionDeniedError("no")));
  EXPECT_FALSE(IsRetryableStatus(absl::FailedPreconditionError("certificate")));
  for (int status : {408, 429, 500, 502, 503, 504}) {
    EXPECT_TRUE(IsRetryableHttpStatus(status)) << status;
  }
  for (int status : {200, 201, 400, 401, 403, 404, 416, 501, 505}) {
    EXPECT_FALSE(IsRetryableHttpStatus(status)) << status;
  }
}

TEST(RetryTest, ParsesRetryAfterSecondsAndDates) {
  const absl::Time now = absl::FromUnixSeconds(1445412480);  // 2015-10-21 07:28:00
  EXPECT_EQ(ParseRetryAfter("3", now), absl::Seconds(3));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now), absl::Seconds(30));
  // A date in the past means now.
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now), absl::ZeroDuration());
  EXPECT_FALSE(ParseRetryAfter("-1", now).has_value());
  EXPECT_FALSE(ParseRetryAfter("soon", now).has_value());
}

TEST(RetryTest, BackoffGrowsIsCappedAndKeepsHalf) {
  RetryPolicy policy;
  policy.initial_backoff = absl::Milliseconds(500);
  policy.max_backoff = absl::Seconds(4);
  // Jitter 0 gives half the exponential value, jitter ~1 the whole of it.
  EXPECT_EQ(Backoff(policy, 2, 0.0, std::nullopt), absl::Milliseconds(250));
  EXPECT_EQ(Backoff(policy, 2, 1.0, std::nullopt), absl::Milliseconds(500));
  EXPECT_EQ(Backoff(policy, 3, 1.0, std::nullopt), absl::Seconds(1));
  EXPECT_EQ(Backoff(policy, 4, 1.0, std::nullopt), absl::Seconds(2));
  EXPECT_EQ(Backoff(policy, 10, 1.0, std::nullopt), absl::Seconds(4));
  EXPECT_EQ(Backoff(policy, 10, 0.0, std::nullopt), absl::Seconds(2));
  // A Retry-After longer than the backoff wins; a shorter one does not.
  EXPECT_EQ(Backoff(policy, 2, 0.0, absl::Seconds(3)), absl::Seconds(3));
  EXPECT_EQ(Backoff(policy, 10, 1.0, absl::Seconds(1)), absl::Seconds(4));
}

}  // namespace
}  // namespace cook::registry
