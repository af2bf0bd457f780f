#include "chef/manifest.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "chef/parallel_map.h"
#include "chef/toml_parser.h"

namespace cook::chef {
namespace fs = std::filesystem;

std::string Manifest::name() const {
  const TomlTable* p = package();
  std::optional<std::string> name = p ? p->FindString("name") : std::nullopt;
  return name.value_or("");
}

absl::StatusOr<Manifest> ParseManifest(std::string_view text,
                                       const fs::path& path) {
  ASSIGN_OR_RETURN(TomlTable doc, ParseToml(text, path.string()));
  Manifest manifest{path, std::move(doc)};
  const TomlValue* package = manifest.doc.Find("package");
  if (package != nullptr) {
    if (!package->is_table()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "reading %s: [package] is not a table", path.string()));
    }
    if (!package->table().FindString("name")) {
      return absl::InvalidArgumentError(
          absl::StrFormat("reading %s: missing package.name", path.string()));
    }
  } else if (manifest.workspace() == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "reading %s: the manifest has neither [package] nor [workspace]",
        path.string()));
  }
  return manifest;
}

absl::StatusOr<Manifest> ReadManifest(const fs::path& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    if (absl::IsNotFound(text.status())) {
      return absl::NotFoundError(
          absl::StrFormat("reading manifest %s: no such file", path.string()));
    }
    return text.status();
  }
  return ParseManifest(*text, path);
}

std::map<fs::path, absl::StatusOr<Manifest>> ReadManifests(
    const std::vector<fs::path>& paths) {
  std::vector<absl::StatusOr<Manifest>> read =
      ParallelMap<absl::StatusOr<Manifest>>(
          paths.size(), [&](size_t i) { return ReadManifest(paths[i]); });
  std::map<fs::path, absl::StatusOr<Manifest>> out;
  for (size_t i = 0; i < paths.size(); ++i) {
    out.emplace(paths[i], std::move(read[i]));
  }
  return out;
}

namespace {

void AddEntries(TomlTable& section, const std::string& platform,
                std::vector<DependencyEntry>& out) {
  static constexpr std::pair<std::string_view, DependencyKind> kTables[] = {
      {"dependencies", DependencyKind::kNormal},
      {"dev-dependencies", DependencyKind::kDev},
      {"dev_dependencies", DependencyKind::kDev},
      {"build-dependencies", DependencyKind::kBuild},
      {"build_dependencies", DependencyKind::kBuild},
  };
  for (const auto& [name, table_kind] : kTables) {
    TomlTable* table = section.FindTable(name);
    if (table == nullptr) continue;
    for (auto& [key, value] : table->entries()) {
      out.push_back({table_kind, platform, key, &value});
    }
  }
}

}  // namespace

std::vector<DependencyEntry> DependencyEntries(TomlTable& doc) {
  std::vector<DependencyEntry> out;
  AddEntries(doc, "", out);
  if (TomlTable* targets = doc.FindTable("target")) {
    for (auto& [platform, value] : targets->entries()) {
      if (value.is_table()) AddEntries(value.table(), platform, out);
    }
  }
  return out;
}

std::string DependencyPackageName(const DependencyEntry& entry) {
  if (entry.value->is_table()) {
    if (auto package = entry.value->table().FindString("package"))
      return *package;
  }
  return entry.key;
}

namespace {

// True for an absolute path with no empty, "." or ".." component and no
// trailing separator: its own lexically_normal().
bool IsNormalAbsolute(std::string_view path) {
  if (path == "/") return true;
  if (path.empty() || path.front() != '/' || path.back() == '/') return false;
  constexpr auto npos = std::string_view::npos;
  return path.find("//") == npos && path.find("/./") == npos &&
         path.find("/../") == npos && !path.ends_with("/.") &&
         !path.ends_with("/..");
}

}  // namespace

fs::path JoinNormal(const fs::path& base, std::string_view relative) {
  // Path dependencies make this a hot spot: a string walk for the common
  // case (a normal absolute base, a relative path), std::filesystem else.
  if (IsNormalAbsolute(base.native()) && !relative.empty() &&
      relative[0] != '/') {
    std::string out = base.native();
    for (size_t start = 0; start <= relative.size();) {
      size_t end = relative.find('/', start);
      if (end == std::string_view::npos) end = relative.size();
      const std::string_view part = relative.substr(start, end - start);
      start = end + 1;
      if (part.empty() || part == ".") continue;
      if (part == "..") {
        out.resize(std::max<size_t>(out.rfind('/'), 1));
        continue;
      }
      if (out.size() > 1) out += '/';
      out.append(part);
    }
    return fs::path(std::move(out));
  }
  fs::path joined = (base / fs::path(relative)).lexically_normal();
  if (joined.has_relative_path() && joined.filename().empty()) {
    joined = joined.parent_path();
  }
  return joined;
}

std::optional<fs::path> PathDependencyDir(
    const DependencyEntry& entry, const fs::path& manifest_dir,
    const TomlTable* workspace_dependencies, const fs::path& workspace_dir) {
  if (!entry.value->is_table()) return std::nullopt;
  const TomlTable& table = entry.value->table();
  if (auto path = table.FindString("path"))
    return JoinNormal(manifest_dir, *path);
  if (table.FindBool("workspace").value_or(false) && workspace_dependencies) {
    const TomlTable* inherited = workspace_dependencies->FindTable(entry.key);
    if (inherited == nullptr) return std::nullopt;
    if (auto path = inherited->FindString("path")) {
      return JoinNormal(workspace_dir, *path);
    }
  }
  return std::nullopt;
}

bool IsInherited(const TomlTable& package, std::string_view key) {
  const TomlTable* table = package.FindTable(key);
  return table != nullptr && table->FindBool("workspace").value_or(false);
}

std::optional<std::string> PackageString(const TomlTable& package,
                                         std::string_view key,
                                         const TomlTable* workspace_package) {
  if (auto value = package.FindString(key)) return value;
  if (IsInherited(package, key) && workspace_package != nullptr) {
    return workspace_package->FindString(key);
  }
  return std::nullopt;
}

}  // namespace cook::chef
