#include "cache/target_dir.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <regex>
#include <set>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"

namespace cook::cache {
namespace {

namespace fs = std::filesystem;

// A profile directory is any directory with a .fingerprint inside:
// target/debug, target/release, target/<triple>/debug, target/<custom>.
std::vector<fs::path> ProfileDirs(const fs::path& target_dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& level1 : fs::directory_iterator(target_dir, ec)) {
    if (!level1.is_directory(ec) || level1.is_symlink(ec)) continue;
    if (fs::exists(level1.path() / ".fingerprint", ec)) out.push_back(level1.path());
    for (const auto& level2 : fs::directory_iterator(level1.path(), ec)) {
      if (!level2.is_directory(ec) || level2.is_symlink(ec)) continue;
      if (fs::exists(level2.path() / ".fingerprint", ec)) out.push_back(level2.path());
    }
  }
  return out;
}

std::string RegexQuote(const std::string& s) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(s, special, R"(\$&)");
}

absl::Status Remove(const fs::path& path, int* removed) {
  std::error_code ec;
  const auto n = fs::remove_all(path, ec);
  if (ec) return FsError(ec, absl::StrCat("removing ", path.string()));
  if (n > 0) ++*removed;
  return absl::OkStatus();
}

// The subdirectories of a profile directory whose entries are units.
constexpr const char* kUnitDirs[] = {"deps", "examples", "build", ".fingerprint",
                                     "incremental"};

bool IsUnitHash(std::string_view s) {
  if (s.size() != 16) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Splits a unit entry's name, "[lib]<name>-<hash>[.<ext>...]", into its
// name and hash. Crate and package names never contain '.', so the hash ends
// the part before the first dot. Returns false for names without a hash.
bool SplitUnitName(std::string_view entry, std::string_view* name,
                   std::string_view* hash) {
  const std::string_view stem = entry.substr(0, entry.find('.'));
  if (stem.size() < 18 || stem[stem.size() - 17] != '-') return false;
  if (!IsUnitHash(stem.substr(stem.size() - 16))) return false;
  *name = stem.substr(0, stem.size() - 17);
  *hash = stem.substr(stem.size() - 16);
  return true;
}

std::string_view UnitHashOf(std::string_view entry) {
  std::string_view name, hash;
  return SplitUnitName(entry, &name, &hash) ? hash : std::string_view();
}

// The non-empty pieces of `s` between `sep`s. (Debian's absl::StrSplit
// takes no std::string_view.)
std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const size_t end = std::min(s.find(sep), s.size());
    if (end > 0) out.push_back(s.substr(0, end));
    s.remove_prefix(std::min(end + 1, s.size()));
  }
  return out;
}

// The unit hash of an artifact path from cargo's messages: the file's own,
// or for build/<package>-<hash>/build-script-build and a run's
// build/<package>-<hash>/out that of its unit directory.
std::string_view PathUnitHash(std::string_view path) {
  const std::vector<std::string_view> parts = Split(path, '/');
  if (parts.empty()) return {};
  const std::string_view own = UnitHashOf(parts.back());
  if (!own.empty() || parts.size() < 3 || parts[parts.size() - 3] != "build") {
    return own;
  }
  return UnitHashOf(parts[parts.size() - 2]);
}

std::vector<std::string_view> PathParts(std::string_view relative) {
  std::vector<std::string_view> parts;
  for (std::string_view p : Split(relative, '/')) {
    if (p != ".") parts.push_back(p);
  }
  return parts;
}

bool IsVersionNumber(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsVersionLabel(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                    (c >= 'A' && c <= 'Z') || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// MAJOR.MINOR.PATCH[-pre][+build], as cargo requires of published crates.
bool IsSemver(std::string_view s) {
  if (const size_t plus = s.find('+'); plus != std::string_view::npos) {
    if (!IsVersionLabel(s.substr(plus + 1))) return false;
    s = s.substr(0, plus);
  }
  if (const size_t dash = s.find('-'); dash != std::string_view::npos) {
    if (!IsVersionLabel(s.substr(dash + 1))) return false;
    s = s.substr(0, dash);
  }
  // Two dots and three non-empty pieces: no piece is empty.
  const std::vector<std::string_view> numbers = Split(s, '.');
  if (numbers.size() != 3 || std::count(s.begin(), s.end(), '.') != 2) return false;
  for (std::string_view n : numbers) {
    if (!IsVersionNumber(n)) return false;
  }
  return true;
}

// "<name>-<version>" → name. Names may hold '-' and digits ("md-5-0.10.5")
// but never '.', so the first '-' whose remainder is a version is the one.
std::string_view NameBeforeVersion(std::string_view s) {
  for (size_t dash = s.find('-'); dash != std::string_view::npos;
       dash = s.find('-', dash + 1)) {
    if (dash > 0 && IsSemver(s.substr(dash + 1))) return s.substr(0, dash);
  }
  return {};
}

// "<name>-<hex>" (cargo's git checkouts and databases) → name.
std::string_view NameBeforeHex(std::string_view s) {
  const size_t dash = s.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == s.size()) return {};
  for (const char c : s.substr(dash + 1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return {};
  }
  return s.substr(0, dash);
}

std::string CrateName(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c == '-') c = '_';
  }
  return out;
}

// The index in `parts` (an entry's path relative to the target directory)
// of the unit directory the entry lies in, or 0 when it lies in none:
// <profile>/<sub>/<unit>... or <triple>/<profile>/<sub>/<unit>...; target
// triples always hold a '-', which keeps target/doc/<crate>/build/ out.
size_t UnitDirIndex(const std::vector<std::string_view>& parts) {
  auto is_unit_dir = [](std::string_view p) {
    for (const char* sub : kUnitDirs) {
      if (p == sub) return true;
    }
    return false;
  };
  if (parts.size() > 2 && is_unit_dir(parts[1])) return 1;
  if (parts.size() > 3 && parts[0].find('-') != std::string_view::npos &&
      is_unit_dir(parts[2])) {
    return 2;
  }
  return 0;
}

}  // namespace

absl::StatusOr<int> DropLocalUnits(const fs::path& target_dir,
                                   const std::vector<LocalCrate>& crates) {
  // Units are "<package>-<hash>" under .fingerprint/ and build/, and
  // "[lib]<crate>-<hash>[.ext]" under deps/; uplifted copies in the profile
  // directory are "[lib]<target>[.ext]" with the bin's own spelling.
  std::set<std::string> packages, units, uplifted;
  for (const LocalCrate& c : crates) {
    packages.insert(RegexQuote(c.package));
    for (const std::string& t : c.targets) {
      units.insert(RegexQuote(CrateName(t)));
      uplifted.insert(RegexQuote(t));
      uplifted.insert(RegexQuote(CrateName(t)));
    }
  }
  auto alternatives = [](const std::set<std::string>& names) {
    std::string out;
    for (const std::string& n : names) absl::StrAppend(&out, out.empty() ? "" : "|", n);
    return out;
  };
  if (packages.empty()) return 0;
  const std::regex package_unit("^(" + alternatives(packages) + ")-[0-9a-f]{8,64}$");
  const std::regex dep_file("^(lib)?(" + alternatives(units) +
                            ")-[0-9a-f]{8,64}(\\..*)?$");
  const std::regex uplifted_file("^(lib)?(" + alternatives(uplifted) +
                                 ")(\\.(rlib|rmeta|so|a|d|dylib|dll|exe|pdb|wasm|dwp))?$");

  int removed = 0;
  std::error_code ec;
  for (const fs::path& profile : ProfileDirs(target_dir)) {
    for (const char* sub : {".fingerprint", "build"}) {
      for (const auto& e : fs::directory_iterator(profile / sub, ec)) {
        if (std::regex_match(e.path().filename().string(), package_unit)) {
          RETURN_IF_ERROR(Remove(e.path(), &removed));
        }
      }
    }
    for (const auto& e : fs::directory_iterator(profile / "deps", ec)) {
      const std::string name = e.path().filename().string();
      if (std::regex_match(name, dep_file)) RETURN_IF_ERROR(Remove(e.path(), &removed));
    }
    for (const auto& e : fs::directory_iterator(profile, ec)) {
      if (e.is_directory(ec)) continue;
      if (std::regex_match(e.path().filename().string(), uplifted_file)) {
        RETURN_IF_ERROR(Remove(e.path(), &removed));
      }
    }
    // Incremental state and examples only ever exist for local crates.
    RETURN_IF_ERROR(Remove(profile / "incremental", &removed));
    RETURN_IF_ERROR(Remove(profile / "examples", &removed));
  }
  return removed;
}

absl::StatusOr<absl::Time> NewestSourceTime(const fs::path& target_dir,
                                            const fs::path& ignore,
                                            const std::set<std::string>& used) {
  auto is_used = [&used](const fs::path& entry) {
    return used.contains(std::string(UnitHashOf(entry.filename().string())));
  };
  absl::Time newest = absl::InfinitePast();
  const std::string ignore_prefix = ignore.string() + "/";
  std::set<std::string> seen;
  std::error_code ec;
  // rustc's dep-info ends with one "path:" line per source file read.
  auto scan = [&](const fs::path& dep_info) {
    std::ifstream in(dep_info);
    std::string line;
    while (std::getline(in, line)) {
      if (line.size() < 2 || line.back() != ':' || line.front() != '/') continue;
      line.pop_back();
      if (line.find(": ") != std::string::npos) continue;
      std::string path = absl::StrReplaceAll(line, {{"\\ ", " "}});
      if (path.starts_with(ignore_prefix) || !seen.insert(path).second) continue;
      struct stat st;
      if (::stat(path.c_str(), &st) != 0) continue;
      // Entry times are whole seconds: round up so the layer is never older.
      const absl::Time whole = absl::FromUnixSeconds(
          st.st_mtim.tv_sec + (st.st_mtim.tv_nsec > 0 ? 1 : 0));
      if (whole > newest) newest = whole;
    }
  };
  for (const fs::path& profile : ProfileDirs(target_dir)) {
    for (const auto& e : fs::directory_iterator(profile / "deps", ec)) {
      if (e.path().extension() == ".d" && is_used(e.path())) scan(e.path());
    }
    // Build scripts' own dep-info sits in their unit directory.
    for (const auto& unit : fs::directory_iterator(profile / "build", ec)) {
      if (!is_used(unit.path())) continue;
      for (const auto& e : fs::directory_iterator(unit.path(), ec)) {
        if (e.path().extension() == ".d") scan(e.path());
      }
    }
  }
  return newest;
}

absl::StatusOr<std::set<std::string>> UsedUnitHashes(std::string_view messages) {
  std::set<std::string> used;
  auto add = [&used](const nlohmann::json& path) {
    if (!path.is_string()) return;
    const std::string_view hash = PathUnitHash(path.get_ref<const std::string&>());
    if (!hash.empty()) used.emplace(hash);
  };
  for (std::string_view line : Split(messages, '\n')) {
    const nlohmann::json message = nlohmann::json::parse(line, nullptr, false);
    if (message.is_discarded() || !message.is_object()) continue;
    const auto reason = message.find("reason");
    if (reason == message.end() || !reason->is_string()) continue;
    if (*reason == "compiler-artifact") {
      if (const auto filenames = message.find("filenames");
          filenames != message.end() && filenames->is_array()) {
        for (const nlohmann::json& f : *filenames) add(f);
      }
      if (const auto exe = message.find("executable"); exe != message.end()) add(*exe);
    } else if (*reason == "build-script-executed") {
      if (const auto out = message.find("out_dir"); out != message.end()) add(*out);
    }
  }
  return used;
}

absl::StatusOr<int> CollectGarbage(const fs::path& target_dir,
                                   const std::set<std::string>& used) {
  int removed = 0;
  for (const fs::path& profile : ProfileDirs(target_dir)) {
    for (const char* sub : kUnitDirs) {
      const fs::path dir = profile / sub;
      std::error_code ec;
      // A unit directory that is a symlink leads out of the tree: leave it.
      const fs::file_status st = fs::symlink_status(dir, ec);
      if (ec || !fs::is_directory(st)) {
        if (ec && ec != std::errc::no_such_file_or_directory) {
          return FsError(ec, absl::StrCat("reading ", dir.string()));
        }
        continue;
      }
      // Collect first: removing while reading a directory may skip entries.
      std::vector<fs::path> garbage;
      fs::directory_iterator it(dir, ec);
      for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const std::string_view hash = UnitHashOf(name);
        if (!hash.empty() && !used.contains(std::string(hash))) {
          garbage.push_back(it->path());
        }
      }
      if (ec) return FsError(ec, absl::StrCat("listing ", dir.string()));
      // remove_all removes a symlink itself, never what it points to.
      for (const fs::path& p : garbage) RETURN_IF_ERROR(Remove(p, &removed));
    }
  }
  return removed;
}

std::string TargetEntryUnitHash(std::string_view relative) {
  const std::vector<std::string_view> parts = PathParts(relative);
  const size_t sub = UnitDirIndex(parts);
  if (sub == 0) return "";
  return std::string(UnitHashOf(parts[sub + 1]));
}

std::string TargetEntryCrate(std::string_view relative) {
  const std::vector<std::string_view> parts = PathParts(relative);
  const size_t sub = UnitDirIndex(parts);
  if (sub == 0) return "";
  const std::string_view entry = parts[sub + 1];
  if (parts[sub] == "incremental") {
    // rustc names these "<crate>-<its own hash>", not with a unit hash.
    const size_t dash = entry.rfind('-');
    if (dash == std::string_view::npos || dash == 0) return "";
    return CrateName(entry.substr(0, dash));
  }
  std::string_view name, hash;
  if (!SplitUnitName(entry, &name, &hash)) return "";
  const bool is_file_unit = parts[sub] == "deps" || parts[sub] == "examples";
  if (is_file_unit && name.starts_with("lib") && name.size() > 3) {
    const std::string_view ext = entry.substr(entry.rfind('.') + 1);
    if (ext == "rlib" || ext == "rmeta" || ext == "so" || ext == "a" ||
        ext == "dylib") {
      name.remove_prefix(3);
    }
  }
  return CrateName(name);
}

std::string CargoHomeEntryCrate(std::string_view relative) {
  const std::vector<std::string_view> parts = PathParts(relative);
  if (parts.size() >= 4 && parts[0] == "registry" && parts[1] == "src") {
    return CrateName(NameBeforeVersion(parts[3]));
  }
  if (parts.size() == 4 && parts[0] == "registry" && parts[1] == "cache" &&
      parts[3].ends_with(".crate")) {
    std::string_view file = parts[3];
    file.remove_suffix(6);
    return CrateName(NameBeforeVersion(file));
  }
  if (parts.size() >= 3 && parts[0] == "git" &&
      (parts[1] == "checkouts" || parts[1] == "db")) {
    return CrateName(NameBeforeHex(parts[2]));
  }
  return "";
}

}  // namespace cook::cache
