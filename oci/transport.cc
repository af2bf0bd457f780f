#include "oci/transport.h"

#include <mutex>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "base/interrupt.h"
#include "base/parallel.h"
#include "base/status_macros.h"
#include "oci/docker_archive.h"
#include "oci/oci_layout.h"
#include "layers/digest.h"

namespace cook::oci {
namespace {

constexpr int64_t kMaxSmallBlob = 64 << 20;

absl::Status NoRegistries(const ImageReference& ref) {
  return absl::FailedPreconditionError(absl::StrFormat(
      "opening %s: no registry session was given (a bug in the caller)",
      ref.ToString()));
}

absl::Status PutOneBlob(ImageDestination& destination, const BlobToPut& blob,
                        const PutBlobsOptions& options, BlobOutcome* outcome) {
  const Descriptor& d = blob.descriptor;
  const std::string context = absl::StrFormat("blob %s", d.digest);
  ASSIGN_OR_RETURN(bool present, Annotate(destination.HasBlob(d), context));
  if (present) {
    *outcome = BlobOutcome::kPresent;
    return absl::OkStatus();
  }
  if (options.mount_from.has_value()) {
    ASSIGN_OR_RETURN(bool mounted,
                     Annotate(destination.MountBlob(d, *options.mount_from), context));
    if (mounted) {
      *outcome = BlobOutcome::kMounted;
      return absl::OkStatus();
    }
  }
  *outcome = BlobOutcome::kPut;
  if (!blob.file.empty()) {
    return Annotate(destination.PutBlobFile(d, blob.file, blob.take_file), context);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> data, Annotate(blob.open(), context));
  return Annotate(destination.PutBlob(d, *data), context);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ImageSource>> OpenImageSource(
    const ImageReference& ref, RegistryTransports* registries,
    const std::filesystem::path& temp_dir) {
  switch (ref.transport) {
    case Transport::kOci:
      return internal::OpenOciLayoutSource(ref.path, ref.tag);
    case Transport::kDockerArchive:
      return internal::OpenDockerArchiveSource(ref.path, ref.archive_name,
                                               temp_dir);
    case Transport::kDocker:
      if (registries == nullptr) return NoRegistries(ref);
      return registries->OpenSource(ref);
    case Transport::kScratch:
      break;
  }
  return absl::InvalidArgumentError(
      "reading scratch: the empty image has nothing to read; it can only be a "
      "base image");
}

absl::StatusOr<std::unique_ptr<ImageDestination>> OpenImageDestination(
    const ImageReference& ref, RegistryTransports* registries) {
  switch (ref.transport) {
    case Transport::kOci:
      return internal::OpenOciLayoutDestination(ref.path, ref.tag);
    case Transport::kDockerArchive:
      return internal::OpenDockerArchiveDestination(ref.path, ref.archive_name);
    case Transport::kDocker:
      if (registries == nullptr) return NoRegistries(ref);
      return registries->OpenDestination(ref);
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

absl::Status PutBlobs(ImageDestination& destination,
                      const std::vector<BlobToPut>& blobs,
                      const PutBlobsOptions& options) {
  std::mutex report_mu;  // on_blob is called serialised
  return ParallelFor(blobs.size(), destination.MaxParallelBlobs(), [&](size_t i) {
    RETURN_IF_ERROR(CheckInterrupted());
    BlobOutcome outcome = BlobOutcome::kPut;
    RETURN_IF_ERROR(PutOneBlob(destination, blobs[i], options, &outcome));
    if (options.on_blob) {
      std::lock_guard<std::mutex> lock(report_mu);
      options.on_blob(blobs[i].descriptor, outcome);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<RawManifest> CopyImage(ImageSource& source,
                                      ImageDestination& destination,
                                      const Platform& platform,
                                      const PutBlobsOptions& options) {
  ASSIGN_OR_RETURN(RawManifest raw, source.GetManifest(platform));
  RETURN_IF_ERROR(CopyManifest(source, destination, raw, options));
  return raw;
}

absl::Status CopyManifest(ImageSource& source, ImageDestination& destination,
                          const RawManifest& raw, const PutBlobsOptions& options) {
  ASSIGN_OR_RETURN(Manifest manifest, ParseManifest(raw.bytes));
  std::vector<BlobToPut> blobs;
  std::vector<const Descriptor*> descriptors = {&manifest.config};
  for (const Descriptor& layer : manifest.layers) descriptors.push_back(&layer);
  for (const Descriptor* d : descriptors) {
    BlobToPut blob;
    blob.descriptor = *d;
    blob.open = [&source, d] { return source.OpenBlob(*d); };
    blobs.push_back(std::move(blob));
  }
  RETURN_IF_ERROR(Annotate(PutBlobs(destination, blobs, options), "copying"));
  RETURN_IF_ERROR(destination.PutManifest(raw));
  return destination.Commit();
}

}  // namespace cook::oci
