// `cook build`: cache::Build with the real sandbox and toolchain, and what it
// prints.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "builder/cli/commands.h"
#include "builder/cli/output.h"
#include "cache/build.h"
#include "nlohmann/json.hpp"
#include "sandbox/sandbox.h"

namespace cook::cli {
namespace {

cache::BuildOptions BuildOptionsFrom(const BuildCommand& c) {
  cache::BuildOptions options;
  options.manifest_path = c.manifest_path;
  options.recipe_path = c.recipe_path;
  options.cargo = c.cargo;
  options.quiet = c.common.quiet;
  options.environment = c.common.environment;
  options.pass_env = c.pass_env;
  options.temp_dir = c.common.temp_dir;
  options.target_dir = c.target_dir;
  options.base = c.base;
  options.dests = c.dests;
  options.cache_from = c.cache_from;
  options.image_root = c.image_root;
  options.compression = c.compression;
  options.compression_level = c.compression_level;
  options.labels = c.labels;
  options.env = c.env;
  options.platform = c.platform;
  options.epoch = c.epoch;
  options.max_layer_bytes = c.max_layer_bytes;
  return options;
}

}  // namespace

absl::Status RunBuild(const BuildCommand& c, std::FILE* out, Progress& progress,
                      registry::RegistrySession& registries) {
  ASSIGN_OR_RETURN(std::unique_ptr<sandbox::SandboxRunner> direct,
                   sandbox::NewSandboxRunner(sandbox::SandboxMode::kOff, nullptr));
  const std::unique_ptr<cache::ToolchainProbe> toolchain = cache::NewToolchainProbe(*direct);
  cache::BuildSeams seams;
  seams.direct = direct.get();
  seams.sandboxed = [&]() -> absl::StatusOr<std::unique_ptr<sandbox::SandboxRunner>> {
    ASSIGN_OR_RETURN(sandbox::SandboxMode mode, sandbox::ParseSandboxMode(c.sandbox));
    return sandbox::NewSandboxRunner(mode, [&](std::string_view w) { progress.Warn(w); });
  };
  seams.toolchain = toolchain.get();
  seams.progress = &progress;
  seams.registries = &registries;
  ASSIGN_OR_RETURN(const cache::BuildResult result,
                   cache::Build(BuildOptionsFrom(c), seams));
  if (!result.up_to_date) {
    PrintImageResult(result.image, c.common.json, out);
  } else if (c.common.json) {
    std::vector<std::string> names;
    for (const auto& d : c.dests) names.push_back(d.ToString());
    absl::FPrintF(out, "%s\n", JsonLine(nlohmann::json({{"up_to_date", true},
                                                         {"recipe", result.recipe_digest},
                                                         {"destinations", names}})));
  }
  return absl::OkStatus();
}

}  // namespace cook::cli
