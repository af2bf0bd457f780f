#ifndef COOK_CACHE_WORK_AREA_H_
#define COOK_CACHE_WORK_AREA_H_

// The work area of a build: skeleton, cargo home and target directory. Its
// path ends up inside the artifacts (debug info's comp_dir, dep-info,
// build-script output), so it depends only on the recipe: the same recipe
// gives the same bytes on any machine. A lock file keeps two concurrent
// builds of one recipe apart; the second gets a private name and says that
// its image will not be byte-identical.

#include <filesystem>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "base/progress.h"
#include "cache/image_io.h"

namespace cook::cache {

class WorkArea {
 public:
  // Claims <temp_dir>/cook-build-<16 hex digits of the digest>, emptied, or
  // a private directory beside it (with a warning through `progress`) when
  // another build holds that one.
  static absl::StatusOr<WorkArea> Claim(const std::string& recipe_digest,
                                        const std::filesystem::path& temp_dir,
                                        Progress& progress);
  WorkArea(WorkArea&& other) noexcept;
  WorkArea(const WorkArea&) = delete;
  // Removes the work area and releases the lock.
  ~WorkArea();
  const std::filesystem::path& path() const { return fallback_ ? fallback_->path() : path_; }

 private:
  WorkArea(std::filesystem::path path, int fd, std::filesystem::path lock_path)
      : path_(std::move(path)), lock_fd_(fd), lock_path_(std::move(lock_path)) {}
  explicit WorkArea(StagingDir dir) : fallback_(std::move(dir)) {}
  std::filesystem::path path_;
  int lock_fd_ = -1;
  std::filesystem::path lock_path_;
  std::optional<StagingDir> fallback_;
};

}  // namespace cook::cache

#endif  // COOK_CACHE_WORK_AREA_H_
