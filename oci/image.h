#ifndef COOK_OCI_IMAGE_H_
#define COOK_OCI_IMAGE_H_

// The OCI image model: descriptors, manifests, indexes and image configs,
// with canonical JSON (sorted keys, no whitespace) so that the same image
// always serialises to the same bytes and digest.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace cook::oci {

inline constexpr std::string_view kOciManifest =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex =
    "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig =
    "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayerTar =
    "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip =
    "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd =
    "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig =
    "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerLayerTar =
    "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view kRefNameAnnotation =
    "org.opencontainers.image.ref.name";

struct Platform {
  std::string os = "linux";
  std::string architecture = "amd64";
  std::string variant;  // optional, e.g. "v8"

  // "os/arch[/variant]".
  std::string ToString() const;
  friend bool operator==(const Platform&, const Platform&) = default;
};

// Parses "os/arch[/variant]".
absl::StatusOr<Platform> ParsePlatform(std::string_view text);
// The platform of the running host (linux/amd64, linux/arm64, ...).
Platform HostPlatform();

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:..."
  int64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;  // in indexes
  friend bool operator==(const Descriptor&, const Descriptor&) = default;
};

struct Manifest {
  std::string media_type = std::string(kOciManifest);
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
};

struct Index {
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

// A manifest or index document as a transport stores it.
struct RawManifest {
  std::string bytes;       // exactly as stored; its digest is the image's
  std::string media_type;  // of `bytes`
  std::string digest;      // "sha256:..." of `bytes`
  // When the reference named an index and this manifest was chosen from it
  // (oci::WalkToManifest), the outermost index's digest; else empty.
  std::string index_digest;
};

// The parts of the image config that cook reads and writes. Keys cook does
// not model are kept verbatim in `extra` / `config_extra`, so a base image's
// config survives a merge.
struct ImageConfig {
  std::string created;  // RFC 3339, e.g. "1970-01-01T00:00:01Z"
  std::string author;
  Platform platform;
  std::vector<std::string> env;  // "KEY=VALUE", in order
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::string user;
  std::map<std::string, std::string> labels;
  std::vector<std::string> diff_ids;  // rootfs.diff_ids
  // History entries, as JSON objects serialised canonically.
  std::vector<std::string> history_json;
  // Unmodelled top-level keys and unmodelled "config" keys, as canonical JSON.
  std::map<std::string, std::string> extra;
  std::map<std::string, std::string> config_extra;

  // Sets KEY=VALUE, replacing an existing KEY in place.
  void SetEnv(std::string_view key, std::string_view value);
  // The value of KEY, if set.
  std::optional<std::string> GetEnv(std::string_view key) const;
};

// Canonical JSON: sorted keys, no insignificant whitespace, schemaVersion 2
// for manifests and indexes. Same value, same bytes.
std::string SerializeManifest(const Manifest& manifest);
std::string SerializeIndex(const Index& index);
std::string SerializeConfig(const ImageConfig& config);

// Parsers accept OCI and Docker schema 2 media types. Errors are
// InvalidArgument and say what is wrong.
absl::StatusOr<Manifest> ParseManifest(std::string_view json);
absl::StatusOr<Index> ParseIndex(std::string_view json);
absl::StatusOr<ImageConfig> ParseConfig(std::string_view json);

// The media type named inside a manifest or index document ("mediaType"), or
// inferred from its shape (an index has "manifests").
absl::StatusOr<std::string> DetectMediaType(std::string_view json);

bool IsIndexMediaType(std::string_view media_type);
bool IsManifestMediaType(std::string_view media_type);

// Checks that `data` hashes to `expected` ("sha256:..."); the error names
// `what`.
absl::Status VerifyDigest(std::string_view data, std::string_view expected,
                          std::string_view what);

}  // namespace cook::oci

#endif  // COOK_OCI_IMAGE_H_
