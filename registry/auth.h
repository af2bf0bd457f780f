#ifndef COOK_REGISTRY_AUTH_H_
#define COOK_REGISTRY_AUTH_H_

// The authorization of requests to a registry: answering its challenges
// with the credentials (registry/credentials.h), Basic or with tokens
// (registry/token_client.h).
//
// Credentials and tokens never appear in errors or logs.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "registry/credentials.h"
#include "registry/http.h"

namespace cook::registry {

// Authorizes requests to one registry. Thread-safe.
//
// Usage: send the request with the header Authorization(scope) (none when
// ""); on a 401, call HandleChallenge(response, scope, header_sent) and, when
// it returns true, send again with a fresh Authorization(scope). Callers
// bound the number of rounds (two are enough: the second 401 for the same
// credentials or token is answered with an error).
//
// Nothing is sent before the registry asks for it. After a Basic challenge
// every request carries the credentials. After a Bearer challenge the realm
// and service are remembered, so Authorization() fetches a token for a scope
// it has none for without waiting for another 401. Tokens are cached per
// scope string until shortly before they expire (`expires_in`, default 60 s,
// counted from when the token was requested).
class Authorizer {
 public:
  // `http` must outlive the authorizer. `clock` is for tests.
  Authorizer(HttpClient& http, Credentials credentials,
             std::function<absl::Time()> clock = absl::Now);

  // The Authorization header value for a request needing `scope` (for
  // example "repository:foo/bar:pull" or "repository:foo/bar:pull,push";
  // several scopes separated by spaces; "" for none, as for `GET /v2/`), or
  // "" when none is known yet. Fails only when a token must be fetched and
  // that fails (see HandleChallenge).
  absl::StatusOr<std::string> Authorization(const std::string& scope);

  // Learns from a response to a request for `scope` that carried the header
  // `sent_authorization` ("" when it carried none). False when `response` is
  // not a 401 (nothing to learn). True when the request should be sent again
  // with Authorization(scope): Basic with credentials that were not sent yet;
  // Bearer, after fetching a token for `scope` (plus any scope the challenge
  // names) from the realm (Basic-authenticated with username/password, or an
  // OAuth2 refresh-token POST with an identity token; `token` or
  // `access_token` in the JSON answer), or when another thread has already
  // fetched a newer one.
  //
  // Errors (HOST from response.url; never with credentials or tokens):
  //   Unauthenticated "HOST requires a user name and password: no credentials
  //     given: use --creds or --authfile" (Basic, no credentials), or an
  //     unsupported or missing challenge;
  //   PermissionDenied "authentication failed for HOST: wrong username or
  //     password" (Basic credentials sent and refused);
  //   PermissionDenied "authentication failed for HOST: the token service
  //     refused the credentials" (token service answered 401/403; with "no
  //     credentials given: ..." instead when anonymous);
  //   PermissionDenied "access to SCOPE on HOST denied ..." (the registry
  //     refused a token just issued for that scope: the repository does not
  //     exist or the credentials lack access);
  //   the HttpClient's error (Unavailable, DeadlineExceeded, ...) annotated,
  //     Unavailable for a token service answering 408/429/5xx, Internal for
  //     any other answer or one without a token, FailedPrecondition for a
  //     Bearer challenge without a realm.
  absl::StatusOr<bool> HandleChallenge(
      const HttpResponse& response, const std::string& scope,
      std::string_view sent_authorization = "");

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace cook::registry

#endif  // COOK_REGISTRY_AUTH_H_
