#include "chef/prepare.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "chef/cargo_config.h"
#include "chef/lockfile.h"
#include "chef/manifest.h"
#include "chef/masking.h"
#include "chef/parallel_map.h"
#include "chef/prune.h"
#include "chef/targets.h"
#include "chef/toml_nesting.h"
#include "chef/toml_parser.h"
#include "chef/workspace.h"

namespace cook::chef {
namespace fs = std::filesystem;

namespace {

// True when `path` is strictly below `dir` (both lexically normal); a string
// test, as path arithmetic is the hot spot for workspaces with many targets.
bool IsBelow(const fs::path& path, const fs::path& dir) {
  const std::string& p = path.native();
  const std::string& d = dir.native();
  if (d == "/") return p.size() > 1 && p[0] == '/';
  return p.size() > d.size() + 1 && p.compare(0, d.size(), d) == 0 &&
         p[d.size()] == '/';
}

// `path` relative to `base`, '/'-separated; "." for `base` itself.
std::string RelativeTo(const fs::path& path, const fs::path& base) {
  if (IsBelow(path, base)) {
    return path.native().substr(base.native().size() +
                                (base.native() == "/" ? 0 : 1));
  }
  std::string out = path.lexically_relative(base).generic_string();
  return out.empty() ? std::string(".") : out;
}

fs::path CommonAncestor(const fs::path& a, const fs::path& b) {
  if (IsBelow(b, a) || a == b) return a;
  fs::path out;
  for (auto x = a.begin(), y = b.begin();
       x != a.end() && y != b.end() && *x == *y; ++x, ++y) {
    out /= *x;
  }
  return out;
}

// The recipe is JSON: every file it carries must be valid UTF-8.
bool IsUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = text[i];
    size_t extra;
    if (c < 0x80) {
      extra = 0;
    } else if ((c >> 5) == 0x6) {
      extra = 1;
    } else if ((c >> 4) == 0xe) {
      extra = 2;
    } else if ((c >> 3) == 0x1e) {
      extra = 3;
    } else {
      return false;
    }
    if (i + extra >= text.size() && extra > 0) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return false;
    }
    i += extra + 1;
  }
  return true;
}

absl::StatusOr<std::optional<std::string>> ReadOptionalText(
    const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  if (!IsUtf8(text)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "reading %s: the file is not valid UTF-8", path.string()));
  }
  return text;
}

RecipeTarget ToRecipeTarget(const Target& target, const fs::path& base) {
  RecipeTarget out;
  out.name = target.name;
  out.kind = std::string(TargetKindName(target.kind));
  out.crate_types = target.crate_types;
  out.path = RelativeTo(target.path, base);
  out.required_features = target.required_features;
  out.stub = StubNeedsMain(target) ? StubKind::kMain : StubKind::kEmpty;
  return out;
}

// What Prepare reads: the workspace with its cargo config, lockfile and
// targets.
struct Project {
  fs::path root_dir;
  std::optional<CargoConfig> config;
  Workspace ws;
  fs::path lock_path;
  std::optional<Lockfile> lock;
  std::map<fs::path, std::vector<Target>> targets;

  Lockfile* lock_or_null() { return lock ? &*lock : nullptr; }
};

// The Cargo.toml `options.manifest_path` names (itself, or in the directory).
absl::StatusOr<fs::path> FindManifest(const PrepareOptions& options) {
  if (!options.manifest_path.is_absolute()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "preparing a recipe: the manifest path %s is not absolute",
        options.manifest_path.string()));
  }
  fs::path manifest_path = options.manifest_path.lexically_normal();
  if (manifest_path.has_relative_path() && manifest_path.filename().empty()) {
    manifest_path = manifest_path.parent_path();
  }
  std::error_code ec;
  if (fs::is_directory(manifest_path, ec)) manifest_path /= "Cargo.toml";
  if (!fs::is_regular_file(manifest_path, ec)) {
    return absl::NotFoundError(absl::StrFormat(
        "preparing a recipe: no Cargo.toml at %s; hint: pass --manifest-path",
        manifest_path.string()));
  }
  return manifest_path;
}

absl::StatusOr<Project> LoadProject(const fs::path& manifest_path) {
  Project project;
  ASSIGN_OR_RETURN(Manifest manifest, ReadManifest(manifest_path));
  ASSIGN_OR_RETURN(const fs::path root_manifest, FindWorkspaceRoot(manifest));
  project.root_dir = root_manifest.parent_path();
  ASSIGN_OR_RETURN(project.config, ReadCargoConfig(project.root_dir));
  WorkspaceOptions workspace_options;
  if (project.config) workspace_options.patch_dirs = project.config->patch_dirs;
  workspace_options.root_manifest_path = root_manifest;
  workspace_options.read.emplace(manifest_path, std::move(manifest));
  ASSIGN_OR_RETURN(project.ws, LoadWorkspace(manifest_path,
                                             std::move(workspace_options)));

  project.lock_path = project.root_dir / "Cargo.lock";
  ASSIGN_OR_RETURN(std::optional<std::string> lock_text,
                   ReadOptionalText(project.lock_path));
  if (lock_text) {
    // Read line by line, never as a tree, but cargo refuses it past the
    // same limits: say so here rather than after a build starts.
    RETURN_IF_ERROR(CheckTomlNesting(*lock_text, project.lock_path.string()));
    ASSIGN_OR_RETURN(project.lock,
                     Lockfile::Parse(*lock_text, project.lock_path.string()));
  }

  const std::vector<LocalPackage>& packages = project.ws.packages;
  std::vector<absl::StatusOr<std::vector<Target>>> targets =
      ParallelMap<absl::StatusOr<std::vector<Target>>>(
          packages.size(), [&](size_t i) {
            const LocalPackage& package = packages[i];
            return DiscoverTargets(
                project.ws.manifests.at(package.manifest_path).doc,
                package.dir(), package.name, package.edition);
          });
  for (size_t i = 0; i < packages.size(); ++i) {
    ASSIGN_OR_RETURN(project.targets[packages[i].manifest_path],
                     std::move(targets[i]));
  }
  return project;
}

// The skeleton root: the deepest directory holding everything.
fs::path SkeletonBase(const Project& project) {
  fs::path base = project.root_dir;
  for (const auto& [path, manifest] : project.ws.manifests)
    base = CommonAncestor(base, manifest.dir());
  for (const auto& [path, package_targets] : project.targets) {
    for (const Target& target : package_targets) {
      if (!IsBelow(target.path, base)) {
        base = CommonAncestor(base, target.path.parent_path());
      }
    }
  }
  if (project.config) {
    for (const fs::path& dir : project.config->patch_dirs)
      base = CommonAncestor(base, dir);
  }
  return base;
}

// The files of the skeleton, relative to `base`: manifests, lockfile, cargo
// config and toolchain file.
absl::Status AddFiles(const Project& project, const fs::path& base,
                      Recipe& recipe) {
  auto relative = [&](const fs::path& path) { return RelativeTo(path, base); };
  const fs::path& root_dir = project.root_dir;
  // Formatting is most of this: every file at once, the lockfile first.
  std::vector<std::pair<fs::path, const TomlTable*>> tomls;
  for (const auto& [path, manifest] : project.ws.manifests)
    tomls.emplace_back(path, &manifest.doc);
  if (project.config) {
    tomls.emplace_back(root_dir / project.config->relative_path,
                       &project.config->doc);
  }
  const size_t lock = project.lock ? 1 : 0;
  std::vector<std::string> texts =
      ParallelMap<std::string>(lock + tomls.size(), [&](size_t i) {
        return i < lock ? project.lock->Format()
                        : FormatToml(*tomls[i - lock].second);
      });
  if (project.lock) {
    recipe.files[relative(project.lock_path)] = std::move(texts[0]);
  }
  for (size_t i = 0; i < tomls.size(); ++i) {
    recipe.files[relative(tomls[i].first)] = std::move(texts[lock + i]);
  }
  if (project.config) {
    for (const fs::path& source : project.config->directory_sources) {
      recipe.directory_sources.push_back(source.string());
    }
  }
  // rustup prefers the legacy name when both exist.
  for (const char* name : {"rust-toolchain.toml", "rust-toolchain"}) {
    ASSIGN_OR_RETURN(std::optional<std::string> text,
                     ReadOptionalText(root_dir / name));
    if (!text) continue;
    if (std::string_view(name) == "rust-toolchain.toml") {
      RETURN_IF_ERROR(CheckTomlNesting(*text, (root_dir / name).string()));
    }
    recipe.files[relative(root_dir / name)] = *std::move(text);
    recipe.toolchain_file = relative(root_dir / name);
  }
  return absl::OkStatus();
}

// The packages and their targets, in the order SerializeRecipe writes, so
// that a parsed recipe compares equal.
std::vector<RecipePackage> RecipePackages(const Project& project,
                                          const std::set<fs::path>& masked,
                                          const fs::path& base) {
  std::vector<RecipePackage> packages;
  for (const LocalPackage& package : project.ws.packages) {
    RecipePackage out;
    out.name = package.name;
    out.version = package.version;
    out.manifest_path = RelativeTo(package.manifest_path, base);
    out.member = package.member;
    out.version_masked = masked.count(package.manifest_path) > 0;
    const auto targets = project.targets.find(package.manifest_path);
    if (targets != project.targets.end()) {
      for (const Target& target : targets->second) {
        out.targets.push_back(ToRecipeTarget(target, base));
      }
    }
    std::sort(out.targets.begin(), out.targets.end(),
              [](const RecipeTarget& a, const RecipeTarget& b) {
                return std::tie(a.kind, a.name, a.path) <
                       std::tie(b.kind, b.name, b.path);
              });
    packages.push_back(std::move(out));
  }
  std::sort(packages.begin(), packages.end(),
            [](const RecipePackage& a, const RecipePackage& b) {
              return a.manifest_path < b.manifest_path;
            });
  return packages;
}

}  // namespace

absl::StatusOr<Recipe> Prepare(const PrepareOptions& options) {
  ASSIGN_OR_RETURN(const fs::path manifest_path, FindManifest(options));
  ASSIGN_OR_RETURN(Project project, LoadProject(manifest_path));
  if (!options.bin.empty()) {
    RETURN_IF_ERROR(PruneForBin(project.ws, project.lock_or_null(), options.bin,
                                project.targets));
  }
  const std::set<fs::path> masked =
      MaskVersions(project.ws, project.lock_or_null());
  for (auto& [path, manifest] : project.ws.manifests) StripLints(manifest.doc);

  const fs::path base = SkeletonBase(project);
  Recipe recipe;
  recipe.workspace_root = RelativeTo(project.root_dir, base);
  recipe.bin = options.bin;
  RETURN_IF_ERROR(AddFiles(project, base, recipe));
  recipe.packages = RecipePackages(project, masked, base);
  return recipe;
}

}  // namespace cook::chef
