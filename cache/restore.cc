#include "cache/restore.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "cache/cache_tag.h"
#include "cache/signing.h"
#include "oci/transport.h"

namespace cook::cache {
namespace {

// The runner's side of the verdict: the workspace's recipe and rustc.
absl::StatusOr<std::optional<RunnerCache>> RunnerSide(const RestoreOptions& options,
                                                      ToolchainProbe* toolchain) {
  if (options.manifest_path.empty()) return std::nullopt;
  if (toolchain == nullptr) return absl::InternalError("restore: no toolchain probe");
  ASSIGN_OR_RETURN(StagingDir scratch,
                   StagingDir::Create(StagingParent({}, options.temp_dir),
                                      ".cook-rustc-"));
  return RunnerCacheFor(options.manifest_path, options.cargo, options.environment, *toolchain,
                        scratch.path());
}

// Whether to extract after `verdict`: FailedPrecondition for anything but a
// hit under --require-hit.
absl::StatusOr<bool> Proceed(const RestoreOptions& options, const Verdict& verdict,
                             const std::string& context, Progress& progress) {
  if (options.require_hit && verdict.kind != VerdictKind::kHit) {
    return absl::FailedPreconditionError(absl::StrCat(
        context, ": --require-hit: ", VerdictLine(verdict), "; nothing was extracted"));
  }
  if (verdict.kind == VerdictKind::kMiss && !options.force) {
    progress.Step("nothing downloaded: the cache would not help (--force restores it anyway)");
    return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<RestoreResult> Restore(const RestoreOptions& options, Progress& progress,
                                      registry::RegistrySession& registries,
                                      ToolchainProbe* toolchain, const VerdictReport& report) {
  ASSIGN_OR_RETURN(const std::optional<RunnerCache> runner, RunnerSide(options, toolchain));
  const std::string key_tag = runner ? CacheKeyTag(runner->key, runner->targets) : "";
  ASSIGN_OR_RETURN(FoundCache found,
                   LookUpCache(options.from, key_tag,
                               options.platform.value_or(oci::HostPlatform()),
                               absl::StrCat("restoring from ", options.from.ToString()),
                               registries, options.temp_dir, progress,
                               VerifyWith(options.verify_keys, "restoring from ", registries,
                                          options.temp_dir, progress)));
  const std::string context = absl::StrCat("restoring from ", found.ref.ToString());
  RestoreResult result;
  result.reference = found.ref.ToString();
  result.image_digest = found.image.raw.digest;
  result.cache = ReadCacheLabels(found.image.config);
  if (runner.has_value()) {
    ASSIGN_OR_RETURN(const CacheImage cache,
                     ParseCacheImage(found.image.config, found.image.manifest.layers.size(),
                                     context));
    result.verdict = Judge(cache, *runner);
    if (report) report(*result.verdict, result.reference);
    ASSIGN_OR_RETURN(const bool proceed, Proceed(options, *result.verdict, context, progress));
    if (!proceed) return result;
  }
  ASSIGN_OR_RETURN(std::vector<std::string> restored,
                   ExtractCache(found.image, options.target_dir, options.cargo_home, progress,
                                context));
  result.layers = static_cast<int>(restored.size());
  return result;
}

}  // namespace cook::cache
