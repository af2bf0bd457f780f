#include "chef/prune.h"

#include <algorithm>
#include <deque>
#include <set>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "chef/manifest.h"

namespace cook::chef {
namespace fs = std::filesystem;

namespace {

absl::StatusOr<const LocalPackage*> Select(
    const Workspace& ws, std::string_view name,
    const std::map<fs::path, std::vector<Target>>& targets) {
  for (const LocalPackage& package : ws.packages) {
    if (package.member && package.name == name) return &package;
  }
  std::vector<const LocalPackage*> found;
  for (const LocalPackage& package : ws.packages) {
    if (!package.member) continue;
    auto it = targets.find(package.manifest_path);
    if (it == targets.end()) continue;
    for (const Target& target : it->second) {
      if (target.kind == TargetKind::kBin && target.name == name) {
        found.push_back(&package);
        break;
      }
    }
  }
  if (found.empty()) {
    return absl::NotFoundError(absl::StrFormat(
        "selecting --bin %s: no member package or binary is named %s",
        std::string(name), std::string(name)));
  }
  if (found.size() > 1) {
    std::vector<std::string> names;
    names.reserve(found.size());
    for (const LocalPackage* package : found) names.push_back(package->name);
    return absl::InvalidArgumentError(
        absl::StrFormat("selecting --bin %s: several packages have a binary of "
                        "that name (%s); hint: "
                        "name the package instead",
                        std::string(name), absl::StrJoin(names, ", ")));
  }
  return found.front();
}

// Local packages (by manifest path) and lockfile entries that the selected
// package needs.
struct Reach {
  std::set<fs::path> packages;
  std::vector<bool> lock_entries;
};

Reach Reachable(Workspace& ws, const Lockfile* lock,
                const LocalPackage& selected) {
  Reach reach;
  if (lock != nullptr)
    reach.lock_entries.assign(lock->packages().size(), false);
  std::deque<const LocalPackage*> queue = {&selected};
  if (ws.root().package() != nullptr) {
    if (const LocalPackage* root = ws.FindPackage(ws.root_dir()))
      queue.push_back(root);
  }
  auto local_for_lock = [&](const LockPackage& entry) -> const LocalPackage* {
    if (!entry.source.empty()) return nullptr;
    for (const LocalPackage& package : ws.packages) {
      if (package.name == entry.name &&
          (package.version == entry.version || package.version.empty())) {
        return &package;
      }
    }
    return nullptr;
  };
  std::deque<int> lock_queue;
  auto visit_lock = [&](int index) {
    if (index < 0 || reach.lock_entries[index]) return;
    reach.lock_entries[index] = true;
    lock_queue.push_back(index);
  };
  while (!queue.empty() || !lock_queue.empty()) {
    if (!queue.empty()) {
      const LocalPackage* package = queue.front();
      queue.pop_front();
      if (!reach.packages.insert(package->manifest_path).second) continue;
      Manifest& manifest = ws.manifests.at(package->manifest_path);
      for (const DependencyEntry& entry : DependencyEntries(manifest.doc)) {
        if (!package->member && entry.kind == DependencyKind::kDev) continue;
        auto dir = PathDependencyDir(
            entry, manifest.dir(), ws.InheritedDependencies(*package),
            package->workspace_manifest_path.parent_path());
        if (dir) {
          if (const LocalPackage* dep = ws.FindPackage(*dir))
            queue.push_back(dep);
          continue;
        }
        // A registry or git dependency that [patch] may substitute: without
        // a lockfile to tell, assume it does.
        const std::string dep_name = DependencyPackageName(entry);
        for (const LocalPackage& candidate : ws.packages) {
          if (candidate.patched && candidate.name == dep_name)
            queue.push_back(&candidate);
        }
      }
      if (lock != nullptr) {
        for (size_t i = 0; i < lock->packages().size(); ++i) {
          const LockPackage& entry = lock->packages()[i];
          if (entry.source.empty() && entry.name == package->name)
            visit_lock(static_cast<int>(i));
        }
      }
      continue;
    }
    const LockPackage& entry = lock->packages()[lock_queue.front()];
    lock_queue.pop_front();
    if (const LocalPackage* local = local_for_lock(entry))
      queue.push_back(local);
    for (const std::string& dep : entry.dependencies)
      visit_lock(lock->Resolve(dep));
  }
  return reach;
}

std::string RelativeMember(const fs::path& dir, const fs::path& root_dir) {
  return dir.lexically_relative(root_dir).generic_string();
}

// The kept members (sorted, relative to the root) and the
// [workspace.dependencies] keys the kept packages inherit.
struct KeptMembers {
  std::vector<std::string> members;
  std::set<std::string> inherited_deps;
};

KeptMembers FindKeptMembers(Workspace& ws, const Reach& reach) {
  KeptMembers kept;
  for (const LocalPackage& package : ws.packages) {
    if (!reach.packages.count(package.manifest_path)) continue;
    if (package.member && package.manifest_path != ws.root_manifest_path) {
      kept.members.push_back(RelativeMember(package.dir(), ws.root_dir()));
    }
    if (package.workspace_manifest_path != ws.root_manifest_path) continue;
    for (const DependencyEntry& entry :
         DependencyEntries(ws.manifests.at(package.manifest_path).doc)) {
      if (entry.value->is_table() &&
          entry.value->table().FindBool("workspace").value_or(false)) {
        kept.inherited_deps.insert(entry.key);
      }
    }
  }
  std::sort(kept.members.begin(), kept.members.end());
  return kept;
}

// Drops the root's [patch] and [replace] entries nothing reached needs;
// returns the names of the patched packages kept.
std::vector<std::string> PrunePatches(Workspace& ws, const Lockfile* lock,
                                      const Reach& reach) {
  // Lockfile names still in use decide which non-path patches stay.
  std::set<std::string> lock_names;
  std::vector<std::string> kept_patch_names;
  if (lock != nullptr) {
    for (size_t i = 0; i < lock->packages().size(); ++i) {
      if (reach.lock_entries[i]) lock_names.insert(lock->packages()[i].name);
    }
  }

  Manifest& root = ws.root();
  auto keep_patch_entry = [&](const std::string& key, const TomlValue& value) {
    if (!value.is_table()) return true;
    if (auto path = value.table().FindString("path")) {
      return reach.packages.count(JoinNormal(root.dir(), *path) /
                                  "Cargo.toml") > 0;
    }
    const std::string package =
        value.table().FindString("package").value_or(key);
    return lock == nullptr || lock_names.count(package) > 0 ||
           std::any_of(lock->unused_patches().begin(),
                       lock->unused_patches().end(),
                       [&](const LockPackage& p) { return p.name == package; });
  };
  if (TomlTable* patch = root.doc.FindTable("patch")) {
    for (auto& [source, entries] : patch->entries()) {
      if (!entries.is_table()) continue;
      std::erase_if(entries.table().entries(), [&](const auto& entry) {
        return !keep_patch_entry(entry.first, entry.second);
      });
      for (const auto& [key, value] : entries.table().entries()) {
        kept_patch_names.push_back(
            value.is_table() ? value.table().FindString("package").value_or(key)
                             : key);
      }
    }
  }
  if (TomlTable* replace = root.doc.FindTable("replace")) {
    std::erase_if(replace->entries(), [&](const auto& entry) {
      const TomlValue& value = entry.second;
      if (!value.is_table()) return false;
      auto path = value.table().FindString("path");
      return path && !reach.packages.count(JoinNormal(root.dir(), *path) /
                                           "Cargo.toml");
    });
  }
  return kept_patch_names;
}

// [workspace] lists exactly the kept members (no default-members) and only
// the dependencies they inherit.
void RewriteWorkspace(Workspace& ws, const KeptMembers& kept) {
  TomlTable* workspace = ws.root().workspace();
  if (workspace == nullptr) return;
  std::vector<TomlValue> member_values;
  member_values.reserve(kept.members.size());
  for (const std::string& member : kept.members) {
    member_values.push_back(TomlValue::String(member));
  }
  workspace->Set("members", TomlValue::Array(std::move(member_values)));
  workspace->Erase("default-members");
  if (TomlTable* deps = workspace->FindTable("dependencies")) {
    std::erase_if(deps->entries(), [&](const auto& entry) {
      return !kept.inherited_deps.count(entry.first);
    });
  }
}

// Drops the packages, manifests and targets not reached.
void DropUnreached(Workspace& ws, const Reach& reach,
                   std::map<fs::path, std::vector<Target>>& targets) {
  std::erase_if(ws.packages, [&](const LocalPackage& package) {
    return !reach.packages.count(package.manifest_path);
  });
  std::erase_if(ws.manifests, [&](const auto& entry) {
    return entry.first != ws.root_manifest_path &&
           std::find(ws.other_roots.begin(), ws.other_roots.end(),
                     entry.first) == ws.other_roots.end() &&
           !reach.packages.count(entry.first);
  });
  std::erase_if(targets, [&](const auto& entry) {
    return !reach.packages.count(entry.first);
  });
}

}  // namespace

absl::Status PruneForBin(Workspace& ws, Lockfile* lock, std::string_view name,
                         std::map<fs::path, std::vector<Target>>& targets) {
  absl::StatusOr<const LocalPackage*> selected = Select(ws, name, targets);
  if (!selected.ok()) return selected.status();
  const Reach reach = Reachable(ws, lock, **selected);
  const KeptMembers kept = FindKeptMembers(ws, reach);
  const std::vector<std::string> kept_patch_names =
      PrunePatches(ws, lock, reach);
  RewriteWorkspace(ws, kept);
  DropUnreached(ws, reach, targets);
  if (lock != nullptr) lock->Retain(reach.lock_entries, kept_patch_names);
  return absl::OkStatus();
}

}  // namespace cook::chef
