#ifndef COOK_OCI_REFERENCE_H_
#define COOK_OCI_REFERENCE_H_

// Image references in the containers-transports syntax (skopeo, podman):
//   oci:DIR[:TAG]   docker-archive:FILE[:NAME:TAG]
//   docker://HOST[:PORT]/REPO[:TAG|@sha256:HEX]   scratch

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cook::oci {

enum class Transport { kOci, kDockerArchive, kDocker, kScratch };

struct ImageReference {
  Transport transport = Transport::kScratch;
  // oci: the layout directory; docker-archive: the tarball.
  std::string path;
  // oci: the tag (default "latest"); docker://: the tag (default "latest"
  // unless a digest is given).
  std::string tag;
  // docker-archive: the optional "NAME:TAG" stored in RepoTags.
  std::string archive_name;
  // docker://: registry host[:port] and repository; digest when pinned.
  std::string registry;
  std::string repository;
  std::string digest;

  // The reference as the user would write it.
  std::string ToString() const;
};

// Parses a reference. Unknown transports and malformed references are
// InvalidArgument errors naming the reference, with a hint listing the
// transports. Relative paths are returned as given; resolve them with
// `ResolvePaths`.
absl::StatusOr<ImageReference> ParseReference(std::string_view text);

// Makes a relative oci:/docker-archive: path absolute against `base_dir`.
ImageReference ResolvePaths(ImageReference ref, const std::string& base_dir);

}  // namespace cook::oci

#endif  // COOK_OCI_REFERENCE_H_
