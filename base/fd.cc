#include "base/fd.h"

#include <unistd.h>

#include <cerrno>

#include "base/errors.h"

namespace cook {

void Fd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

absl::Status Fd::Close(std::string_view context) {
  const int fd = std::exchange(fd_, -1);
  if (fd >= 0 && ::close(fd) != 0) return ErrnoError(errno, context);
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, std::string_view data, std::string_view context) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, context);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> ReadFull(int fd, char* buffer, size_t size,
                                std::string_view context) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, buffer + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, context);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

}  // namespace cook
