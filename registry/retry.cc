#include "registry/retry.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/interrupt.h"

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

namespace {

// `status` with `note` after its first line (before any "hint:" line).
absl::Status WithNote(const absl::Status& status, std::string_view note) {
  std::string message(status.message());
  const size_t line_end = std::min(message.find('\n'), message.size());
  message.insert(line_end, absl::StrFormat(" (%s)", note));
  return absl::Status(status.code(), message);
}

void SleepUnlessInterrupted(absl::Duration wait) {
  const absl::Time end = absl::Now() + wait;
  for (absl::Time now = absl::Now(); now < end && !Interrupted();
       now = absl::Now()) {
    absl::SleepFor(std::min(end - now, absl::Milliseconds(100)));
  }
}

}  // namespace

absl::Status Retry(const RetryPolicy& policy, const RetryHooks& hooks,
                   const std::function<absl::Status(Attempt&)>& attempt) {
  const int max_attempts = std::max(1, policy.max_attempts);
  for (Attempt current;; current = Attempt{current.number + 1, std::nullopt}) {
    if (absl::Status s = CheckInterrupted(); !s.ok()) return s;
    const absl::Status status = attempt(current);
    if (status.ok() || !IsRetryableStatus(status)) return status;
    if (current.retry_after.has_value() &&
        *current.retry_after > policy.max_retry_after) {
      return WithNote(status,
                      absl::StrCat("asked to wait ",
                                   absl::FormatDuration(*current.retry_after)));
    }
    if (current.number >= max_attempts) {
      return WithNote(status,
                      absl::StrFormat("gave up after %d attempts", current.number));
    }
    const double jitter = hooks.jitter ? hooks.jitter() : 0.0;
    const absl::Duration wait =
        Backoff(policy, current.number + 1, jitter, current.retry_after);
    if (hooks.log) {
      const std::string message(status.message());
      hooks.log(absl::StrFormat(
          "%s; retrying in %s (attempt %d of %d)",
          message.substr(0, message.find('\n')), absl::FormatDuration(wait),
          current.number + 1, max_attempts));
    }
    if (hooks.sleep) {
      hooks.sleep(wait);
    } else {
      SleepUnlessInterrupted(wait);
    }
  }
}

}  // namespace cook::registry
