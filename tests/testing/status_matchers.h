#ifndef COOK_TESTS_TESTING_STATUS_MATCHERS_H_
#define COOK_TESTS_TESTING_STATUS_MATCHERS_H_

// IsOk(), IsOkAndHolds(m) and StatusIs(code, message_matcher): Debian's Abseil
// ships no absl_testing matchers.

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace cook::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status: " << s.ToString();
  return s.ok();
}

MATCHER_P(IsOkAndHolds, inner,
          negation ? "is not OK or holds another value" : "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status: " << arg.status().ToString();
    return false;
  }
  return ::testing::ExplainMatchResult(inner, *arg, result_listener);
}

MATCHER_P2(StatusIs, code, message,
           std::string("has status code ") +
               std::string(absl::StatusCodeToString(code))) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status: " << s.ToString();
  if (s.code() != code) return false;
  return ::testing::ExplainMatchResult(message, std::string(s.message()),
                                       result_listener);
}

MATCHER_P(StatusIs, code,
          std::string("has status code ") +
              std::string(absl::StatusCodeToString(code))) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status: " << s.ToString();
  return s.code() == code;
}

}  // namespace cook::testing

#endif  // COOK_TESTS_TESTING_STATUS_MATCHERS_H_
