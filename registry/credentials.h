#ifndef COOK_REGISTRY_AUTH_H_
#define COOK_REGISTRY_AUTH_H_

// Registry credentials and the authorization of requests.
//
// Credentials come from --creds, else from the first auth file that is given
// or exists: --authfile (which must exist), else $REGISTRY_AUTH_FILE, else
// $DOCKER_CONFIG/config.json, else ~/.docker/config.json (defaults that do
// not exist are skipped; later files are not consulted once one exists). In
// such a file: `credHelpers[host]` (run `docker-credential-NAME get`),
// `auths[host]` (`auth` = base64 of "user:password", or
// `username`/`password`, and/or `identitytoken`; an entry with none of these
// is skipped), then `credsStore` (a helper for every host). `auths` and
// `credHelpers` keys may carry a scheme and a path ("https://host/v1/"): they
// are compared by their host part, case-insensitively. Docker Hub is looked
// up under "docker.io", "index.docker.io", "registry-1.docker.io" and
// "https://index.docker.io/v1/", and its helpers are asked for
// "https://index.docker.io/v1/", as `docker login` stores it.
//
// Credentials (passwords, identity tokens, bearer tokens) never appear in
// errors or logs.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "registry/http.h"

namespace cook::registry {

struct Credentials {
  std::string username;
  std::string password;
  // An OAuth2 refresh token (`identitytoken`, or a helper's Secret when its
  // Username is "<token>"), used with the token service.
  std::string identity_token;
  bool empty() const {
    return username.empty() && password.empty() && identity_token.empty();
  }
};

// Where credentials may come from, as given on the command line and in the
// environment (read once by main()).
struct AuthConfig {
  std::optional<std::string> creds;  // --creds USER[:PASSWORD]
  std::string authfile;              // --authfile, empty: the defaults
  std::string registry_auth_file;    // $REGISTRY_AUTH_FILE
  std::string docker_config;         // $DOCKER_CONFIG
  std::string home;                  // $HOME
};

// Runs `docker-credential-NAME get` with `server` on stdin and returns its
// stdout (JSON {"ServerURL", "Username", "Secret"}). Errors: NotFound when the
// helper has no credentials for `server` ("credentials not found"), which
// LookupCredentials treats as anonymous; FailedPrecondition when the helper
// is not on $PATH or fails; InvalidArgument for a helper name with a '/'.
// Replaceable in tests.
using CredentialHelperRunner = std::function<absl::StatusOr<std::string>(
    const std::string& helper, const std::string& server)>;
// Spawns the helper from $PATH (posix_spawnp, no shell), waits for it.
CredentialHelperRunner DefaultCredentialHelperRunner();

// The credentials for `host` ("HOST[:PORT]", as in the reference). Empty
// credentials (anonymous) when none are configured. Errors: InvalidArgument
// for an empty --creds user name or a malformed auth file (naming the file);
// NotFound for a missing --authfile; an unreadable auth file; a failing
// helper.
absl::StatusOr<Credentials> LookupCredentials(
    const AuthConfig& config, std::string_view host,
    const CredentialHelperRunner& run_helper = DefaultCredentialHelperRunner());

// One challenge from a WWW-Authenticate header.
struct Challenge {
  std::string scheme;                         // lower-case: "basic", "bearer"
  std::map<std::string, std::string> params;  // keys lower-case
};
// Parses a WWW-Authenticate header value (RFC 7235: several challenges may be
// comma-separated; parameter values are tokens or quoted strings with
// escapes). A token68 (`Negotiate abc==`) is skipped; so is garbage, as far
// as the next challenge. The first of repeated parameters counts.
std::vector<Challenge> ParseChallenges(std::string_view header);

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

// Base64 (standard alphabet, padded), through OpenSSL. Decode accepts
// missing padding and surrounding whitespace; InvalidArgument otherwise
// (the message never quotes the input).
std::string Base64Encode(std::string_view data);
absl::StatusOr<std::string> Base64Decode(std::string_view text);

}  // namespace cook::registry

#endif  // COOK_REGISTRY_AUTH_H_
