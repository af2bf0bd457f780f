#include "cache/build.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "cache/cache_tag.h"
#include "cache/internal/build_stages.h"
#include "cache/restore.h"
#include "cache/signing.h"
#include "cache/verdict.h"
#include "cache/work_area.h"
#include "chef/prepare.h"
#include "chef/recipe.h"

namespace cook::cache {
namespace internal {
namespace {

// True when `dest` already holds an image with `key` (and, with
// `sign_key`, a valid signature by it: cook signs only what it built, never
// what it finds at a destination whoever can push may have put there).
absl::StatusOr<bool> UpToDate(const oci::ImageReference& dest, const CacheKey& key,
                              const std::string& temp_dir,
                              const oci::Platform& platform,
                              registry::RegistrySession& registries,
                              const SigningKey* sign_key) {
  const std::string context = absl::StrCat("checking ", dest.ToString());
  absl::StatusOr<OpenedImage> image = OpenImage(dest, platform, context, registries, temp_dir);
  if (!image.ok()) {
    // A missing or unreadable local image just means there is work to do. A
    // registry that refuses us (credentials, certificates) would refuse the
    // push too: better to say so before a long build.
    // PermissionDenied may just mean the repository does not exist yet
    // (some registries refuse a pull token for it); the push decides.
    if (dest.transport == oci::Transport::kDocker &&
        !absl::IsNotFound(image.status()) &&
        !absl::IsPermissionDenied(image.status())) {
      return image.status();
    }
    return false;
  }
  if (ReadCacheLabels(image->config).key != key) return false;
  if (sign_key == nullptr) return true;
  ASSIGN_OR_RETURN(const std::vector<FoundSignature> found,
                   FindSignatures(dest, SignatureSubjects(image->raw), {sign_key->public_key()},
                                  registries, temp_dir, /*first_valid=*/true));
  return AnyVerified(found);
}

}  // namespace

absl::StatusOr<chef::Recipe> LoadRecipe(const BuildOptions& options) {
  if (options.recipe_path.empty()) {
    return Annotate(chef::Prepare({options.manifest_path, ""}), "preparing the recipe");
  }
  return chef::ReadRecipe(options.recipe_path);
}

absl::StatusOr<bool> AllUpToDate(const BuildOptions& options, const CacheKey& key,
                                 const oci::Platform& platform,
                                 registry::RegistrySession& registries) {
  bool all_current = !options.dests.empty();
  for (const oci::ImageReference& dest : options.dests) {
    ASSIGN_OR_RETURN(bool current,
                     UpToDate(dest, key, options.temp_dir, platform, registries,
                              options.sign_key ? &*options.sign_key : nullptr));
    all_current = all_current && current;
  }
  return all_current;
}

absl::StatusOr<CacheFrom> RestoreCacheFrom(const BuildOptions& options,
                                           const std::string& key_tag,
                                           const oci::Platform& platform,
                                           const WorkPaths& paths, Progress& progress,
                                           registry::RegistrySession& registries) {
  CacheFrom cache;
  if (!options.cache_from.has_value()) return cache;
  if (options.sign_key.has_value() && options.verify_keys.empty()) {
    progress.Warn(absl::StrCat("--sign-key signs an image built on --cache-from ",
                               options.cache_from->ToString(),
                               ", which no --verify-key checks: whoever can push there can "
                               "get files signed; add --verify-key"));
  }
  ASSIGN_OR_RETURN(FoundCache found,
                   LookUpCache(*options.cache_from, key_tag, platform,
                               absl::StrCat("reading --cache-from ",
                                            options.cache_from->ToString()),
                               registries, options.temp_dir, progress,
                               VerifyWith(options.verify_keys, "reading --cache-from ",
                                          registries, options.temp_dir, progress)));
  const std::string context = absl::StrCat("reading --cache-from ", found.ref.ToString());
  cache.image = std::move(found.image);
  ASSIGN_OR_RETURN(std::vector<std::string> restored,
                   ExtractCache(*cache.image, paths.target_dir, paths.cargo_home, progress,
                                context));
  cache.verified.insert(restored.begin(), restored.end());
  progress.Step(absl::StrFormat("restored %d layers of %s", restored.size(),
                                found.ref.ToString()));
  absl::Time created;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, cache.image->config.created, &created, &error)) {
    cache.created = created;
  }
  return cache;
}

}  // namespace internal

absl::StatusOr<BuildResult> Build(const BuildOptions& options, const BuildSeams& seams) {
  Progress& progress = *seams.progress;
  registry::RegistrySession& registries = *seams.registries;
  BuildResult result;
  ASSIGN_OR_RETURN(const chef::Recipe recipe, internal::LoadRecipe(options));
  result.recipe_digest = chef::RecipeDigest(chef::SerializeRecipe(recipe));
  const oci::Platform platform = options.platform.value_or(oci::HostPlatform());
  progress.Step(absl::StrCat("recipe ", result.recipe_digest));

  ASSIGN_OR_RETURN(WorkArea work,
                   WorkArea::Claim(result.recipe_digest, options.temp_dir, progress));
  internal::Built built;
  ASSIGN_OR_RETURN(built.paths, internal::PrepareWorkArea(work, recipe, options));
  const sandbox::SandboxSpec spec = internal::CargoSpec(options, recipe, built.paths);
  // The toolchain file decides the toolchain, so ask rustc in the skeleton.
  ASSIGN_OR_RETURN(built.toolchain, seams.toolchain->Probe(spec, built.paths.root));
  built.key = CacheKey{result.recipe_digest, OptionsLabel(options.cargo),
                       built.toolchain.rustc_version};
  const std::string key_tag =
      CacheKeyTag(built.key, TargetTriples(options.cargo, built.toolchain.host));
  ASSIGN_OR_RETURN(built.lock_packages,
                   Annotate(LockPackages(recipe), "reading the recipe's Cargo.lock"));

  ASSIGN_OR_RETURN(result.up_to_date,
                   internal::AllUpToDate(options, built.key, platform, registries));
  if (result.up_to_date) {
    progress.Step("every destination is up to date: nothing to build");
    return result;
  }
  // The base image is read before the long build, so that a wrong name or
  // missing credentials fail at once.
  ASSIGN_OR_RETURN(BaseImage base, LoadBase(options.base, options.platform, registries, options.temp_dir));
  // An earlier cache image goes back first, so that cargo rebuilds only what
  // changed, and its layers are reused where this build's come out the same.
  ASSIGN_OR_RETURN(
      const internal::CacheFrom cache,
      internal::RestoreCacheFrom(options, key_tag, platform, built.paths, progress,
                                 registries));

  RETURN_IF_ERROR(internal::Fetch(options, built.toolchain, spec, *seams.direct, progress));
  RETURN_IF_ERROR(internal::CargoBuild(options, built.toolchain, spec, built.paths, seams));
  ASSIGN_OR_RETURN(built.used, internal::Trim(options, recipe, built.paths, progress));
  ASSIGN_OR_RETURN(result.image, internal::SnapshotAndAssemble(options, built, base, cache,
                                                                progress, registries));
  // The same manifest under the cache-key tag, where a runner looks first.
  ASSIGN_OR_RETURN(std::vector<std::string> tagged,
                   AddKeyTag(options.dests, result.image.manifest, key_tag, registries,
                             progress));
  result.image.destinations.insert(result.image.destinations.end(), tagged.begin(),
                                   tagged.end());
  return result;
}

SnapshotThreads SplitJobs(int jobs, int cores, size_t layer_count) {
  // More layers at once than this gains little: each is mostly one zstd
  // stream, and the workers within it scale as well.
  constexpr size_t kMaxParallelLayers = 4;
  const int budget = std::max(1, jobs > 0 ? jobs : cores);
  SnapshotThreads threads;
  const int layers = static_cast<int>(std::min(layer_count, kMaxParallelLayers));
  threads.layers = std::max(1, std::min(budget, layers));
  threads.zstd_workers = std::max(1, budget / threads.layers);
  return threads;
}

}  // namespace cook::cache
