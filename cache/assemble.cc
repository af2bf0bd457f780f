#include "cache/assemble.h"

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "layers/layer_writer.h"

namespace cook::cache {
namespace {

namespace fs = std::filesystem;

absl::Status CheckSource(const AddSpec& add) {
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(add.source, ec);
  if (ec || !fs::exists(status)) {
    if (!ec) ec = std::make_error_code(std::errc::no_such_file_or_directory);
    return FsError(ec, absl::StrCat("adding ", add.source));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ImageResult> Assemble(const AssembleOptions& options, Progress& progress,
                                     registry::RegistrySession& registries) {
  for (const AddSpec& add : options.adds) RETURN_IF_ERROR(CheckSource(add));

  ASSIGN_OR_RETURN(BaseImage base,
                   LoadBase(options.base, options.platform, registries, options.temp_dir));
  oci::ImageConfig config = base.config;
  config.created = FormatCreated(options.epoch);
  if (options.platform.has_value()) config.platform = *options.platform;
  for (const auto& [key, value] : options.env) config.SetEnv(key, value);
  if (options.workdir.has_value()) config.working_dir = *options.workdir;
  if (options.entrypoint.has_value()) {
    config.entrypoint = *options.entrypoint;
    // As with Docker, a new entrypoint drops the base image's cmd.
    if (!options.cmd.has_value()) config.cmd.clear();
  }
  if (options.cmd.has_value()) config.cmd = *options.cmd;
  for (const auto& [key, value] : options.labels) config.labels[key] = value;

  ASSIGN_OR_RETURN(StagingDir staging,
                   StagingDir::Create(StagingParent(options.dests, options.temp_dir)));

  layers::LayerOptions layer_options;
  layer_options.compressor.compression = options.compression;
  layer_options.compressor.level = options.compression_level;
  layer_options.epoch = options.epoch;

  std::vector<NewLayer> new_layers;
  for (size_t i = 0; i < options.adds.size(); ++i) {
    const AddSpec& add = options.adds[i];
    RETURN_IF_ERROR(CheckInterrupted());
    const std::string task = absl::StrCat("layer ", i + 1, " (", add.dest, ")");
    bool begun = false;
    ASSIGN_OR_RETURN(
        layers::LayerBlob blob,
        Annotate(layers::WriteLayer(
                     layers::LayerInput{add.source, add.dest},
                     staging.path() / absl::StrCat("layer-", i),
                     layer_options,
                     [&](uint64_t done, uint64_t total) {
                       if (!begun) progress.Begin(task, total);
                       begun = true;
                       progress.Update(done);
                     }),
                 absl::StrCat("adding ", add.source)));
    if (begun) progress.End();
    config.diff_ids.push_back(blob.diff_id);
    config.history_json.push_back(
        HistoryEntry(config.created, absl::StrCat("cook assemble --add :", add.dest)));
    new_layers.push_back(NewLayer{blob, LayerDescriptor(blob)});
  }
  RETURN_IF_ERROR(CheckInterrupted());

  return WriteImage(base, config, new_layers, options.dests, progress, registries,
                    std::nullopt, options.sign_key ? &*options.sign_key : nullptr);
}

}  // namespace cook::cache
