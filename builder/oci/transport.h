#ifndef COOK_BUILDER_OCI_TRANSPORT_H_
#define COOK_BUILDER_OCI_TRANSPORT_H_

// Reading and writing images, whatever the transport. A source yields one
// image manifest (resolving an index for the platform) and its blobs; a
// destination takes blobs and one manifest and makes them visible atomically
// on Commit().

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "base/io.h"
#include "builder/oci/image.h"
#include "builder/oci/reference.h"

namespace cook::oci {

struct RawManifest {
  std::string bytes;       // exactly as stored; its digest is the image's
  std::string media_type;  // of `bytes`
  std::string digest;      // "sha256:..." of `bytes`
};

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
  // Records the image manifest (its config and layers must have been put).
  virtual absl::Status PutManifest(const RawManifest& manifest) = 0;
  // Makes the image visible under the reference, atomically.
  virtual absl::Status Commit() = 0;
};

absl::StatusOr<std::unique_ptr<ImageSource>> OpenImageSource(
    const ImageReference& ref);
absl::StatusOr<std::unique_ptr<ImageDestination>> OpenImageDestination(
    const ImageReference& ref);

// Reads the whole blob into memory (for configs and manifests only), its
// digest and size verified. Blobs over 64 MiB are refused (InvalidArgument).
absl::StatusOr<std::string> ReadSmallBlob(ImageSource& source,
                                          const Descriptor& descriptor);

// `manifest` serialised canonically, with its media type and digest: what
// ImageDestination::PutManifest takes.
RawManifest MakeRawManifest(const Manifest& manifest);

// Copies the image for `platform` from `source` to `destination`: the blobs
// the destination lacks, then the manifest as stored (so the digest is
// kept), then Commit(). Returns the manifest copied.
absl::StatusOr<RawManifest> CopyImage(ImageSource& source,
                                      ImageDestination& destination,
                                      const Platform& platform);

}  // namespace cook::oci

#endif  // COOK_BUILDER_OCI_TRANSPORT_H_
