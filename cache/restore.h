#ifndef COOK_CACHE_RESTORE_H_
#define COOK_CACHE_RESTORE_H_

// `cook restore`: a cache image's target directory and cargo home put back
// through the safe extractor; also how `cook build --cache-from` starts.
// With a workspace, the verdict first (cache/verdict.h): the image is found
// by its cache-key tag where it has one (cache/cache_tag.h), judged by its
// manifest and config alone, and a miss downloads nothing.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/progress.h"
#include "cache/cargo_options.h"
#include "cache/extract.h"
#include "cache/format.h"
#include "cache/image_io.h"
#include "cache/signing_keys.h"
#include "cache/toolchain.h"
#include "cache/verdict.h"
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
  // The workspace to judge the image for (absolute), or empty: no verdict,
  // `from` restored as it is.
  std::string manifest_path;
  CargoOptions cargo;  // the options the runner will build with
  // Anything but a hit fails (FailedPrecondition) with nothing extracted,
  // whatever `force` says.
  bool require_hit = false;
  bool force = false;  // a miss is restored too
  // cook's environment, "NAME=value": rustc is asked with it.
  std::vector<std::string> environment;
  // The image must carry a signature by one of these (when any), checked
  // before the verdict and before any layer is read.
  std::vector<VerifyingKey> verify_keys;
};

struct RestoreResult {
  std::string image_digest;  // the manifest's
  CacheImage cache;          // its labels
  int layers = 0;            // layers extracted
  std::string reference;     // what was restored (or judged): `from` or its cache-key tag
  std::optional<Verdict> verdict;  // with a manifest path
};

// Called with the verdict and the reference judged, before any layer is
// downloaded.
using VerdictReport = std::function<void(const Verdict&, const std::string& reference)>;

// Restores `options.from` (with a manifest path: its cache-key tag when it
// exists, after a verdict that `toolchain` asks rustc for; a miss restores
// nothing unless `options.force`).
absl::StatusOr<RestoreResult> Restore(const RestoreOptions& options, Progress& progress,
                                      registry::RegistrySession& registries,
                                      ToolchainProbe* toolchain = nullptr,
                                      const VerdictReport& report = nullptr);

}  // namespace cook::cache

#endif  // COOK_CACHE_RESTORE_H_
