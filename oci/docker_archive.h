#ifndef COOK_OCI_DOCKER_ARCHIVE_H_
#define COOK_OCI_DOCKER_ARCHIVE_H_

// Private to oci: the docker-archive:FILE[:NAME:TAG] transport, the
// tarball `docker save` writes and `docker load` / `podman load` read: the
// reader in docker_archive_source.cc, the writer in
// docker_archive_destination.cc. Use OpenImageSource / OpenImageDestination
// instead.

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "oci/transport.h"

namespace cook::oci::internal {

// "docker-archive:FILE", as messages name the archive.
std::string DockerArchiveName(const std::filesystem::path& file);

// Indexes the archive (a gzip- or zstd-compressed one is first decompressed
// to a temporary file in `temp_dir`, or in the system's temporary directory
// when `temp_dir` is empty, removed with the source) and picks the image whose
// RepoTags hold `name` ("NAME:TAG"), or the first one when `name` is empty.
// Blobs are read in place. The manifest is synthesised (OCI media types, the
// layers as stored: uncompressed tars whose digests are the diff_ids), so its
// digest is not the one the image had in a registry.
absl::StatusOr<std::unique_ptr<ImageSource>> OpenDockerArchiveSource(
    const std::filesystem::path& file, const std::string& name,
    const std::filesystem::path& temp_dir);

// Keeps blobs in a temporary directory beside `file` until Commit(), which
// decompresses each layer (verifying it against the config's diff_id), writes
// a deterministic tar (sorted names, uid/gid 0, every mtime the config's
// `created` time) to a temporary sibling of `file` and renames it over
// `file`. Destroying the destination removes every temporary; an existing
// `file` is replaced only by a complete archive. `name` ("NAME:TAG") may be
// empty: the image is then untagged.
absl::StatusOr<std::unique_ptr<ImageDestination>> OpenDockerArchiveDestination(
    const std::filesystem::path& file, const std::string& name);

}  // namespace cook::oci::internal

#endif  // COOK_OCI_DOCKER_ARCHIVE_H_
