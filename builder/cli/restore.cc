// `cook restore`: put a cache image's target directory and cargo home back,
// through the safe extractor.

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "builder/cli/commands.h"
#include "builder/cli/image_io.h"
#include "builder/cli/labels.h"
#include "builder/cli/output.h"
#include "oci/transport.h"
#include "layers/extractor.h"
#include "nlohmann/json.hpp"

namespace cook::cli {
namespace {

namespace fs = std::filesystem;

// "/build/target" -> "build/target": archive names are relative.
std::string ArchivePrefix(std::string path) {
  while (!path.empty() && path.front() == '/') path.erase(path.begin());
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ExtractCache(const OpenedImage& image,
                                                      const fs::path& target_dir,
                                                      const fs::path& cargo_home,
                                                      Progress& progress,
                                                      const std::string& context) {
  const oci::Manifest& manifest = image.manifest;
  const oci::ImageConfig& config = image.config;
  oci::ImageSource* source = image.source.get();
  if (Label(config, kLabelRecipeDigest).empty() || Label(config, kLabelTargetDir).empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        context, ": not a cook cache image (no ", kLabelRecipeDigest, " label)",
        "\nhint: make one with cook build"));
  }
  if (config.diff_ids.size() != manifest.layers.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, ": the config and the manifest list different layers"));
  }
  struct Part {
    std::string what;
    std::set<std::string> diff_ids;
    std::string prefix;
    fs::path dest;
  };
  std::vector<Part> parts;
  const std::set<std::string> image_diff_ids(config.diff_ids.begin(), config.diff_ids.end());
  // Labels and layers must agree: a label naming a layer the image lacks
  // would otherwise restore nothing and look like success.
  auto add_part = [&](std::string what, const char* layers_label, const char* dir_label,
                      const std::string& dest) -> absl::Status {
    Part part{std::move(what), {}, ArchivePrefix(Label(config, dir_label)), dest};
    for (absl::string_view id : absl::StrSplit(Label(config, layers_label), ',', absl::SkipEmpty())) {
      if (!image_diff_ids.contains(std::string(id))) {
        return absl::InvalidArgumentError(absl::StrCat(
            context, ": label ", layers_label, " names layer ", EscapeForDisplay(std::string(id)),
            ", which the image does not have"));
      }
      part.diff_ids.insert(std::string(id));
    }
    if (!part.diff_ids.empty()) parts.push_back(std::move(part));
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(add_part("target directory", kLabelTargetLayers, kLabelTargetDir, target_dir));
  RETURN_IF_ERROR(add_part("cargo home", kLabelCargoHomeLayers, kLabelCargoHome, cargo_home));
  if (parts.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        context, ": nothing to restore: the labels ", kLabelTargetLayers, " and ",
        kLabelCargoHomeLayers, " name no layers"));
  }

  // The diff_ids of the layers extracted, each verified (blob digest and
  // size, uncompressed stream against the diff_id) before its files counted.
  std::vector<std::string> restored;
  for (const Part& part : parts) {
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
                       Annotate(source->OpenBlob(layer), context));
      layers::ExtractOptions options;
      options.strip_prefix = part.prefix;
      options.diff_id = config.diff_ids[i];
      RETURN_IF_ERROR(Annotate(layers::ExtractLayer(*reader, part.dest, options),
                               absl::StrCat(context, ": layer ", layer.digest)));
      restored.push_back(config.diff_ids[i]);
    }
  }
  return restored;
}

absl::Status RunRestore(const RestoreCommand& command, std::FILE* out,
                        Progress& progress, registry::RegistrySession& registries) {
  const std::string context = absl::StrCat("restoring from ", command.from.ToString());
  ASSIGN_OR_RETURN(
      OpenedImage image,
      OpenImage(command.from, command.platform.value_or(oci::HostPlatform()), context,
                registries));
  const oci::RawManifest& raw = image.raw;
  const oci::ImageConfig& config = image.config;
  ASSIGN_OR_RETURN(std::vector<std::string> restored_layers,
                   ExtractCache(image, command.target_dir, command.cargo_home, progress,
                                context));
  const int restored = static_cast<int>(restored_layers.size());
  if (command.common.json) {
    const nlohmann::json doc = {{"image", raw.digest},
                                {"recipe", Label(config, kLabelRecipeDigest)},
                                {"cargo_options", Label(config, kLabelCargoOptions)},
                                {"target_dir", command.target_dir},
                                {"cargo_home", command.cargo_home},
                                {"layers", restored}};
    absl::FPrintF(out, "%s\n", JsonLine(doc));
  }
  progress.Step(absl::StrFormat("restored %d layer%s; build with: cargo build %s", restored,
                                restored == 1 ? "" : "s",
                                Label(config, kLabelCargoOptions)));
  return absl::OkStatus();
}

}  // namespace cook::cli
