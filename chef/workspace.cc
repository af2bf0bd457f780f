#include "chef/workspace.h"

#include <algorithm>
#include <deque>
#include <set>
#include <system_error>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "chef/glob.h"

namespace cook::chef {
namespace fs = std::filesystem;

namespace {

constexpr char kManifestName[] = "Cargo.toml";

// True when `path` is `prefix` or below it, component by component.
bool IsWithin(const fs::path& path, const fs::path& prefix) {
  auto p = path.begin();
  for (auto q = prefix.begin(); q != prefix.end(); ++q, ++p) {
    if (q->empty()) continue;  // a trailing separator
    if (p == path.end() || *p != *q) return false;
  }
  return true;
}

// Adds `context` to a missing-file error, which alone would not say why the
// file was wanted. Other errors already name the manifest at fault
// (`path:line:column: message`).
template <typename T>
absl::StatusOr<T> AnnotateMissing(absl::StatusOr<T> value,
                                  std::string_view context) {
  if (value.ok() || !absl::IsNotFound(value.status())) return value;
  return Annotate(value.status(), context);
}

const TomlTable* WorkspaceSubtable(const Manifest& manifest,
                                   std::string_view key) {
  const TomlTable* workspace = manifest.workspace();
  return workspace ? workspace->FindTable(key) : nullptr;
}

// True when `path` (lexically normal) starts with `base / entry` component by
// component, as cargo's `Path::starts_with(root.join(entry))`: `entry` is taken
// literally (glob characters included), "." components and repeated or
// trailing separators are ignored, and ".." is never resolved, so an entry
// with ".." matches nothing.
bool StartsWithJoined(const fs::path& path, const fs::path& base,
                      std::string_view entry) {
  const fs::path joined = base / fs::path(entry);
  auto p = path.begin();
  for (const fs::path& component : joined) {
    if (component.empty() || component == ".") continue;
    if (p == path.end() || *p != component) return false;
    ++p;
  }
  return true;
}

// cargo's `is_excluded`: below an `exclude` entry and not below a `members`
// entry, both taken literally (a glob in `members` protects nothing).
bool IsExcluded(const Manifest& root, const fs::path& manifest_path) {
  const TomlTable* workspace = root.workspace();
  if (workspace == nullptr) return false;
  const fs::path root_dir = root.dir();
  auto below_any = [&](std::string_view key) {
    for (const std::string& entry :
         workspace->FindStringArray(key).value_or(std::vector<std::string>{})) {
      if (StartsWithJoined(manifest_path, root_dir, entry)) return true;
    }
    return false;
  };
  return below_any("exclude") && !below_any("members");
}

absl::Status CheckStringArray(const Manifest& manifest, std::string_view key) {
  const TomlTable* workspace = manifest.workspace();
  if (workspace == nullptr || workspace->Find(key) == nullptr ||
      workspace->FindStringArray(key)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("reading %s: workspace.%s must be an array of strings",
                      manifest.path.string(), key));
}

class Loader {
 public:
  Loader(Workspace& ws, std::map<fs::path, Manifest> read) : ws_(ws) {
    for (auto& [path, manifest] : read)
      prefetched_.emplace(path, std::move(manifest));
  }

  absl::StatusOr<Manifest*> Load(const fs::path& manifest_path) {
    auto it = ws_.manifests.find(manifest_path);
    if (it != ws_.manifests.end()) return &it->second;
    auto read = prefetched_.find(manifest_path);
    ASSIGN_OR_RETURN(Manifest manifest, read == prefetched_.end()
                                            ? ReadManifest(manifest_path)
                                            : std::move(read->second));
    return &ws_.manifests.emplace(manifest_path, std::move(manifest))
                .first->second;
  }

  absl::StatusOr<Manifest*> LoadPackage(const fs::path& manifest_path) {
    ASSIGN_OR_RETURN(Manifest * manifest, Load(manifest_path));
    if (manifest->package() == nullptr) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "loading %s: found a virtual manifest instead of a package manifest",
          manifest_path.string()));
    }
    return manifest;
  }

  absl::Status FindMembers() {
    Manifest& root = ws_.root();
    const fs::path root_dir = root.dir();
    if (root.workspace() == nullptr) {
      // A package without a workspace is the only member; its path
      // dependencies are plain local packages.
      ASSIGN_OR_RETURN(Manifest * manifest,
                       LoadPackage(ws_.root_manifest_path));
      members_.insert(ws_.root_manifest_path);
      RETURN_IF_ERROR(AddPackage(*manifest, true, {}));
      for (const fs::path& dir : PathDeps(*manifest, true, nullptr)) {
        outside_.push_back(dir / kManifestName);
      }
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(CheckStringArray(root, "members"));
    RETURN_IF_ERROR(CheckStringArray(root, "exclude"));
    RETURN_IF_ERROR(CheckStringArray(root, "default-members"));
    const std::vector<std::string> patterns =
        root.workspace()->FindStringArray("members").value_or(
            std::vector<std::string>{});
    const std::vector<std::vector<fs::path>> pattern_dirs =
        MemberDirs(root_dir, patterns);
    Prefetch(pattern_dirs);
    std::vector<TomlValue> kept;
    for (size_t i = 0; i < patterns.size(); ++i) {
      const std::string& pattern = patterns[i];
      const std::vector<fs::path>& dirs = pattern_dirs[i];
      bool all_excluded = HasGlobMeta(pattern) && !dirs.empty();
      for (const fs::path& dir : dirs) {
        all_excluded = all_excluded && IsExcluded(root, dir / kManifestName);
        RETURN_IF_ERROR(
            FindPathDeps(dir / kManifestName, ws_.root_manifest_path, false));
      }
      // The skeleton lacks excluded directories, so there such a glob would
      // match nothing and be taken literally. It adds no member: drop it.
      if (!all_excluded) kept.push_back(TomlValue::String(pattern));
    }
    if (kept.size() != patterns.size()) {
      root.workspace()->Set("members", TomlValue::Array(std::move(kept)));
    }
    if (root.package() != nullptr) {
      RETURN_IF_ERROR(
          FindPathDeps(ws_.root_manifest_path, ws_.root_manifest_path, false));
    }
    return absl::OkStatus();
  }

  // cargo's `find_path_deps`: adds a member and, recursively, its path
  // dependencies inside the root; others become outside candidates.
  // `referrer` is the manifest that names `manifest_path`.
  absl::Status FindPathDeps(const fs::path& manifest_path,
                            const fs::path& referrer, bool is_path_dep) {
    if (members_.count(manifest_path)) return absl::OkStatus();
    const Manifest& root = ws_.root();
    // A path dependency outside the root is a member only when its own
    // workspace is this one (`package.workspace` pointing here).
    if (is_path_dep && !IsWithin(manifest_path.parent_path(), root.dir())) {
      ASSIGN_OR_RETURN(
          const fs::path its_root,
          AnnotateMissing(FindWorkspaceRoot(manifest_path),
                          absl::StrFormat("loading path dependency %s of %s",
                                          manifest_path.parent_path().string(),
                                          referrer.string())));
      if (its_root != ws_.root_manifest_path) {
        outside_.push_back(manifest_path);
        return absl::OkStatus();
      }
    }
    if (IsExcluded(root, manifest_path)) {
      // An excluded path dependency is still a package the build reads; an
      // excluded directory that only `members` (a glob) named is not.
      if (is_path_dep) outside_.push_back(manifest_path);
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(
        Manifest * manifest,
        AnnotateMissing(
            LoadPackage(manifest_path),
            absl::StrFormat(
                "loading %s %s of %s",
                is_path_dep ? "path dependency" : "workspace member",
                manifest_path.parent_path().string(), referrer.string())));
    members_.insert(manifest_path);
    RETURN_IF_ERROR(AddPackage(*manifest, true, ws_.root_manifest_path));
    for (const fs::path& dir :
         PathDeps(*manifest, true, ws_.workspace_dependencies())) {
      RETURN_IF_ERROR(FindPathDeps(dir / kManifestName, manifest_path, true));
    }
    return absl::OkStatus();
  }

  // Loads the local packages that are not members, with their normal and
  // build path dependencies (cargo never resolves their dev-dependencies).
  absl::Status FindOthers(const std::vector<fs::path>& patch_dirs) {
    std::set<fs::path> patched;
    for (const fs::path& dir : patch_dirs) patched.insert(dir / kManifestName);
    for (const fs::path& dir : RootPatchDirs())
      patched.insert(dir / kManifestName);
    std::deque<fs::path> queue(outside_.begin(), outside_.end());
    queue.insert(queue.end(), patched.begin(), patched.end());
    while (!queue.empty()) {
      const fs::path manifest_path = queue.front();
      queue.pop_front();
      if (packages_.count(manifest_path)) continue;
      ASSIGN_OR_RETURN(
          Manifest * manifest,
          AnnotateMissing(
              LoadPackage(manifest_path),
              absl::StrFormat("loading path dependency %s",
                              manifest_path.parent_path().string())));
      fs::path inherits_from;
      if (UsesInheritance(*manifest)) {
        ASSIGN_OR_RETURN(inherits_from, FindWorkspaceRoot(manifest_path));
        if (inherits_from != ws_.root_manifest_path &&
            inherits_from != manifest_path) {
          ASSIGN_OR_RETURN(Manifest * other_root, Load(inherits_from));
          if (other_root->workspace() != nullptr &&
              std::find(ws_.other_roots.begin(), ws_.other_roots.end(),
                        inherits_from) == ws_.other_roots.end()) {
            ws_.other_roots.push_back(inherits_from);
            // cargo reads an inheriting root in full, targets included.
            if (other_root->package() != nullptr)
              queue.push_back(inherits_from);
          }
        }
      }
      RETURN_IF_ERROR(AddPackage(*manifest, false, inherits_from));
      const TomlTable* deps_from = nullptr;
      if (!inherits_from.empty()) {
        deps_from =
            WorkspaceSubtable(ws_.manifests.at(inherits_from), "dependencies");
      }
      for (const fs::path& dir :
           PathDeps(*manifest, false, deps_from, inherits_from.parent_path())) {
        queue.push_back(dir / kManifestName);
      }
    }
    for (const fs::path& path : patched) {
      auto it = packages_.find(path);
      if (it != packages_.end()) it->second.patched = true;
    }
    return absl::OkStatus();
  }

  void Finish() {
    for (auto& [path, package] : packages_)
      ws_.packages.push_back(std::move(package));
    std::sort(ws_.other_roots.begin(), ws_.other_roots.end());
  }

 private:
  // The directories each pattern of `members` names.
  static std::vector<std::vector<fs::path>> MemberDirs(
      const fs::path& root_dir, const std::vector<std::string>& patterns) {
    std::vector<std::vector<fs::path>> out;
    for (const std::string& pattern : patterns) {
      const std::vector<fs::path> matches = ExpandGlob(root_dir, pattern);
      std::vector<fs::path>& dirs = out.emplace_back();
      for (const fs::path& match : matches) {
        std::error_code ec;
        if (fs::is_directory(match, ec)) dirs.push_back(match);
      }
      // As cargo: a pattern matching nothing is taken literally (and fails
      // to load); one matching only files adds nothing.
      if (matches.empty()) dirs.push_back(JoinNormal(root_dir, pattern));
    }
    return out;
  }

  // Reads the members' manifests (not excluded ones) in parallel for Load().
  void Prefetch(const std::vector<std::vector<fs::path>>& pattern_dirs) {
    std::vector<fs::path> paths;
    for (const std::vector<fs::path>& dirs : pattern_dirs) {
      for (const fs::path& dir : dirs) {
        fs::path path = dir / kManifestName;
        if (!ws_.manifests.count(path) && !prefetched_.count(path) &&
            !IsExcluded(ws_.root(), path))
          paths.push_back(std::move(path));
      }
    }
    prefetched_.merge(ReadManifests(paths));
  }

  absl::Status AddPackage(const Manifest& manifest, bool member,
                          const fs::path& inherits_from) {
    LocalPackage package;
    package.manifest_path = manifest.path;
    package.name = manifest.name();
    package.member = member;
    package.workspace_manifest_path = inherits_from;
    const TomlTable* inherited = nullptr;
    if (!inherits_from.empty()) {
      auto it = ws_.manifests.find(inherits_from);
      if (it != ws_.manifests.end())
        inherited = WorkspaceSubtable(it->second, "package");
    }
    const TomlTable& table = *manifest.package();
    package.version = PackageString(table, "version", inherited).value_or("");
    if (package.version.empty() && table.Find("version") == nullptr)
      package.version = "0.0.0";
    package.edition =
        PackageString(table, "edition", inherited).value_or("2015");
    packages_[manifest.path] = std::move(package);
    return absl::OkStatus();
  }

  // Directories of the path dependencies of `manifest` (dev-dependencies
  // only for members).
  std::vector<fs::path> PathDeps(const Manifest& manifest, bool with_dev,
                                 const TomlTable* workspace_dependencies,
                                 fs::path workspace_dir = {}) {
    if (workspace_dir.empty()) workspace_dir = ws_.root_dir();
    std::vector<fs::path> out;
    auto& doc = const_cast<TomlTable&>(manifest.doc);
    for (const DependencyEntry& entry : DependencyEntries(doc)) {
      if (!with_dev && entry.kind == DependencyKind::kDev) continue;
      if (auto dir = PathDependencyDir(entry, manifest.dir(),
                                       workspace_dependencies, workspace_dir)) {
        out.push_back(*dir);
      }
    }
    return out;
  }

  // Directories named by path entries of the root's [patch.*] and [replace].
  std::vector<fs::path> RootPatchDirs() {
    std::vector<fs::path> out;
    const Manifest& root = ws_.root();
    auto add = [&](const TomlTable& table) {
      for (const auto& [key, value] : table.entries()) {
        if (!value.is_table()) continue;
        if (auto path = value.table().FindString("path")) {
          out.push_back(JoinNormal(root.dir(), *path));
        }
      }
    };
    if (const TomlTable* patch = root.doc.FindTable("patch")) {
      for (const auto& [source, table] : patch->entries()) {
        if (table.is_table()) add(table.table());
      }
    }
    if (const TomlTable* replace = root.doc.FindTable("replace")) add(*replace);
    return out;
  }

  static bool UsesInheritance(const Manifest& manifest) {
    for (const auto& [key, value] : manifest.package()->entries()) {
      if (IsInherited(*manifest.package(), key)) return true;
    }
    auto& doc = const_cast<TomlTable&>(manifest.doc);
    for (const DependencyEntry& entry : DependencyEntries(doc)) {
      if (entry.value->is_table() &&
          entry.value->table().FindBool("workspace").value_or(false)) {
        return true;
      }
    }
    return false;
  }

  Workspace& ws_;
  std::set<fs::path> members_;
  std::vector<fs::path> outside_;
  std::map<fs::path, LocalPackage> packages_;
  std::map<fs::path, absl::StatusOr<Manifest>> prefetched_;
};

}  // namespace

const TomlTable* Workspace::workspace_package() const {
  return WorkspaceSubtable(root(), "package");
}

const TomlTable* Workspace::workspace_dependencies() const {
  return WorkspaceSubtable(root(), "dependencies");
}

const TomlTable* Workspace::InheritedPackageTable(
    const LocalPackage& package) const {
  auto it = manifests.find(package.workspace_manifest_path);
  return it == manifests.end() ? nullptr
                               : WorkspaceSubtable(it->second, "package");
}

const TomlTable* Workspace::InheritedDependencies(
    const LocalPackage& package) const {
  auto it = manifests.find(package.workspace_manifest_path);
  return it == manifests.end() ? nullptr
                               : WorkspaceSubtable(it->second, "dependencies");
}

const LocalPackage* Workspace::FindPackage(const fs::path& dir) const {
  for (const LocalPackage& package : packages) {
    if (package.dir() == dir) return &package;
  }
  return nullptr;
}

LocalPackage* Workspace::FindPackage(const fs::path& dir) {
  for (LocalPackage& package : packages) {
    if (package.dir() == dir) return &package;
  }
  return nullptr;
}

absl::StatusOr<fs::path> FindWorkspaceRoot(const fs::path& manifest_path) {
  ASSIGN_OR_RETURN(const Manifest manifest, ReadManifest(manifest_path));
  return FindWorkspaceRoot(manifest);
}

absl::StatusOr<fs::path> FindWorkspaceRoot(const Manifest& manifest) {
  const fs::path& manifest_path = manifest.path;
  if (manifest.workspace() != nullptr) return manifest_path;
  if (const TomlTable* package = manifest.package()) {
    if (auto root = package->FindString("workspace")) {
      const fs::path root_manifest =
          JoinNormal(manifest.dir(), *root) / kManifestName;
      absl::StatusOr<Manifest> root_doc = ReadManifest(root_manifest);
      if (!root_doc.ok()) {
        return Annotate(
            root_doc.status(),
            absl::StrFormat("finding the workspace of %s (package.workspace)",
                            manifest_path.string()));
      }
      if (root_doc->workspace() == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrFormat("finding the workspace of %s: package.workspace "
                            "points to %s, which has "
                            "no [workspace]",
                            manifest_path.string(), root_manifest.string()));
      }
      return root_manifest;
    }
  }
  for (fs::path dir = manifest.dir().parent_path();; dir = dir.parent_path()) {
    const fs::path candidate = dir / kManifestName;
    std::error_code ec;
    if (fs::exists(candidate, ec)) {
      ASSIGN_OR_RETURN(Manifest ancestor, ReadManifest(candidate));
      if (ancestor.workspace() != nullptr) {
        if (!IsExcluded(ancestor, manifest_path)) return candidate;
      } else if (const TomlTable* package = ancestor.package()) {
        // As cargo: an ancestor package's `package.workspace` answers for
        // the packages below it too.
        if (auto root = package->FindString("workspace")) {
          return JoinNormal(ancestor.dir(), *root) / kManifestName;
        }
      }
    }
    if (dir == dir.root_path() || dir.empty()) break;
  }
  return manifest_path;
}

absl::StatusOr<Workspace> LoadWorkspace(const fs::path& manifest_path,
                                        WorkspaceOptions options) {
  const fs::path requested = manifest_path.lexically_normal();
  Workspace ws;
  if (options.root_manifest_path.empty()) {
    ASSIGN_OR_RETURN(ws.root_manifest_path, FindWorkspaceRoot(requested));
  } else {
    ws.root_manifest_path = options.root_manifest_path;
  }
  Loader loader(ws, std::move(options.read));
  RETURN_IF_ERROR(loader.Load(ws.root_manifest_path).status());
  RETURN_IF_ERROR(loader.FindMembers());
  RETURN_IF_ERROR(loader.FindOthers(options.patch_dirs));
  loader.Finish();
  if (requested != ws.root_manifest_path) {
    const LocalPackage* package = ws.FindPackage(requested.parent_path());
    if (package == nullptr || !package->member) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "loading the workspace of %s: the package believes it is in the "
          "workspace "
          "at %s, which does not list it as a member; hint: add it to "
          "workspace.members or workspace.exclude",
          requested.string(), ws.root_manifest_path.string()));
    }
  }
  return ws;
}

}  // namespace cook::chef
