#ifndef COOK_CACHE_IMAGE_IO_H_
#define COOK_CACHE_IMAGE_IO_H_

// What every image-writing command shares: loading a base image, staging new
// layer blobs beside the destination, and writing one image to many
// destinations.

#include <functional>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/progress.h"
#include "oci/image.h"
#include "oci/reference.h"
#include "oci/transport.h"
#include "registry/session.h"
#include "layers/layer_writer.h"
#include "cache/signing_keys.h"

namespace cook::cache {

// An image opened for reading: its manifest (digest verified) and config.
struct OpenedImage {
  std::unique_ptr<oci::ImageSource> source;
  oci::RawManifest raw;
  oci::Manifest manifest;
  oci::ImageConfig config;
};

// Checks an image's manifest before anything else of it is read.
using ManifestCheck = std::function<absl::Status(const oci::RawManifest&)>;

// Opens `ref` and reads the manifest for `platform` and the config (after
// `check`, when given, accepts the manifest). Errors are annotated with
// `context`. A compressed docker-archive: is unpacked under `temp_dir` (the
// user's $TMPDIR, from the CLI).
absl::StatusOr<OpenedImage> OpenImage(const oci::ImageReference& ref,
                                      const oci::Platform& platform,
                                      const std::string& context,
                                      registry::RegistrySession& registries,
                                      const std::filesystem::path& temp_dir,
                                      const ManifestCheck& check = nullptr);

struct BaseImage {
  oci::ImageReference ref;
  std::unique_ptr<oci::ImageSource> source;  // null for scratch
  std::vector<oci::Descriptor> layers;       // OCI media types
  oci::ImageConfig config;                   // empty for scratch
};

// Opens the base (scratch gives an empty linux config for the host or
// `platform`) and reads its manifest and config.
absl::StatusOr<BaseImage> LoadBase(const oci::ImageReference& ref,
                                   const std::optional<oci::Platform>& platform,
                                   registry::RegistrySession& registries,
                                   const std::filesystem::path& temp_dir);

// RFC 3339 in UTC, second precision: "1970-01-01T00:00:01Z".
std::string FormatCreated(absl::Time t);

// A private temporary directory, removed (with its contents) on destruction.
class StagingDir {
 public:
  // Creates `parent`/.cook-staging-XXXXXX (or `prefix`XXXXXX).
  static absl::StatusOr<StagingDir> Create(const std::filesystem::path& parent,
                                           std::string_view prefix = ".cook-staging-");
  StagingDir(StagingDir&& other) noexcept : path_(std::move(other.path_)) {
    other.path_.clear();
  }
  StagingDir(const StagingDir&) = delete;
  ~StagingDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit StagingDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

// Where to stage layer blobs: beside the first local destination, so that
// they can be renamed into place; else `temp_dir` (the caller's $TMPDIR;
// empty: /tmp).
std::filesystem::path StagingParent(const std::vector<oci::ImageReference>& dests,
                                    const std::filesystem::path& temp_dir = {});

// A history entry for the image config, as canonical JSON.
std::string HistoryEntry(const std::string& created, const std::string& created_by);

struct NewLayer {
  layers::LayerBlob blob;  // blob.path is empty for a reused layer
  oci::Descriptor descriptor;
  // A reused layer: the blob of an earlier image, read from its source.
  std::function<absl::StatusOr<std::unique_ptr<ByteSource>>()> open;
};

oci::Descriptor LayerDescriptor(const layers::LayerBlob& blob);

struct ImageResult {
  oci::RawManifest manifest;  // as written
  std::string manifest_digest;
  std::string config_digest;
  std::vector<oci::Descriptor> layers;
  std::vector<std::string> destinations;  // cache-key tags included (cook build)
  // Layers taken from the --cache-from image as they were (not compressed
  // again), by digest.
  std::vector<std::string> reused;
};

// Writes the image (base layers, then `new_layers`, with `config`) to every
// destination, copying only the blobs a destination lacks (mounting them
// from `mount_from` when it is in the same registry). With `sign_key`, each
// destination's signature is written before its tag moves (cache/signing.h).
absl::StatusOr<ImageResult> WriteImage(
    BaseImage& base, const oci::ImageConfig& config,
    const std::vector<NewLayer>& new_layers,
    const std::vector<oci::ImageReference>& dests, Progress& progress,
    registry::RegistrySession& registries,
    const std::optional<oci::ImageReference>& mount_from = std::nullopt,
    const SigningKey* sign_key = nullptr);

// Starts reporting the transfer of `blobs` to `where` (Progress::Begin) and
// returns the PutBlobs options that report each blob: a live line of bytes
// on a terminal, a line per blob copied or mounted in a log. Call
// progress.End() once PutBlobs succeeded.
oci::PutBlobsOptions BlobProgress(Progress& progress, const std::string& where,
                                  const std::vector<oci::Descriptor>& blobs);

}  // namespace cook::cache

#endif  // COOK_CACHE_IMAGE_IO_H_
