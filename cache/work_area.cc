#include "cache/work_area.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "base/status_macros.h"

namespace cook::cache {

namespace fs = std::filesystem;

absl::StatusOr<WorkArea> WorkArea::Claim(const std::string& recipe_digest,
                                         const fs::path& temp_dir, Progress& progress) {
  const fs::path parent = StagingParent({}, temp_dir);
  const std::string name =
      absl::StrCat("cook-build-", recipe_digest.substr(recipe_digest.find(':') + 1, 16));
  const fs::path lock_path = parent / (name + ".lock");
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0) {
    const fs::path path = parent / name;
    std::error_code ec;
    fs::remove_all(path, ec);  // left by a build that was killed
    if (!ec && fs::create_directory(path, ec) && !ec) return WorkArea(path, fd, lock_path);
    if (ec) {
      ::close(fd);
      return FsError(ec, absl::StrCat("creating the work area ", path.string()));
    }
  }
  if (fd >= 0) ::close(fd);
  progress.Warn(absl::StrCat(
      "another cook build of this recipe is running; this one uses a private "
      "work area, so its layers will not be byte-identical"));
  ASSIGN_OR_RETURN(StagingDir dir, StagingDir::Create(parent, name + "-"));
  return WorkArea(std::move(dir));
}

WorkArea::WorkArea(WorkArea&& other) noexcept
    : path_(std::move(other.path_)),
      lock_fd_(std::exchange(other.lock_fd_, -1)),
      lock_path_(std::move(other.lock_path_)),
      fallback_(std::move(other.fallback_)) {
  other.path_.clear();
}

WorkArea::~WorkArea() {
  if (lock_fd_ < 0) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
  fs::remove(lock_path_, ec);
  ::close(lock_fd_);
}

}  // namespace cook::cache
