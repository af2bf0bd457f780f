#include "builder/oci/transport.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "builder/oci/docker_archive.h"
#include "builder/oci/oci_layout.h"
#include "layers/digest.h"

namespace cook::oci {
namespace {

constexpr int64_t kMaxSmallBlob = 64 << 20;

}  // namespace

absl::StatusOr<std::unique_ptr<ImageSource>> OpenImageSource(
    const ImageReference& ref) {
  switch (ref.transport) {
    case Transport::kOci:
      return internal::OpenOciLayoutSource(ref.path, ref.tag);
    case Transport::kDockerArchive:
      return internal::OpenDockerArchiveSource(ref.path, ref.archive_name);
    case Transport::kDocker:
      return absl::UnimplementedError("docker:// is not supported yet");
    case Transport::kScratch:
      break;
  }
  return absl::InvalidArgumentError(
      "reading scratch: the empty image has nothing to read; it can only be a "
      "base image");
}

absl::StatusOr<std::unique_ptr<ImageDestination>> OpenImageDestination(
    const ImageReference& ref) {
  switch (ref.transport) {
    case Transport::kOci:
      return internal::OpenOciLayoutDestination(ref.path, ref.tag);
    case Transport::kDockerArchive:
      return internal::OpenDockerArchiveDestination(ref.path, ref.archive_name);
    case Transport::kDocker:
      return absl::UnimplementedError("docker:// is not supported yet");
    case Transport::kScratch:
      break;
  }
  return absl::InvalidArgumentError(
      "writing scratch: the empty image cannot be written to");
}

absl::StatusOr<std::string> ReadSmallBlob(ImageSource& source,
                                          const Descriptor& descriptor) {
  const std::string what = absl::StrFormat("blob %s", descriptor.digest);
  if (descriptor.size > kMaxSmallBlob) {
    return absl::InvalidArgumentError(
        absl::StrFormat("reading %s: %d bytes is too large to read into memory",
                        what, descriptor.size));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> blob,
                   source.OpenBlob(descriptor));
  std::string out;
  out.reserve(static_cast<size_t>(descriptor.size));
  StringSink sink(&out);
  RETURN_IF_ERROR(Copy(*blob, sink).status());
  // Sources verify at the end already; a small blob costs nothing to check
  // again, and this holds for any source implementation.
  if (out.size() != static_cast<uint64_t>(descriptor.size)) {
    return absl::DataLossError(
        absl::StrFormat("reading %s: size mismatch: expected %d bytes, got %d",
                        what, descriptor.size, out.size()));
  }
  RETURN_IF_ERROR(VerifyDigest(out, descriptor.digest, what));
  return out;
}

RawManifest MakeRawManifest(const Manifest& manifest) {
  RawManifest raw;
  raw.bytes = SerializeManifest(manifest);
  raw.media_type = manifest.media_type;
  raw.digest = layers::Sha256Digest(raw.bytes);
  return raw;
}

absl::StatusOr<RawManifest> CopyImage(ImageSource& source,
                                      ImageDestination& destination,
                                      const Platform& platform) {
  ASSIGN_OR_RETURN(RawManifest raw, source.GetManifest(platform));
  ASSIGN_OR_RETURN(Manifest manifest, ParseManifest(raw.bytes));
  std::vector<const Descriptor*> blobs = {&manifest.config};
  for (const Descriptor& layer : manifest.layers) blobs.push_back(&layer);
  for (const Descriptor* d : blobs) {
    const std::string context = absl::StrFormat("copying blob %s", d->digest);
    ASSIGN_OR_RETURN(bool present, Annotate(destination.HasBlob(*d), context));
    if (present) continue;
    ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> data,
                     Annotate(source.OpenBlob(*d), context));
    RETURN_IF_ERROR(Annotate(destination.PutBlob(*d, *data), context));
  }
  RETURN_IF_ERROR(destination.PutManifest(raw));
  RETURN_IF_ERROR(destination.Commit());
  return raw;
}

}  // namespace cook::oci
