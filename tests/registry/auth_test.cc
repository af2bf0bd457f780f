#include "registry/auth.h"

#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "registry/http.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace cook::registry {
namespace {

using ::cook::testing::IsOk;
using ::cook::testing::IsOkAndHolds;
using ::cook::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kSecret[] = "s3cr3t-Pa55";

// --- Authorizer ---

// Scripts the token service's answers and records the requests.
class FakeHttp : public HttpClient {
 public:
  void Respond(int status, std::string body) {
    absl::MutexLock lock(&mu_);
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    answers_.push_back(std::move(response));
  }
  void Fail(absl::Status status) {
    absl::MutexLock lock(&mu_);
    answers_.push_back(std::move(status));
  }
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    absl::MutexLock lock(&mu_);
    requests_.push_back(request);
    if (answers_.empty()) {
      ADD_FAILURE() << "unexpected request " << request.method << " "
                    << request.url;
      return absl::UnavailableError("no scripted answer");
    }
    absl::StatusOr<HttpResponse> answer = std::move(answers_.front());
    answers_.pop_front();
    if (answer.ok()) answer->url = request.url;
    return answer;
  }
  std::vector<HttpRequest> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  absl::Mutex mu_;
  std::deque<absl::StatusOr<HttpResponse>> answers_;
  std::vector<HttpRequest> requests_;
};

HttpResponse Unauthorized(std::string challenge) {
  HttpResponse response;
  response.status = 401;
  response.url = "https://reg.example:5000/v2/foo/bar/manifests/latest";
  response.headers = {{"Content-Type", "application/json"},
                      {"www-authenticate", std::move(challenge)}};
  return response;
}

constexpr char kBearer[] =
    R"(Bearer realm="https://auth.example/token",service="reg.example:5000")";
constexpr char kPull[] = "repository:foo/bar:pull";

class FakeClock {
 public:
  absl::Time Now() {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  std::function<absl::Time()> Fn() {
    return [this] { return Now(); };
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
};

Credentials UserPass() { return Credentials{"alice", kSecret, ""}; }

TEST(AuthorizerTest, NothingBeforeAChallenge) {
  FakeHttp http;
  Authorizer auth(http, UserPass());
  EXPECT_THAT(auth.Authorization(kPull), IsOkAndHolds(std::string()));
  HttpResponse ok;
  ok.status = 200;
  EXPECT_THAT(auth.HandleChallenge(ok, kPull), IsOkAndHolds(false));
  EXPECT_THAT(http.requests(), IsEmpty());
}

TEST(AuthorizerTest, BasicUsesCredentialsOnce) {
  FakeHttp http;
  Authorizer auth(http, UserPass());
  const std::string basic =
      "Basic " + absl::Base64Escape(absl::StrCat("alice:", kSecret));
  EXPECT_THAT(
      auth.HandleChallenge(Unauthorized(R"(Basic realm="Registry")"), kPull),
      IsOkAndHolds(true));
  EXPECT_THAT(auth.Authorization(kPull), IsOkAndHolds(basic));
  EXPECT_THAT(auth.Authorization("repository:other:push"), IsOkAndHolds(basic));
  // A concurrent request that went out without them is simply retried.
  EXPECT_THAT(auth.HandleChallenge(Unauthorized(R"(Basic realm="Registry")"),
                                   kPull, ""),
              IsOkAndHolds(true));
  EXPECT_THAT(
      auth.HandleChallenge(Unauthorized(R"(Basic realm="Registry")"), kPull,
                           basic),
      StatusIs(absl::StatusCode::kPermissionDenied,
               AllOf(HasSubstr("authentication failed for reg.example:5000"),
                     HasSubstr("wrong username or password"),
                     Not(HasSubstr(kSecret)), Not(HasSubstr("alice")),
                     Not(HasSubstr(basic.substr(6))))));
  EXPECT_THAT(http.requests(), IsEmpty());
}

TEST(AuthorizerTest, BasicWithoutCredentials) {
  FakeHttp http;
  Authorizer auth(http, Credentials{});
  EXPECT_THAT(
      auth.HandleChallenge(Unauthorized(R"(Basic realm="Registry")"), kPull),
      StatusIs(
          absl::StatusCode::kUnauthenticated,
          AllOf(HasSubstr("reg.example:5000"),
                HasSubstr("no credentials given: use --creds or --authfile"))));
}

TEST(AuthorizerTest, UnsupportedOrMissingChallenge) {
  FakeHttp http;
  Authorizer auth(http, UserPass());
  EXPECT_THAT(
      auth.HandleChallenge(Unauthorized("Negotiate abc=="), kPull),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("negotiate")));
  HttpResponse bare;
  bare.status = 401;
  EXPECT_THAT(auth.HandleChallenge(bare, kPull),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(
      auth.HandleChallenge(Unauthorized(R"(Bearer service="x")"), kPull),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("realm")));
}

TEST(AuthorizerTest, BearerFetchesTokenWithBasicCredentials) {
  FakeHttp http;
  FakeClock clock;
  Authorizer auth(http, UserPass(), clock.Fn());
  http.Respond(200, R"({"token": "tok-1", "expires_in": 300,
                        "issued_at": "2023-11-14T22:13:20Z"})");
  EXPECT_THAT(auth.HandleChallenge(Unauthorized(kBearer), kPull),
              IsOkAndHolds(true));
  EXPECT_THAT(auth.Authorization(kPull),
              IsOkAndHolds(std::string("Bearer tok-1")));
  EXPECT_THAT(auth.Authorization(kPull),
              IsOkAndHolds(std::string("Bearer tok-1")));

  std::vector<HttpRequest> requests = http.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].url,
            "https://auth.example/token?service=reg.example%3A5000"
            "&scope=repository%3Afoo%2Fbar%3Apull");
  EXPECT_THAT(FindHeader(requests[0].headers, "authorization"),
              Eq(std::optional<std::string>(
                  "Basic " + absl::Base64Escape(absl::StrCat("alice:", kSecret)))));
}

TEST(AuthorizerTest, AnonymousTokenAndAccessToken) {
  FakeHttp http;
  Authorizer auth(http, Credentials{});
  http.Respond(200, R"({"access_token": "acc-1"})");
  EXPECT_THAT(
      auth.HandleChallenge(
          Unauthorized(R"(Bearer realm="https://auth.example/token?x=1")"), ""),
      IsOkAndHolds(true));
  EXPECT_THAT(auth.Authorization(""),
              IsOkAndHolds(std::string("Bearer acc-1")));
  std::vector<HttpRequest> requests = http.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].url, "https://auth.example/token?x=1");
  EXPECT_EQ(FindHeader(requests[0].headers, "Authorization"), std::nullopt);
}

TEST(AuthorizerTest, ScopesBecomeSeparateParameters) {
  FakeHttp http;
  Authorizer auth(http, Credentials{});
  http.Respond(200, R"({"token": "t"})");
  const std::string scope = "repository:app:pull,push repository:base:pull";
  EXPECT_THAT(
      auth.HandleChallenge(
          Unauthorized(absl::StrCat(
              kBearer,
              R"(,scope="repository:base:pull repository:extra:pull")")),
          scope),
      IsOkAndHolds(true));
  std::vector<HttpRequest> requests = http.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].url,
            "https://auth.example/token?service=reg.example%3A5000"
            "&scope=repository%3Aapp%3Apull%2Cpush"
            "&scope=repository%3Abase%3Apull"
            "&scope=repository%3Aextra%3Apull");
}

TEST(AuthorizerTest, TokensAreCachedPerScopeUntilTheyExpire) {
  FakeHttp http;
  FakeClock clock;
  Authorizer auth(http, UserPass(), clock.Fn());
  http.Respond(200, R"({"token": "pull-1", "expires_in": 60})");
  ASSERT_THAT(auth.HandleChallenge(Unauthorized(kBearer), kPull),
              IsOkAndHolds(true));

  // Once the realm is known, a new scope fetches its token at once.
  http.Respond(200, R"({"token": "push-1"})");  // default lifetime: 60 s
  EXPECT_THAT(auth.Authorization("repository:foo/bar:pull,push"),
              IsOkAndHolds(std::string("Bearer push-1")));
  EXPECT_THAT(auth.Authorization(kPull),
              IsOkAndHolds(std::string("Bearer pull-1")));
  EXPECT_EQ(http.requests().size(), 2u);

  clock.Advance(absl::Seconds(45));
  EXPECT_THAT(auth.Authorization(kPull),
              IsOkAndHolds(std::string("Bearer pull-1")));
  EXPECT_EQ(http.requests().size(), 2u);

  // Refreshed shortly before the 60 s are up.
  clock.Advance(absl::Seconds(8));
  http.Respond(200, R"({"token": "pull-2", "expires_in": 3600})");
  EXPECT_THAT(auth.Authorization(kPull),
              IsOkAndHolds(std::string("Bearer pull-2")));
  EXPECT_EQ(http.requests().size(), 3u);
  clock.Advance(absl::Minutes(30));
  EXPECT_THAT(auth.Authorization(kPull),
              IsOkAndHolds(std::string("Bearer pull-2")));
  EXPECT_EQ(http.requests().size(), 3u);
  http.Respond(200, R"({"token": "push-2"})");
  EXPECT_THAT(auth.Authorization("repository:foo/bar:pull,push"),
              IsOkAndHolds(std::string("Bearer push-2")));
  EXPECT_EQ(http.requests().size(), 4u);
}

TEST(AuthorizerTest, RefusedFreshTokenIsFinal) {
  FakeHttp http;
  Authorizer auth(http, Credentials{});
  http.Respond(200, R"({"token": "t1", "expires_in": 300})");
  ASSERT_THAT(auth.HandleChallenge(Unauthorized(kBearer), kPull),
              IsOkAndHolds(true));
  // Another request, sent before the token arrived, just tries again.
  EXPECT_THAT(auth.HandleChallenge(Unauthorized(kBearer), kPull, ""),
              IsOkAndHolds(true));
  EXPECT_EQ(http.requests().size(), 1u);
  EXPECT_THAT(
      auth.HandleChallenge(
          Unauthorized(absl::StrCat(kBearer, R"(,error="insufficient_scope")")),
          kPull, "Bearer t1"),
      StatusIs(absl::StatusCode::kPermissionDenied,
               AllOf(HasSubstr(kPull), HasSubstr("reg.example:5000"),
                     HasSubstr("insufficient_scope"),
                     HasSubstr("no credentials given"), Not(HasSubstr("t1")))));
  // Unless the registry asks for more than the token was issued for.
  http.Respond(200, R"({"token": "t2", "expires_in": 300})");
  EXPECT_THAT(
      auth.HandleChallenge(
          Unauthorized(absl::StrCat(kBearer, R"(,scope="repository:x:pull")")),
          kPull, "Bearer t1"),
      IsOkAndHolds(true));
  EXPECT_THAT(auth.Authorization(kPull),
              IsOkAndHolds(std::string("Bearer t2")));
}

TEST(AuthorizerTest, IdentityTokenUsesRefreshGrant) {
  FakeHttp http;
  Authorizer auth(http, Credentials{"", "", kSecret});
  http.Respond(200, R"({"access_token": "acc", "expires_in": 120})");
  EXPECT_THAT(auth.HandleChallenge(Unauthorized(kBearer), kPull),
              IsOkAndHolds(true));
  EXPECT_THAT(auth.Authorization(kPull),
              IsOkAndHolds(std::string("Bearer acc")));
  std::vector<HttpRequest> requests = http.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].url, "https://auth.example/token");
  EXPECT_EQ(FindHeader(requests[0].headers, "content-type"),
            std::optional<std::string>("application/x-www-form-urlencoded"));
  EXPECT_EQ(FindHeader(requests[0].headers, "authorization"), std::nullopt);
  EXPECT_THAT(requests[0].body, HasSubstr("grant_type=refresh_token"));
  EXPECT_THAT(requests[0].body,
              HasSubstr(absl::StrCat("refresh_token=", kSecret)));
  EXPECT_THAT(requests[0].body, HasSubstr("service=reg.example%3A5000"));
  EXPECT_THAT(requests[0].body,
              HasSubstr("scope=repository%3Afoo%2Fbar%3Apull"));

  // Refused: the error names neither the token nor the request body.
  Authorizer refused(http, Credentials{"", "", kSecret});
  http.Respond(401, absl::StrCat(R"({"details": ")", kSecret, R"("})"));
  EXPECT_THAT(
      refused.HandleChallenge(Unauthorized(kBearer), kPull),
      StatusIs(absl::StatusCode::kPermissionDenied,
               AllOf(HasSubstr("the token service refused the credentials"),
                     Not(HasSubstr(kSecret)))));
}

TEST(AuthorizerTest, TokenServiceRefusals) {
  FakeHttp http;
  Authorizer with_creds(http, UserPass());
  http.Respond(401, absl::StrCat("bad password ", kSecret));
  EXPECT_THAT(
      with_creds.HandleChallenge(Unauthorized(kBearer), kPull),
      StatusIs(absl::StatusCode::kPermissionDenied,
               AllOf(HasSubstr("authentication failed for reg.example:5000"),
                     HasSubstr("the token service refused the credentials"),
                     Not(HasSubstr(kSecret)), Not(HasSubstr("alice")))));

  Authorizer anonymous(http, Credentials{});
  http.Respond(403, "");
  EXPECT_THAT(
      anonymous.HandleChallenge(Unauthorized(kBearer), kPull),
      StatusIs(
          absl::StatusCode::kPermissionDenied,
          AllOf(HasSubstr("authentication failed for reg.example:5000"),
                HasSubstr("no credentials given: use --creds or --authfile"))));
}

TEST(AuthorizerTest, TokenServiceFailures) {
  FakeHttp http;
  Authorizer auth(http, UserPass());
  http.Respond(503, "");
  EXPECT_THAT(auth.HandleChallenge(Unauthorized(kBearer), kPull),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("auth.example"), HasSubstr("503"))));
  http.Fail(absl::UnavailableError("connection reset"));
  EXPECT_THAT(
      auth.HandleChallenge(Unauthorized(kBearer), kPull),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("connection reset")));
  http.Respond(404, "");
  EXPECT_THAT(auth.HandleChallenge(Unauthorized(kBearer), kPull),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("404")));
  for (const char* body :
       {"not json", "[]", R"({"token": ""})", R"({"token": 5})"}) {
    http.Respond(200, body);
    EXPECT_THAT(
        auth.HandleChallenge(Unauthorized(kBearer), kPull),
        StatusIs(absl::StatusCode::kInternal, HasSubstr("without a token")))
        << body;
  }
  // A failed proactive fetch surfaces from Authorization().
  http.Respond(502, "");
  EXPECT_THAT(auth.Authorization(kPull),
              StatusIs(absl::StatusCode::kUnavailable));
  for (const HttpRequest& request : http.requests()) {
    EXPECT_THAT(request.url, Not(HasSubstr(kSecret)));
  }
}

// Token answers are read with a cap, and one nested too deeply is refused
// (nlohmann-json would overflow the stack on it).
TEST(AuthorizerTest, TokenResponsesAreBounded) {
  FakeHttp http;
  Authorizer auth(http, UserPass());
  http.Respond(200, absl::StrCat(R"({"token": "t", "x": )", std::string(200000, '['),
                                 std::string(200000, ']'), "}"));
  EXPECT_THAT(auth.HandleChallenge(Unauthorized(kBearer), kPull),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("without a token")));
  ASSERT_EQ(http.requests().size(), 1u);
  EXPECT_EQ(http.requests()[0].max_body_size, int64_t{1} << 20);
}

// What a registry puts in a challenge is printed escaped.
TEST(AuthorizerTest, ChallengeTextIsEscaped) {
  FakeHttp http;
  Authorizer auth(http, UserPass());
  http.Respond(200, R"({"token": "abc"})");
  ASSERT_THAT(auth.HandleChallenge(Unauthorized(kBearer), kPull), IsOk());
  absl::StatusOr<bool> again = auth.HandleChallenge(
      Unauthorized(absl::StrCat(kBearer, ",error=\"denied\ncook: error: forged\"")),
      kPull, "Bearer abc");
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(std::string(again.status().message()),
              AllOf(HasSubstr("denied\\ncook: error: forged"), Not(HasSubstr("\n"))));
}

TEST(AuthorizerTest, ConcurrentCallers) {
  FakeHttp http;
  Authorizer auth(http, UserPass());
  http.Respond(200, R"({"token": "t", "expires_in": 300})");
  ASSERT_THAT(auth.HandleChallenge(Unauthorized(kBearer), kPull),
              IsOkAndHolds(true));
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&auth] {
      for (int j = 0; j < 100; ++j) {
        EXPECT_THAT(auth.Authorization(kPull),
                    IsOkAndHolds(std::string("Bearer t")));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(http.requests().size(), 1u);
}

}  // namespace
}  // namespace cook::registry
