#ifndef COOK_BASE_FD_H_
#define COOK_BASE_FD_H_

// One owner for a file descriptor, and the two loops every raw read(2) and
// write(2) needs (short counts, EINTR).

#include <cstddef>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cook {

// Owns a file descriptor and closes it once. Move-only. -1 is "none".
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership without closing.
  int Release() { return std::exchange(fd_, -1); }
  // Closes the descriptor (if any); errors from close(2) are ignored, so use
  // Close() where they matter (files written for the user).
  void Reset();
  // Closes the descriptor and reports close(2)'s error.
  absl::Status Close(std::string_view context);

 private:
  int fd_ = -1;
};

// Writes all of `data` to `fd`, retrying short writes and EINTR. Errors are
// "`context`: strerror".
absl::Status WriteAll(int fd, std::string_view data, std::string_view context);

// Reads until `size` bytes or the end of the file, retrying short reads and
// EINTR; returns how many bytes were read (less than `size` only at the end).
absl::StatusOr<size_t> ReadFull(int fd, char* buffer, size_t size,
                                std::string_view context);

}  // namespace cook

#endif  // COOK_BASE_FD_H_
