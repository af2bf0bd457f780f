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
#include "cache/extract.h"
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

}  // namespace cook::cache

#endif  // COOK_CACHE_RESTORE_H_
