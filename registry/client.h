#ifndef COOK_REGISTRY_CLIENT_H_
#define COOK_REGISTRY_CLIENT_H_

// The OCI distribution API (v2) for one registry host: blobs (HEAD, GET
// with resume, chunked and monolithic upload with resume, cross-repository
// mount) and manifests. Every request goes through the host's Endpoint
// (registry/endpoint.h): authorized (anonymous, Basic or Bearer) and
// retried on transient failures.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "base/io.h"
#include "registry/credentials.h"
#include "registry/endpoint.h"
#include "registry/http.h"
#include "registry/retry.h"

namespace cook::registry {

struct ClientOptions {
  Credentials credentials;
  bool tls_verify = true;  // false: also try plain http
  RetryPolicy retry;
  // Blobs up to this size go in one PUT; larger ones in PATCH chunks of this
  // size (or the registry's OCI-Chunk-Min-Length when larger).
  int64_t chunk_size = int64_t{32} << 20;
  LogFn log;
};

struct FetchedManifest {
  std::string bytes;
  std::string media_type;
  std::string digest;  // "sha256:..." of bytes, verified
};

class RegistryClient {
 public:
  // `host` as in the reference ("docker.io" is served by
  // registry-1.docker.io). `http` must outlive the client.
  RegistryClient(HttpClient& http, std::string host, ClientOptions options);
  ~RegistryClient();

  const std::string& host() const { return endpoint_.host(); }

  // The size of the blob when the repository has it, nullopt when not.
  absl::StatusOr<std::optional<int64_t>> StatBlob(const std::string& repo,
                                                  const std::string& digest);

  // Streams the blob into `sink`. An interrupted download resumes with a
  // Range request from the bytes already written. The caller verifies the
  // digest (the sink sees every byte once).
  absl::Status GetBlob(const std::string& repo, const std::string& digest,
                       ByteSink& sink);

  // Asks the registry to mount the blob from `from_repo` (same registry).
  // True when mounted; false when the registry refused or does not support
  // mounting (nothing uploaded then).
  absl::StatusOr<bool> MountBlob(const std::string& repo,
                                 const std::string& digest,
                                 const std::string& from_repo);

  // Uploads `size` bytes from `data` as blob `digest`. Small blobs: POST +
  // one PUT; large ones: PATCH chunks, resumed from the registry's Range
  // after a failure. The registry verifies the digest.
  absl::Status PutBlob(const std::string& repo, const std::string& digest,
                       int64_t size, ByteSource& data);

  // The manifest `reference` (a tag or digest) with the media types given
  // in `accept`. NotFound when the registry has no such manifest. The digest
  // is verified when `reference` is a digest.
  absl::StatusOr<FetchedManifest> GetManifest(
      const std::string& repo, const std::string& reference,
      const std::vector<std::string>& accept);

  // Stores a manifest under `reference` (a tag or its digest).
  absl::Status PutManifest(const std::string& repo,
                           const std::string& reference,
                           const std::string& bytes,
                           const std::string& media_type);

  // Bytes sent in blob uploads so far (for tests and benchmarks).
  int64_t uploaded_bytes() const;

 private:
  struct Upload;
  // One HEAD of the blob: `size` as in StatBlob.
  absl::Status StatBlobOnce(const std::string& repo, const std::string& digest,
                            std::string_view what, Attempt& attempt,
                            std::optional<int64_t>& size);
  // One POST starting an upload session: its absolute URL and chunk size.
  absl::StatusOr<std::pair<std::string, int64_t>> StartUpload(
      const std::string& repo, std::string_view what, Attempt& attempt);
  // Closes the session with a PUT of `body` (the whole blob, or nothing
  // after PATCH chunks). False when the session is gone and the blob is not
  // there either.
  absl::StatusOr<bool> FinishUpload(Upload& upload, const std::string& body,
                                    Attempt& attempt);
  // The whole blob in one PUT, repeated (the bytes are in memory) in the
  // same session, or in a new one when that session is gone.
  absl::Status PutWhole(Upload& upload, ByteSource& data);
  // PATCH chunks, each with its own attempts, then the closing PUT.
  absl::Status PutChunks(Upload& upload, ByteSource& data);
  // One attempt at sending what the registry lacks of `chunk` (which
  // starts at `chunk_start`), asking it first how much it has when
  // `resync`.
  absl::Status SendChunk(Upload& upload, std::string_view chunk,
                         int64_t chunk_start, bool& resync, Attempt& attempt);
  // Asks the registry how much of the upload it holds.
  absl::StatusOr<int64_t> UploadProgress(Upload& upload, Attempt& attempt);

  Endpoint endpoint_;
  const int64_t chunk_size_;
  std::atomic<int64_t> uploaded_{0};
};

}  // namespace cook::registry

#endif  // COOK_REGISTRY_CLIENT_H_
