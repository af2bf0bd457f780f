#ifndef COOK_REGISTRY_RETRY_H_
#define COOK_REGISTRY_RETRY_H_

// When and how long to wait before trying a registry request again, and the
// one loop that does it.
//
// Every registry request (the ping, token requests, blobs, manifests) is
// retried by Retry(), through Endpoint::Retry (registry/endpoint.h), and
// nowhere else: an attempt may send several requests in a row (start an
// upload session, then PUT into it), but never retries one itself, so
// retries never nest and max_attempts bounds every operation.

#include <functional>
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

// What one attempt tells the loop besides its status.
struct Attempt {
  int number = 1;  // 1 for the first
  // The wait the server asked for (Retry-After), when it did.
  std::optional<absl::Duration> retry_after;
};

struct RetryHooks {
  // In [0, 1); empty: no jitter (0).
  std::function<double()> jitter;
  // One line per retry; may be empty.
  std::function<void(const std::string&)> log;
  // Empty: sleeps, waking early on an interrupt.
  std::function<void(absl::Duration)> sleep;
};

// Runs `attempt` until it returns OK or an error IsRetryableStatus() does
// not hold for, at most `policy.max_attempts` times, waiting Backoff()
// between attempts. Returns the last attempt's status; after the last
// attempt its message ends with "(gave up after N attempts)", and when an
// attempt recorded a Retry-After longer than `policy.max_retry_after`, the
// loop stops at once with "(asked to wait D)". Cancelled when interrupted
// between attempts. `attempt` must not retry anything itself.
absl::Status Retry(const RetryPolicy& policy, const RetryHooks& hooks,
                   const std::function<absl::Status(Attempt&)>& attempt);

}  // namespace cook::registry

#endif  // COOK_REGISTRY_RETRY_H_
