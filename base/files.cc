#include "base/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/fd.h"
#include "base/status_macros.h"

namespace cook {

absl::StatusOr<std::string> ReadFileAtMost(const std::filesystem::path& path,
                                           int64_t max_size) {
  const std::string context = absl::StrCat("reading ", path.string());
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(errno, context);
  std::string out;
  // One allocation for a regular file, rather than doubling as it is read.
  struct stat st;
  if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) {
    out.reserve(static_cast<size_t>(std::min<int64_t>(st.st_size, max_size)));
  }
  char buffer[1 << 16];
  while (true) {
    ASSIGN_OR_RETURN(size_t n,
                     ReadFull(fd.get(), buffer, sizeof buffer, context));
    if (static_cast<int64_t>(out.size() + n) > max_size) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "reading %s: larger than %d bytes, the most cook reads into memory",
          path.string(), max_size));
    }
    out.append(buffer, n);
    if (n < sizeof buffer) return out;
  }
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
  const std::string context = absl::StrCat("writing ", path.string());
  const std::filesystem::path tmp = TempSibling(path);
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoError(errno, context);
  bool renamed = false;
  absl::Cleanup remove_tmp = [&] {
    if (!renamed) ::unlink(tmp.c_str());
  };
  RETURN_IF_ERROR(WriteAll(fd.get(), contents, context));
  if (durability == Durability::kSync && ::fsync(fd.get()) != 0) {
    return ErrnoError(errno, context);
  }
  RETURN_IF_ERROR(fd.Close(context));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return ErrnoError(errno, absl::StrCat("renaming into ", path.string()));
  }
  renamed = true;
  return absl::OkStatus();
}

}  // namespace cook
