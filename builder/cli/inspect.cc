// `cook inspect`: what an image is made of, for people and (--json) scripts.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "builder/cli/commands.h"
#include "builder/cli/image_io.h"
#include "builder/cli/progress.h"
#include "builder/oci/transport.h"
#include "nlohmann/json.hpp"

namespace cook::cli {
namespace {

std::string Quoted(const std::vector<std::string>& args) {
  std::vector<std::string> quoted;
  for (const std::string& a : args) quoted.push_back(nlohmann::json(a).dump());
  return absl::StrCat("[", absl::StrJoin(quoted, ", "), "]");
}

}  // namespace

absl::Status RunInspect(const InspectOptions& options, std::FILE* out,
                        registry::RegistrySession& registries) {
  const std::string context = absl::StrCat("inspecting ", options.ref.ToString());
  ASSIGN_OR_RETURN(OpenedImage image,
                   OpenImage(options.ref, options.platform.value_or(oci::HostPlatform()),
                             context, registries));
  const oci::RawManifest& raw = image.raw;
  const oci::Manifest& manifest = image.manifest;
  const oci::ImageConfig& config = image.config;

  if (options.common.json) {
    nlohmann::json layers = nlohmann::json::array();
    for (const oci::Descriptor& d : manifest.layers) {
      layers.push_back(
          {{"digest", d.digest}, {"mediaType", d.media_type}, {"size", d.size}});
    }
    nlohmann::json doc = {
        {"name", options.ref.ToString()},
        {"digest", raw.digest},
        {"mediaType", raw.media_type},
        {"config", manifest.config.digest},
        {"platform", config.platform.ToString()},
        {"created", config.created},
        {"layers", layers},
        {"env", config.env},
        {"workdir", config.working_dir},
        {"entrypoint", config.entrypoint},
        {"cmd", config.cmd},
        {"labels", config.labels},
    };
    absl::FPrintF(out, "%s\n", doc.dump());
    return absl::OkStatus();
  }

  absl::FPrintF(out, "Name:       %s\n", options.ref.ToString());
  absl::FPrintF(out, "Digest:     %s\n", raw.digest);
  absl::FPrintF(out, "Platform:   %s\n", config.platform.ToString());
  absl::FPrintF(out, "Created:    %s\n", config.created);
  absl::FPrintF(out, "Layers:     %d\n", manifest.layers.size());
  for (const oci::Descriptor& d : manifest.layers) {
    absl::FPrintF(out, "  %s  %s  %s\n", d.digest, HumanBytes(d.size),
                  d.media_type);
  }
  absl::FPrintF(out, "Env:\n");
  for (const std::string& e : config.env) absl::FPrintF(out, "  %s\n", e);
  absl::FPrintF(out, "Workdir:    %s\n", config.working_dir);
  absl::FPrintF(out, "Entrypoint: %s\n", Quoted(config.entrypoint));
  absl::FPrintF(out, "Cmd:        %s\n", Quoted(config.cmd));
  absl::FPrintF(out, "Labels:\n");
  for (const auto& [key, value] : config.labels) {
    absl::FPrintF(out, "  %s=%s\n", key, value);
  }
  return absl::OkStatus();
}

}  // namespace cook::cli
