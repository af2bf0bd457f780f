#include "builder/registry/client.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "layers/digest.h"
#include "nlohmann/json.hpp"

namespace cook::registry {
namespace {

constexpr std::string_view kOctetStream = "application/octet-stream";

std::string PullScope(const std::string& repo) {
  return absl::StrCat("repository:", repo, ":pull");
}
std::string PushScope(const std::string& repo) {
  return absl::StrCat("repository:", repo, ":pull,push");
}

// Docker Hub's API lives on another host than its name.
std::string EndpointHost(const std::string& host) {
  if (host == "docker.io" || host == "index.docker.io") {
    return "registry-1.docker.io";
  }
  return host;
}

// The registry's own explanation from an error body
// ({"errors":[{"code":..,"message":..}]}), or "".
std::string RegistryErrorText(const std::string& body) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return "";
  auto errors = doc.find("errors");
  if (errors == doc.end() || !errors->is_array()) return "";
  std::vector<std::string> parts;
  for (const nlohmann::json& e : *errors) {
    if (!e.is_object()) continue;
    std::string code = e.value("code", std::string());
    std::string message = e.value("message", std::string());
    if (code.empty() && message.empty()) continue;
    parts.push_back(message.empty() ? code
                    : code.empty()  ? message
                                    : absl::StrCat(code, ": ", message));
  }
  return absl::StrJoin(parts, "; ");
}

absl::Status HttpError(std::string_view what, const HttpResponse& response) {
  std::string detail = RegistryErrorText(response.body);
  std::string message = absl::StrFormat("%s: HTTP %d%s%s", what, response.status,
                                        detail.empty() ? "" : ": ", detail);
  switch (response.status) {
    case 400:
      return absl::InvalidArgumentError(message);
    case 401:
      return absl::UnauthenticatedError(message);
    case 403:
      return absl::PermissionDeniedError(message);
    case 404:
      return absl::NotFoundError(message);
    case 416:
      return absl::OutOfRangeError(message);
    default:
      if (IsRetryableHttpStatus(response.status)) {
        return absl::UnavailableError(message);
      }
      return absl::FailedPreconditionError(message);
  }
}

// "sha256:abc" as a query value.
std::string QueryEscapeDigest(const std::string& digest) {
  return absl::StrReplaceAll(digest, {{":", "%3A"}});
}

std::string WithQuery(const std::string& url, std::string_view query) {
  return absl::StrCat(url, absl::StrContains(url, '?') ? "&" : "?", std::string(query));
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

struct RegistryClient::State {
  std::mutex mu;
  std::string endpoint;  // "https://host" once known
  absl::Status endpoint_error;
  bool endpoint_checked = false;
  std::mutex rng_mu;  // apart from `mu`, which EnsureEndpoint holds while it waits
  std::mt19937_64 rng{std::random_device{}()};
  std::atomic<int64_t> uploaded{0};

  double Jitter() {
    std::lock_guard<std::mutex> lock(rng_mu);
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  }
};

RegistryClient::RegistryClient(HttpClient& http, std::string host,
                               ClientOptions options)
    : http_(http),
      host_(std::move(host)),
      options_(std::move(options)),
      authorizer_(std::make_unique<Authorizer>(http, options_.credentials)),
      state_(std::make_unique<State>()) {}

RegistryClient::~RegistryClient() = default;

int64_t RegistryClient::uploaded_bytes() const { return state_->uploaded.load(); }

std::string RegistryClient::ResolveLocation(const std::string& location) const {
  if (absl::StartsWith(location, "http://") || absl::StartsWith(location, "https://")) {
    return location;
  }
  return Url(location);
}

std::string RegistryClient::Url(std::string_view path) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return absl::StrCat(state_->endpoint, std::string(path));
}

absl::Status RegistryClient::EnsureEndpoint() {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->endpoint_checked) return state_->endpoint_error;
  const std::string host = EndpointHost(host_);
  std::vector<std::string> schemes = {"https"};
  if (!options_.tls_verify) schemes.push_back("http");
  absl::Status last;
  for (const std::string& scheme : schemes) {
    HttpRequest ping;
    ping.url = absl::StrCat(scheme, "://", host, "/v2/");
    absl::StatusOr<HttpResponse> response;
    for (int attempt = 1;; ++attempt) {
      response = http_.Send(ping);
      if (response.ok() || !IsRetryableStatus(response.status()) ||
          attempt >= options_.retry.max_attempts ||
          absl::IsFailedPrecondition(response.status())) {
        break;
      }
      // Connection refused on plain http when the server speaks TLS (or the
      // reverse) is not worth retrying; other transient failures are.
      if (schemes.size() > 1 && scheme == "https") break;
      const absl::Duration wait =
          Backoff(options_.retry, attempt + 1, state_->Jitter(), std::nullopt);
      if (options_.log) {
        options_.log(absl::StrFormat("retrying the connection to %s in %s: %s",
                                     host_, absl::FormatDuration(wait),
                                     response.status().message()));
      }
      absl::SleepFor(wait);
      if (Interrupted()) return CheckInterrupted();
    }
    if (response.ok()) {
      // 200, or 401 asking for credentials: either way a registry answered.
      if (response->status == 200 || response->status == 401) {
        state_->endpoint = absl::StrCat(scheme, "://", host);
        state_->endpoint_checked = true;
        state_->endpoint_error = absl::OkStatus();
        return absl::OkStatus();
      }
      last = HttpError(absl::StrFormat("pinging registry %s", host_), *response);
      if (response->status == 404) {
        last = absl::NotFoundError(absl::StrFormat(
            "pinging registry %s: /v2/ not found: not a registry speaking the "
            "distribution API",
            host_));
      }
      break;
    }
    last = Annotate(response.status(),
                    absl::StrFormat("connecting to registry %s", host_));
  }
  state_->endpoint_checked = true;
  state_->endpoint_error = last;
  return last;
}

absl::StatusOr<HttpResponse> RegistryClient::Send(HttpRequest request,
                                                  const std::string& scope,
                                                  std::string_view what) {
  RETURN_IF_ERROR(EnsureEndpoint());
  // A consumed request body cannot be sent again, nor can a response body
  // already streamed into the caller's sink be taken back: such requests are
  // not repeated after a transport failure (the caller resumes them). Error
  // responses are never streamed, so a 401 or 5xx answer can be repeated
  // whenever the request body can.
  const bool replayable = request.body_source == nullptr;
  const bool transport_replayable = replayable && request.response_sink == nullptr;
  const HttpHeaders base_headers = request.headers;
  int auth_rounds = 0;
  for (int attempt = 1;;) {
    RETURN_IF_ERROR(CheckInterrupted());
    request.headers = base_headers;
    absl::StatusOr<std::string> authorization = authorizer_->Authorization(scope);
    absl::StatusOr<HttpResponse> response =
        authorization.ok() ? absl::StatusOr<HttpResponse>() : authorization.status();
    if (authorization.ok()) {
      if (!authorization->empty()) {
        request.headers.emplace_back("Authorization", *authorization);
      }
      response = http_.Send(request);
    } else if (!IsRetryableStatus(authorization.status())) {
      return Annotate(authorization.status(), std::string(what));
    }
    std::optional<absl::Duration> retry_after;
    std::string failure;
    if (!response.ok()) {
      // A token service that failed transiently did not see the request:
      // that may always be repeated.
      if (!IsRetryableStatus(response.status()) ||
          (authorization.ok() && !transport_replayable)) {
        return Annotate(response.status(), std::string(what));
      }
      failure = std::string(response.status().message());
    } else if (response->status == 401 && auth_rounds < 2) {
      ++auth_rounds;
      absl::StatusOr<bool> again =
          authorizer_->HandleChallenge(*response, scope, *authorization);
      if (again.ok()) {
        if (*again && replayable) continue;
        return response;
      }
      // The token service failed transiently: ask it again after a while.
      if (!IsRetryableStatus(again.status()) || !replayable) {
        return Annotate(again.status(), std::string(what));
      }
      --auth_rounds;
      failure = std::string(again.status().message());
    } else if (IsRetryableHttpStatus(response->status) && replayable) {
      if (std::optional<std::string> value =
              FindHeader(response->headers, "Retry-After")) {
        retry_after = ParseRetryAfter(*value, absl::Now());
        if (retry_after.has_value() &&
            *retry_after > options_.retry.max_retry_after) {
          return HttpError(absl::StrFormat("%s (asked to wait %s)", what,
                                           absl::FormatDuration(*retry_after)),
                           *response);
        }
      }
      failure = absl::StrCat("HTTP ", response->status);
    } else {
      return response;
    }
    if (attempt >= options_.retry.max_attempts) {
      if (!response.ok()) {
        return Annotate(response.status(),
                        absl::StrFormat("%s (after %d attempts)", what, attempt));
      }
      return HttpError(absl::StrFormat("%s (after %d attempts)", what, attempt),
                       *response);
    }
    ++attempt;
    const absl::Duration wait =
        Backoff(options_.retry, attempt, state_->Jitter(), retry_after);
    if (options_.log) {
      options_.log(absl::StrFormat("retrying %s in %s (attempt %d of %d): %s", what,
                                   absl::FormatDuration(wait), attempt,
                                   options_.retry.max_attempts, failure));
    }
    absl::SleepFor(wait);
  }
}

absl::StatusOr<std::optional<int64_t>> RegistryClient::StatBlob(
    const std::string& repo, const std::string& digest) {
  HttpRequest request;
  request.method = "HEAD";
  const std::string what =
      absl::StrFormat("checking blob %s in %s/%s", digest, host_, repo);
  RETURN_IF_ERROR(EnsureEndpoint());
  request.url = Url(absl::StrFormat("/v2/%s/blobs/%s", repo, digest));
  // Asked by destinations before they upload: with push scope, since some
  // registries refuse a pull-only token for a repository that does not exist
  // yet.
  ASSIGN_OR_RETURN(HttpResponse response, Send(request, PushScope(repo), what));
  if (response.status == 404) return std::optional<int64_t>();
  if (response.status != 200) return HttpError(what, response);
  int64_t size = -1;
  if (std::optional<std::string> length =
          FindHeader(response.headers, "Content-Length")) {
    if (!absl::SimpleAtoi(*length, &size)) size = -1;
  }
  return std::optional<int64_t>(size);
}

absl::Status RegistryClient::GetBlob(const std::string& repo,
                                     const std::string& digest, ByteSink& sink) {
  RETURN_IF_ERROR(EnsureEndpoint());
  const std::string what =
      absl::StrFormat("downloading blob %s from %s/%s", digest, host_, repo);
  int64_t written = 0;
  for (int attempt = 1;; ++attempt) {
    HttpRequest request;
    request.url = Url(absl::StrFormat("/v2/%s/blobs/%s", repo, digest));
    if (written > 0) {
      request.headers.emplace_back("Range", absl::StrCat("bytes=", written, "-"));
    }
    // A 206 answer continues at `written`. A registry that ignores the range
    // answers 200 with the whole blob, which is caught below (and by the
    // caller's digest check).
    CountingSink counted(sink);
    request.response_sink = &counted;
    const int64_t before = written;
    absl::StatusOr<HttpResponse> response = Send(request, PullScope(repo), what);
    written += counted.written();
    if (response.ok()) {
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
        return absl::NotFoundError(absl::StrFormat(
            "%s: the registry has no such blob", what));
      }
      // The connection broke after the last byte: nothing is left to read
      // (the caller's digest check has the last word).
      if (response->status == 416 && before > 0) return absl::OkStatus();
      return HttpError(what, *response);
    }
    if (!IsRetryableStatus(response.status()) ||
        attempt >= options_.retry.max_attempts) {
      return response.status();
    }
    const absl::Duration wait =
        Backoff(options_.retry, attempt + 1, state_->Jitter(), std::nullopt);
    if (options_.log) {
      options_.log(absl::StrFormat(
          "resuming the download of %s at byte %d in %s (attempt %d of %d): %s",
          digest, written, absl::FormatDuration(wait), attempt + 1,
          options_.retry.max_attempts, response.status().message()));
    }
    absl::SleepFor(wait);
    RETURN_IF_ERROR(CheckInterrupted());
  }
}

absl::StatusOr<bool> RegistryClient::MountBlob(const std::string& repo,
                                               const std::string& digest,
                                               const std::string& from_repo) {
  RETURN_IF_ERROR(EnsureEndpoint());
  const std::string what = absl::StrFormat("mounting blob %s from %s into %s/%s",
                                           digest, from_repo, host_, repo);
  HttpRequest request;
  request.method = "POST";
  request.url = Url(absl::StrFormat("/v2/%s/blobs/uploads/?mount=%s&from=%s", repo,
                                    QueryEscapeDigest(digest), from_repo));
  request.headers.emplace_back("Content-Length", "0");
  absl::StatusOr<HttpResponse> sent =
      Send(request, absl::StrCat(PushScope(repo), " ", PullScope(from_repo)), what);
  if (!sent.ok()) {
    // No access to the other repository, or a token service that cannot
    // grant it: an ordinary upload still works.
    if (absl::IsCancelled(sent.status())) return sent.status();
    if (options_.log) {
      options_.log(absl::StrFormat("could not mount %s from %s (%s); uploading it", digest,
                                   from_repo, sent.status().message()));
    }
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
      cancel.url = ResolveLocation(*location);
      (void)Send(cancel, PushScope(repo), what);
    }
  }
  if (options_.log) {
    options_.log(absl::StrFormat("%s refused mounting %s from %s (HTTP %d); uploading it",
                                 host_, digest, from_repo, response.status));
  }
  return false;
}

absl::Status RegistryClient::PutBlob(const std::string& repo,
                                     const std::string& digest, int64_t size,
                                     ByteSource& data) {
  RETURN_IF_ERROR(EnsureEndpoint());
  const std::string what =
      absl::StrFormat("uploading blob %s to %s/%s", digest, host_, repo);
  const std::string scope = PushScope(repo);

  // Starts an upload session; returns its absolute URL and the chunk size.
  auto start = [&]() -> absl::StatusOr<std::pair<std::string, int64_t>> {
    HttpRequest post;
    post.method = "POST";
    post.url = Url(absl::StrFormat("/v2/%s/blobs/uploads/", repo));
    post.headers.emplace_back("Content-Length", "0");
    ASSIGN_OR_RETURN(HttpResponse response, Send(post, scope, what));
    if (response.status != 202) return HttpError(what, response);
    std::optional<std::string> location = FindHeader(response.headers, "Location");
    if (!location.has_value() || location->empty()) {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s: the registry gave no upload location", what));
    }
    int64_t chunk = options_.chunk_size;
    if (std::optional<std::string> min =
            FindHeader(response.headers, "OCI-Chunk-Min-Length")) {
      int64_t value = 0;
      if (absl::SimpleAtoi(*min, &value)) chunk = std::max(chunk, value);
    }
    return std::make_pair(ResolveLocation(*location), chunk);
  };

  ASSIGN_OR_RETURN(auto session, start());
  std::string location = session.first;
  const int64_t chunk = session.second;

  if (size <= chunk) {
    // Small: the whole blob in one PUT, repeated from a new session on a
    // transient failure (the bytes are in memory).
    std::string body(static_cast<size_t>(size), '\0');
    ASSIGN_OR_RETURN(size_t got, ReadFull(data, body.data(), body.size()));
    char extra;
    ASSIGN_OR_RETURN(size_t more, data.Read(&extra, 1));
    if (got != static_cast<size_t>(size) || more != 0) {
      return absl::DataLossError(absl::StrFormat(
          "%s: the blob is not the %d bytes its descriptor says", what, size));
    }
    for (int attempt = 1;; ++attempt) {
      HttpRequest put;
      put.method = "PUT";
      put.url = WithQuery(location, absl::StrCat("digest=", QueryEscapeDigest(digest)));
      put.headers.emplace_back("Content-Type", std::string(kOctetStream));
      put.body = body;
      absl::StatusOr<HttpResponse> response = Send(put, scope, what);
      if (response.ok() && response->status == 201) {
        state_->uploaded += size;
        return absl::OkStatus();
      }
      absl::Status failure = response.ok()
                                 ? CompletedAnyway(repo, digest, what, *response)
                                 : response.status();
      if (failure.ok()) {
        state_->uploaded += size;
        return absl::OkStatus();
      }
      if (!IsRetryableStatus(failure) || attempt >= options_.retry.max_attempts) {
        return failure;
      }
      if (options_.log) {
        options_.log(absl::StrFormat("retrying the upload of %s: %s", digest,
                                     failure.message()));
      }
      absl::SleepFor(Backoff(options_.retry, attempt + 1, state_->Jitter(), std::nullopt));
      ASSIGN_OR_RETURN(session, start());
      location = session.first;
    }
  }

  // Large: PATCH chunks. Each chunk stays in memory until the registry has
  // acknowledged it, so a failed PATCH resumes from the registry's Range
  // without reading the source again.
  std::string buffer;
  int64_t buffer_start = 0;  // offset of buffer[0] in the blob
  int64_t offset = 0;        // bytes the registry has
  int failures = 0;
  while (offset < size || buffer_start + static_cast<int64_t>(buffer.size()) < size) {
    RETURN_IF_ERROR(CheckInterrupted());
    if (offset == buffer_start + static_cast<int64_t>(buffer.size())) {
      // Everything buffered is acknowledged: read the next chunk.
      buffer_start = offset;
      buffer.resize(static_cast<size_t>(std::min(chunk, size - offset)));
      ASSIGN_OR_RETURN(size_t got, ReadFull(data, buffer.data(), buffer.size()));
      if (got != buffer.size()) {
        return absl::DataLossError(absl::StrFormat(
            "%s: the blob ended after %d of the %d bytes its descriptor says", what,
            offset + got, size));
      }
    }
    const std::string_view part =
        std::string_view(buffer).substr(static_cast<size_t>(offset - buffer_start));
    StringSource part_source(part);
    HttpRequest patch;
    patch.method = "PATCH";
    patch.url = location;
    patch.headers.emplace_back("Content-Type", std::string(kOctetStream));
    patch.headers.emplace_back(
        "Content-Range",
        absl::StrFormat("%d-%d", offset, offset + static_cast<int64_t>(part.size()) - 1));
    patch.body_source = &part_source;
    patch.body_size = static_cast<int64_t>(part.size());
    absl::StatusOr<HttpResponse> response = Send(patch, scope, what);
    if (response.ok() && response->status == 202) {
      offset += static_cast<int64_t>(part.size());
      state_->uploaded += static_cast<int64_t>(part.size());
      if (std::optional<std::string> next = FindHeader(response->headers, "Location")) {
        location = ResolveLocation(*next);
      }
      continue;
    }
    absl::Status failure =
        response.ok() ? HttpError(what, *response) : response.status();
    if (!IsRetryableStatus(failure) || ++failures >= options_.retry.max_attempts) {
      return failure;
    }
    std::optional<absl::Duration> retry_after;
    if (response.ok()) {
      if (std::optional<std::string> value =
              FindHeader(response->headers, "Retry-After")) {
        retry_after = ParseRetryAfter(*value, absl::Now());
        if (retry_after.has_value() && *retry_after > options_.retry.max_retry_after) {
          return Annotate(failure, absl::StrFormat("asked to wait %s",
                                                   absl::FormatDuration(*retry_after)));
        }
      }
    }
    absl::SleepFor(Backoff(options_.retry, failures + 1, state_->Jitter(), retry_after));
    // Ask the registry how much it has, and go on from there.
    HttpRequest status;
    status.url = location;
    ASSIGN_OR_RETURN(HttpResponse progress, Send(status, scope, what));
    if (progress.status != 204 && progress.status != 202) {
      return Annotate(HttpError("asking for the upload's progress", progress), what);
    }
    int64_t have = 0;
    if (std::optional<std::string> range = FindHeader(progress.headers, "Range")) {
      std::optional<int64_t> end = ParseRangeEnd(*range);
      if (!end.has_value()) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "%s: the registry answered an unreadable Range \"%s\"", what, *range));
      }
      // "0-0" is what distribution answers for an empty upload as well as
      // for one byte; the chunks sent are far longer than one byte.
      have = *end == 0 ? 0 : *end + 1;
    }
    if (std::optional<std::string> next = FindHeader(progress.headers, "Location")) {
      location = ResolveLocation(*next);
    }
    if (have < buffer_start ||
        have > buffer_start + static_cast<int64_t>(buffer.size())) {
      return absl::DataLossError(absl::StrFormat(
          "%s: the registry holds %d bytes of the upload, outside the chunk being "
          "sent (%d-%d)",
          what, have, buffer_start, buffer_start + buffer.size()));
    }
    if (options_.log) {
      options_.log(absl::StrFormat(
          "resuming the upload of %s at byte %d of %d after: %s", digest, have, size,
          failure.message()));
    }
    offset = have;
  }
  // Close the session with the digest; the registry verifies it.
  HttpRequest put;
  put.method = "PUT";
  put.url = WithQuery(location, absl::StrCat("digest=", QueryEscapeDigest(digest)));
  put.headers.emplace_back("Content-Type", std::string(kOctetStream));
  put.headers.emplace_back("Content-Length", "0");
  ASSIGN_OR_RETURN(HttpResponse response, Send(put, scope, what));
  if (response.status == 201) return absl::OkStatus();
  RETURN_IF_ERROR(CompletedAnyway(repo, digest, what, response));
  return absl::OkStatus();
}

absl::Status RegistryClient::CompletedAnyway(const std::string& repo,
                                             const std::string& digest,
                                             std::string_view what,
                                             const HttpResponse& response) {
  // A PUT repeated after its answer was lost finds the upload session
  // closed (404): the first one may have stored the blob.
  if (response.status == 404) {
    absl::StatusOr<std::optional<int64_t>> size = StatBlob(repo, digest);
    if (size.ok() && size->has_value()) return absl::OkStatus();
  }
  return HttpError(what, response);
}

absl::StatusOr<FetchedManifest> RegistryClient::GetManifest(
    const std::string& repo, const std::string& reference,
    const std::vector<std::string>& accept) {
  RETURN_IF_ERROR(EnsureEndpoint());
  const std::string what =
      absl::StrFormat("reading manifest %s/%s:%s", host_, repo, reference);
  HttpRequest request;
  request.url = Url(absl::StrFormat("/v2/%s/manifests/%s", repo, reference));
  request.headers.emplace_back("Accept", absl::StrJoin(accept, ", "));
  ASSIGN_OR_RETURN(HttpResponse response, Send(request, PullScope(repo), what));
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
  RETURN_IF_ERROR(EnsureEndpoint());
  const std::string what =
      absl::StrFormat("writing manifest %s/%s:%s", host_, repo, reference);
  HttpRequest request;
  request.method = "PUT";
  request.url = Url(absl::StrFormat("/v2/%s/manifests/%s", repo, reference));
  request.headers.emplace_back("Content-Type", media_type);
  request.body = bytes;
  ASSIGN_OR_RETURN(HttpResponse response, Send(request, PushScope(repo), what));
  if (response.status != 201 && response.status != 200 && response.status != 202) {
    return HttpError(what, response);
  }
  return absl::OkStatus();
}

}  // namespace cook::registry
