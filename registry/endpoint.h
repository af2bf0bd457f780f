#ifndef COOK_REGISTRY_ENDPOINT_H_
#define COOK_REGISTRY_ENDPOINT_H_

// One registry host as the distribution API reaches it: the scheme learnt
// from a ping, URLs on it, and requests sent to it authorized (answering its
// 401 challenges) and retried. This is the one layer that retries: Retry()
// wraps every attempt, and nothing below it (exchanges, token requests, the
// HTTP client) tries anything twice.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "registry/auth.h"
#include "registry/http.h"
#include "registry/retry.h"

namespace cook::registry {

// Receives one line per notable event (a retry, a resumed upload, a refused
// mount). Never given credentials.
using LogFn = std::function<void(const std::string& line)>;

class Endpoint {
 public:
  // `host` as in the reference ("docker.io" is served by
  // registry-1.docker.io). `http` must outlive the endpoint. With
  // `tls_verify` false, plain http is tried after https.
  Endpoint(HttpClient& http, std::string host, Credentials credentials,
           bool tls_verify, RetryPolicy retry, LogFn log);
  ~Endpoint();

  const std::string& host() const { return host_; }

  // Pings the registry once per endpoint (retried), to learn its scheme.
  // Its error is kept and returned again, unless it was an interrupt.
  absl::Status Connect();

  // `path` on the endpoint, once Connect() succeeded.
  std::string Url(std::string_view path) const;
  // A Location header's URL: absolute as given, or a path on the endpoint.
  std::string ResolveLocation(const std::string& location) const;

  // One exchange: the request with its authorization, sent again after a
  // 401 challenge (at most twice, with new credentials or a token). Never
  // retries: the caller's attempt does. A request whose body_source the
  // challenge consumed fails Unavailable, for the attempt to be repeated.
  absl::StatusOr<HttpResponse> Exchange(HttpRequest request,
                                        const std::string& scope,
                                        std::string_view what);

  // Connect(), then Exchange in the retry loop, for a request without
  // body_source or response_sink: any answer but 408, 429 and 5xx is
  // returned.
  absl::StatusOr<HttpResponse> Send(HttpRequest request,
                                    const std::string& scope,
                                    std::string_view what);

  // registry::Retry with this endpoint's policy, jitter and log.
  absl::Status Retry(const std::function<absl::Status(Attempt&)>& attempt);

  // Passes `line` to the log, when there is one.
  void Log(const std::string& line) const;

 private:
  // Pings `scheme`://host/v2/ in the retry loop. When it cannot connect
  // and `may_fall_back`, returns the cause at once with `fell_back` set.
  absl::StatusOr<HttpResponse> Ping(const std::string& scheme,
                                    bool may_fall_back, bool& fell_back);

  HttpClient& http_;
  const std::string host_;
  const bool tls_verify_;
  const RetryPolicy retry_;
  const LogFn log_;
  Authorizer authorizer_;
  struct State;
  std::unique_ptr<State> state_;
};

// The error for a registry's answer `response` to `what`: by status
// (400 InvalidArgument, 401 Unauthenticated, 403 PermissionDenied, 404
// NotFound, 416 OutOfRange, 408/429/5xx Unavailable, others
// FailedPrecondition), with the registry's own explanation, escaped.
absl::Status HttpError(std::string_view what, const HttpResponse& response);

// HttpError, recording in `attempt` the wait a 408, 429 or 5xx answer asked
// for (Retry-After).
absl::Status ResponseError(std::string_view what, const HttpResponse& response,
                           Attempt& attempt);

}  // namespace cook::registry

#endif  // COOK_REGISTRY_ENDPOINT_H_
