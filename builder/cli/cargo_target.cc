#include "builder/cli/cargo_target.h"

#include <sys/stat.h>

#include <fstream>
#include <regex>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/files.h"
#include "base/status_macros.h"

namespace cook::cli {
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

std::string CrateName(const std::string& name) {
  return absl::StrReplaceAll(name, {{"-", "_"}});
}

absl::Status Remove(const fs::path& path, int* removed) {
  std::error_code ec;
  const auto n = fs::remove_all(path, ec);
  if (ec) return FsError(ec, absl::StrCat("removing ", path.string()));
  if (n > 0) ++*removed;
  return absl::OkStatus();
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
                                            const fs::path& ignore) {
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
      if (e.path().extension() == ".d") scan(e.path());
    }
    // Build scripts' own dep-info sits in their unit directory.
    for (const auto& unit : fs::directory_iterator(profile / "build", ec)) {
      for (const auto& e : fs::directory_iterator(unit.path(), ec)) {
        if (e.path().extension() == ".d") scan(e.path());
      }
    }
  }
  return newest;
}

}  // namespace cook::cli
