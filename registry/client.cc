#include "registry/client.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <tuple>
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
#include "base/json_depth.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "layers/digest.h"
#include "nlohmann/json.hpp"

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
  if (!CheckJsonDepth(body).ok()) return "";
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
  // The registry's words go into our one-line error.
  return EscapeForDisplay(absl::StrJoin(parts, "; "));
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

// The error for `response` to an attempt; a 408, 429 or 5xx answer is
// Unavailable (retried), with the wait the registry asked for recorded.
absl::Status ResponseError(std::string_view what, const HttpResponse& response,
                           Attempt& attempt) {
  if (IsRetryableHttpStatus(response.status)) {
    if (std::optional<std::string> value =
            FindHeader(response.headers, "Retry-After")) {
      attempt.retry_after = ParseRetryAfter(*value, absl::Now());
    }
  }
  return HttpError(what, response);
}

// OK for an answer the caller handles; an error for 408, 429 and 5xx.
absl::Status RetryableResponse(std::string_view what, const HttpResponse& response,
                               Attempt& attempt) {
  if (!IsRetryableHttpStatus(response.status)) return absl::OkStatus();
  return ResponseError(what, response, attempt);
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

RetryHooks RegistryClient::Hooks() const {
  RetryHooks hooks;
  State* state = state_.get();
  hooks.jitter = [state] { return state->Jitter(); };
  hooks.log = options_.log;
  return hooks;
}

absl::Status RegistryClient::EnsureEndpoint() {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->endpoint_checked) return state_->endpoint_error;
  const std::string host = EndpointHost(host_);
  std::vector<std::string> schemes = {"https"};
  if (!options_.tls_verify) schemes.push_back("http");
  const std::string pinging = absl::StrFormat("pinging registry %s", host_);
  const std::string connecting = absl::StrFormat("connecting to registry %s", host_);
  absl::Status last;
  for (const std::string& scheme : schemes) {
    HttpRequest ping;
    ping.url = absl::StrCat(scheme, "://", host, "/v2/");
    // Connection refused on https when the server speaks plain http (with
    // --tls-verify=false) is not worth retrying: http is tried next. Any
    // HTTP answer, a 503 included, means this scheme is the one.
    const bool may_fall_back = scheme != schemes.back();
    bool fell_back = false;
    absl::Status fall_back_cause;
    HttpResponse response;
    last = Retry(options_.retry, Hooks(), [&](Attempt& attempt) -> absl::Status {
      absl::StatusOr<HttpResponse> sent = http_.Send(ping);
      if (!sent.ok()) {
        if (may_fall_back && !absl::IsCancelled(sent.status())) {
          fell_back = true;
          fall_back_cause = Annotate(sent.status(), connecting);
          return absl::OkStatus();
        }
        return Annotate(sent.status(), connecting);
      }
      response = *std::move(sent);
      return RetryableResponse(pinging, response, attempt);
    });
    if (fell_back) {
      last = fall_back_cause;
      continue;
    }
    if (!last.ok()) break;
    // 200, or 401 asking for credentials: either way a registry answered.
    if (response.status == 200 || response.status == 401) {
      state_->endpoint = absl::StrCat(scheme, "://", host);
      state_->endpoint_checked = true;
      state_->endpoint_error = absl::OkStatus();
      return absl::OkStatus();
    }
    last = HttpError(pinging, response);
    if (response.status == 404) {
      last = absl::NotFoundError(absl::StrFormat(
          "pinging registry %s: /v2/ not found: not a registry speaking the "
          "distribution API",
          host_));
    }
    break;
  }
  // An interrupt is not the registry's answer: the next call pings again.
  if (!absl::IsCancelled(last)) {
    state_->endpoint_checked = true;
    state_->endpoint_error = last;
  }
  return last;
}

absl::StatusOr<HttpResponse> RegistryClient::Exchange(HttpRequest request,
                                                      const std::string& scope,
                                                      std::string_view what) {
  // A body read from a source cannot be sent twice within one exchange; the
  // attempt that made it makes a new one.
  const bool replayable = request.body_source == nullptr;
  const HttpHeaders base_headers = request.headers;
  for (int round = 0;; ++round) {
    RETURN_IF_ERROR(CheckInterrupted());
    request.headers = base_headers;
    absl::StatusOr<std::string> authorization = authorizer_->Authorization(scope);
    if (!authorization.ok()) return Annotate(authorization.status(), what);
    if (!authorization->empty()) {
      request.headers.emplace_back("Authorization", *authorization);
    }
    absl::StatusOr<HttpResponse> response = http_.Send(request);
    if (!response.ok()) return Annotate(response.status(), what);
    // Two rounds are enough: the second 401 for the same credentials or
    // token is answered with an error by HandleChallenge.
    if (response->status != 401 || round == 2) return response;
    absl::StatusOr<bool> again =
        authorizer_->HandleChallenge(*response, scope, *authorization);
    if (!again.ok()) return Annotate(again.status(), what);
    if (!*again) return response;
    if (!replayable) {
      return absl::UnavailableError(absl::StrFormat(
          "%s: the registry asked for new credentials after the body was sent",
          what));
    }
  }
}

absl::StatusOr<HttpResponse> RegistryClient::Send(HttpRequest request,
                                                  const std::string& scope,
                                                  std::string_view what) {
  RETURN_IF_ERROR(EnsureEndpoint());
  HttpResponse out;
  RETURN_IF_ERROR(Retry(options_.retry, Hooks(), [&](Attempt& attempt) -> absl::Status {
    ASSIGN_OR_RETURN(HttpResponse response, Exchange(request, scope, what));
    RETURN_IF_ERROR(RetryableResponse(what, response, attempt));
    out = std::move(response);
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<std::optional<int64_t>> RegistryClient::StatBlob(
    const std::string& repo, const std::string& digest) {
  const std::string what =
      absl::StrFormat("checking blob %s in %s/%s", digest, host_, repo);
  RETURN_IF_ERROR(EnsureEndpoint());
  std::optional<int64_t> out;
  RETURN_IF_ERROR(Retry(options_.retry, Hooks(), [&](Attempt& attempt) {
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
  request.url = Url(absl::StrFormat("/v2/%s/blobs/%s", repo, digest));
  // Asked by destinations before they upload: with push scope, since some
  // registries refuse a pull-only token for a repository that does not exist
  // yet.
  ASSIGN_OR_RETURN(HttpResponse response, Exchange(request, PushScope(repo), what));
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
  RETURN_IF_ERROR(EnsureEndpoint());
  const std::string what =
      absl::StrFormat("downloading blob %s from %s/%s", digest, host_, repo);
  int64_t written = 0;
  return Retry(options_.retry, Hooks(), [&](Attempt& attempt) -> absl::Status {
    HttpRequest request;
    request.url = Url(absl::StrFormat("/v2/%s/blobs/%s", repo, digest));
    if (written > 0) {
      request.headers.emplace_back("Range", absl::StrCat("bytes=", written, "-"));
      if (options_.log) {
        options_.log(absl::StrFormat("resuming the download of %s at byte %d",
                                     digest, written));
      }
    }
    // A 206 answer continues at `written`. A registry that ignores the range
    // answers 200 with the whole blob, which is caught below (and by the
    // caller's digest check).
    CountingSink counted(sink);
    request.response_sink = &counted;
    const int64_t before = written;
    absl::StatusOr<HttpResponse> response =
        Exchange(request, PullScope(repo), what);
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

absl::StatusOr<std::pair<std::string, int64_t>> RegistryClient::StartUpload(
    const std::string& repo, std::string_view what, Attempt& attempt) {
  HttpRequest post;
  post.method = "POST";
  post.url = Url(absl::StrFormat("/v2/%s/blobs/uploads/", repo));
  post.headers.emplace_back("Content-Length", "0");
  ASSIGN_OR_RETURN(HttpResponse response, Exchange(post, PushScope(repo), what));
  if (response.status != 202) return ResponseError(what, response, attempt);
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
}

absl::Status RegistryClient::PutBlob(const std::string& repo,
                                     const std::string& digest, int64_t size,
                                     ByteSource& data) {
  RETURN_IF_ERROR(EnsureEndpoint());
  const std::string what =
      absl::StrFormat("uploading blob %s to %s/%s", digest, host_, repo);
  const std::string scope = PushScope(repo);

  std::string location;  // the upload session; empty: start one
  int64_t chunk = 0;
  RETURN_IF_ERROR(Retry(options_.retry, Hooks(), [&](Attempt& attempt) -> absl::Status {
    ASSIGN_OR_RETURN(auto session, StartUpload(repo, what, attempt));
    std::tie(location, chunk) = std::move(session);
    return absl::OkStatus();
  }));

  // Closes the session at `location` with a PUT of `body` (the whole blob,
  // or nothing after PATCH chunks). False when the session is gone and the
  // blob is not there either.
  auto finish = [&](const std::string& body, Attempt& attempt) -> absl::StatusOr<bool> {
    HttpRequest put;
    put.method = "PUT";
    put.url = WithQuery(location, absl::StrCat("digest=", QueryEscapeDigest(digest)));
    put.headers.emplace_back("Content-Type", std::string(kOctetStream));
    if (body.empty()) put.headers.emplace_back("Content-Length", "0");
    put.body = body;
    ASSIGN_OR_RETURN(HttpResponse response, Exchange(put, scope, what));
    if (response.status == 201) return true;
    if (response.status != 404) return ResponseError(what, response, attempt);
    // A PUT repeated after its answer was lost finds the session closed
    // (404): the first one may have stored the blob.
    std::optional<int64_t> there;
    RETURN_IF_ERROR(StatBlobOnce(repo, digest, what, attempt, there));
    return there.has_value();
  };

  if (size <= chunk) {
    // Small: the whole blob in one PUT, repeated (the bytes are in memory)
    // in the same session, or in a new one when that session is gone.
    std::string body(static_cast<size_t>(size), '\0');
    ASSIGN_OR_RETURN(size_t got, ReadFull(data, body.data(), body.size()));
    char extra;
    ASSIGN_OR_RETURN(size_t more, data.Read(&extra, 1));
    if (got != static_cast<size_t>(size) || more != 0) {
      return absl::DataLossError(absl::StrFormat(
          "%s: the blob is not the %d bytes its descriptor says", what, size));
    }
    RETURN_IF_ERROR(Retry(options_.retry, Hooks(), [&](Attempt& attempt) -> absl::Status {
      if (location.empty()) {
        ASSIGN_OR_RETURN(auto session, StartUpload(repo, what, attempt));
        location = std::move(session.first);
      }
      ASSIGN_OR_RETURN(bool stored, finish(body, attempt));
      if (stored) return absl::OkStatus();
      location.clear();
      return absl::UnavailableError(
          absl::StrFormat("%s: the registry dropped the upload session", what));
    }));
    state_->uploaded += size;
    return absl::OkStatus();
  }

  // Large: PATCH chunks. Each chunk stays in memory until the registry has
  // acknowledged it, so a failed PATCH resumes from the registry's Range
  // without reading the source again. Each chunk has its own attempts.
  std::string buffer;
  int64_t buffer_start = 0;  // offset of buffer[0] in the blob
  int64_t offset = 0;        // bytes the registry has
  while (offset < size) {
    RETURN_IF_ERROR(CheckInterrupted());
    buffer_start = offset;
    buffer.resize(static_cast<size_t>(std::min(chunk, size - offset)));
    ASSIGN_OR_RETURN(size_t got, ReadFull(data, buffer.data(), buffer.size()));
    if (got != buffer.size()) {
      return absl::DataLossError(absl::StrFormat(
          "%s: the blob ended after %d of the %d bytes its descriptor says", what,
          offset + got, size));
    }
    const int64_t buffer_end = buffer_start + static_cast<int64_t>(buffer.size());
    bool resync = false;  // ask the registry how much it has first
    RETURN_IF_ERROR(Retry(options_.retry, Hooks(), [&](Attempt& attempt) -> absl::Status {
      if (resync) {
        HttpRequest status;
        status.url = location;
        ASSIGN_OR_RETURN(HttpResponse progress, Exchange(status, scope, what));
        if (progress.status != 204 && progress.status != 202) {
          return ResponseError(
              absl::StrFormat("%s: asking for the upload's progress", what), progress,
              attempt);
        }
        int64_t have = 0;
        if (std::optional<std::string> range = FindHeader(progress.headers, "Range")) {
          std::optional<int64_t> end = ParseRangeEnd(*range);
          if (!end.has_value()) {
            return absl::FailedPreconditionError(
                absl::StrFormat("%s: the registry answered an unreadable Range \"%s\"",
                                what, EscapeForDisplay(*range)));
          }
          // "0-0" is what distribution answers for an empty upload as well
          // as for one byte; the chunks sent are far longer than one byte.
          have = *end == 0 ? 0 : *end + 1;
        }
        if (std::optional<std::string> next = FindHeader(progress.headers, "Location")) {
          location = ResolveLocation(*next);
        }
        if (have < buffer_start || have > buffer_end) {
          return absl::DataLossError(absl::StrFormat(
              "%s: the registry holds %d bytes of the upload, outside the chunk being "
              "sent (%d-%d)",
              what, have, buffer_start, buffer_end));
        }
        if (options_.log) {
          options_.log(absl::StrFormat("resuming the upload of %s at byte %d of %d",
                                       digest, have, size));
        }
        offset = have;
        resync = false;
      }
      if (offset == buffer_end) return absl::OkStatus();
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
      absl::StatusOr<HttpResponse> response = Exchange(patch, scope, what);
      if (response.ok() && response->status == 202) {
        offset += static_cast<int64_t>(part.size());
        state_->uploaded += static_cast<int64_t>(part.size());
        if (std::optional<std::string> next = FindHeader(response->headers, "Location")) {
          location = ResolveLocation(*next);
        }
        return absl::OkStatus();
      }
      // Part of the chunk may have arrived: the next attempt asks first.
      resync = true;
      if (!response.ok()) return response.status();
      return ResponseError(what, *response, attempt);
    }));
  }
  // Close the session with the digest; the registry verifies it.
  return Retry(options_.retry, Hooks(), [&](Attempt& attempt) -> absl::Status {
    ASSIGN_OR_RETURN(bool stored, finish(std::string(), attempt));
    if (stored) return absl::OkStatus();
    return absl::DataLossError(absl::StrFormat(
        "%s: the registry dropped the upload session before the blob was stored",
        what));
  });
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
  request.max_body_size = kMaxManifestSize;
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
