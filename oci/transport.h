#ifndef COOK_OCI_TRANSPORT_H_
#define COOK_OCI_TRANSPORT_H_

// Reading and writing images, whatever the transport. A source yields one
// image manifest (resolving an index for the platform) and its blobs; a
// destination takes blobs and one manifest and makes them visible atomically
// on Commit().

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/io.h"
#include "oci/image.h"
#include "oci/reference.h"

namespace cook::oci {

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // The image manifest for `platform` (an index is resolved), its digest
  // verified. NotFound when the reference names no image.
  virtual absl::StatusOr<RawManifest> GetManifest(const Platform& platform) = 0;
  // A reader of the blob's bytes. The reader fails at the end if the bytes do
  // not match `descriptor.digest` or its size.
  virtual absl::StatusOr<std::unique_ptr<ByteSource>> OpenBlob(
      const Descriptor& descriptor) = 0;
};

class ImageDestination {
 public:
  // Destroying a destination without Commit() leaves what was there before
  // (blobs already written to a shared store may remain, unreferenced).
  virtual ~ImageDestination() = default;
  // True when the destination already holds the blob (no upload needed).
  virtual absl::StatusOr<bool> HasBlob(const Descriptor& descriptor) = 0;
  // Stores the blob read from `data`, verifying digest and size.
  virtual absl::Status PutBlob(const Descriptor& descriptor,
                               ByteSource& data) = 0;
  // Stores a blob already in a local file; may move the file (`take`) instead
  // of copying it.
  // A moved file is checked for size only (the caller, who computed the
  // digest while writing it, vouches for it); a copied one is verified. When
  // the destination already holds the blob, `file` is left where it is.
  virtual absl::Status PutBlobFile(const Descriptor& descriptor,
                                   const std::filesystem::path& file,
                                   bool take) = 0;
  // Makes the blob available by reference to `from`, an image in the same
  // store (a registry's cross-repository mount). False when that is not
  // possible; nothing was stored then.
  virtual absl::StatusOr<bool> MountBlob(const Descriptor& descriptor,
                                         const ImageReference& from) {
    return false;
  }
  // How many blobs may be checked and put at once from different threads
  // (HasBlob, MountBlob, PutBlob and PutBlobFile are thread-safe when > 1).
  virtual int MaxParallelBlobs() const { return 1; }
  // Records the image manifest (its config and layers must have been put).
  virtual absl::Status PutManifest(const RawManifest& manifest) = 0;
  // Makes the image visible under the reference, atomically.
  virtual absl::Status Commit() = 0;
};

// Opens docker:// references. registry::RegistrySession implements it (the
// run's registry options and connections): the registry client sits above
// oci/, and oci/ never depends on it.
class RegistryTransports {
 public:
  virtual ~RegistryTransports() = default;
  virtual absl::StatusOr<std::unique_ptr<ImageSource>> OpenSource(
      const ImageReference& ref) = 0;
  virtual absl::StatusOr<std::unique_ptr<ImageDestination>> OpenDestination(
      const ImageReference& ref) = 0;
};

// docker:// references need `registries`; without them they fail with
// FailedPrecondition. A compressed docker-archive: tarball is decompressed
// into `temp_dir` (the caller's $TMPDIR; empty: /tmp). Nothing here reads
// the environment.
absl::StatusOr<std::unique_ptr<ImageSource>> OpenImageSource(
    const ImageReference& ref, RegistryTransports* registries = nullptr,
    const std::filesystem::path& temp_dir = {});
absl::StatusOr<std::unique_ptr<ImageDestination>> OpenImageDestination(
    const ImageReference& ref, RegistryTransports* registries = nullptr);

// One blob for PutBlobs: a local file, or a source opened on demand.
struct BlobToPut {
  Descriptor descriptor;
  std::filesystem::path file;  // when set, put with PutBlobFile
  bool take_file = false;
  std::function<absl::StatusOr<std::unique_ptr<ByteSource>>()> open;
};

enum class BlobOutcome { kPresent, kMounted, kPut };

struct PutBlobsOptions {
  // Tried (MountBlob) before uploading a blob the destination lacks.
  std::optional<ImageReference> mount_from;
  // Called after each blob, from the thread that put it (serialised).
  std::function<void(const Descriptor&, BlobOutcome)> on_blob;
};

// Puts every blob the destination lacks, up to
// destination.MaxParallelBlobs() at a time. Stops at the first error (blobs
// in flight finish or fail first) and returns it.
absl::Status PutBlobs(ImageDestination& destination,
                      const std::vector<BlobToPut>& blobs,
                      const PutBlobsOptions& options = {});

// Reads the whole blob into memory (for configs and manifests only), its
// digest and size verified. Blobs over 64 MiB are refused (InvalidArgument).
absl::StatusOr<std::string> ReadSmallBlob(ImageSource& source,
                                          const Descriptor& descriptor);

// `manifest` serialised canonically, with its media type and digest: what
// ImageDestination::PutManifest takes.
RawManifest MakeRawManifest(const Manifest& manifest);

// Copies the image for `platform` from `source` to `destination`: the blobs
// the destination lacks (PutBlobs), then the manifest as stored (so the
// digest is kept), then Commit(). Returns the manifest copied.
absl::StatusOr<RawManifest> CopyImage(ImageSource& source,
                                      ImageDestination& destination,
                                      const Platform& platform,
                                      const PutBlobsOptions& options = {});

// CopyImage for a manifest already read from `source` (by GetManifest).
absl::Status CopyManifest(ImageSource& source, ImageDestination& destination,
                          const RawManifest& raw, const PutBlobsOptions& options = {});

}  // namespace cook::oci

#endif  // COOK_OCI_TRANSPORT_H_
