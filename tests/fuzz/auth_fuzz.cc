// The registry's WWW-Authenticate challenges and token-service responses:
// ParseChallenges, and an Authorizer driven through a 401 with the input's
// challenges and a token service answering with the input's body. The input
// is sections (SplitSections): every "@@ challenge" is one WWW-Authenticate
// header, "@@ token" is the token service's 200 body, and "@@ identity"
// (when present) switches the credentials to an identity token.
//
// Checks: the password and identity token never appear in a request URL or
// in an error message (unless the input itself holds them, e.g. in a realm).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "registry/auth.h"
#include "registry/challenge.h"
#include "registry/http.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

constexpr char kPassword[] = "fuzz-secret-PW";
constexpr char kIdentityToken[] = "fuzz-secret-IDTOKEN";
// False when the input holds a secret: it may then come back legitimately.
bool check_secrets = true;

class TokenService : public cook::registry::HttpClient {
 public:
  explicit TokenService(std::string body) : body_(std::move(body)) {}
  absl::StatusOr<cook::registry::HttpResponse> Send(
      const cook::registry::HttpRequest& request) override {
    cook::fuzz::Check(
        !check_secrets ||
            (request.url.find(kPassword) == std::string::npos &&
             request.url.find(kIdentityToken) == std::string::npos),
        "a credential in a request URL", request.url);
    cook::registry::HttpResponse response;
    response.status = 200;
    response.url = request.url;
    response.body = body_;
    return response;
  }

 private:
  std::string body_;
};

void CheckSecretFree(const absl::Status& status) {
  if (!check_secrets) return;
  const std::string message(status.message());
  const std::string basic =
      absl::Base64Escape(std::string("fuzzuser:") + kPassword);
  cook::fuzz::Check(message.find(kPassword) == std::string::npos &&
                        message.find(kIdentityToken) == std::string::npos &&
                        message.find(basic) == std::string::npos,
                    "a credential in an error message", message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cook;
  const std::string_view text = fuzz::AsText(data, size);
  check_secrets = text.find("fuzz-secret") == std::string_view::npos &&
                  text.find("ZnV6enVzZXI6") == std::string_view::npos;
  (void)registry::ParseChallenges(text);
  (void)registry::Base64Decode(text);

  registry::HttpResponse unauthorized;
  unauthorized.status = 401;
  unauthorized.url = "https://registry.example:5000/v2/a/b/manifests/latest";
  std::string token_body;
  registry::Credentials credentials{.username = "fuzzuser",
                                    .password = kPassword};
  for (const fuzz::FileSection& section : fuzz::SplitSections(text)) {
    if (section.path == "challenge") {
      unauthorized.headers.emplace_back("WWW-Authenticate", section.contents);
    } else if (section.path == "token") {
      token_body = section.contents;
    } else if (section.path == "identity") {
      credentials = {.identity_token = kIdentityToken};
    }
  }
  TokenService service(token_body);
  registry::Authorizer authorizer(service, credentials);
  const std::string scope = "repository:a/b:pull";
  absl::StatusOr<bool> retry = authorizer.HandleChallenge(unauthorized, scope);
  if (!retry.ok()) {
    CheckSecretFree(retry.status());
    return 0;
  }
  absl::StatusOr<std::string> header = authorizer.Authorization(scope);
  if (!header.ok()) {
    CheckSecretFree(header.status());
    return 0;
  }
  // The same challenge again for the header just sent: refused credentials.
  retry = authorizer.HandleChallenge(unauthorized, scope, *header);
  if (!retry.ok()) CheckSecretFree(retry.status());
  header = authorizer.Authorization("repository:c/d:pull,push");
  if (!header.ok()) CheckSecretFree(header.status());
  return 0;
}
