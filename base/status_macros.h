#ifndef COOK_BASE_STATUS_MACROS_H_
#define COOK_BASE_STATUS_MACROS_H_

// RETURN_IF_ERROR, ASSIGN_OR_RETURN and Annotate. Debian's Abseil 20220623 lacks
// them; rename to the ABSL_* macros once Abseil >= 20260526.

#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace cook {

// Returns `status` with `context` prepended as "context: message". OK stays OK.
inline absl::Status Annotate(const absl::Status& status,
                             std::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(absl::string_view(context.data(), context.size()), ": ",
                                   status.message()));
}

template <typename T>
absl::StatusOr<T> Annotate(absl::StatusOr<T> value, std::string_view context) {
  if (value.ok()) return value;
  return Annotate(value.status(), context);
}

namespace internal {
inline absl::Status AsStatus(absl::Status s) { return s; }
template <typename T>
absl::Status AsStatus(const absl::StatusOr<T>& s) {
  return s.status();
}
}  // namespace internal

}  // namespace cook

#define COOK_STATUS_CONCAT_INNER_(a, b) a##b
#define COOK_STATUS_CONCAT_(a, b) COOK_STATUS_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                                        \
  do {                                                               \
    ::absl::Status cook_status_ = ::cook::internal::AsStatus(expr);  \
    if (!cook_status_.ok()) return cook_status_;                     \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, rexpr)                                         \
  COOK_ASSIGN_OR_RETURN_IMPL_(COOK_STATUS_CONCAT_(cook_statusor_, __LINE__), \
                              lhs, rexpr)

#define COOK_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // COOK_BASE_STATUS_MACROS_H_
