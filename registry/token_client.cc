#include "registry/token_client.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/json_depth.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"

namespace cook::registry {
namespace {

using Json = nlohmann::json;

// A token service's answer is read into memory.
constexpr int64_t kMaxTokenResponseSize = int64_t{1} << 20;

// The token in a 2xx answer (`token`, else `access_token`), expiring as the
// header says, or `no_token`.
absl::StatusOr<Token> ParseToken(const std::string& body, absl::Time start,
                                 const absl::Status& no_token) {
  if (!CheckJsonDepth(body).ok()) return no_token;
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return no_token;
  Token out;
  for (const char* field : {"token", "access_token"}) {
    auto it = doc.find(field);
    if (it != doc.end() && it->is_string() && !it->get<std::string>().empty()) {
      out.token = it->get<std::string>();
      break;
    }
  }
  if (out.token.empty()) return no_token;
  // The lifetime counts from `start`, which precedes the server's issuing:
  // `issued_at` is not used, so a skewed server clock does not matter.
  absl::Duration lifetime = absl::Seconds(60);
  if (auto it = doc.find("expires_in"); it != doc.end() && it->is_number()) {
    double seconds = it->get<double>();
    if (seconds > 0 && seconds < 1e9) lifetime = absl::Seconds(seconds);
  }
  out.expiry = start + lifetime - std::min(absl::Seconds(10), lifetime / 2);
  return out;
}

}  // namespace

TokenClient::TokenClient(HttpClient& http, Credentials credentials,
                         std::function<absl::Time()> clock)
    : http_(http),
      credentials_(std::move(credentials)),
      clock_(std::move(clock)) {}

HttpRequest TokenClient::Request(const TokenRealm& realm,
                                 const std::vector<std::string>& scopes) const {
  HttpRequest request;
  request.max_body_size = kMaxTokenResponseSize;
  request.url = realm.realm;
  if (!credentials_.identity_token.empty()) {
    // OAuth2 refresh-token grant (distribution's token spec): the token goes
    // in the body, never in a URL.
    request.method = "POST";
    request.headers.emplace_back("Content-Type",
                                 "application/x-www-form-urlencoded");
    request.body = "grant_type=refresh_token&client_id=cook&refresh_token=" +
                   QueryEscape(credentials_.identity_token);
    if (!realm.service.empty()) {
      request.body += "&service=" + QueryEscape(realm.service);
    }
    if (!scopes.empty()) {
      request.body += "&scope=" + QueryEscape(absl::StrJoin(scopes, " "));
    }
    return request;
  }
  std::vector<std::string> query;
  if (!realm.service.empty()) {
    query.push_back("service=" + QueryEscape(realm.service));
  }
  for (const std::string& scope : scopes) {
    query.push_back("scope=" + QueryEscape(scope));
  }
  if (!query.empty())
    request.url = WithQuery(realm.realm, absl::StrJoin(query, "&"));
  // The registry named the realm, so it gets the credentials even when it
  // is another host (auth.docker.io for registry-1.docker.io).
  if (!credentials_.username.empty() || !credentials_.password.empty()) {
    request.headers.emplace_back("Authorization",
                                 BasicAuthorization(credentials_));
  }
  return request;
}

absl::StatusOr<Token> TokenClient::Fetch(const TokenRealm& realm,
                                         const std::vector<std::string>& scopes,
                                         const std::string& host) const {
  const std::string realm_host = DisplayHost(realm.realm);
  const std::string context =
      realm_host == host ? absl::StrFormat("requesting a token for %s", host)
                         : absl::StrFormat("requesting a token for %s from %s",
                                           host, realm_host);
  const absl::Time start = clock_();
  absl::StatusOr<HttpResponse> response = http_.Send(Request(realm, scopes));
  if (!response.ok()) return Annotate(response.status(), context);
  const int status = response->status;
  if (status == 401 || status == 403) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "authentication failed for %s: %s", host,
        credentials_.empty()
            ? std::string("the token service refused anonymous access: ") +
                  std::string(kNoCredentials)
            : std::string("the token service refused the credentials")));
  }
  if (status == 408 || status == 429 || (status >= 500 && status <= 599)) {
    return absl::UnavailableError(absl::StrFormat(
        "%s: the token service answered HTTP %d", context, status));
  }
  if (status < 200 || status > 299) {
    return absl::InternalError(absl::StrFormat(
        "%s: the token service answered HTTP %d", context, status));
  }
  ASSIGN_OR_RETURN(
      Token token,
      ParseToken(
          response->body, start,
          absl::InternalError(absl::StrFormat(
              "%s: the token service answered without a token", context))));
  token.scopes.insert(scopes.begin(), scopes.end());
  return token;
}

}  // namespace cook::registry
