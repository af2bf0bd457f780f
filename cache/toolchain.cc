#include "cache/toolchain.h"

#include <unistd.h>

#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "cache/environment.h"

namespace cook::cache {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<std::string> FindProgram(std::string_view name,
                                        const std::vector<std::string>& env) {
  for (absl::string_view dir : absl::StrSplit(EnvValue(env, "PATH"), ':')) {
    if (dir.empty()) continue;
    fs::path candidate = fs::path(std::string(dir)) / std::string(name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return absl::NotFoundError(absl::StrFormat(
      "%s is not on PATH\nhint: install Rust (rustup or Debian's cargo) or fix PATH",
      name));
}

// Runs a short command and returns its stdout.
absl::StatusOr<std::string> Capture(sandbox::SandboxRunner& runner,
                                    const sandbox::SandboxSpec& base_spec,
                                    const fs::path& scratch,
                                    std::vector<std::string> argv) {
  sandbox::SandboxSpec spec = base_spec;
  spec.argv = std::move(argv);
  spec.stdout_file = scratch / "captured-stdout";
  ASSIGN_OR_RETURN(int code, runner.Run(spec));
  ASSIGN_OR_RETURN(std::string out, ReadFile(*spec.stdout_file));
  if (code != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s exited with status %d", absl::StrJoin(spec.argv, " "), code));
  }
  return out;
}

class RunnerProbe : public ToolchainProbe {
 public:
  explicit RunnerProbe(sandbox::SandboxRunner& runner) : runner_(runner) {}

  absl::StatusOr<Toolchain> Probe(const sandbox::SandboxSpec& spec,
                                  const fs::path& scratch) override {
    Toolchain t;
    ASSIGN_OR_RETURN(t.cargo, FindProgram("cargo", spec.env));
    ASSIGN_OR_RETURN(t.rustc, FindProgram("rustc", spec.env));
    ASSIGN_OR_RETURN(std::string rustc_version,
                     Annotate(Capture(runner_, spec, scratch, {t.rustc, "-vV"}),
                              "asking rustc for its version"));
    ASSIGN_OR_RETURN(std::string cargo_version,
                     Annotate(Capture(runner_, spec, scratch, {t.cargo, "-V"}),
                              "asking cargo for its version"));
    t.host = HostTriple(rustc_version);
    t.rustc_version = std::string(absl::StripTrailingAsciiWhitespace(rustc_version));
    t.cargo_version = std::string(absl::StripTrailingAsciiWhitespace(cargo_version));
    return t;
  }

 private:
  sandbox::SandboxRunner& runner_;
};

}  // namespace

std::unique_ptr<ToolchainProbe> NewToolchainProbe(sandbox::SandboxRunner& runner) {
  return std::make_unique<RunnerProbe>(runner);
}

std::string HostTriple(const std::string& rustc_version) {
  std::string host;
  for (absl::string_view line : absl::StrSplit(rustc_version, '\n')) {
    if (absl::ConsumePrefix(&line, "host: ")) host = std::string(line);
  }
  return host;
}

}  // namespace cook::cache
