#include "base/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
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

absl::StatusOr<std::string> ReadFileAtMost(const std::filesystem::path& path,
                                           int64_t max_size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, absl::StrCat("reading ", path.string()));
  absl::Cleanup closer = [fd] { ::close(fd); };
  const auto too_large = [&] {
    return absl::FailedPreconditionError(absl::StrFormat(
        "reading %s: larger than %d bytes, the most cook reads into memory",
        path.string(), max_size));
  };
  std::string out;
  char buffer[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, absl::StrCat("reading ", path.string()));
    }
    if (n == 0) break;
    if (static_cast<int64_t>(out.size()) + n > max_size) return too_large();
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path) {
  return ReadFileAtMost(path, std::numeric_limits<int64_t>::max());
}

std::filesystem::path TempSibling(const std::filesystem::path& path) {
  static std::atomic<int> counter{0};
  std::filesystem::path tmp = path;
  tmp += absl::StrCat(".cook-tmp-", ::getpid(), "-", counter++);
  return tmp;
}

absl::Status WriteFileAtomically(const std::filesystem::path& path,
                                 std::string_view contents,
                                 Durability durability) {
  const std::filesystem::path tmp = TempSibling(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(errno, absl::StrCat("writing ", path.string()));
  bool renamed = false;
  absl::Cleanup cleanup = [&] {
    if (fd >= 0) ::close(fd);
    if (!renamed) ::unlink(tmp.c_str());
  };
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, absl::StrCat("writing ", path.string()));
    }
    done += static_cast<size_t>(n);
  }
  if ((durability == Durability::kSync && ::fsync(fd) != 0) || ::close(fd) != 0) {
    fd = -1;
    return ErrnoError(errno, absl::StrCat("writing ", path.string()));
  }
  fd = -1;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return ErrnoError(errno, absl::StrCat("renaming into ", path.string()));
  }
  renamed = true;
  return absl::OkStatus();
}

}  // namespace cook
