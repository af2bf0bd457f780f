#include "cache/format.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "cache/target_dir.h"

namespace cook::cache {
namespace {

std::string CrateGroup(std::string_view crate) {
  if (crate.empty()) return kSharedGroup;
  return kCrateGroupPrefix + std::string(crate);
}

// The diff_ids a layers label names, each checked against the image's.
absl::StatusOr<std::vector<std::string>> LayersOf(const oci::ImageConfig& config,
                                                  const char* label,
                                                  const std::string& context) {
  const std::set<std::string> image_diff_ids(config.diff_ids.begin(), config.diff_ids.end());
  std::vector<std::string> out;
  for (absl::string_view id : absl::StrSplit(Label(config, label), ',', absl::SkipEmpty())) {
    if (!image_diff_ids.contains(std::string(id))) {
      return absl::InvalidArgumentError(absl::StrCat(
          context, ": label ", label, " names layer ", EscapeForDisplay(std::string(id)),
          ", which the image does not have"));
    }
    out.emplace_back(id);
  }
  return out;
}

}  // namespace

int CrateBucket(std::string_view crate, int buckets) {
  if (buckets <= 1) return 0;
  // FNV-1a, 32 bits: part of the image format, so never change it.
  uint32_t hash = 2166136261u;
  for (const char c : crate) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  return static_cast<int>(hash % static_cast<uint32_t>(buckets));
}

std::string TargetEntryGroup(std::string_view relative, const std::set<std::string>& used) {
  const std::string unit = TargetEntryUnitHash(relative);
  if (!unit.empty() && !used.contains(unit)) return kUnusedGroup;
  return CrateGroup(TargetEntryCrate(relative));
}

std::string CargoHomeEntryGroup(std::string_view relative) {
  return CrateGroup(CargoHomeEntryCrate(relative));
}

std::map<std::string, std::string> AssignCrateLayers(
    const std::map<std::string, uint64_t>& group_bytes, const CrateLayout& layout) {
  // The crates large enough for a layer of their own, largest first, ties
  // by name; only the first max_own_layers keep it.
  std::vector<std::pair<uint64_t, std::string_view>> large;
  for (const auto& [group, bytes] : group_bytes) {
    if (!absl::StartsWith(group, kCrateGroupPrefix)) continue;
    if (bytes >= layout.own_layer_bytes) large.emplace_back(bytes, group);
  }
  std::sort(large.begin(), large.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  const size_t own =
      std::min(large.size(), static_cast<size_t>(std::max(layout.max_own_layers, 0)));
  std::set<std::string_view> own_layer;
  for (size_t i = 0; i < own; ++i) own_layer.insert(large[i].second);

  std::map<std::string, std::string> out;
  for (const auto& [group, bytes] : group_bytes) {
    if (!absl::StartsWith(group, kCrateGroupPrefix)) continue;
    if (own_layer.contains(group)) {
      out[group] = group;
      continue;
    }
    const std::string_view crate = std::string_view(group).substr(sizeof(kCrateGroupPrefix) - 1);
    out[group] = absl::StrFormat("crates-%02d", CrateBucket(crate, layout.buckets));
  }
  return out;
}

bool IsUnusedGroup(const std::string& group) { return absl::StartsWith(group, kUnusedGroup); }

std::string Label(const oci::ImageConfig& config, const std::string& key) {
  auto it = config.labels.find(key);
  return it == config.labels.end() ? std::string() : it->second;
}

CacheImage ReadCacheLabels(const oci::ImageConfig& config) {
  CacheImage image;
  image.key.recipe_digest = Label(config, kLabelRecipeDigest);
  image.key.cargo_options = Label(config, kLabelCargoOptions);
  image.key.rustc_version = Label(config, kLabelRustcVersion);
  image.cargo_version = Label(config, kLabelCargoVersion);
  image.targets = Label(config, kLabelTargets);
  image.target_dir = Label(config, kLabelTargetDir);
  image.cargo_home = Label(config, kLabelCargoHome);
  image.target_layers =
      absl::StrSplit(Label(config, kLabelTargetLayers), ',', absl::SkipEmpty());
  image.cargo_home_layers =
      absl::StrSplit(Label(config, kLabelCargoHomeLayers), ',', absl::SkipEmpty());
  if (config.labels.contains(kLabelLockPackages)) {
    image.lock_packages =
        absl::StrSplit(Label(config, kLabelLockPackages), ',', absl::SkipEmpty());
  }
  return image;
}

void WriteCacheLabels(const CacheImage& image, std::map<std::string, std::string>& labels) {
  labels[kLabelRecipeDigest] = image.key.recipe_digest;
  labels[kLabelCargoOptions] = image.key.cargo_options;
  labels[kLabelRustcVersion] = image.key.rustc_version;
  labels[kLabelCargoVersion] = image.cargo_version;
  labels[kLabelTargets] = image.targets;
  labels[kLabelTargetDir] = image.target_dir;
  labels[kLabelCargoHome] = image.cargo_home;
  labels[kLabelTargetLayers] = absl::StrJoin(image.target_layers, ",");
  labels[kLabelCargoHomeLayers] = absl::StrJoin(image.cargo_home_layers, ",");
  if (image.lock_packages.has_value()) {
    labels[kLabelLockPackages] = absl::StrJoin(*image.lock_packages, ",");
  }
}

absl::StatusOr<CacheImage> ParseCacheImage(const oci::ImageConfig& config,
                                           size_t manifest_layers,
                                           const std::string& context) {
  CacheImage image = ReadCacheLabels(config);
  if (image.key.recipe_digest.empty() || image.target_dir.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        context, ": not a cook cache image (no ", kLabelRecipeDigest, " label)",
        "\nhint: make one with cook build"));
  }
  if (config.diff_ids.size() != manifest_layers) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, ": the config and the manifest list different layers"));
  }
  // Labels and layers must agree: a label naming a layer the image lacks
  // would otherwise restore nothing and look like success.
  ASSIGN_OR_RETURN(image.target_layers, LayersOf(config, kLabelTargetLayers, context));
  ASSIGN_OR_RETURN(image.cargo_home_layers, LayersOf(config, kLabelCargoHomeLayers, context));
  if (image.target_layers.empty() && image.cargo_home_layers.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        context, ": nothing to restore: the labels ", kLabelTargetLayers, " and ",
        kLabelCargoHomeLayers, " name no layers"));
  }
  return image;
}

}  // namespace cook::cache
