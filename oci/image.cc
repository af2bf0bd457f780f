#include "oci/image.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "oci/json_util.h"
#include "layers/digest.h"

namespace cook::oci {
namespace {

using internal::CanonicalJson;
using internal::Json;
using internal::ParseJson;

constexpr std::string_view kManifestWhat = "image manifest";
constexpr std::string_view kIndexWhat = "image index";
constexpr std::string_view kConfigWhat = "image config";

absl::Status FieldError(std::string_view what, std::string_view field,
                        std::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrFormat("parsing %s: \"%s\" %s", what, field,
                      EscapeForDisplay(problem)));
}

// Reads an optional string member; absent or null yields "".
absl::StatusOr<std::string> GetString(const Json& object, std::string_view key,
                                      std::string_view what,
                                      std::string_view path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return FieldError(what, path, "must be a string");
  return it->get<std::string>();
}

absl::StatusOr<std::vector<std::string>> GetStringArray(const Json& object,
                                                        std::string_view key,
                                                        std::string_view what,
                                                        std::string_view path) {
  std::vector<std::string> out;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return out;
  if (!it->is_array())
    return FieldError(what, path, "must be an array of strings");
  for (const Json& item : *it) {
    if (!item.is_string()) {
      return FieldError(what, path, "must be an array of strings");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> GetStringMap(
    const Json& object, std::string_view key, std::string_view what,
    std::string_view path) {
  std::map<std::string, std::string> out;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return out;
  if (!it->is_object())
    return FieldError(what, path, "must be an object of strings");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string())
      return FieldError(what, path, "must be an object of strings");
    out.emplace(k, v.get<std::string>());
  }
  return out;
}

absl::Status CheckSchemaVersion(const Json& doc, std::string_view what) {
  auto it = doc.find("schemaVersion");
  if (it == doc.end()) return absl::OkStatus();  // tolerated, as skopeo does
  if (!it->is_number_integer() || it->get<int64_t>() != 2) {
    return FieldError(what, "schemaVersion", "must be 2");
  }
  return absl::OkStatus();
}

Json PlatformToJson(const Platform& p) {
  Json j = Json::object();
  j["architecture"] = p.architecture;
  j["os"] = p.os;
  if (!p.variant.empty()) j["variant"] = p.variant;
  return j;
}

Json DescriptorToJson(const Descriptor& d) {
  Json j = Json::object();
  j["mediaType"] = d.media_type;
  j["digest"] = d.digest;
  j["size"] = d.size;
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (d.platform.has_value()) j["platform"] = PlatformToJson(*d.platform);
  return j;
}

absl::StatusOr<Descriptor> DescriptorFromJson(const Json& j,
                                              std::string_view what,
                                              std::string_view path) {
  if (!j.is_object()) return FieldError(what, path, "must be an object");
  Descriptor d;
  const std::string p(path);
  ASSIGN_OR_RETURN(d.media_type,
                   GetString(j, "mediaType", what, p + ".mediaType"));
  ASSIGN_OR_RETURN(d.digest, GetString(j, "digest", what, p + ".digest"));
  if (absl::Status s = layers::ValidateDigest(d.digest); !s.ok()) {
    return FieldError(what, p + ".digest",
                      absl::StrFormat("is invalid: %s", s.message()));
  }
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer() ||
      size->get<int64_t>() < 0) {
    return FieldError(what, p + ".size", "must be a non-negative integer");
  }
  d.size = size->get<int64_t>();
  ASSIGN_OR_RETURN(d.annotations,
                   GetStringMap(j, "annotations", what, p + ".annotations"));
  if (auto pl = j.find("platform"); pl != j.end() && !pl->is_null()) {
    if (!pl->is_object())
      return FieldError(what, p + ".platform", "must be an object");
    Platform platform;
    ASSIGN_OR_RETURN(platform.os,
                     GetString(*pl, "os", what, p + ".platform.os"));
    ASSIGN_OR_RETURN(
        platform.architecture,
        GetString(*pl, "architecture", what, p + ".platform.architecture"));
    ASSIGN_OR_RETURN(platform.variant,
                     GetString(*pl, "variant", what, p + ".platform.variant"));
    d.platform = std::move(platform);
  }
  return d;
}

absl::StatusOr<Json> ParseObject(std::string_view json, std::string_view what) {
  ASSIGN_OR_RETURN(Json doc, ParseJson(json, what));
  if (!doc.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("parsing %s: not a JSON object", what));
  }
  return doc;
}

// The image config's "config" object: how a container runs.
absl::Status ParseContainerConfig(const Json& doc, ImageConfig* c) {
  auto it = doc.find("config");
  if (it == doc.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_object())
    return FieldError(kConfigWhat, "config", "must be an object");
  const Json& cfg = *it;
  ASSIGN_OR_RETURN(c->env,
                   GetStringArray(cfg, "Env", kConfigWhat, "config.Env"));
  ASSIGN_OR_RETURN(c->entrypoint, GetStringArray(cfg, "Entrypoint", kConfigWhat,
                                                 "config.Entrypoint"));
  ASSIGN_OR_RETURN(c->cmd,
                   GetStringArray(cfg, "Cmd", kConfigWhat, "config.Cmd"));
  ASSIGN_OR_RETURN(c->working_dir, GetString(cfg, "WorkingDir", kConfigWhat,
                                             "config.WorkingDir"));
  ASSIGN_OR_RETURN(c->user, GetString(cfg, "User", kConfigWhat, "config.User"));
  ASSIGN_OR_RETURN(c->labels,
                   GetStringMap(cfg, "Labels", kConfigWhat, "config.Labels"));
  for (const auto& [key, value] : cfg.items()) {
    if (key == "Env" || key == "Entrypoint" || key == "Cmd" ||
        key == "WorkingDir" || key == "User" || key == "Labels") {
      continue;
    }
    c->config_extra.emplace(key, CanonicalJson(value));
  }
  return absl::OkStatus();
}

}  // namespace

std::string Platform::ToString() const {
  std::string out = absl::StrFormat("%s/%s", os, architecture);
  if (!variant.empty()) absl::StrAppend(&out, "/", variant);
  return out;
}

absl::StatusOr<Platform> ParsePlatform(std::string_view text) {
  std::vector<std::string> parts =
      absl::StrSplit(absl::string_view(text.data(), text.size()), '/');
  bool ok = parts.size() == 2 || parts.size() == 3;
  for (const std::string& part : parts) ok = ok && !part.empty();
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "parsing platform \"%s\": expected OS/ARCH[/VARIANT], e.g. linux/amd64",
        EscapeForDisplay(text)));
  }
  Platform p;
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  return p;
}

Platform HostPlatform() {
  Platform p;
  p.os = "linux";
#if defined(__x86_64__)
  p.architecture = "amd64";
#elif defined(__aarch64__)
  p.architecture = "arm64";
#elif defined(__arm__)
  p.architecture = "arm";
  p.variant = "v7";
#elif defined(__i386__)
  p.architecture = "386";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
  p.architecture = "ppc64le";
#elif defined(__s390x__)
  p.architecture = "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  p.architecture = "riscv64";
#else
  p.architecture = "unknown";
#endif
  return p;
}

void ImageConfig::SetEnv(std::string_view key, std::string_view value) {
  std::string entry = absl::StrFormat("%s=%s", key, value);
  for (std::string& e : env) {
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 &&
        e[key.size()] == '=') {
      e = std::move(entry);
      return;
    }
  }
  env.push_back(std::move(entry));
}

std::optional<std::string> ImageConfig::GetEnv(std::string_view key) const {
  for (const std::string& e : env) {
    if (e.size() > key.size() && e.compare(0, key.size(), key) == 0 &&
        e[key.size()] == '=') {
      return e.substr(key.size() + 1);
    }
  }
  return std::nullopt;
}

std::string SerializeManifest(const Manifest& manifest) {
  Json j = Json::object();
  j["schemaVersion"] = 2;
  j["mediaType"] = manifest.media_type;
  j["config"] = DescriptorToJson(manifest.config);
  Json layers = Json::array();
  for (const Descriptor& d : manifest.layers)
    layers.push_back(DescriptorToJson(d));
  j["layers"] = std::move(layers);
  if (!manifest.annotations.empty()) j["annotations"] = manifest.annotations;
  return CanonicalJson(j);
}

std::string SerializeIndex(const Index& index) {
  Json j = Json::object();
  j["schemaVersion"] = 2;
  j["mediaType"] = std::string(kOciIndex);
  Json manifests = Json::array();
  for (const Descriptor& d : index.manifests) {
    manifests.push_back(DescriptorToJson(d));
  }
  j["manifests"] = std::move(manifests);
  if (!index.annotations.empty()) j["annotations"] = index.annotations;
  return CanonicalJson(j);
}

std::string SerializeConfig(const ImageConfig& config) {
  Json j = Json::object();
  // Unmodelled keys first, so that modelled ones always win.
  for (const auto& [key, value] : config.extra) {
    absl::StatusOr<Json> v = ParseJson(value, "config extra");
    j[key] = v.ok() ? *std::move(v) : Json(value);
  }
  j["architecture"] = config.platform.architecture;
  j["os"] = config.platform.os;
  if (!config.platform.variant.empty()) j["variant"] = config.platform.variant;
  if (!config.created.empty()) j["created"] = config.created;
  if (!config.author.empty()) j["author"] = config.author;

  Json c = Json::object();
  for (const auto& [key, value] : config.config_extra) {
    absl::StatusOr<Json> v = ParseJson(value, "config extra");
    c[key] = v.ok() ? *std::move(v) : Json(value);
  }
  if (!config.env.empty()) c["Env"] = config.env;
  if (!config.entrypoint.empty()) c["Entrypoint"] = config.entrypoint;
  if (!config.cmd.empty()) c["Cmd"] = config.cmd;
  if (!config.working_dir.empty()) c["WorkingDir"] = config.working_dir;
  if (!config.user.empty()) c["User"] = config.user;
  if (!config.labels.empty()) c["Labels"] = config.labels;
  j["config"] = std::move(c);

  Json rootfs = Json::object();
  rootfs["type"] = "layers";
  rootfs["diff_ids"] = config.diff_ids;
  j["rootfs"] = std::move(rootfs);

  if (!config.history_json.empty()) {
    Json history = Json::array();
    for (const std::string& h : config.history_json) {
      absl::StatusOr<Json> v = ParseJson(h, "config history");
      history.push_back(v.ok() ? *std::move(v) : Json(h));
    }
    j["history"] = std::move(history);
  }
  return CanonicalJson(j);
}

absl::StatusOr<Manifest> ParseManifest(std::string_view json) {
  ASSIGN_OR_RETURN(Json doc, ParseObject(json, kManifestWhat));
  RETURN_IF_ERROR(CheckSchemaVersion(doc, kManifestWhat));
  Manifest m;
  ASSIGN_OR_RETURN(std::string media_type,
                   GetString(doc, "mediaType", kManifestWhat, "mediaType"));
  if (media_type.empty()) {
    if (doc.contains("manifests")) {
      return absl::InvalidArgumentError(
          "parsing image manifest: the document is an image index");
    }
    media_type = std::string(kOciManifest);
  }
  if (!IsManifestMediaType(media_type)) {
    return FieldError(
        kManifestWhat, "mediaType",
        absl::StrFormat("is \"%s\", not an image manifest", media_type));
  }
  m.media_type = std::move(media_type);
  auto config = doc.find("config");
  if (config == doc.end())
    return FieldError(kManifestWhat, "config", "is missing");
  ASSIGN_OR_RETURN(m.config,
                   DescriptorFromJson(*config, kManifestWhat, "config"));
  auto layers = doc.find("layers");
  if (layers != doc.end() && !layers->is_null()) {
    if (!layers->is_array())
      return FieldError(kManifestWhat, "layers", "must be an array");
    for (size_t i = 0; i < layers->size(); ++i) {
      ASSIGN_OR_RETURN(Descriptor d,
                       DescriptorFromJson((*layers)[i], kManifestWhat,
                                          absl::StrFormat("layers[%d]", i)));
      m.layers.push_back(std::move(d));
    }
  }
  ASSIGN_OR_RETURN(m.annotations, GetStringMap(doc, "annotations",
                                               kManifestWhat, "annotations"));
  return m;
}

absl::StatusOr<Index> ParseIndex(std::string_view json) {
  ASSIGN_OR_RETURN(Json doc, ParseObject(json, kIndexWhat));
  RETURN_IF_ERROR(CheckSchemaVersion(doc, kIndexWhat));
  ASSIGN_OR_RETURN(std::string media_type,
                   GetString(doc, "mediaType", kIndexWhat, "mediaType"));
  if (!media_type.empty() && !IsIndexMediaType(media_type)) {
    return FieldError(
        kIndexWhat, "mediaType",
        absl::StrFormat("is \"%s\", not an image index", media_type));
  }
  auto manifests = doc.find("manifests");
  if (manifests == doc.end() || !manifests->is_array()) {
    return FieldError(kIndexWhat, "manifests", "must be an array");
  }
  Index index;
  for (size_t i = 0; i < manifests->size(); ++i) {
    ASSIGN_OR_RETURN(Descriptor d,
                     DescriptorFromJson((*manifests)[i], kIndexWhat,
                                        absl::StrFormat("manifests[%d]", i)));
    index.manifests.push_back(std::move(d));
  }
  ASSIGN_OR_RETURN(index.annotations,
                   GetStringMap(doc, "annotations", kIndexWhat, "annotations"));
  return index;
}

absl::StatusOr<ImageConfig> ParseConfig(std::string_view json) {
  ASSIGN_OR_RETURN(Json doc, ParseObject(json, kConfigWhat));
  ImageConfig c;
  ASSIGN_OR_RETURN(c.platform.architecture,
                   GetString(doc, "architecture", kConfigWhat, "architecture"));
  ASSIGN_OR_RETURN(c.platform.os, GetString(doc, "os", kConfigWhat, "os"));
  if (c.platform.architecture.empty()) {
    return FieldError(kConfigWhat, "architecture", "is missing");
  }
  if (c.platform.os.empty()) return FieldError(kConfigWhat, "os", "is missing");
  ASSIGN_OR_RETURN(c.platform.variant,
                   GetString(doc, "variant", kConfigWhat, "variant"));
  ASSIGN_OR_RETURN(c.created,
                   GetString(doc, "created", kConfigWhat, "created"));
  ASSIGN_OR_RETURN(c.author, GetString(doc, "author", kConfigWhat, "author"));

  RETURN_IF_ERROR(ParseContainerConfig(doc, &c));

  auto rootfs = doc.find("rootfs");
  if (rootfs == doc.end() || !rootfs->is_object()) {
    return FieldError(kConfigWhat, "rootfs", "must be an object");
  }
  ASSIGN_OR_RETURN(std::string rootfs_type,
                   GetString(*rootfs, "type", kConfigWhat, "rootfs.type"));
  if (rootfs_type != "layers") {
    return FieldError(kConfigWhat, "rootfs.type", "must be \"layers\"");
  }
  ASSIGN_OR_RETURN(c.diff_ids, GetStringArray(*rootfs, "diff_ids", kConfigWhat,
                                              "rootfs.diff_ids"));
  for (const std::string& id : c.diff_ids) {
    if (absl::Status s = layers::ValidateDigest(id); !s.ok()) {
      return FieldError(
          kConfigWhat, "rootfs.diff_ids",
          absl::StrFormat("holds an invalid digest: %s", s.message()));
    }
  }

  if (auto it = doc.find("history"); it != doc.end() && !it->is_null()) {
    if (!it->is_array())
      return FieldError(kConfigWhat, "history", "must be an array");
    for (const Json& h : *it) {
      if (!h.is_object()) {
        return FieldError(kConfigWhat, "history",
                          "must be an array of objects");
      }
      c.history_json.push_back(CanonicalJson(h));
    }
  }

  for (const auto& [key, value] : doc.items()) {
    if (key == "architecture" || key == "os" || key == "variant" ||
        key == "created" || key == "author" || key == "config" ||
        key == "rootfs" || key == "history") {
      continue;
    }
    c.extra.emplace(key, CanonicalJson(value));
  }
  return c;
}

absl::StatusOr<std::string> DetectMediaType(std::string_view json) {
  ASSIGN_OR_RETURN(Json doc, ParseObject(json, "manifest or index"));
  if (auto it = doc.find("mediaType"); it != doc.end() && it->is_string()) {
    std::string media_type = it->get<std::string>();
    if (!media_type.empty()) return media_type;
  }
  if (doc.contains("manifests")) return std::string(kOciIndex);
  if (doc.contains("config") || doc.contains("layers")) {
    return std::string(kOciManifest);
  }
  return absl::InvalidArgumentError(
      "parsing manifest or index: no \"mediaType\", \"manifests\" or "
      "\"layers\"");
}

bool IsIndexMediaType(std::string_view media_type) {
  return media_type == kOciIndex || media_type == kDockerManifestList;
}

bool IsManifestMediaType(std::string_view media_type) {
  return media_type == kOciManifest || media_type == kDockerManifest;
}

absl::Status VerifyDigest(std::string_view data, std::string_view expected,
                          std::string_view what) {
  if (absl::Status s = layers::ValidateDigest(expected); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "verifying %s: bad digest \"%s\": %s", what, EscapeForDisplay(expected),
        s.message()));
  }
  std::string actual = layers::Sha256Digest(data);
  if (actual != expected) {
    return absl::DataLossError(
        absl::StrFormat("verifying %s: digest mismatch: expected %s, got %s",
                        what, expected, actual));
  }
  return absl::OkStatus();
}

}  // namespace cook::oci
