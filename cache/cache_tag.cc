#include "cache/cache_tag.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json_line.h"
#include "base/sha256.h"
#include "base/status_macros.h"
#include "cache/signing.h"
#include "nlohmann/json.hpp"
#include "oci/transport.h"

namespace cook::cache {

std::string TargetTriples(const CargoOptions& cargo, const std::string& host) {
  return cargo.targets.empty() ? host : absl::StrJoin(cargo.targets, ",");
}

std::string CacheKeyDigest(const CacheKey& key, std::string_view targets) {
  const nlohmann::json fields = nlohmann::json::array(
      {key.recipe_digest, key.cargo_options, key.rustc_version, std::string(targets)});
  return absl::StrCat("sha256:", Sha256Hex(JsonLine(fields)));
}

std::string CacheKeyTag(const CacheKey& key, std::string_view targets) {
  constexpr size_t kPrefix = sizeof("sha256:") - 1;
  return absl::StrCat("cook-", CacheKeyDigest(key, targets).substr(kPrefix, 16));
}

std::optional<oci::ImageReference> WithTag(const oci::ImageReference& ref,
                                           const std::string& tag) {
  const bool tagged_docker = ref.transport == oci::Transport::kDocker && ref.digest.empty();
  if (!tagged_docker && ref.transport != oci::Transport::kOci) return std::nullopt;
  oci::ImageReference tagged = ref;
  tagged.tag = tag;
  return tagged;
}

namespace {

ManifestCheck CheckWith(const AcceptImage& accept, const oci::ImageReference& ref) {
  if (!accept) return nullptr;
  return [&accept, &ref](const oci::RawManifest& raw) { return accept(ref, raw); };
}

std::string FirstLine(std::string_view message) {
  return std::string(message.substr(0, message.find('\n')));
}

}  // namespace

AcceptImage VerifyWith(const std::vector<VerifyingKey>& keys, const std::string& doing,
                       registry::RegistrySession& registries, const std::string& temp_dir,
                       Progress& progress) {
  if (keys.empty()) return nullptr;
  return [&keys, doing, &registries, &temp_dir, &progress](const oci::ImageReference& ref,
                                                           const oci::RawManifest& raw) {
    return VerifyImage(ref, raw, keys, absl::StrCat(doing, ref.ToString()), registries,
                       temp_dir, progress);
  };
}

absl::StatusOr<FoundCache> LookUpCache(const oci::ImageReference& ref,
                                       const std::string& key_tag,
                                       const oci::Platform& platform,
                                       const std::string& context,
                                       registry::RegistrySession& registries,
                                       const std::string& temp_dir, Progress& progress,
                                       const AcceptImage& accept) {
  if (const std::optional<oci::ImageReference> tagged = WithTag(ref, key_tag);
      !key_tag.empty() && tagged.has_value() && tagged->tag != ref.tag) {
    absl::StatusOr<OpenedImage> image =
        OpenImage(*tagged, platform, absl::StrCat(context, " (", key_tag, ")"), registries,
                  temp_dir, CheckWith(accept, *tagged));
    if (image.ok()) {
      progress.Step(absl::StrCat("using ", tagged->ToString(),
                                 ": the cache-key tag of this workspace and toolchain"));
      return FoundCache{*std::move(image), *tagged, true};
    }
    if (absl::IsCancelled(image.status())) return image.status();
    if (absl::IsNotFound(image.status())) {
      progress.Step(absl::StrCat("no cache-key tag ", key_tag, ": using ", ref.ToString()));
    } else if (accept) {
      // Whoever can push there must not block a verified restore.
      progress.Warn(absl::StrCat("passing over the cache-key tag ", tagged->ToString(), " (",
                                 FirstLine(std::string(image.status().message())), "): using ",
                                 ref.ToString()));
    } else {
      return image.status();
    }
  }
  ASSIGN_OR_RETURN(OpenedImage image, OpenImage(ref, platform, context, registries, temp_dir,
                                                CheckWith(accept, ref)));
  return FoundCache{std::move(image), ref, false};
}

absl::StatusOr<std::vector<std::string>> AddKeyTag(
    const std::vector<oci::ImageReference>& dests, const oci::RawManifest& raw,
    const std::string& tag, registry::RegistrySession& registries, Progress& progress) {
  std::vector<std::string> tagged;
  for (const oci::ImageReference& dest : dests) {
    const std::optional<oci::ImageReference> ref = WithTag(dest, tag);
    if (!ref.has_value() || ref->tag == dest.tag) continue;
    const std::string context = absl::StrCat("tagging ", ref->ToString());
    ASSIGN_OR_RETURN(std::unique_ptr<oci::ImageDestination> out,
                     Annotate(oci::OpenImageDestination(*ref, &registries), context));
    RETURN_IF_ERROR(Annotate(out->PutManifest(raw), context));
    RETURN_IF_ERROR(Annotate(out->Commit(), context));
    progress.Step(absl::StrCat("tagged ", ref->ToString(), " (the cache key)"));
    tagged.push_back(ref->ToString());
  }
  return tagged;
}

}  // namespace cook::cache
