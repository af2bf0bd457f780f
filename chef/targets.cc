#include "chef/targets.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "chef/manifest.h"

namespace cook::chef {
namespace fs = std::filesystem;

std::string_view TargetKindName(TargetKind kind) {
  switch (kind) {
    case TargetKind::kLib:
      return "lib";
    case TargetKind::kBin:
      return "bin";
    case TargetKind::kExample:
      return "example";
    case TargetKind::kTest:
      return "test";
    case TargetKind::kBench:
      return "bench";
    case TargetKind::kBuildScript:
      return "custom-build";
  }
  return "";
}

bool StubNeedsMain(const Target& target) {
  switch (target.kind) {
    case TargetKind::kLib:
      return false;
    case TargetKind::kBin:
    case TargetKind::kBuildScript:
      return true;
    case TargetKind::kExample:
      return target.crate_types.empty() ||
             std::find(target.crate_types.begin(), target.crate_types.end(),
                       "bin") != target.crate_types.end();
    case TargetKind::kTest:
    case TargetKind::kBench:
      return !target.harness;
  }
  return true;
}

namespace {

using Inferred = std::vector<std::pair<std::string, fs::path>>;

bool IsFile(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// cargo's `infer_from_directory`: `*.rs` files by stem and directories
// holding a main.rs by name. Symlinks count by their own type, as cargo's
// `DirEntry::file_type` does.
Inferred InferFromDirectory(const fs::path& dir) {
  Inferred out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::path& path = it->path();
    std::error_code type_ec;
    if (it->is_directory(type_ec) && !it->is_symlink(type_ec)) {
      if (IsFile(path / "main.rs"))
        out.emplace_back(path.filename().string(), path / "main.rs");
    } else if (path.extension() == ".rs") {
      out.emplace_back(path.stem().string(), path);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> StringArray(
    const TomlTable& table, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    if (auto values = table.FindStringArray(key)) return *values;
  }
  return {};
}

struct Declared {
  std::optional<std::string> name;
  std::optional<std::string> path;
  const TomlTable* table;
  fs::path inferred_path;  // set for targets found by auto-discovery
};

struct Context {
  const TomlTable& doc;
  const TomlTable* package;
  fs::path dir;
  std::string package_name;
  bool edition_2015;
  std::string manifest;  // for messages

  std::optional<bool> Auto(std::string_view key) const {
    return package ? package->FindBool(key) : std::nullopt;
  }
};

absl::StatusOr<std::vector<Declared>> DeclaredTargets(const Context& ctx,
                                                      std::string_view key,
                                                      std::string_view human) {
  std::vector<Declared> out;
  const TomlValue* value = ctx.doc.Find(key);
  if (value == nullptr) return out;
  if (!value->is_array()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "reading %s: [[%s]] must be an array of tables", ctx.manifest, key));
  }
  for (const TomlValue& element : value->array()) {
    if (!element.is_table()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "reading %s: [[%s]] must be an array of tables", ctx.manifest, key));
    }
    Declared declared{element.table().FindString("name"),
                      element.table().FindString("path"), &element.table()};
    if (!declared.name || declared.name->empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("reading %s: %s target %s.name is required",
                          ctx.manifest, human, key));
    }
    out.push_back(std::move(declared));
  }
  return out;
}

// cargo's `toml_targets_and_inferred`: the declared targets, plus the
// inferred ones whose name and path are not declared when auto-discovery is
// on (2015 edition: off by default once any target is declared).
std::vector<Declared> WithInferred(const Context& ctx,
                                   std::vector<Declared> declared,
                                   bool any_declared, const Inferred& inferred,
                                   std::optional<bool> autodiscover) {
  std::vector<Declared> extra;
  std::set<std::string> names;
  std::set<std::string> paths;
  for (const Declared& d : declared) {
    names.insert(*d.name);
    if (d.path) paths.insert(JoinNormal(ctx.dir, *d.path).native());
  }
  for (const auto& [name, path] : inferred) {
    if (!names.count(name) && !paths.count(path.native())) {
      extra.push_back({name, std::nullopt, nullptr, path});
    }
  }
  const bool discover = any_declared ? autodiscover.value_or(!ctx.edition_2015)
                                     : autodiscover.value_or(true);
  if (discover) {
    for (Declared& d : extra) declared.push_back(std::move(d));
  }
  return declared;
}

// cargo's `target_path`: the declared path, else the single inferred target
// of that name, else the 2015 legacy location.
// `legacy` is only called for the 2015 edition.
absl::StatusOr<fs::path> TargetPath(
    const Context& ctx, const Declared& target, const Inferred& inferred,
    std::string_view human,
    const std::function<std::optional<fs::path>()>& legacy,
    std::string_view hint) {
  if (!target.inferred_path.empty()) return target.inferred_path;
  if (target.path) return JoinNormal(ctx.dir, *target.path);
  std::vector<fs::path> matching;
  for (const auto& [name, path] : inferred) {
    if (name == *target.name) matching.push_back(path);
  }
  if (matching.size() == 1) return matching.front();
  if (ctx.edition_2015) {
    if (std::optional<fs::path> path = legacy()) return *path;
  }
  if (matching.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "reading %s: can't find `%s` %s at %s; hint: set its path",
        ctx.manifest, *target.name, human, hint));
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("reading %s: cannot infer the path of %s `%s`: both %s "
                      "and %s exist; hint: set its "
                      "path",
                      ctx.manifest, human, *target.name, matching[0].string(),
                      matching[1].string()));
}

Target MakeTarget(TargetKind kind, const Declared& declared, fs::path path) {
  Target target;
  target.kind = kind;
  target.name = *declared.name;
  target.path = std::move(path);
  if (declared.table != nullptr) {
    target.crate_types =
        StringArray(*declared.table, {"crate-type", "crate_type"});
    target.required_features =
        StringArray(*declared.table, {"required-features"});
    target.harness = declared.table->FindBool("harness").value_or(true);
  }
  return target;
}

absl::Status AddLib(const Context& ctx, std::vector<Target>& out) {
  const fs::path inferred = ctx.dir / "src" / "lib.rs";
  const bool has_inferred = IsFile(inferred);
  const TomlValue* value = ctx.doc.Find("lib");
  const std::string default_name =
      absl::StrReplaceAll(ctx.package_name, {{"-", "_"}});
  if (value == nullptr) {
    if (has_inferred && ctx.Auto("autolib").value_or(true)) {
      Target lib;
      lib.kind = TargetKind::kLib;
      lib.name = default_name;
      lib.path = inferred;
      out.push_back(std::move(lib));
    }
    return absl::OkStatus();
  }
  if (!value->is_table()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("reading %s: [lib] must be a table", ctx.manifest));
  }
  const TomlTable& table = value->table();
  Declared declared{table.FindString("name").value_or(default_name),
                    table.FindString("path"), &table};
  fs::path path;
  if (declared.path) {
    path = JoinNormal(ctx.dir, *declared.path);
  } else if (has_inferred) {
    path = inferred;
  } else if (const fs::path legacy = ctx.dir / "src" / (*declared.name + ".rs");
             ctx.edition_2015 && IsFile(legacy)) {
    path = legacy;
  } else {
    return absl::InvalidArgumentError(
        absl::StrFormat("reading %s: can't find library `%s`; hint: rename the "
                        "file to src/lib.rs or "
                        "set lib.path",
                        ctx.manifest, *declared.name));
  }
  Target lib = MakeTarget(TargetKind::kLib, declared, std::move(path));
  if (table.FindBool("proc-macro")
          .value_or(table.FindBool("proc_macro").value_or(false))) {
    lib.crate_types = {"proc-macro"};
  }
  out.push_back(std::move(lib));
  return absl::OkStatus();
}

struct KindInfo {
  TargetKind kind;
  std::string_view key, human, auto_key, dir;
};

constexpr KindInfo kKinds[] = {
    {TargetKind::kBin, "bin", "binary", "autobins", "src/bin"},
    {TargetKind::kExample, "example", "example", "autoexamples", "examples"},
    {TargetKind::kTest, "test", "test", "autotests", "tests"},
    {TargetKind::kBench, "bench", "benchmark", "autobenches", "benches"},
};

absl::Status AddKind(const Context& ctx, const KindInfo& info,
                     const Inferred& inferred, bool has_lib,
                     std::vector<Target>& out) {
  absl::StatusOr<std::vector<Declared>> declared =
      DeclaredTargets(ctx, info.key, info.human);
  if (!declared.ok()) return declared.status();
  const bool any_declared = ctx.doc.Find(info.key) != nullptr;
  std::vector<Declared> targets =
      WithInferred(ctx, *std::move(declared), any_declared, inferred,
                   ctx.Auto(info.auto_key));
  for (const Declared& target : targets) {
    const std::string& name = *target.name;
    auto legacy = [&]() -> std::optional<fs::path> {
      switch (info.kind) {
        case TargetKind::kBin:
          for (const fs::path& path :
               {has_lib ? fs::path() : ctx.dir / "src" / (name + ".rs"),
                ctx.dir / "src" / "main.rs",
                ctx.dir / "src" / "bin" / "main.rs"}) {
            if (!path.empty() && IsFile(path)) return path;
          }
          return std::nullopt;
        case TargetKind::kBench:
          if (name == "bench") return ctx.dir / "src" / "bench.rs";
          return std::nullopt;
        default:
          return std::nullopt;
      }
    };
    const std::string hint = absl::StrFormat("%s/%s.rs or %s/%s/main.rs",
                                             info.dir, name, info.dir, name);
    absl::StatusOr<fs::path> path =
        TargetPath(ctx, target, inferred, info.human, legacy, hint);
    if (!path.ok()) return path.status();
    out.push_back(MakeTarget(info.kind, target, *std::move(path)));
  }
  return absl::OkStatus();
}

absl::Status AddBuildScript(const Context& ctx, std::vector<Target>& out) {
  std::vector<fs::path> paths;
  const TomlValue* build = ctx.package ? ctx.package->Find("build") : nullptr;
  if (build == nullptr) {
    if (IsFile(ctx.dir / "build.rs")) paths.push_back(ctx.dir / "build.rs");
  } else if (build->is_bool()) {
    if (build->boolean()) paths.push_back(ctx.dir / "build.rs");
  } else if (build->is_string()) {
    paths.push_back(JoinNormal(ctx.dir, build->string()));
  } else if (auto several = ctx.package->FindStringArray("build")) {
    // Several build scripts (unstable `multiple-build-scripts`).
    for (const std::string& path : *several) {
      paths.push_back(JoinNormal(ctx.dir, path));
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrFormat("reading %s: package.build must be a boolean, a path "
                        "or a list of paths",
                        ctx.manifest));
  }
  for (const fs::path& path : paths) {
    Target script;
    script.kind = TargetKind::kBuildScript;
    script.name = paths.size() == 1 ? "build-script-build"
                                    : "build-script-" + path.stem().string();
    script.path = path;
    out.push_back(std::move(script));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<Target>> DiscoverTargets(
    const TomlTable& doc, const fs::path& package_dir,
    std::string_view package_name, std::string_view edition) {
  const Context ctx{doc,
                    doc.FindTable("package"),
                    package_dir,
                    std::string(package_name),
                    edition == "2015",
                    (package_dir / "Cargo.toml").string()};
  std::vector<Target> out;
  if (absl::Status s = AddLib(ctx, out); !s.ok()) return s;
  const bool has_lib = !out.empty();

  Inferred bins;
  if (IsFile(package_dir / "src" / "main.rs")) {
    bins.emplace_back(ctx.package_name, package_dir / "src" / "main.rs");
  }
  for (auto& entry : InferFromDirectory(package_dir / "src" / "bin")) {
    bins.push_back(std::move(entry));
  }
  for (const KindInfo& info : kKinds) {
    const Inferred inferred = info.kind == TargetKind::kBin
                                  ? bins
                                  : InferFromDirectory(package_dir / info.dir);
    if (absl::Status s = AddKind(ctx, info, inferred, has_lib, out); !s.ok())
      return s;
  }
  if (absl::Status s = AddBuildScript(ctx, out); !s.ok()) return s;
  return out;
}

}  // namespace cook::chef
