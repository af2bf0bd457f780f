#include "chef/recipe.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/files.h"
#include "base/sha256.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"

namespace cook::chef {
namespace {

using Json = nlohmann::json;

constexpr char kFormatName[] = "cook-recipe";

std::string_view StubName(StubKind stub) {
  return stub == StubKind::kMain ? "main" : "empty";
}

bool TargetLess(const RecipeTarget& a, const RecipeTarget& b) {
  return std::tie(a.kind, a.name, a.path) < std::tie(b.kind, b.name, b.path);
}

// A relative path that stays inside the skeleton: no empty, "." or ".."
// components, no leading '/'.
bool IsSafeRelative(std::string_view path) {
  if (path.empty() || path.front() == '/' ||
      path.find('\0') != std::string_view::npos) {
    return false;
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

// A recipe nests six deep (packages, targets, crate types). Deeper JSON is
// refused before it is parsed: nlohmann's parser and destructor keep their
// own stacks, but nothing is gained by building a tree nobody reads.
constexpr int kMaxRecipeNesting = 16;

bool NestsTooDeep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxRecipeNesting) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

class Reader {
 public:
  explicit Reader(std::string_view path) : path_(path) {}

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrFormat("reading recipe %s: %s", path_, std::string(what)));
  }

  absl::StatusOr<std::string> String(const Json& object,
                                     const char* key) const {
    auto it = object.find(key);
    if (it == object.end() || !it->is_string()) {
      return Error(absl::StrCat("`", key, "` must be a string"));
    }
    return it->get<std::string>();
  }

  absl::StatusOr<bool> Bool(const Json& object, const char* key) const {
    auto it = object.find(key);
    if (it == object.end() || !it->is_boolean()) {
      return Error(absl::StrCat("`", key, "` must be a boolean"));
    }
    return it->get<bool>();
  }

  absl::StatusOr<std::vector<std::string>> Strings(const Json& object,
                                                   const char* key) const {
    auto it = object.find(key);
    if (it == object.end() || !it->is_array()) {
      return Error(absl::StrCat("`", key, "` must be an array of strings"));
    }
    std::vector<std::string> out;
    for (const Json& element : *it) {
      if (!element.is_string())
        return Error(absl::StrCat("`", key, "` must be an array of strings"));
      out.push_back(element.get<std::string>());
    }
    return out;
  }

  // Each element of the array `key` of `object`, read with `parse` (which
  // returns StatusOr<T>).
  template <typename T, typename Parse>
  absl::StatusOr<std::vector<T>> Array(const Json& object, const char* key,
                                       Parse parse) const {
    auto it = object.find(key);
    if (it == object.end() || !it->is_array()) {
      return Error(absl::StrCat("`", key, "` must be an array"));
    }
    std::vector<T> out;
    for (const Json& element : *it) {
      ASSIGN_OR_RETURN(T value, parse(element));
      out.push_back(std::move(value));
    }
    return out;
  }

  // Where Fields() stores one value: a string, a bool or an array of strings.
  struct Field {
    const char* key;
    std::variant<std::string*, bool*, std::vector<std::string>*> out;
  };

  // Reads each of `fields` from `object`, in order; the first one missing or
  // of the wrong type is the error.
  absl::Status Fields(const Json& object,
                      std::initializer_list<Field> fields) const {
    for (const Field& field : fields) {
      if (std::string* const* text = std::get_if<std::string*>(&field.out)) {
        ASSIGN_OR_RETURN(**text, String(object, field.key));
      } else if (bool* const* flag = std::get_if<bool*>(&field.out)) {
        ASSIGN_OR_RETURN(**flag, Bool(object, field.key));
      } else {
        ASSIGN_OR_RETURN(*std::get<std::vector<std::string>*>(field.out),
                         Strings(object, field.key));
      }
    }
    return absl::OkStatus();
  }

 private:
  std::string path_;
};

absl::StatusOr<RecipeTarget> ParseTarget(const Reader& reader,
                                         const Json& json) {
  if (!json.is_object()) return reader.Error("a target must be an object");
  RecipeTarget target;
  std::string stub;
  RETURN_IF_ERROR(
      reader.Fields(json, {{"name", &target.name},
                           {"kind", &target.kind},
                           {"crate_types", &target.crate_types},
                           {"path", &target.path},
                           {"required_features", &target.required_features},
                           {"stub", &stub}}));
  if (stub == "main") {
    target.stub = StubKind::kMain;
  } else if (stub == "empty") {
    target.stub = StubKind::kEmpty;
  } else {
    return reader.Error(absl::StrFormat("unknown stub kind %s", stub));
  }
  return target;
}

absl::StatusOr<RecipePackage> ParsePackage(const Reader& reader,
                                           const Json& json) {
  if (!json.is_object()) return reader.Error("a package must be an object");
  RecipePackage package;
  RETURN_IF_ERROR(
      reader.Fields(json, {{"name", &package.name},
                           {"version", &package.version},
                           {"manifest_path", &package.manifest_path},
                           {"member", &package.member},
                           {"version_masked", &package.version_masked}}));
  const auto parse_target = [&](const Json& j) {
    return ParseTarget(reader, j);
  };
  ASSIGN_OR_RETURN(package.targets,
                   reader.Array<RecipeTarget>(json, "targets", parse_target));
  return package;
}

std::string Dump(const Json& json, int indent) {
  return json.dump(indent, ' ', /*ensure_ascii=*/false,
                   Json::error_handler_t::replace);
}

// Appends `text` escaped as Dump() escapes a string's contents. Dump()
// decodes UTF-8 byte by byte, the most of SerializeRecipe's time on large
// workspaces: ASCII text, the common case, is escaped here instead (the same
// rules: the short escapes, other control characters as \u00xx, nothing else
// touched) and anything else by Dump() itself.
void AppendEscaped(std::string_view text, std::string& out) {
  // For each byte: 0 copied as is, 1 not ASCII, else the letter after '\\'
  // ('u' for \u00xx).
  static constexpr std::array<char, 256> kEscape = [] {
    std::array<char, 256> table{};
    for (int c = 0; c < 0x20; ++c) table[c] = 'u';
    for (int c = 0x80; c < 0x100; ++c) table[c] = 1;
    table['\b'] = 'b', table['\f'] = 'f', table['\n'] = 'n';
    table['\r'] = 'r', table['\t'] = 't', table['"'] = '"';
    table['\\'] = '\\';
    return table;
  }();
  const size_t mark = out.size();
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = text[i];
    const char escape = kEscape[c];
    if (escape == 0) continue;
    if (escape == 1) {
      out.resize(mark);
      const std::string quoted = Dump(Json(std::string(text)), -1);
      out.append(quoted, 1, quoted.size() - 2);
      return;
    }
    out.append(text.data() + start, i - start);
    start = i + 1;
    if (escape == 'u') {
      absl::StrAppendFormat(&out, "\\u%04x", c);
    } else {
      out.push_back('\\');
      out.push_back(escape);
    }
  }
  out.append(text.data() + start, text.size() - start);
}

// `dumped`, a recipe dumped with every file's contents "", with the contents
// filled in: the same bytes as dumping the whole recipe, without copying the
// files into a Json first. Nullopt if the layout is not the one expected.
std::optional<std::string> FillFiles(
    std::string_view dumped, const std::map<std::string, std::string>& files) {
  constexpr std::string_view kFiles = "\n \"files\": {\n";
  size_t at = dumped.find(kFiles);
  if (files.empty() || at == std::string_view::npos) return std::nullopt;
  at += kFiles.size();
  size_t size = dumped.size();
  for (const auto& [path, text] : files) size += text.size() + text.size() / 8;
  std::string out;
  out.reserve(size);
  out.append(dumped.substr(0, at));
  for (const auto& [path, text] : files) {
    const std::string line = absl::StrCat("  ", Dump(Json(path), -1), ": \"");
    if (dumped.substr(at, line.size()) != line) return std::nullopt;
    out.append(line);
    AppendEscaped(text, out);
    at += line.size();
    const size_t end = dumped.find('\n', at);
    if (end == std::string_view::npos) return std::nullopt;
    out.append(dumped.substr(at, end + 1 - at));
    at = end + 1;
  }
  out.append(dumped.substr(at));
  return out;
}

}  // namespace

std::string SerializeRecipe(const Recipe& recipe) {
  std::vector<const RecipePackage*> sorted;
  sorted.reserve(recipe.packages.size());
  for (const RecipePackage& package : recipe.packages) {
    sorted.push_back(&package);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const RecipePackage* a, const RecipePackage* b) {
              return a->manifest_path < b->manifest_path;
            });
  Json packages = Json::array();
  for (const RecipePackage* package : sorted) {
    std::vector<const RecipeTarget*> targets;
    targets.reserve(package->targets.size());
    for (const RecipeTarget& target : package->targets) {
      targets.push_back(&target);
    }
    std::sort(targets.begin(), targets.end(),
              [](const RecipeTarget* a, const RecipeTarget* b) {
                return TargetLess(*a, *b);
              });
    // Objects filled key by key: a braced Json{{key, value}, ...} builds
    // every pair as a two-element array first, which on tokio (286 targets)
    // costs about as much as the dump() itself.
    Json targets_json = Json::array();
    targets_json.get_ref<Json::array_t&>().reserve(targets.size());
    for (const RecipeTarget* target : targets) {
      Json& t = targets_json.emplace_back(Json::object());
      t["name"] = target->name;
      t["kind"] = target->kind;
      t["crate_types"] = target->crate_types;
      t["path"] = target->path;
      t["required_features"] = target->required_features;
      t["stub"] = std::string(StubName(target->stub));
    }
    Json& p = packages.emplace_back(Json::object());
    p["name"] = package->name;
    p["version"] = package->version;
    p["manifest_path"] = package->manifest_path;
    p["member"] = package->member;
    p["version_masked"] = package->version_masked;
    p["targets"] = std::move(targets_json);
  }
  std::vector<std::string> sources = recipe.directory_sources;
  std::sort(sources.begin(), sources.end());
  // nlohmann::json objects are std::maps: keys come out sorted at every level,
  // so the bytes are canonical. Prepare() refuses files that are not UTF-8;
  // anything malformed that still gets here becomes U+FFFD instead of
  // throwing.
  // The files, most of the bytes, are filled in after the dump.
  Json files = Json::object();
  for (const auto& [path, text] : recipe.files) files[path] = "";
  Json json{{"format", kFormatName},
            {"format_version", kRecipeFormatVersion},
            {"workspace_root", recipe.workspace_root},
            {"files", std::move(files)},
            {"packages", std::move(packages)},
            {"directory_sources", std::move(sources)},
            {"toolchain_file", recipe.toolchain_file},
            {"bin", recipe.bin}};
  std::optional<std::string> filled = FillFiles(Dump(json, 1), recipe.files);
  if (!filled) {
    json["files"] = recipe.files;
    filled = Dump(json, 1);
  }
  return *std::move(filled) + "\n";
}

std::string RecipeDigest(std::string_view serialized) {
  return absl::StrCat("sha256:", Sha256Hex(serialized));
}

absl::StatusOr<Recipe> ParseRecipe(std::string_view text,
                                   std::string_view path) {
  const Reader reader(path);
  if (NestsTooDeep(text)) {
    return reader.Error(absl::StrFormat(
        "JSON nested more than %d deep; hint: prepare the recipe again with "
        "`cook prepare`",
        kMaxRecipeNesting));
  }
  const Json json = Json::parse(text.begin(), text.end(), nullptr,
                                /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return reader.Error(
        "not a JSON object; hint: prepare the recipe again with `cook "
        "prepare`");
  }
  std::string format;
  ASSIGN_OR_RETURN(format, reader.String(json, "format"));
  if (format != kFormatName)
    return reader.Error(
        absl::StrFormat("not a cook recipe (format %s)", format));
  auto version = json.find("format_version");
  if (version == json.end() || !version->is_number_integer()) {
    return reader.Error("`format_version` must be an integer");
  }
  if (version->get<int64_t>() != kRecipeFormatVersion) {
    return reader.Error(
        absl::StrFormat("unsupported format version %d (this cook reads %d); "
                        "hint: prepare the recipe again "
                        "with this cook",
                        version->get<int64_t>(), kRecipeFormatVersion));
  }
  Recipe recipe;
  ASSIGN_OR_RETURN(recipe.workspace_root,
                   reader.String(json, "workspace_root"));
  auto files = json.find("files");
  if (files == json.end() || !files->is_object()) {
    return reader.Error("`files` must be an object");
  }
  for (const auto& [file, contents] : files->items()) {
    if (!contents.is_string()) {
      return reader.Error(absl::StrFormat("file %s is not a string", file));
    }
    recipe.files[file] = contents.get<std::string>();
  }
  const auto parse_package = [&](const Json& j) {
    return ParsePackage(reader, j);
  };
  ASSIGN_OR_RETURN(recipe.packages, reader.Array<RecipePackage>(
                                        json, "packages", parse_package));
  RETURN_IF_ERROR(
      reader.Fields(json, {{"directory_sources", &recipe.directory_sources},
                           {"toolchain_file", &recipe.toolchain_file},
                           {"bin", &recipe.bin}}));
  if (absl::Status valid = ValidateRecipe(recipe); !valid.ok()) {
    return reader.Error(std::string(valid.message()));
  }
  return recipe;
}

absl::Status ValidateRecipe(const Recipe& recipe) {
  auto error = [](const std::string& message) {
    return absl::InvalidArgumentError(message);
  };
  if (recipe.workspace_root != "." && !IsSafeRelative(recipe.workspace_root)) {
    return error(
        absl::StrFormat("unsafe workspace root %s", recipe.workspace_root));
  }
  // Every path stays inside the skeleton, and none is both a file and a
  // directory.
  std::set<std::string> paths;
  for (const auto& [file, contents] : recipe.files) {
    if (!IsSafeRelative(file)) {
      return error(absl::StrFormat(
          "unsafe path %s: it must be relative and stay inside the skeleton",
          file));
    }
    paths.insert(file);
  }
  for (const RecipePackage& package : recipe.packages) {
    if (!recipe.files.count(package.manifest_path)) {
      return error(absl::StrFormat("no manifest %s for package %s",
                                   package.manifest_path, package.name));
    }
    for (const RecipeTarget& target : package.targets) {
      if (!IsSafeRelative(target.path)) {
        return error(absl::StrFormat(
            "unsafe path %s: it must be relative and stay inside the skeleton",
            target.path));
      }
      if (recipe.files.count(target.path)) {
        return error(absl::StrFormat("stub %s overwrites a file", target.path));
      }
      paths.insert(target.path);
    }
  }
  for (const std::string& p : paths) {
    for (size_t slash = p.find('/'); slash != std::string::npos;
         slash = p.find('/', slash + 1)) {
      if (paths.count(p.substr(0, slash))) {
        return error(absl::StrFormat("%s is both a file and a directory",
                                     p.substr(0, slash)));
      }
    }
  }
  for (const std::string& source : recipe.directory_sources) {
    if (source.empty() || source.front() != '/') {
      return error(
          absl::StrFormat("directory source %s is not absolute", source));
    }
  }
  if (!recipe.toolchain_file.empty() &&
      !recipe.files.count(recipe.toolchain_file)) {
    return error(
        absl::StrFormat("no toolchain file %s", recipe.toolchain_file));
  }
  return absl::OkStatus();
}

std::optional<std::string> ToolchainFileContents(const Recipe& recipe) {
  auto it = recipe.files.find(recipe.toolchain_file);
  if (recipe.toolchain_file.empty() || it == recipe.files.end())
    return std::nullopt;
  return it->second;
}

absl::StatusOr<Recipe> ReadRecipe(const std::string& path) {
  ASSIGN_OR_RETURN(std::string json, Annotate(ReadFile(path), "reading the recipe"));
  return ParseRecipe(json, path);
}

}  // namespace cook::chef
