#include "base/errors.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_format.h"

namespace cook {

absl::Status ErrnoError(int err, std::string_view context) {
  std::string message = absl::StrFormat("%s: %s", context, std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case EEXIST:
    case ENOTEMPTY:
      return absl::AlreadyExistsError(message);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    case EINTR:
      return absl::CancelledError(message);
    default:
      return absl::UnknownError(message);
  }
}

absl::Status FsError(const std::error_code& ec, std::string_view context) {
  if (ec.category() == std::system_category() ||
      ec.category() == std::generic_category()) {
    return ErrnoError(ec.value(), context);
  }
  return absl::UnknownError(absl::StrFormat("%s: %s", context, ec.message()));
}

}  // namespace cook
