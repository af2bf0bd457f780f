#include "chef/masking.h"

#include <map>
#include <string>
#include <vector>

#include "chef/manifest.h"

namespace cook::chef {
namespace fs = std::filesystem;

namespace {

// Whether giving `package` kMaskedVersion would make two packages share a
// name and version (or reference ambiguous) in the lockfile.
bool Collides(const Workspace& ws, const Lockfile* lock,
              const LocalPackage& package) {
  for (const LocalPackage& other : ws.packages) {
    if (&other != &package && other.name == package.name) return true;
  }
  if (lock != nullptr) {
    for (const LockPackage& entry : lock->packages()) {
      if (entry.name == package.name && entry.version == kMaskedVersion &&
          !(entry.source.empty() && package.version == kMaskedVersion)) {
        return true;
      }
    }
  }
  return false;
}

int LockIndex(const Lockfile& lock, const LocalPackage& package) {
  for (size_t i = 0; i < lock.packages().size(); ++i) {
    const LockPackage& entry = lock.packages()[i];
    if (entry.source.empty() && entry.name == package.name &&
        entry.version == package.version) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

void EraseVersionsOfMaskedPathDeps(Workspace& ws,
                                   const std::set<fs::path>& masked_dirs) {
  for (auto& [path, manifest] : ws.manifests) {
    const fs::path dir = manifest.dir();
    for (DependencyEntry& entry : DependencyEntries(manifest.doc)) {
      if (!entry.value->is_table()) continue;
      TomlTable& table = entry.value->table();
      // `{ workspace = true }` entries are handled in [workspace.dependencies].
      std::optional<std::string> dep_path = table.FindString("path");
      if (dep_path && masked_dirs.count(JoinNormal(dir, *dep_path)))
        table.Erase("version");
    }
    TomlTable* workspace = manifest.workspace();
    TomlTable* deps =
        workspace ? workspace->FindTable("dependencies") : nullptr;
    if (deps == nullptr) continue;
    for (auto& [name, value] : deps->entries()) {
      if (!value.is_table()) continue;
      std::optional<std::string> dep_path = value.table().FindString("path");
      if (dep_path && masked_dirs.count(JoinNormal(dir, *dep_path))) {
        value.table().Erase("version");
      }
    }
  }
}

}  // namespace

std::set<fs::path> MaskVersions(Workspace& ws, Lockfile* lock) {
  // Packages that may be masked at all.
  std::set<const LocalPackage*> maskable;
  for (const LocalPackage& package : ws.packages) {
    if (!package.patched && !package.version.empty() &&
        !Collides(ws, lock, package)) {
      maskable.insert(&package);
    }
  }

  // Roots whose workspace.package.version is masked. An unmaskable package
  // inheriting it gets the literal version instead, so it keeps its own.
  std::set<fs::path> masked_roots;
  std::vector<fs::path> roots = ws.other_roots;
  roots.push_back(ws.root_manifest_path);
  for (const fs::path& root_path : roots) {
    TomlTable* workspace = ws.manifests.at(root_path).workspace();
    TomlTable* package_table =
        workspace ? workspace->FindTable("package") : nullptr;
    if (package_table == nullptr) continue;
    std::optional<std::string> version = package_table->FindString("version");
    if (!version) continue;
    for (const LocalPackage& package : ws.packages) {
      if (package.workspace_manifest_path != root_path ||
          maskable.count(&package))
        continue;
      TomlTable* own = ws.manifests.at(package.manifest_path).package();
      if (own != nullptr && IsInherited(*own, "version")) {
        own->Set("version", TomlValue::String(*version));
      }
    }
    package_table->Set("version", TomlValue::String(kMaskedVersion));
    masked_roots.insert(root_path);
  }

  std::set<fs::path> masked;
  std::set<fs::path> masked_dirs;
  std::map<int, std::string> lock_versions;
  for (LocalPackage& package : ws.packages) {
    if (!maskable.count(&package)) continue;
    TomlTable* own = ws.manifests.at(package.manifest_path).package();
    if (own == nullptr) continue;
    const TomlValue* version = own->Find("version");
    if (version == nullptr) continue;  // 0.0.0 stays 0.0.0
    if (version->is_string()) {
      own->Set("version", TomlValue::String(kMaskedVersion));
    } else if (!(IsInherited(*own, "version") &&
                 masked_roots.count(package.workspace_manifest_path))) {
      continue;
    }
    if (lock != nullptr) {
      if (int index = LockIndex(*lock, package); index >= 0) {
        lock_versions[index] = kMaskedVersion;
      }
    }
    package.version = kMaskedVersion;
    masked.insert(package.manifest_path);
    masked_dirs.insert(package.dir());
  }
  if (lock != nullptr) lock->SetVersions(lock_versions);
  EraseVersionsOfMaskedPathDeps(ws, masked_dirs);
  return masked;
}

void StripLints(TomlTable& doc) {
  doc.Erase("lints");
  if (TomlTable* workspace = doc.FindTable("workspace"))
    workspace->Erase("lints");
}

}  // namespace cook::chef
