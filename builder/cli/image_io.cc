#include "builder/cli/image_io.h"

#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/json_line.h"
#include "nlohmann/json.hpp"

namespace cook::cli {

std::unique_ptr<registry::RegistrySession> NewRegistrySession(
    const registry::RegistryOptions& options, cook::Progress& progress) {
  registry::RegistryOptions with_log = options;
  with_log.log = [&progress](const std::string& line) { progress.Step(line); };
  return std::make_unique<registry::RegistrySession>(std::move(with_log));
}

void PrintImageResult(const cache::ImageResult& result, bool json, std::FILE* out) {
  if (!json) {
    absl::FPrintF(out, "%s\n", result.manifest_digest);
    return;
  }
  nlohmann::json layers = nlohmann::json::array();
  for (const oci::Descriptor& d : result.layers) {
    layers.push_back(
        {{"digest", d.digest}, {"mediaType", d.media_type}, {"size", d.size}});
  }
  nlohmann::json doc = {
      {"digest", result.manifest_digest},
      {"config", result.config_digest},
      {"layers", layers},
      {"destinations", result.destinations},
      {"reused", result.reused},
  };
  absl::FPrintF(out, "%s\n", JsonLine(doc));
}

}  // namespace cook::cli
