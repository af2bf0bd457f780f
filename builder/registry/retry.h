#ifndef COOK_BUILDER_REGISTRY_RETRY_H_
#define COOK_BUILDER_REGISTRY_RETRY_H_

// When and how long to wait before trying a registry request again.

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace cook::registry {

struct RetryPolicy {
  int max_attempts = 6;  // including the first
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(20);
  // The longest Retry-After honoured; a longer one fails the request.
  absl::Duration max_retry_after = absl::Seconds(60);
};

// True for failures worth another attempt: connection failures and timeouts
// (Unavailable, DeadlineExceeded), and HTTP 408, 429 and 5xx except 501
// and 505.
bool IsRetryableStatus(const absl::Status& status);
bool IsRetryableHttpStatus(int http_status);

// Parses a Retry-After value: delta-seconds or an HTTP date (relative to
// `now`). nullopt when malformed.
std::optional<absl::Duration> ParseRetryAfter(std::string_view value,
                                              absl::Time now);

// The wait before attempt `attempt` (2 for the first retry): exponential from
// initial_backoff, capped at max_backoff, with "full jitter" drawn from
// `jitter` in [0, 1) applied to the upper half (so the wait is at least half
// the exponential value). A Retry-After, when given, is the wait instead (if
// longer).
absl::Duration Backoff(const RetryPolicy& policy, int attempt, double jitter,
                       std::optional<absl::Duration> retry_after);

}  // namespace cook::registry

#endif  // COOK_BUILDER_REGISTRY_RETRY_H_
