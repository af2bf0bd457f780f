// `cook build`: cache::Build with the real sandbox and toolchain, and what it
// prints.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "builder/cli/commands.h"
#include "base/json_line.h"
#include "cache/build.h"
#include "nlohmann/json.hpp"
#include "sandbox/sandbox.h"

namespace cook::cli {
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
                   cache::Build(c.build, seams));
  if (!result.up_to_date) {
    PrintImageResult(result.image, c.common.json, out);
  } else if (c.common.json) {
    std::vector<std::string> names;
    for (const auto& d : c.build.dests) names.push_back(d.ToString());
    absl::FPrintF(out, "%s\n", JsonLine(nlohmann::json({{"up_to_date", true},
                                                         {"recipe", result.recipe_digest},
                                                         {"destinations", names}})));
  }
  return absl::OkStatus();
}

}  // namespace cook::cli
