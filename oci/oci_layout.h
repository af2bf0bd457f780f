#ifndef COOK_OCI_OCI_LAYOUT_H_
#define COOK_OCI_OCI_LAYOUT_H_

// Private to oci: the oci:DIR[:TAG] transport (OCI image layout 1.0).
// Use OpenImageSource / OpenImageDestination instead.

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "oci/transport.h"

namespace cook::oci::internal {

// NotFound "oci:DIR: no such image layout" when `dir` holds no layout (or
// a layout without index.json, i.e. one whose first write never finished).
absl::StatusOr<std::unique_ptr<ImageSource>> OpenOciLayoutSource(
    const std::filesystem::path& dir, const std::string& tag);

// Creates `dir` (and oci-layout, blobs/sha256) when missing. Refuses a
// non-empty directory that is not an image layout. Blobs are renamed into
// blobs/sha256 only when complete and verified; index.json is replaced
// atomically by Commit(), which moves `tag` to the new manifest and keeps
// every other entry as it was.
absl::StatusOr<std::unique_ptr<ImageDestination>> OpenOciLayoutDestination(
    const std::filesystem::path& dir, const std::string& tag);

}  // namespace cook::oci::internal

#endif  // COOK_OCI_OCI_LAYOUT_H_
