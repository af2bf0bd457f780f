#include "builder/registry/retry.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/ascii.h"

namespace cook::registry {

bool IsRetryableStatus(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status);
}

bool IsRetryableHttpStatus(int http_status) {
  if (http_status == 408 || http_status == 429) return true;
  return http_status >= 500 && http_status <= 599 && http_status != 501 &&
         http_status != 505;
}

std::optional<absl::Duration> ParseRetryAfter(std::string_view value,
                                              absl::Time now) {
  const std::string raw(value);
  const std::string text(absl::StripAsciiWhitespace(raw));
  int64_t seconds = 0;
  if (absl::SimpleAtoi(text, &seconds)) {
    if (seconds < 0) return std::nullopt;
    return absl::Seconds(seconds);
  }
  // IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
  absl::Time when;
  std::string error;
  if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", text, absl::UTCTimeZone(),
                       &when, &error)) {
    return std::nullopt;
  }
  return std::max(absl::ZeroDuration(), when - now);
}

absl::Duration Backoff(const RetryPolicy& policy, int attempt, double jitter,
                       std::optional<absl::Duration> retry_after) {
  const int exponent = std::clamp(attempt - 2, 0, 30);
  absl::Duration base = policy.initial_backoff * std::ldexp(1.0, exponent);
  base = std::min(base, policy.max_backoff);
  absl::Duration wait = base / 2 + base / 2 * std::clamp(jitter, 0.0, 1.0);
  if (retry_after.has_value()) wait = std::max(wait, *retry_after);
  return wait;
}

}  // namespace cook::registry
