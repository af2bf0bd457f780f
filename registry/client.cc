#include "registry/client.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "layers/digest.h"

namespace cook::registry {
namespace {

constexpr std::string_view kOctetStream = "application/octet-stream";
// As for oci: layouts. Registries refuse far smaller ones (distribution: 4
// MiB); the limit only keeps a hostile server from filling memory.
constexpr int64_t kMaxManifestSize = int64_t{16} << 20;

std::string PullScope(const std::string& repo) {
  return absl::StrCat("repository:", repo, ":pull");
}
std::string PushScope(const std::string& repo) {
  return absl::StrCat("repository:", repo, ":pull,push");
}

// The end offset (inclusive) from a Range header "0-N" (or "bytes=0-N"), or
// -1 when the registry has nothing yet.
std::optional<int64_t> ParseRangeEnd(const std::string& value) {
  absl::string_view v = absl::StripAsciiWhitespace(value);
  absl::ConsumePrefix(&v, "bytes=");
  std::vector<absl::string_view> parts = absl::StrSplit(v, '-');
  int64_t end = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &end)) return std::nullopt;
  return end;
}

// Passes bytes on and counts them.
class CountingSink : public ByteSink {
 public:
  explicit CountingSink(ByteSink& sink) : sink_(sink) {}
  absl::Status Write(std::string_view data) override {
    written_ += static_cast<int64_t>(data.size());
    return sink_.Write(data);
  }
  int64_t written() const { return written_; }

 private:
  ByteSink& sink_;
  int64_t written_ = 0;
};

// Reads exactly `n` bytes (fewer only at the end of the source).
absl::StatusOr<size_t> ReadFull(ByteSource& source, char* buffer, size_t n) {
  size_t got = 0;
  while (got < n) {
    ASSIGN_OR_RETURN(size_t r, source.Read(buffer + got, n - got));
    if (r == 0) break;
    got += r;
  }
  return got;
}

}  // namespace

// One blob upload: what is uploaded where, and the session once started.
struct RegistryClient::Upload {
  std::string repo;
  std::string digest;
  int64_t size = 0;
  std::string what;      // for errors
  std::string scope;     // push
  std::string location;  // the upload session; empty: start one
  int64_t chunk = 0;     // the chunk size the session takes
};

RegistryClient::RegistryClient(HttpClient& http, std::string host,
                               ClientOptions options)
    : endpoint_(http, std::move(host), std::move(options.credentials),
                options.tls_verify, options.retry, std::move(options.log)),
      chunk_size_(options.chunk_size) {}

RegistryClient::~RegistryClient() = default;

int64_t RegistryClient::uploaded_bytes() const { return uploaded_.load(); }

absl::StatusOr<std::optional<int64_t>> RegistryClient::StatBlob(
    const std::string& repo, const std::string& digest) {
  const std::string what =
      absl::StrFormat("checking blob %s in %s/%s", digest, host(), repo);
  RETURN_IF_ERROR(endpoint_.Connect());
  std::optional<int64_t> out;
  RETURN_IF_ERROR(endpoint_.Retry([&](Attempt& attempt) {
    return StatBlobOnce(repo, digest, what, attempt, out);
  }));
  return out;
}

absl::Status RegistryClient::StatBlobOnce(const std::string& repo,
                                          const std::string& digest,
                                          std::string_view what, Attempt& attempt,
                                          std::optional<int64_t>& size) {
  HttpRequest request;
  request.method = "HEAD";
  request.url = endpoint_.Url(absl::StrFormat("/v2/%s/blobs/%s", repo, digest));
  // Asked by destinations before they upload: with push scope, since some
  // registries refuse a pull-only token for a repository that does not exist
  // yet.
  ASSIGN_OR_RETURN(HttpResponse response,
                   endpoint_.Exchange(request, PushScope(repo), what));
  if (response.status == 404) {
    size.reset();
    return absl::OkStatus();
  }
  if (response.status != 200) return ResponseError(what, response, attempt);
  int64_t length = -1;
  if (std::optional<std::string> header =
          FindHeader(response.headers, "Content-Length")) {
    if (!absl::SimpleAtoi(*header, &length)) length = -1;
  }
  size = length;
  return absl::OkStatus();
}

absl::Status RegistryClient::GetBlob(const std::string& repo,
                                     const std::string& digest, ByteSink& sink) {
  RETURN_IF_ERROR(endpoint_.Connect());
  const std::string what =
      absl::StrFormat("downloading blob %s from %s/%s", digest, host(), repo);
  int64_t written = 0;
  return endpoint_.Retry([&](Attempt& attempt) -> absl::Status {
    HttpRequest request;
    request.url =
        endpoint_.Url(absl::StrFormat("/v2/%s/blobs/%s", repo, digest));
    if (written > 0) {
      request.headers.emplace_back("Range", absl::StrCat("bytes=", written, "-"));
      endpoint_.Log(absl::StrFormat("resuming the download of %s at byte %d",
                                    digest, written));
    }
    // A 206 answer continues at `written`. A registry that ignores the range
    // answers 200 with the whole blob, which is caught below (and by the
    // caller's digest check).
    CountingSink counted(sink);
    request.response_sink = &counted;
    const int64_t before = written;
    absl::StatusOr<HttpResponse> response =
        endpoint_.Exchange(request, PullScope(repo), what);
    written += counted.written();
    // A transfer cut part-way is retried from the bytes written so far.
    if (!response.ok()) return response.status();
    if (response->status == 200 || response->status == 206) {
      if (response->status == 200 && before > 0) {
        // The registry ignored the range and sent the whole blob again,
        // after part of it was already written: cannot be undone.
        return absl::DataLossError(absl::StrFormat(
            "%s: the registry restarted the download instead of resuming it",
            what));
      }
      return absl::OkStatus();
    }
    if (response->status == 404) {
      return absl::NotFoundError(
          absl::StrFormat("%s: the registry has no such blob", what));
    }
    // The connection broke after the last byte: nothing is left to read
    // (the caller's digest check has the last word).
    if (response->status == 416 && before > 0) return absl::OkStatus();
    return ResponseError(what, *response, attempt);
  });
}

absl::StatusOr<bool> RegistryClient::MountBlob(const std::string& repo,
                                               const std::string& digest,
                                               const std::string& from_repo) {
  RETURN_IF_ERROR(endpoint_.Connect());
  const std::string what = absl::StrFormat(
      "mounting blob %s from %s into %s/%s", digest, from_repo, host(), repo);
  HttpRequest request;
  request.method = "POST";
  request.url =
      endpoint_.Url(absl::StrFormat("/v2/%s/blobs/uploads/?mount=%s&from=%s",
                                    repo, QueryEscape(digest), from_repo));
  request.headers.emplace_back("Content-Length", "0");
  absl::StatusOr<HttpResponse> sent = endpoint_.Send(
      request, absl::StrCat(PushScope(repo), " ", PullScope(from_repo)), what);
  if (!sent.ok()) {
    // No access to the other repository, or a token service that cannot
    // grant it: an ordinary upload still works.
    if (absl::IsCancelled(sent.status())) return sent.status();
    endpoint_.Log(
        absl::StrFormat("could not mount %s from %s (%s); uploading it", digest,
                        from_repo, sent.status().message()));
    return false;
  }
  HttpResponse& response = *sent;
  if (response.status == 201) return true;
  if (response.status == 202) {
    // The registry started an ordinary upload instead: cancel it.
    if (std::optional<std::string> location =
            FindHeader(response.headers, "Location")) {
      HttpRequest cancel;
      cancel.method = "DELETE";
      cancel.url = endpoint_.ResolveLocation(*location);
      (void)endpoint_.Send(cancel, PushScope(repo), what);
    }
  }
  endpoint_.Log(
      absl::StrFormat("%s refused mounting %s from %s (HTTP %d); uploading it",
                      host(), digest, from_repo, response.status));
  return false;
}

absl::StatusOr<std::pair<std::string, int64_t>> RegistryClient::StartUpload(
    const std::string& repo, std::string_view what, Attempt& attempt) {
  HttpRequest post;
  post.method = "POST";
  post.url = endpoint_.Url(absl::StrFormat("/v2/%s/blobs/uploads/", repo));
  post.headers.emplace_back("Content-Length", "0");
  ASSIGN_OR_RETURN(HttpResponse response,
                   endpoint_.Exchange(post, PushScope(repo), what));
  if (response.status != 202) return ResponseError(what, response, attempt);
  std::optional<std::string> location = FindHeader(response.headers, "Location");
  if (!location.has_value() || location->empty()) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s: the registry gave no upload location", what));
  }
  int64_t chunk = chunk_size_;
  if (std::optional<std::string> min =
          FindHeader(response.headers, "OCI-Chunk-Min-Length")) {
    int64_t value = 0;
    if (absl::SimpleAtoi(*min, &value)) chunk = std::max(chunk, value);
  }
  return std::make_pair(endpoint_.ResolveLocation(*location), chunk);
}

absl::StatusOr<bool> RegistryClient::FinishUpload(Upload& upload,
                                                  const std::string& body,
                                                  Attempt& attempt) {
  HttpRequest put;
  put.method = "PUT";
  put.url = WithQuery(upload.location,
                      absl::StrCat("digest=", QueryEscape(upload.digest)));
  put.headers.emplace_back("Content-Type", std::string(kOctetStream));
  if (body.empty()) put.headers.emplace_back("Content-Length", "0");
  put.body = body;
  ASSIGN_OR_RETURN(HttpResponse response,
                   endpoint_.Exchange(put, upload.scope, upload.what));
  if (response.status == 201) return true;
  if (response.status != 404)
    return ResponseError(upload.what, response, attempt);
  // A PUT repeated after its answer was lost finds the session closed
  // (404): the first one may have stored the blob.
  std::optional<int64_t> there;
  RETURN_IF_ERROR(
      StatBlobOnce(upload.repo, upload.digest, upload.what, attempt, there));
  return there.has_value();
}

absl::Status RegistryClient::PutBlob(const std::string& repo,
                                     const std::string& digest, int64_t size,
                                     ByteSource& data) {
  RETURN_IF_ERROR(endpoint_.Connect());
  Upload upload{
      repo, digest, size,
      absl::StrFormat("uploading blob %s to %s/%s", digest, host(), repo),
      PushScope(repo)};
  RETURN_IF_ERROR(endpoint_.Retry([&](Attempt& attempt) -> absl::Status {
    ASSIGN_OR_RETURN(auto session, StartUpload(repo, upload.what, attempt));
    std::tie(upload.location, upload.chunk) = std::move(session);
    return absl::OkStatus();
  }));
  if (size <= upload.chunk) return PutWhole(upload, data);
  return PutChunks(upload, data);
}

absl::Status RegistryClient::PutWhole(Upload& upload, ByteSource& data) {
  std::string body(static_cast<size_t>(upload.size), '\0');
  ASSIGN_OR_RETURN(size_t got, ReadFull(data, body.data(), body.size()));
  char extra;
  ASSIGN_OR_RETURN(size_t more, data.Read(&extra, 1));
  if (got != static_cast<size_t>(upload.size) || more != 0) {
    return absl::DataLossError(
        absl::StrFormat("%s: the blob is not the %d bytes its descriptor says",
                        upload.what, upload.size));
  }
  RETURN_IF_ERROR(endpoint_.Retry([&](Attempt& attempt) -> absl::Status {
    if (upload.location.empty()) {
      ASSIGN_OR_RETURN(auto session,
                       StartUpload(upload.repo, upload.what, attempt));
      upload.location = std::move(session.first);
    }
    ASSIGN_OR_RETURN(bool stored, FinishUpload(upload, body, attempt));
    if (stored) return absl::OkStatus();
    upload.location.clear();
    return absl::UnavailableError(absl::StrFormat(
        "%s: the registry dropped the upload session", upload.what));
  }));
  uploaded_ += upload.size;
  return absl::OkStatus();
}

absl::Status RegistryClient::PutChunks(Upload& upload, ByteSource& data) {
  // Each chunk stays in memory until the registry has acknowledged it, so a
  // failed PATCH resumes from the registry's Range without reading the
  // source again. Each chunk has its own attempts.
  std::string buffer;
  for (int64_t offset = 0; offset < upload.size;
       offset += static_cast<int64_t>(buffer.size())) {
    RETURN_IF_ERROR(CheckInterrupted());
    buffer.resize(
        static_cast<size_t>(std::min(upload.chunk, upload.size - offset)));
    ASSIGN_OR_RETURN(size_t got, ReadFull(data, buffer.data(), buffer.size()));
    if (got != buffer.size()) {
      return absl::DataLossError(absl::StrFormat(
          "%s: the blob ended after %d of the %d bytes its descriptor says",
          upload.what, offset + got, upload.size));
    }
    bool resync = false;  // ask the registry how much it has first
    RETURN_IF_ERROR(endpoint_.Retry([&](Attempt& attempt) {
      return SendChunk(upload, buffer, offset, resync, attempt);
    }));
  }
  // Close the session with the digest; the registry verifies it.
  return endpoint_.Retry([&](Attempt& attempt) -> absl::Status {
    ASSIGN_OR_RETURN(bool stored, FinishUpload(upload, std::string(), attempt));
    if (stored) return absl::OkStatus();
    return absl::DataLossError(
        absl::StrFormat("%s: the registry dropped the upload session before "
                        "the blob was stored",
                        upload.what));
  });
}

absl::StatusOr<int64_t> RegistryClient::UploadProgress(Upload& upload,
                                                       Attempt& attempt) {
  HttpRequest status;
  status.url = upload.location;
  ASSIGN_OR_RETURN(HttpResponse progress,
                   endpoint_.Exchange(status, upload.scope, upload.what));
  if (progress.status != 204 && progress.status != 202) {
    return ResponseError(
        absl::StrFormat("%s: asking for the upload's progress", upload.what),
        progress, attempt);
  }
  int64_t have = 0;
  if (std::optional<std::string> range =
          FindHeader(progress.headers, "Range")) {
    std::optional<int64_t> end = ParseRangeEnd(*range);
    if (!end.has_value()) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s: the registry answered an unreadable Range \"%s\"", upload.what,
          EscapeForDisplay(*range)));
    }
    // "0-0" is what distribution answers for an empty upload as well as
    // for one byte; the chunks sent are far longer than one byte.
    have = *end == 0 ? 0 : *end + 1;
  }
  if (std::optional<std::string> next =
          FindHeader(progress.headers, "Location")) {
    upload.location = endpoint_.ResolveLocation(*next);
  }
  return have;
}

absl::Status RegistryClient::SendChunk(Upload& upload, std::string_view chunk,
                                       int64_t chunk_start, bool& resync,
                                       Attempt& attempt) {
  const int64_t chunk_end = chunk_start + static_cast<int64_t>(chunk.size());
  int64_t offset = chunk_start;  // bytes the registry has
  if (resync) {
    ASSIGN_OR_RETURN(offset, UploadProgress(upload, attempt));
    if (offset < chunk_start || offset > chunk_end) {
      return absl::DataLossError(
          absl::StrFormat("%s: the registry holds %d bytes of the upload, "
                          "outside the chunk being "
                          "sent (%d-%d)",
                          upload.what, offset, chunk_start, chunk_end));
    }
    endpoint_.Log(absl::StrFormat("resuming the upload of %s at byte %d of %d",
                                  upload.digest, offset, upload.size));
    resync = false;
  }
  if (offset == chunk_end) return absl::OkStatus();
  const std::string_view part =
      chunk.substr(static_cast<size_t>(offset - chunk_start));
  StringSource part_source(part);
  HttpRequest patch;
  patch.method = "PATCH";
  patch.url = upload.location;
  patch.headers.emplace_back("Content-Type", std::string(kOctetStream));
  patch.headers.emplace_back(
      "Content-Range",
      absl::StrFormat("%d-%d", offset,
                      offset + static_cast<int64_t>(part.size()) - 1));
  patch.body_source = &part_source;
  patch.body_size = static_cast<int64_t>(part.size());
  absl::StatusOr<HttpResponse> response =
      endpoint_.Exchange(patch, upload.scope, upload.what);
  if (response.ok() && response->status == 202) {
    uploaded_ += static_cast<int64_t>(part.size());
    if (std::optional<std::string> next =
            FindHeader(response->headers, "Location")) {
      upload.location = endpoint_.ResolveLocation(*next);
    }
    return absl::OkStatus();
  }
  // Part of the chunk may have arrived: the next attempt asks first.
  resync = true;
  if (!response.ok()) return response.status();
  return ResponseError(upload.what, *response, attempt);
}

absl::StatusOr<FetchedManifest> RegistryClient::GetManifest(
    const std::string& repo, const std::string& reference,
    const std::vector<std::string>& accept) {
  RETURN_IF_ERROR(endpoint_.Connect());
  const std::string what =
      absl::StrFormat("reading manifest %s/%s:%s", host(), repo, reference);
  HttpRequest request;
  request.url =
      endpoint_.Url(absl::StrFormat("/v2/%s/manifests/%s", repo, reference));
  request.headers.emplace_back("Accept", absl::StrJoin(accept, ", "));
  request.max_body_size = kMaxManifestSize;
  ASSIGN_OR_RETURN(HttpResponse response,
                   endpoint_.Send(request, PullScope(repo), what));
  if (response.status == 404) {
    return absl::NotFoundError(absl::StrFormat(
        "%s: no such image in the registry", what));
  }
  if (response.status != 200) return HttpError(what, response);
  FetchedManifest out;
  out.bytes = std::move(response.body);
  std::string type = FindHeader(response.headers, "Content-Type").value_or("");
  out.media_type =
      std::string(absl::StripAsciiWhitespace(type.substr(0, type.find(';'))));
  out.digest = layers::Sha256Digest(out.bytes);
  if (absl::StartsWith(reference, "sha256:") && out.digest != reference) {
    return absl::DataLossError(absl::StrFormat(
        "%s: the registry sent a manifest whose digest is %s", what, out.digest));
  }
  return out;
}

absl::Status RegistryClient::PutManifest(const std::string& repo,
                                         const std::string& reference,
                                         const std::string& bytes,
                                         const std::string& media_type) {
  RETURN_IF_ERROR(endpoint_.Connect());
  const std::string what =
      absl::StrFormat("writing manifest %s/%s:%s", host(), repo, reference);
  HttpRequest request;
  request.method = "PUT";
  request.url =
      endpoint_.Url(absl::StrFormat("/v2/%s/manifests/%s", repo, reference));
  request.headers.emplace_back("Content-Type", media_type);
  request.body = bytes;
  ASSIGN_OR_RETURN(HttpResponse response,
                   endpoint_.Send(request, PushScope(repo), what));
  if (response.status != 201 && response.status != 200 && response.status != 202) {
    return HttpError(what, response);
  }
  return absl::OkStatus();
}

}  // namespace cook::registry
