#ifndef COOK_REGISTRY_IMAGE_TRANSPORT_H_
#define COOK_REGISTRY_IMAGE_TRANSPORT_H_

// Private to registry: the docker://HOST/REPO[:TAG|@DIGEST] transport on
// the registry client, oci's ImageSource / ImageDestination for registries.
// RegistrySession hands them to oci::OpenImageSource / OpenImageDestination
// (as oci::RegistryTransports), so that oci/ needs nothing from registry/.

#include <memory>

#include "absl/status/statusor.h"
#include "oci/transport.h"
#include "registry/client.h"

namespace cook::registry::internal {

// Reads OCI and Docker schema 2 manifests; an OCI index or a Docker manifest
// list is resolved for the platform. Blobs stream from the registry while
// they are read (a download runs ahead in a thread, a few MiB at most) and
// are verified at the end.
absl::StatusOr<std::unique_ptr<oci::ImageSource>> OpenRegistrySource(
    const oci::ImageReference& ref, RegistryClient& client);

// Blobs are uploaded as they are put (only those the repository lacks);
// Commit() puts the manifest under the tag (or the digest the reference
// pins, which must be the manifest's). Nothing is tagged before every blob
// is in the registry.
absl::StatusOr<std::unique_ptr<oci::ImageDestination>> OpenRegistryDestination(
    const oci::ImageReference& ref, RegistryClient& client, int max_parallel_blobs);

}  // namespace cook::registry::internal

#endif  // COOK_REGISTRY_IMAGE_TRANSPORT_H_
