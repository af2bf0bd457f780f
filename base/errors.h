#ifndef COOK_BASE_ERRORS_H_
#define COOK_BASE_ERRORS_H_

// System errors as absl::Status, with the code chosen by what a caller can
// do about them.

#include <string_view>
#include <system_error>

#include "absl/status/status.h"

namespace cook {

// Maps an errno value to a Status: "`context`: strerror(err)". ENOENT becomes
// NotFound, EACCES/EPERM PermissionDenied, anything else Unknown... mapped by
// what a caller can do about it.
absl::Status ErrnoError(int err, std::string_view context);
absl::Status FsError(const std::error_code& ec, std::string_view context);

}  // namespace cook

#endif  // COOK_BASE_ERRORS_H_
