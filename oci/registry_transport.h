#ifndef COOK_OCI_REGISTRY_TRANSPORT_H_
#define COOK_OCI_REGISTRY_TRANSPORT_H_

// Private to oci: the docker://HOST/REPO[:TAG|@DIGEST] transport on
// the registry client. Use OpenImageSource / OpenImageDestination instead.

#include <memory>

#include "absl/status/statusor.h"
#include "oci/transport.h"
#include "registry/session.h"

namespace cook::oci::internal {

// Reads OCI and Docker schema 2 manifests; an OCI index or a Docker manifest
// list is resolved for the platform. Blobs stream from the registry while
// they are read (a download runs ahead in a thread, a few MiB at most) and
// are verified at the end.
absl::StatusOr<std::unique_ptr<ImageSource>> OpenRegistrySource(
    const ImageReference& ref, registry::RegistrySession& registries);

// Blobs are uploaded as they are put (only those the repository lacks);
// Commit() puts the manifest under the tag (or the digest the reference
// pins, which must be the manifest's). Nothing is tagged before every blob
// is in the registry.
absl::StatusOr<std::unique_ptr<ImageDestination>> OpenRegistryDestination(
    const ImageReference& ref, registry::RegistrySession& registries);

}  // namespace cook::oci::internal

#endif  // COOK_OCI_REGISTRY_TRANSPORT_H_
