#include "tests/chef/cargo_testing.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "gtest/gtest.h"

namespace cook::chef::testing {
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

std::string UserHome() {
  if (const passwd* pw = ::getpwuid(::getuid());
      pw != nullptr && pw->pw_dir != nullptr) {
    return pw->pw_dir;
  }
  const char* home = std::getenv("HOME");
  return home ? home : "";
}

// Replaces every occurrence of `from` in every string of `json`.
void Relativize(Json& json, const std::string& from, const std::string& to) {
  if (json.is_string()) {
    std::string s = json.get<std::string>();
    for (size_t at = s.find(from); at != std::string::npos;
         at = s.find(from, at + to.size())) {
      s.replace(at, from.size(), to);
    }
    json = s;
  } else if (json.is_array() || json.is_object()) {
    for (auto& element : json) Relativize(element, from, to);
  }
}

// "path+file:///x/y#name@1.0" -> "/x/y".
std::string IdPath(const std::string& id) {
  std::string s = id.substr(0, id.find('#'));
  const std::string prefix = "path+file://";
  if (s.rfind(prefix, 0) == 0) s = s.substr(prefix.size());
  return s;
}

Json SortedBy(Json array, const char* key) {
  std::vector<Json> items(array.begin(), array.end());
  std::sort(items.begin(), items.end(),
            [&](const Json& a, const Json& b) { return a.dump() < b.dump(); });
  (void)key;
  return Json(items);
}

}  // namespace

std::optional<std::string> FindCargo() {
  const fs::path home_cargo = fs::path(UserHome()) / ".cargo" / "bin" / "cargo";
  std::error_code ec;
  if (fs::exists(home_cargo, ec)) return home_cargo.string();
  cook::testing::RunResult r =
      cook::testing::RunProgram({"sh", "-c", "command -v cargo"});
  if (r.exit_code == 0 && !r.out.empty()) {
    std::string path = r.out.substr(0, r.out.find('\n'));
    return path;
  }
  return std::nullopt;
}

cook::testing::RunResult RunCargo(const std::string& cargo,
                                  const std::vector<std::string>& args,
                                  const fs::path& dir,
                                  const fs::path& scratch) {
  std::vector<std::string> argv = {cargo};
  argv.insert(argv.end(), args.begin(), args.end());
  cook::testing::RunOptions options;
  options.cwd = dir.string();
  fs::create_directories(scratch / "cargo-home");
  options.env["CARGO_HOME"] = (scratch / "cargo-home").string();
  options.env["RUSTUP_TOOLCHAIN"] = "stable";
  const fs::path rustup = fs::path(UserHome()) / ".rustup";
  std::error_code ec;
  if (fs::exists(rustup, ec)) options.env["RUSTUP_HOME"] = rustup.string();
  const char* path = std::getenv("PATH");
  options.env["PATH"] = fs::path(cargo).parent_path().string() + ":" +
                        (path ? path : "/usr/bin:/bin");
  options.unset_env = {"CARGO_TARGET_DIR", "RUSTFLAGS", "CARGO_BUILD_TARGET"};
  return cook::testing::RunProgram(argv, options);
}

Json NormalizedMetadata(const std::string& cargo, const fs::path& dir,
                        const fs::path& base, const fs::path& scratch) {
  cook::testing::RunResult r = RunCargo(
      cargo, {"metadata", "--no-deps", "--offline", "--format-version", "1"},
      dir, scratch);
  EXPECT_EQ(r.exit_code, 0) << "cargo metadata in " << dir << ":\n" << r.err;
  Json metadata = Json::parse(r.out, nullptr, false);
  if (metadata.is_discarded()) {
    ADD_FAILURE() << "cargo metadata printed no JSON in " << dir;
    return Json();
  }
  std::string prefix = base.string();
  Json out = Json::object();
  Json packages = Json::array();
  for (const Json& package : metadata["packages"]) {
    Json p;
    p["name"] = package["name"];
    p["manifest_path"] = package["manifest_path"];
    p["features"] = package["features"];
    p["edition"] = package["edition"];
    p["links"] = package["links"];
    p["metadata"] = package["metadata"];
    Json targets = Json::array();
    for (const Json& target : package["targets"]) {
      Json t;
      for (const char* key :
           {"name", "kind", "crate_types", "required-features", "src_path",
            "edition", "doctest", "test", "doc"}) {
        if (target.contains(key)) t[key] = target[key];
      }
      targets.push_back(t);
    }
    p["targets"] = SortedBy(targets, "name");
    Json deps = Json::array();
    for (Json dep : package["dependencies"]) {
      if (dep.contains("path")) dep.erase("req");
      deps.push_back(dep);
    }
    p["dependencies"] = SortedBy(deps, "name");
    packages.push_back(p);
  }
  out["packages"] = SortedBy(packages, "name");
  for (const char* key : {"workspace_members", "workspace_default_members"}) {
    Json ids = Json::array();
    for (const Json& id : metadata[key])
      ids.push_back(IdPath(id.get<std::string>()));
    out[key] = SortedBy(ids, "");
  }
  out["workspace_root"] = metadata["workspace_root"];
  Relativize(out, prefix, "<base>");
  return out;
}

std::optional<fs::path> CorpusDir() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return std::nullopt;
  const fs::path readme =
      fs::path(srcdir) / (workspace ? workspace : "cook") / "README.md";
  std::error_code ec;
  const fs::path real = fs::canonical(readme, ec);
  if (ec) return std::nullopt;
  const fs::path corpus =
      real.parent_path().parent_path() / "shared" / "corpus";
  if (!fs::is_directory(corpus, ec)) return std::nullopt;
  return corpus;
}

void CopyTree(const fs::path& from, const fs::path& to) {
  fs::create_directories(to.parent_path());
  std::error_code ec;
  fs::copy(from, to,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
  ASSERT_FALSE(ec) << "copying " << from << " to " << to << ": "
                   << ec.message();
  // The corpus is read-only; copies must be writable.
  for (auto it = fs::recursive_directory_iterator(to);
       it != fs::recursive_directory_iterator(); ++it) {
    fs::permissions(it->path(), fs::perms::owner_write, fs::perm_options::add,
                    ec);
  }
}

}  // namespace cook::chef::testing
