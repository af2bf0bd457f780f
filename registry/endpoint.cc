#include "registry/endpoint.h"

#include <mutex>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "base/interrupt.h"
#include "base/json_depth.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "nlohmann/json.hpp"
#include "oci/registry_name.h"

namespace cook::registry {
namespace {

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

// OK for an answer the caller handles; an error for 408, 429 and 5xx.
absl::Status RetryableResponse(std::string_view what,
                               const HttpResponse& response, Attempt& attempt) {
  if (!IsRetryableHttpStatus(response.status)) return absl::OkStatus();
  return ResponseError(what, response, attempt);
}

}  // namespace

absl::Status HttpError(std::string_view what, const HttpResponse& response) {
  std::string detail = RegistryErrorText(response.body);
  std::string message =
      absl::StrFormat("%s: HTTP %d%s%s", what, response.status,
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

struct Endpoint::State {
  std::mutex mu;
  std::string endpoint;  // "https://host" once known
  absl::Status endpoint_error;
  bool endpoint_checked = false;
  std::mutex rng_mu;  // apart from `mu`, which Connect holds while it waits
  std::mt19937_64 rng{std::random_device{}()};

  double Jitter() {
    std::lock_guard<std::mutex> lock(rng_mu);
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  }
};

Endpoint::Endpoint(HttpClient& http, std::string host, Credentials credentials,
                   bool tls_verify, RetryPolicy retry, LogFn log)
    : http_(http),
      host_(std::move(host)),
      tls_verify_(tls_verify),
      retry_(std::move(retry)),
      log_(std::move(log)),
      authorizer_(http, std::move(credentials)),
      state_(std::make_unique<State>()) {}

Endpoint::~Endpoint() = default;

void Endpoint::Log(const std::string& line) const {
  if (log_) log_(line);
}

std::string Endpoint::Url(std::string_view path) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return absl::StrCat(state_->endpoint, std::string(path));
}

std::string Endpoint::ResolveLocation(const std::string& location) const {
  if (absl::StartsWith(location, "http://") ||
      absl::StartsWith(location, "https://")) {
    return location;
  }
  return Url(location);
}

absl::Status Endpoint::Retry(
    const std::function<absl::Status(Attempt&)>& attempt) {
  RetryHooks hooks;
  State* state = state_.get();
  hooks.jitter = [state] { return state->Jitter(); };
  hooks.log = log_;
  return registry::Retry(retry_, hooks, attempt);
}

absl::StatusOr<HttpResponse> Endpoint::Ping(const std::string& scheme,
                                            bool may_fall_back,
                                            bool& fell_back) {
  HttpRequest ping;
  ping.url = absl::StrCat(scheme, "://", oci::EndpointHost(host_), "/v2/");
  const std::string pinging = absl::StrFormat("pinging registry %s", host_);
  const std::string connecting =
      absl::StrFormat("connecting to registry %s", host_);
  // Connection refused on https when the server speaks plain http (with
  // --tls-verify=false) is not worth retrying: http is tried next. Any
  // HTTP answer, a 503 included, means this scheme is the one.
  absl::Status fall_back_cause;
  HttpResponse response;
  absl::Status status = Retry([&](Attempt& attempt) -> absl::Status {
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
  if (fell_back) return fall_back_cause;
  RETURN_IF_ERROR(status);
  return response;
}

absl::Status Endpoint::Connect() {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->endpoint_checked) return state_->endpoint_error;
  std::vector<std::string> schemes = {"https"};
  if (!tls_verify_) schemes.push_back("http");
  absl::Status last;
  for (const std::string& scheme : schemes) {
    bool fell_back = false;
    absl::StatusOr<HttpResponse> response =
        Ping(scheme, scheme != schemes.back(), fell_back);
    last = response.status();
    if (fell_back) continue;
    if (!last.ok()) break;
    // 200, or 401 asking for credentials: either way a registry answered.
    if (response->status == 200 || response->status == 401) {
      state_->endpoint = absl::StrCat(scheme, "://", oci::EndpointHost(host_));
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
  // An interrupt is not the registry's answer: the next call pings again.
  if (!absl::IsCancelled(last)) {
    state_->endpoint_checked = true;
    state_->endpoint_error = last;
  }
  return last;
}

absl::StatusOr<HttpResponse> Endpoint::Exchange(HttpRequest request,
                                                const std::string& scope,
                                                std::string_view what) {
  // A body read from a source cannot be sent twice within one exchange; the
  // attempt that made it makes a new one.
  const bool replayable = request.body_source == nullptr;
  const HttpHeaders base_headers = request.headers;
  for (int round = 0;; ++round) {
    RETURN_IF_ERROR(CheckInterrupted());
    request.headers = base_headers;
    absl::StatusOr<std::string> authorization =
        authorizer_.Authorization(scope);
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
        authorizer_.HandleChallenge(*response, scope, *authorization);
    if (!again.ok()) return Annotate(again.status(), what);
    if (!*again) return response;
    if (!replayable) {
      return absl::UnavailableError(absl::StrFormat(
          "%s: the registry asked for new credentials after the body was sent",
          what));
    }
  }
}

absl::StatusOr<HttpResponse> Endpoint::Send(HttpRequest request,
                                            const std::string& scope,
                                            std::string_view what) {
  RETURN_IF_ERROR(Connect());
  HttpResponse out;
  RETURN_IF_ERROR(Retry([&](Attempt& attempt) -> absl::Status {
    ASSIGN_OR_RETURN(HttpResponse response, Exchange(request, scope, what));
    RETURN_IF_ERROR(RetryableResponse(what, response, attempt));
    out = std::move(response);
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace cook::registry
