#include "registry/auth.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "registry/challenge.h"
#include "registry/token_client.h"

namespace cook::registry {
namespace {

std::vector<std::string> SplitScopes(std::string_view scopes) {
  std::vector<std::string> out;
  for (absl::string_view s :
       absl::StrSplit(absl::string_view(scopes.data(), scopes.size()), ' ',
                      absl::SkipEmpty())) {
    out.emplace_back(s);
  }
  return out;
}

// The first Bearer and the first Basic challenge of a 401, and the schemes
// of all of them.
struct Challenges {
  std::optional<Challenge> bearer;
  std::optional<Challenge> basic;
  std::vector<std::string> schemes;
};

Challenges ChallengesOf(const HttpResponse& response) {
  Challenges out;
  for (const auto& [name, value] : response.headers) {
    if (!absl::EqualsIgnoreCase(name, "WWW-Authenticate")) continue;
    for (Challenge& challenge : ParseChallenges(value)) {
      out.schemes.push_back(challenge.scheme);
      if (challenge.scheme == "bearer" && !out.bearer) {
        out.bearer = std::move(challenge);
      } else if (challenge.scheme == "basic" && !out.basic) {
        out.basic = std::move(challenge);
      }
    }
  }
  return out;
}

}  // namespace

struct Authorizer::State {
  State(HttpClient& http, Credentials credentials,
        std::function<absl::Time()> clock)
      : credentials(credentials),
        clock(clock),
        token_client(http, std::move(credentials), std::move(clock)) {}

  bool HasPassword() const {
    return !credentials.username.empty() || !credentials.password.empty();
  }

  // HandleChallenge for a Bearer challenge; for a Basic one.
  absl::StatusOr<bool> Bearer(Challenge& challenge, const std::string& scope,
                              std::string_view sent, const std::string& host);
  absl::StatusOr<bool> Basic(std::string_view sent, const std::string& host);

  const Credentials credentials;
  const std::function<absl::Time()> clock;
  const TokenClient token_client;

  absl::Mutex mu;
  bool basic ABSL_GUARDED_BY(mu) = false;
  std::optional<TokenRealm> bearer ABSL_GUARDED_BY(mu);
  std::string host ABSL_GUARDED_BY(mu) = "the registry";
  std::map<std::string, Token> tokens ABSL_GUARDED_BY(mu);
};

absl::StatusOr<bool> Authorizer::State::Bearer(Challenge& challenge,
                                               const std::string& scope,
                                               std::string_view sent,
                                               const std::string& host) {
  TokenRealm realm{challenge.params["realm"], challenge.params["service"]};
  if (realm.realm.empty()) {
    return absl::FailedPreconditionError(
        absl::StrFormat("authenticating to %s: the registry's bearer "
                        "challenge names no realm",
                        host));
  }
  std::vector<std::string> scopes = SplitScopes(scope);
  for (std::string& wanted : SplitScopes(challenge.params["scope"])) {
    if (std::find(scopes.begin(), scopes.end(), wanted) == scopes.end()) {
      scopes.push_back(std::move(wanted));
    }
  }
  {
    absl::MutexLock lock(&mu);
    basic = false;
    bearer = realm;
    this->host = host;
    auto it = tokens.find(scope);
    if (it != tokens.end() && clock() < it->second.expiry) {
      const Token& cached = it->second;
      if (sent != "Bearer " + cached.token) {
        return true;  // a newer token than the one refused
      }
      bool covered = std::all_of(
          scopes.begin(), scopes.end(),
          [&](const std::string& x) { return cached.scopes.count(x) > 0; });
      if (covered) {
        const std::string& error = challenge.params["error"];
        return absl::PermissionDeniedError(absl::StrFormat(
            "access to %s on %s denied%s: the repository does not exist, or "
            "%s",
            scope.empty() ? std::string("the registry") : scope, host,
            error.empty() ? std::string()
                          : " (" + EscapeForDisplay(error) + ")",
            credentials.empty() ? std::string(kNoCredentials)
                                : "the credentials lack access to it"));
      }
    }
  }
  ASSIGN_OR_RETURN(Token token, token_client.Fetch(realm, scopes, host));
  absl::MutexLock lock(&mu);
  tokens[scope] = std::move(token);
  return true;
}

absl::StatusOr<bool> Authorizer::State::Basic(std::string_view sent,
                                              const std::string& host) {
  if (!HasPassword()) {
    return absl::UnauthenticatedError(absl::StrFormat(
        "%s requires a user name and password: %s", host, kNoCredentials));
  }
  absl::MutexLock lock(&mu);
  basic = true;
  bearer.reset();
  this->host = host;
  if (sent == BasicAuthorization(credentials)) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "authentication failed for %s: wrong username or password", host));
  }
  return true;
}

Authorizer::Authorizer(HttpClient& http, Credentials credentials,
                       std::function<absl::Time()> clock)
    : state_(std::make_shared<State>(http, std::move(credentials),
                                     std::move(clock))) {}

absl::StatusOr<std::string> Authorizer::Authorization(
    const std::string& scope) {
  State& s = *state_;
  TokenRealm realm;
  std::string host;
  {
    absl::MutexLock lock(&s.mu);
    if (s.basic)
      return s.HasPassword() ? BasicAuthorization(s.credentials) : "";
    if (!s.bearer.has_value()) return std::string();
    auto it = s.tokens.find(scope);
    if (it != s.tokens.end() && s.clock() < it->second.expiry) {
      return "Bearer " + it->second.token;
    }
    realm = *s.bearer;
    host = s.host;
  }
  // Fetched without the lock: other scopes need not wait for the network.
  ASSIGN_OR_RETURN(Token token,
                   s.token_client.Fetch(realm, SplitScopes(scope), host));
  std::string header = "Bearer " + token.token;
  absl::MutexLock lock(&s.mu);
  s.tokens[scope] = std::move(token);
  return header;
}

absl::StatusOr<bool> Authorizer::HandleChallenge(
    const HttpResponse& response, const std::string& scope,
    std::string_view sent_authorization) {
  if (response.status != 401) return false;
  const std::string host = DisplayHost(response.url);
  Challenges challenges = ChallengesOf(response);
  if (challenges.bearer.has_value()) {
    return state_->Bearer(*challenges.bearer, scope, sent_authorization, host);
  }
  if (challenges.basic.has_value()) {
    return state_->Basic(sent_authorization, host);
  }
  if (challenges.schemes.empty()) {
    return absl::UnauthenticatedError(absl::StrFormat(
        "authenticating to %s: the registry answered 401 without a challenge",
        host));
  }
  return absl::UnauthenticatedError(absl::StrFormat(
      "authenticating to %s: unsupported authentication scheme %s", host,
      EscapeForDisplay(absl::StrJoin(challenges.schemes, ", "))));
}

}  // namespace cook::registry
