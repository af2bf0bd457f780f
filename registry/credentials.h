#ifndef COOK_REGISTRY_CREDENTIALS_H_
#define COOK_REGISTRY_CREDENTIALS_H_

// Registry credentials: where they come from.
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
// "https://index.docker.io/v1/", as `docker login` stores it (see
// oci/registry_name.h).
//
// Credentials (passwords, identity tokens) never appear in errors or logs.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

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

// The hint of every error that more credentials would fix.
inline constexpr std::string_view kNoCredentials =
    "no credentials given: use --creds or --authfile";

// The Authorization header value "Basic BASE64(username:password)".
std::string BasicAuthorization(const Credentials& credentials);

// Where credentials may come from, as given on the command line and in the
// environment (read once by main()).
struct AuthConfig {
  std::optional<std::string> creds;  // --creds USER[:PASSWORD]
  std::string authfile;              // --authfile, empty: the defaults
  std::string registry_auth_file;    // $REGISTRY_AUTH_FILE
  std::string docker_config;         // $DOCKER_CONFIG
  std::string home;                  // $HOME
  // The environment credential helpers run with (every NAME=value); its
  // PATH is where they are looked for (glibc's default "/bin:/usr/bin"
  // without one).
  std::vector<std::string> environment;
};

// Runs `docker-credential-NAME get` with `server` on stdin and returns its
// stdout (JSON {"ServerURL", "Username", "Secret"}). Errors: NotFound when the
// helper has no credentials for `server` ("credentials not found"), which
// LookupCredentials treats as anonymous; FailedPrecondition when the helper
// is not on $PATH or fails; InvalidArgument for a helper name with a '/'.
// Replaceable in tests.
using CredentialHelperRunner = std::function<absl::StatusOr<std::string>(
    const std::string& helper, const std::string& server)>;
// Spawns the helper from the PATH in `environment` (no shell) with
// `environment`, and waits for it.
CredentialHelperRunner DefaultCredentialHelperRunner(
    std::vector<std::string> environment);

// The credentials for `host` ("HOST[:PORT]", as in the reference). Empty
// credentials (anonymous) when none are configured. Errors: InvalidArgument
// for an empty --creds user name or a malformed auth file (naming the file);
// NotFound for a missing --authfile; an unreadable auth file; a failing
// helper.
absl::StatusOr<Credentials> LookupCredentials(
    const AuthConfig& config, std::string_view host,
    const CredentialHelperRunner& run_helper);
// As above, with DefaultCredentialHelperRunner(config.environment).
absl::StatusOr<Credentials> LookupCredentials(const AuthConfig& config,
                                              std::string_view host);

// Decodes an auth file's `auth` (standard alphabet; padding may be missing,
// surrounding whitespace is ignored). InvalidArgument for anything else,
// inner whitespace included (the message never quotes the input).
absl::StatusOr<std::string> Base64Decode(std::string_view text);

}  // namespace cook::registry

#endif  // COOK_REGISTRY_CREDENTIALS_H_
