#include "registry/retry.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
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

// The loop, with sleeps recorded instead of slept.
struct Recorded {
  std::vector<absl::Duration> waits;
  std::vector<std::string> log;
  RetryHooks Hooks() {
    RetryHooks hooks;
    hooks.jitter = [] { return 0.0; };
    hooks.sleep = [this](absl::Duration d) { waits.push_back(d); };
    hooks.log = [this](const std::string& line) { log.push_back(line); };
    return hooks;
  }
};

TEST(RetryLoopTest, RetriesTransientFailuresUntilSuccess) {
  Recorded r;
  int calls = 0;
  absl::Status s = Retry(RetryPolicy{}, r.Hooks(), [&](Attempt& attempt) {
    EXPECT_EQ(attempt.number, ++calls);
    return calls < 3 ? absl::UnavailableError("get x: HTTP 503") : absl::OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(r.waits, (std::vector<absl::Duration>{absl::Milliseconds(250),
                                                  absl::Milliseconds(500)}));
  ASSERT_EQ(r.log.size(), 2u);
  EXPECT_EQ(r.log[0], "get x: HTTP 503; retrying in 250ms (attempt 2 of 6)");
}

TEST(RetryLoopTest, OtherFailuresEndAtOnce) {
  Recorded r;
  int calls = 0;
  absl::Status s = Retry(RetryPolicy{}, r.Hooks(), [&](Attempt&) {
    ++calls;
    return absl::PermissionDeniedError("denied");
  });
  EXPECT_EQ(s, absl::PermissionDeniedError("denied"));
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(r.waits.empty());
}

TEST(RetryLoopTest, GivesUpAfterMaxAttemptsSayingSoBeforeTheHint) {
  Recorded r;
  int calls = 0;
  RetryPolicy policy;
  policy.max_attempts = 4;
  absl::Status s = Retry(policy, r.Hooks(), [&](Attempt&) {
    ++calls;
    return absl::DeadlineExceededError("get x: timed out\nhint: try later");
  });
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(r.waits.size(), 3u);
  EXPECT_EQ(s, absl::DeadlineExceededError(
                   "get x: timed out (gave up after 4 attempts)\nhint: try later"));
}

TEST(RetryLoopTest, HonoursRetryAfterAndRefusesTooLongOnes) {
  Recorded r;
  int calls = 0;
  absl::Status s = Retry(RetryPolicy{}, r.Hooks(), [&](Attempt& attempt) {
    ++calls;
    if (calls == 1) {
      attempt.retry_after = absl::Seconds(3);
      return absl::UnavailableError("get x: HTTP 429");
    }
    attempt.retry_after = absl::Hours(1);
    return absl::UnavailableError("get x: HTTP 429");
  });
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(r.waits, std::vector<absl::Duration>{absl::Seconds(3)});
  EXPECT_EQ(s, absl::UnavailableError("get x: HTTP 429 (asked to wait 1h)"));
}

}  // namespace
}  // namespace cook::registry
