#ifndef COOK_CACHE_RESTORE_H_
#define COOK_CACHE_RESTORE_H_

// `cook restore`: a cache image's target directory and cargo home put back
// through the safe extractor; also how `cook build --cache-from` starts.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/progress.h"
#include "cache/format.h"
#include "cache/image_io.h"
#include "oci/image.h"
#include "oci/reference.h"
#include "registry/session.h"

namespace cook::cache {

struct RestoreOptions {
  oci::ImageReference from;
  std::string target_dir;  // absolute
  std::string cargo_home;  // absolute
  std::optional<oci::Platform> platform;  // the host's when unset
  std::string temp_dir;  // the user's $TMPDIR or /tmp, from the CLI
};

struct RestoreResult {
  std::string image_digest;  // the manifest's
  CacheImage cache;          // its labels
  int layers = 0;            // layers extracted
};

absl::StatusOr<RestoreResult> Restore(const RestoreOptions& options, Progress& progress,
                                      registry::RegistrySession& registries);

// Extracts the target-directory and cargo-home layers of a cook cache image
// (opened by OpenImage) into `target_dir` and `cargo_home` through the safe
// extractor, each layer verified (digest, size, diff_id) and all or nothing;
// returns the diff_ids of the layers extracted, in order. An image that is
// not a valid cache image (ParseCacheImage) is InvalidArgument. Errors name
// `context` and the layer.
absl::StatusOr<std::vector<std::string>> ExtractCache(
    const OpenedImage& image, const std::filesystem::path& target_dir,
    const std::filesystem::path& cargo_home, Progress& progress,
    const std::string& context);

}  // namespace cook::cache

#endif  // COOK_CACHE_RESTORE_H_
