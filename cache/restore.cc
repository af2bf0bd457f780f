#include "cache/restore.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "cache/cache_tag.h"
#include "layers/extractor.h"
#include "oci/transport.h"

namespace cook::cache {
namespace {

namespace fs = std::filesystem;

// "/build/target" -> "build/target": archive names are relative.
std::string ArchivePrefix(std::string path) {
  while (!path.empty() && path.front() == '/') path.erase(path.begin());
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

// One of the two directories a cache image holds.
struct Part {
  std::string what;
  std::set<std::string> diff_ids;
  std::string prefix;  // its place in the image, as an archive name
  fs::path dest;
};

absl::Status ExtractPart(const OpenedImage& image, const Part& part, Progress& progress,
                         const std::string& context, std::vector<std::string>& restored) {
  const oci::Manifest& manifest = image.manifest;
  const oci::ImageConfig& config = image.config;
  std::error_code ec;
  fs::create_directories(part.dest, ec);
  if (ec) return FsError(ec, absl::StrCat(context, ": creating ", part.dest.string()));
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    if (!part.diff_ids.contains(config.diff_ids[i])) continue;
    RETURN_IF_ERROR(CheckInterrupted());
    const oci::Descriptor& layer = manifest.layers[i];
    progress.Step(absl::StrFormat("restoring the %s from %s (%s) into %s", part.what,
                                  layer.digest.substr(0, 19), HumanBytes(layer.size),
                                  part.dest.string()));
    ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> reader,
                     Annotate(image.source->OpenBlob(layer), context));
    layers::ExtractOptions options;
    options.strip_prefix = part.prefix;
    options.diff_id = config.diff_ids[i];
    RETURN_IF_ERROR(Annotate(layers::ExtractLayer(*reader, part.dest, options),
                             absl::StrCat(context, ": layer ", layer.digest)));
    restored.push_back(config.diff_ids[i]);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ExtractCache(const OpenedImage& image,
                                                      const fs::path& target_dir,
                                                      const fs::path& cargo_home,
                                                      Progress& progress,
                                                      const std::string& context) {
  ASSIGN_OR_RETURN(const CacheImage cache,
                   ParseCacheImage(image.config, image.manifest.layers.size(), context));
  const Part parts[] = {
      {"target directory", {cache.target_layers.begin(), cache.target_layers.end()},
       ArchivePrefix(cache.target_dir), target_dir},
      {"cargo home", {cache.cargo_home_layers.begin(), cache.cargo_home_layers.end()},
       ArchivePrefix(cache.cargo_home), cargo_home},
  };
  // The diff_ids of the layers extracted, each verified (blob digest and
  // size, uncompressed stream against the diff_id) before its files counted.
  std::vector<std::string> restored;
  for (const Part& part : parts) {
    if (part.diff_ids.empty()) continue;
    RETURN_IF_ERROR(ExtractPart(image, part, progress, context, restored));
  }
  return restored;
}

namespace {

// The runner's side of the verdict: the workspace's recipe and rustc.
absl::StatusOr<std::optional<RunnerCache>> RunnerSide(const RestoreOptions& options,
                                                      ToolchainProbe* toolchain) {
  if (options.manifest_path.empty()) return std::nullopt;
  if (toolchain == nullptr) return absl::InternalError("restore: no toolchain probe");
  ASSIGN_OR_RETURN(StagingDir scratch,
                   StagingDir::Create(options.temp_dir.empty() ? "/tmp" : options.temp_dir,
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
                               registries, options.temp_dir, progress));
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
