// The stages of cache::Build that run cargo: the work area and the
// environment cargo sees, fetch, the sandboxed build, and the trim after it.

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "cache/environment.h"
#include "cache/internal/build_stages.h"
#include "cache/target_dir.h"
#include "chef/skeleton.h"

namespace cook::cache::internal {
namespace {

namespace fs = std::filesystem;

std::vector<LocalCrate> LocalCrates(const chef::Recipe& recipe) {
  std::vector<LocalCrate> crates;
  for (const chef::RecipePackage& p : recipe.packages) {
    LocalCrate c{p.name, {}};
    for (const chef::RecipeTarget& t : p.targets) c.targets.push_back(t.name);
    crates.push_back(std::move(c));
  }
  return crates;
}

// Cargo's lock files and caches of its own bookkeeping are not sources.
void TidyCargoHome(const fs::path& cargo_home) {
  std::error_code ec;
  for (const char* name : {".package-cache", ".package-cache-mutate", ".global-cache",
                           ".crates.toml", ".crates2.json", "bin", "config.toml"}) {
    fs::remove_all(cargo_home / name, ec);
  }
}

// Units this build did not use (left by --cache-from, by earlier builds in
// this work area with other options, or by the user's own builds) stay out
// of the image. In the private work area they go; a --target-dir of the
// user's own is never pruned (its other builds are theirs), so there the
// snapshot skips them instead.
absl::Status PruneUnused(const BuildOptions& options, const fs::path& target_dir,
                         const std::set<std::string>& used, Progress& progress) {
  if (!options.target_dir.empty()) {
    progress.Step("leaving the units of --target-dir that this build did not use out of "
                  "the image");
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(int collected, Annotate(CollectGarbage(target_dir, used),
                                           "removing units the build did not use"));
  progress.Step(absl::StrCat("removed ", collected, " unused units"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<WorkPaths> PrepareWorkArea(const WorkArea& work, const chef::Recipe& recipe,
                                          const BuildOptions& options) {
  WorkPaths paths;
  paths.root = work.path();
  paths.skeleton = work.path() / "skeleton";
  RETURN_IF_ERROR(
      Annotate(chef::WriteSkeleton(recipe, paths.skeleton), "writing the skeleton"));
  paths.workspace = chef::SkeletonWorkspaceRoot(recipe, paths.skeleton);
  paths.cargo_home = work.path() / "cargo-home";
  paths.messages = work.path() / "cargo-messages.json";
  paths.target_dir =
      options.target_dir.empty() ? work.path() / "target" : fs::path(options.target_dir);
  std::error_code ec;
  for (const fs::path& dir : {paths.cargo_home, paths.target_dir}) {
    fs::create_directories(dir, ec);
    if (ec) return FsError(ec, absl::StrCat("creating ", dir.string()));
  }
  return paths;
}

sandbox::SandboxSpec CargoSpec(const BuildOptions& options, const chef::Recipe& recipe,
                               const WorkPaths& paths) {
  std::vector<std::string> env =
      sandbox::FilterEnvironment(options.environment, options.pass_env);
  SetEnv(env, "CARGO_HOME", paths.cargo_home.string());
  UnsetEnv(env, "CARGO_TARGET_DIR");
  UnsetEnv(env, "CARGO_BUILD_TARGET_DIR");
  // rustup lets RUSTUP_TOOLCHAIN override the toolchain file; the recipe's
  // toolchain file must decide.
  if (!recipe.toolchain_file.empty()) UnsetEnv(env, "RUSTUP_TOOLCHAIN");
  if (EnvValue(env, "RUSTUP_HOME").empty() && !EnvValue(env, "HOME").empty()) {
    const fs::path rustup_home = fs::path(EnvValue(env, "HOME")) / ".rustup";
    std::error_code ec;
    if (fs::exists(rustup_home, ec)) SetEnv(env, "RUSTUP_HOME", rustup_home.string());
  }
  sandbox::SandboxSpec spec;
  spec.env = std::move(env);
  spec.cwd = paths.workspace;
  spec.writable = {paths.skeleton, paths.cargo_home, paths.target_dir};
  for (const std::string& dir : recipe.directory_sources) spec.visible.push_back(dir);
  return spec;
}

absl::Status Fetch(const BuildOptions& options, const Toolchain& toolchain,
                   sandbox::SandboxSpec spec, sandbox::SandboxRunner& direct,
                   Progress& progress) {
  // The network is allowed here unless cargo is told otherwise.
  spec.argv = {toolchain.cargo, "fetch"};
  if (options.cargo.locked) spec.argv.push_back("--locked");
  if (options.cargo.frozen) spec.argv.push_back("--frozen");
  if (options.cargo.offline) spec.argv.push_back("--offline");
  for (const auto& t : options.cargo.targets) spec.argv.insert(spec.argv.end(), {"--target", t});
  progress.Step("fetching crates");
  ASSIGN_OR_RETURN(int code, direct.Run(spec));
  if (code != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("fetching crates: cargo fetch exited with status %d", code));
  }
  return CheckInterrupted();
}

absl::Status CargoBuild(const BuildOptions& options, const Toolchain& toolchain,
                        sandbox::SandboxSpec spec, const WorkPaths& paths,
                        const BuildSeams& seams) {
  ASSIGN_OR_RETURN(std::unique_ptr<sandbox::SandboxRunner> runner, seams.sandboxed());
  // cargo's JSON messages name every unit the build used, fresh or not: what
  // Trim keeps. In the sandbox there is no network at all.
  spec.argv = {toolchain.cargo, "build", "--offline", "--target-dir",
               paths.target_dir.string(), "--message-format=json-render-diagnostics"};
  for (const std::string& a : options.cargo.ToArgs()) {
    if (a != "--offline") spec.argv.push_back(a);
  }
  if (options.quiet) spec.argv.push_back("--quiet");
  seams.progress->Step(absl::StrCat(
      "building dependencies", runner->sandboxed() ? " in the sandbox" : "", ": ",
      absl::StrJoin(spec.argv.begin() + 1, spec.argv.end(), " ")));
  spec.stdout_file = paths.messages;
  ASSIGN_OR_RETURN(int code, runner->Run(spec));
  if (code != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "building dependencies: cargo build exited with status %d", code));
  }
  return CheckInterrupted();
}

absl::StatusOr<std::set<std::string>> Trim(const BuildOptions& options,
                                           const chef::Recipe& recipe,
                                           const WorkPaths& paths, Progress& progress) {
  // Local crates rebuild from real sources: drop their units.
  ASSIGN_OR_RETURN(int dropped,
                   Annotate(DropLocalUnits(paths.target_dir, LocalCrates(recipe)),
                            "dropping the workspace's own units"));
  progress.Step(absl::StrCat("dropped ", dropped, " units of local crates"));
  ASSIGN_OR_RETURN(std::string message_text,
                   Annotate(ReadFile(paths.messages), "reading cargo's messages"));
  ASSIGN_OR_RETURN(std::set<std::string> used, UsedUnitHashes(message_text));
  RETURN_IF_ERROR(PruneUnused(options, paths.target_dir, used, progress));
  // cargo's cache of `rustc -vV` and `--print` answers is a hash map it
  // writes in random order: the same build gives different bytes (and
  // images) half the time. cargo writes it again on its next run.
  const fs::path rustc_info = paths.target_dir / ".rustc_info.json";
  std::error_code ec;
  fs::remove(rustc_info, ec);
  if (ec) return FsError(ec, absl::StrCat("removing ", rustc_info.string()));
  TidyCargoHome(paths.cargo_home);
  return used;
}

}  // namespace cook::cache::internal
