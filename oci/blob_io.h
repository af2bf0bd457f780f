#ifndef COOK_OCI_BLOB_IO_H_
#define COOK_OCI_BLOB_IO_H_

// Private to oci: verified blob reading and writing shared by the
// transports.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/io.h"
#include "oci/image.h"

namespace cook::oci::internal {

// Wraps `inner`: passes its bytes through, and at the end fails with
// DataLoss (naming `what`) unless exactly `expected.size` bytes hashing to
// `expected.digest` were read. Also fails as soon as too many bytes arrive.
std::unique_ptr<ByteSource> NewVerifyingSource(
    std::unique_ptr<ByteSource> inner, const Descriptor& expected,
    std::string what);

// Copies `source` to `sink` like cook::Copy, but stops with CancelledError
// once SIGINT/SIGTERM arrived (base/interrupt.h).
absl::StatusOr<uint64_t> CopyInterruptibly(ByteSource& source, ByteSink& sink);

// A reader of `size` bytes at `offset` of the file at `path`.
absl::StatusOr<std::unique_ptr<ByteSource>> OpenFileRange(
    const std::filesystem::path& path, uint64_t offset, uint64_t size);

// Writes `data` to a temporary sibling of `dest`, checks digest and size
// against `descriptor`, fsyncs it and renames it to `dest`. On any error
// nothing is left at `dest`. Errors name `what`.
absl::Status WriteVerifiedFile(const Descriptor& descriptor, ByteSource& data,
                               const std::filesystem::path& dest,
                               std::string_view what);

// Puts the local blob `file` at `dest`: renamed when `take` (only its size is
// checked then; it falls back to a copy across file systems), otherwise
// copied and verified as WriteVerifiedFile does.
absl::Status PlaceBlobFile(const Descriptor& descriptor,
                           const std::filesystem::path& file, bool take,
                           const std::filesystem::path& dest,
                           std::string_view what);

// The media type of a manifest or index being put (`manifest.media_type`,
// else detected from its bytes), once its bytes are checked against
// `manifest.digest`. Errors are prefixed with `context`.
absl::StatusOr<std::string> VerifiedMediaType(const RawManifest& manifest,
                                              std::string_view context);

// fsyncs a directory so that renames into it are durable.
absl::Status SyncDirectory(const std::filesystem::path& dir);

// The file name a digest is stored under ("<hex>"); the digest must be valid.
std::string BlobFileName(std::string_view digest);

}  // namespace cook::oci::internal

#endif  // COOK_OCI_BLOB_IO_H_
