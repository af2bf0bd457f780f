#ifndef COOK_REGISTRY_TOKEN_CLIENT_H_
#define COOK_REGISTRY_TOKEN_CLIENT_H_

// The client of a registry's token service (distribution's token spec), as
// named by a Bearer challenge.

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "registry/credentials.h"
#include "registry/http.h"

namespace cook::registry {

// Where a Bearer challenge sends for tokens.
struct TokenRealm {
  std::string realm;    // the token service's URL
  std::string service;  // "" when the challenge names none
};

struct Token {
  std::string token;
  // Shortly before it expires: `expires_in` (default 60 s) counted from
  // when it was requested, less min(10 s, half of it).
  absl::Time expiry;
  std::set<std::string> scopes;  // what it was requested for
};

// Fetches tokens with one set of credentials. Holds no state of its own, so
// it may be used from several threads at once.
class TokenClient {
 public:
  // `http` must outlive the client. `clock` is for tests.
  TokenClient(HttpClient& http, Credentials credentials,
              std::function<absl::Time()> clock);

  // A token for `scopes` from `realm`, for the registry `host` (as shown in
  // errors). Basic-authenticated with username/password (even when the
  // realm is another host: the registry named it), or an OAuth2
  // refresh-token POST with an identity token (never in a URL); `token` or
  // `access_token` in the JSON answer. Errors (never with credentials):
  // PermissionDenied for a 401/403 answer; Unavailable for 408/429/5xx;
  // Internal for any other answer, or one without a token; the HttpClient's
  // error annotated.
  absl::StatusOr<Token> Fetch(const TokenRealm& realm,
                              const std::vector<std::string>& scopes,
                              const std::string& host) const;

 private:
  HttpRequest Request(const TokenRealm& realm,
                      const std::vector<std::string>& scopes) const;

  HttpClient& http_;
  const Credentials credentials_;
  const std::function<absl::Time()> clock_;
};

}  // namespace cook::registry

#endif  // COOK_REGISTRY_TOKEN_CLIENT_H_
