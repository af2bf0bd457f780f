#include "cache/restore.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "layers/extractor.h"
#include "oci/transport.h"

namespace cook::cache {
absl::StatusOr<RestoreResult> Restore(const RestoreOptions& options, Progress& progress,
                                      registry::RegistrySession& registries) {
  const std::string context = absl::StrCat("restoring from ", options.from.ToString());
  ASSIGN_OR_RETURN(OpenedImage image,
                   OpenImage(options.from, options.platform.value_or(oci::HostPlatform()),
                             context, registries, options.temp_dir));
  ASSIGN_OR_RETURN(std::vector<std::string> restored,
                   ExtractCache(image, options.target_dir, options.cargo_home, progress,
                                context));
  RestoreResult result;
  result.image_digest = image.raw.digest;
  result.cache = ReadCacheLabels(image.config);
  result.layers = static_cast<int>(restored.size());
  return result;
}

}  // namespace cook::cache
