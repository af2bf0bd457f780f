// cook copy SRC DEST: any transport to any transport, digests kept.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "builder/cli/commands.h"
#include "builder/cli/image_io.h"
#include "cache/signing.h"
#include "base/json_line.h"
#include "oci/transport.h"
#include "nlohmann/json.hpp"

namespace cook::cli {

absl::Status RunCopy(const CopyCommand& command, std::FILE* out, Progress& progress,
                     registry::RegistrySession& registries) {
  const std::string context = absl::StrFormat(
      "copying %s to %s", command.source.ToString(), command.dest.ToString());
  ASSIGN_OR_RETURN(std::unique_ptr<oci::ImageSource> source,
                   Annotate(oci::OpenImageSource(command.source, &registries, command.common.temp_dir), context));
  const oci::Platform platform = command.platform.value_or(oci::HostPlatform());
  // The manifest is read once: its blobs size the progress line, then it is
  // copied as read.
  ASSIGN_OR_RETURN(oci::RawManifest raw,
                   Annotate(source->GetManifest(platform), context));
  RETURN_IF_ERROR(cache::VerifyImage(command.source, raw, command.verify_keys, context,
                                     registries, command.common.temp_dir, progress));
  ASSIGN_OR_RETURN(oci::Manifest manifest,
                   Annotate(oci::ParseManifest(raw.bytes), context));
  // The signature goes first, so that the tag is never seen unsigned.
  if (command.sign_key.has_value()) {
    RETURN_IF_ERROR(cache::SignImage(command.dest, raw.digest, *command.sign_key, registries,
                                     command.common.temp_dir, progress));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<oci::ImageDestination> dest,
                   Annotate(oci::OpenImageDestination(command.dest, &registries), context));
  std::vector<oci::Descriptor> blobs = {manifest.config};
  blobs.insert(blobs.end(), manifest.layers.begin(), manifest.layers.end());
  oci::PutBlobsOptions options = cache::BlobProgress(progress, command.dest.ToString(), blobs);
  if (command.source.transport == oci::Transport::kDocker) {
    options.mount_from = command.source;
  }
  RETURN_IF_ERROR(Annotate(oci::CopyManifest(*source, *dest, raw, options), context));
  progress.End();
  progress.Step(absl::StrCat("wrote ", command.dest.ToString(), " ", raw.digest));
  if (command.common.json) {
    absl::FPrintF(out, "%s\n",
                  JsonLine(nlohmann::json({{"digest", raw.digest},
                                           {"source", command.source.ToString()},
                                           {"destination", command.dest.ToString()}})));
  } else {
    absl::FPrintF(out, "%s\n", raw.digest);
  }
  return absl::OkStatus();
}

}  // namespace cook::cli
