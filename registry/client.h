#ifndef COOK_REGISTRY_CLIENT_H_
#define COOK_REGISTRY_CLIENT_H_

// The OCI distribution API (v2) for one registry host: ping, blobs (HEAD,
// GET with resume, chunked and monolithic upload with resume,
// cross-repository mount) and manifests. Every request is authorized
// (anonymous, Basic or Bearer) and retried on transient failures.

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
#include "registry/auth.h"
#include "registry/http.h"
#include "registry/retry.h"

namespace cook::registry {

// Receives one line per notable event (a retry, a resumed upload, a refused
// mount). Never given credentials.
using LogFn = std::function<void(const std::string& line)>;

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

  const std::string& host() const { return host_; }

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
  RetryHooks Hooks() const;
  // Pings the registry once per client (retried), to learn its scheme.
  absl::Status EnsureEndpoint();
  // One exchange: the request with its authorization, sent again after a
  // 401 challenge (at most twice, with new credentials or a token). Never
  // retries: the caller's attempt does. A request whose body_source the
  // challenge consumed fails Unavailable, for the attempt to be repeated.
  absl::StatusOr<HttpResponse> Exchange(HttpRequest request,
                                        const std::string& scope,
                                        std::string_view what);
  // Exchange in the retry loop, for a request without body_source or
  // response_sink: any answer but 408, 429 and 5xx is returned.
  absl::StatusOr<HttpResponse> Send(HttpRequest request,
                                    const std::string& scope,
                                    std::string_view what);
  // One HEAD of the blob: `size` as in StatBlob.
  absl::Status StatBlobOnce(const std::string& repo, const std::string& digest,
                            std::string_view what, Attempt& attempt,
                            std::optional<int64_t>& size);
  // One POST starting an upload session: its absolute URL and chunk size.
  absl::StatusOr<std::pair<std::string, int64_t>> StartUpload(
      const std::string& repo, std::string_view what, Attempt& attempt);
  std::string Url(std::string_view path) const;
  // A Location header's URL: absolute as given, or a path on the endpoint.
  std::string ResolveLocation(const std::string& location) const;

  HttpClient& http_;
  std::string host_;
  ClientOptions options_;
  std::unique_ptr<Authorizer> authorizer_;
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cook::registry

#endif  // COOK_REGISTRY_CLIENT_H_
