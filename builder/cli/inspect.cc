// `cook inspect`: what an image is made of, for people and (--json) scripts.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "builder/cli/commands.h"
#include "builder/cli/image_io.h"
#include "base/json_line.h"
#include "builder/cli/progress.h"
#include "oci/transport.h"
#include "nlohmann/json.hpp"

namespace cook::cli {
namespace {

// Each argument in double quotes, escaped for the terminal; a quote inside
// is \" (EscapeForDisplay has already doubled every backslash, so that stays
// unambiguous).
std::string Quoted(const std::vector<std::string>& args) {
  std::vector<std::string> quoted;
  for (const std::string& a : args) {
    quoted.push_back(
        absl::StrCat("\"", absl::StrReplaceAll(EscapeForDisplay(a), {{"\"", "\\\""}}), "\""));
  }
  return absl::StrCat("[", absl::StrJoin(quoted, ", "), "]");
}

}  // namespace

absl::Status RunInspect(const InspectOptions& options, std::FILE* out,
                        registry::RegistrySession& registries) {
  const std::string context = absl::StrCat("inspecting ", options.ref.ToString());
  ASSIGN_OR_RETURN(cache::OpenedImage image,
                   cache::OpenImage(options.ref, options.platform.value_or(oci::HostPlatform()),
                             context, registries, options.common.temp_dir));
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
    absl::FPrintF(out, "%s\n", JsonLine(doc));
    return absl::OkStatus();
  }

  // Everything below but the manifest digest (computed here) comes from the
  // image or the command line: escaped, so that an image cannot forge lines.
  absl::FPrintF(out, "Name:       %s\n", EscapeForDisplay(options.ref.ToString()));
  absl::FPrintF(out, "Digest:     %s\n", raw.digest);
  absl::FPrintF(out, "Platform:   %s\n", EscapeForDisplay(config.platform.ToString()));
  absl::FPrintF(out, "Created:    %s\n", EscapeForDisplay(config.created));
  absl::FPrintF(out, "Layers:     %d\n", manifest.layers.size());
  for (const oci::Descriptor& d : manifest.layers) {
    absl::FPrintF(out, "  %s  %s  %s\n", EscapeForDisplay(d.digest), HumanBytes(d.size),
                  EscapeForDisplay(d.media_type));
  }
  absl::FPrintF(out, "Env:\n");
  for (const std::string& e : config.env) absl::FPrintF(out, "  %s\n", EscapeForDisplay(e));
  absl::FPrintF(out, "Workdir:    %s\n", EscapeForDisplay(config.working_dir));
  absl::FPrintF(out, "Entrypoint: %s\n", Quoted(config.entrypoint));
  absl::FPrintF(out, "Cmd:        %s\n", Quoted(config.cmd));
  absl::FPrintF(out, "Labels:\n");
  for (const auto& [key, value] : config.labels) {
    absl::FPrintF(out, "  %s=%s\n", EscapeForDisplay(key), EscapeForDisplay(value));
  }
  return absl::OkStatus();
}

}  // namespace cook::cli
