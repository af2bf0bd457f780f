#include "registry/token_client.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/http.h"
#include "tests/testing/status_matchers.h"

namespace cook::registry {
namespace {

using ::cook::testing::IsOk;
using ::cook::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Answers every request with one response; records the requests.
class OneAnswer : public HttpClient {
 public:
  OneAnswer(int status, std::string body) {
    answer_.status = status;
    answer_.body = std::move(body);
  }
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    requests.push_back(request);
    HttpResponse response = answer_;
    response.url = request.url;
    return response;
  }
  std::vector<HttpRequest> requests;

 private:
  HttpResponse answer_;
};

const absl::Time kStart = absl::FromUnixSeconds(1700000000);
const TokenRealm kRealm{"https://auth.example/token", "reg.example:5000"};

TEST(TokenClientTest, BasicGetWithServiceAndScopes) {
  OneAnswer http(200, R"({"token": "t1", "expires_in": 300})");
  TokenClient client(http, Credentials{"alice", "pw", ""},
                     [] { return kStart; });
  absl::StatusOr<Token> token = client.Fetch(
      kRealm, {"repository:a:pull", "repository:b:pull"}, "reg.example:5000");
  ASSERT_THAT(token, IsOk());
  EXPECT_EQ(token->token, "t1");
  EXPECT_EQ(token->expiry, kStart + absl::Seconds(290));
  EXPECT_THAT(token->scopes,
              ElementsAre("repository:a:pull", "repository:b:pull"));
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].method, "GET");
  EXPECT_EQ(http.requests[0].url,
            "https://auth.example/token?service=reg.example%3A5000"
            "&scope=repository%3Aa%3Apull&scope=repository%3Ab%3Apull");
  EXPECT_EQ(FindHeader(http.requests[0].headers, "Authorization"),
            std::optional<std::string>("Basic YWxpY2U6cHc="));
}

TEST(TokenClientTest, LifetimeDefaultsAndShortOnesKeepHalf) {
  OneAnswer http(200, R"({"access_token": "t2"})");
  TokenClient client(http, Credentials{}, [] { return kStart; });
  absl::StatusOr<Token> token = client.Fetch(kRealm, {}, "reg.example:5000");
  ASSERT_THAT(token, IsOk());
  EXPECT_EQ(token->expiry, kStart + absl::Seconds(50));
  EXPECT_EQ(FindHeader(http.requests[0].headers, "Authorization"),
            std::nullopt);

  OneAnswer brief(200, R"({"token": "t3", "expires_in": 4})");
  TokenClient short_lived(brief, Credentials{}, [] { return kStart; });
  token = short_lived.Fetch(kRealm, {}, "reg.example:5000");
  ASSERT_THAT(token, IsOk());
  EXPECT_EQ(token->expiry, kStart + absl::Seconds(2));
}

TEST(TokenClientTest, IdentityTokenIsPostedNeverInTheUrl) {
  OneAnswer http(200, R"({"token": "t4"})");
  TokenClient client(http, Credentials{"", "", "refresh/secret"},
                     [] { return kStart; });
  ASSERT_THAT(client.Fetch(kRealm, {"repository:a:pull"}, "reg.example:5000"),
              IsOk());
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].method, "POST");
  EXPECT_EQ(http.requests[0].url, "https://auth.example/token");
  EXPECT_EQ(
      http.requests[0].body,
      "grant_type=refresh_token&client_id=cook&refresh_token=refresh%2Fsecret"
      "&service=reg.example%3A5000&scope=repository%3Aa%3Apull");
}

TEST(TokenClientTest, ErrorsNameTheRealmHostWhenItDiffers) {
  OneAnswer http(503, "");
  TokenClient client(http, Credentials{"alice", "pw", ""},
                     [] { return kStart; });
  EXPECT_THAT(
      client.Fetch(kRealm, {}, "reg.example:5000"),
      StatusIs(absl::StatusCode::kUnavailable,
               AllOf(HasSubstr("requesting a token for reg.example:5000 "
                               "from auth.example"),
                     Not(HasSubstr("pw")))));
  OneAnswer refused(401, "");
  TokenClient anonymous(refused, Credentials{}, [] { return kStart; });
  EXPECT_THAT(anonymous.Fetch(kRealm, {}, "reg.example:5000"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr(std::string(kNoCredentials))));
}

}  // namespace
}  // namespace cook::registry
