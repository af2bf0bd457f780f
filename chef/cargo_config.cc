#include "chef/cargo_config.h"

#include <algorithm>
#include <system_error>
#include <utility>

#include "base/files.h"
#include "base/status_macros.h"
#include "chef/manifest.h"
#include "chef/toml_parser.h"

namespace cook::chef {
namespace fs = std::filesystem;

absl::StatusOr<std::optional<CargoConfig>> ReadCargoConfig(
    const fs::path& dir) {
  CargoConfig config;
  fs::path path;
  std::error_code ec;
  for (const char* name : {".cargo/config", ".cargo/config.toml"}) {
    if (fs::is_regular_file(dir / name, ec)) {
      config.relative_path = name;
      path = dir / name;
      break;
    }
  }
  if (path.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  ASSIGN_OR_RETURN(config.doc, ParseToml(text, path.string()));
  if (TomlTable* sources = config.doc.FindTable("source")) {
    for (auto& [name, source] : sources->entries()) {
      if (!source.is_table()) continue;
      for (const char* key : {"directory", "local-registry"}) {
        std::optional<std::string> value = source.table().FindString(key);
        if (!value) continue;
        const fs::path absolute = JoinNormal(dir, *value);
        source.table().Set(key, TomlValue::String(absolute.string()));
        config.directory_sources.push_back(absolute);
      }
    }
  }
  if (const TomlTable* patch = config.doc.FindTable("patch")) {
    for (const auto& [registry, entries] : patch->entries()) {
      if (!entries.is_table()) continue;
      for (const auto& [name, entry] : entries.table().entries()) {
        if (!entry.is_table()) continue;
        if (auto value = entry.table().FindString("path")) {
          config.patch_dirs.push_back(JoinNormal(dir, *value));
        }
      }
    }
  }
  std::sort(config.directory_sources.begin(), config.directory_sources.end());
  return config;
}

}  // namespace cook::chef
