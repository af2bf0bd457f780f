// RegistryClient paths a real registry does not take on demand, driven by a
// scripted HTTP client: a first connection that fails, a token service that
// stumbles, a mount the registry refuses, a PUT whose answer was lost.

#include "registry/client.h"

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace cook::registry {
namespace {

using ::cook::testing::IsOk;
using ::cook::testing::IsOkAndHolds;
using ::cook::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// Answers each request with the first matching scripted reply; records the
// requests.
class ScriptedHttp : public HttpClient {
 public:
  using Reply = std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)>;
  void On(std::string method, std::string url_part, Reply reply, int times = 1) {
    std::lock_guard<std::mutex> lock(mu_);
    rules_.push_back({std::move(method), std::move(url_part), std::move(reply), times});
  }
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.push_back(request.method + " " + request.url);
    for (Rule& r : rules_) {
      if (r.times != 0 && r.method == request.method &&
          absl::StrContains(request.url, r.url_part)) {
        if (r.times > 0) --r.times;
        return r.reply(request);
      }
    }
    return absl::InternalError("unscripted request " + request.method + " " + request.url);
  }
  std::vector<std::string> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  // How many requests had `method` and a URL containing `url_part`.
  int Count(const std::string& method, const std::string& url_part) {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const std::string& s : seen_) {
      if (absl::StartsWith(s, method + " ") && absl::StrContains(s, url_part)) ++n;
    }
    return n;
  }

 private:
  struct Rule {
    std::string method, url_part;
    Reply reply;
    int times;
  };
  std::mutex mu_;
  std::deque<Rule> rules_;
  std::vector<std::string> seen_;
};

ScriptedHttp::Reply Status(int status, HttpHeaders headers = {}) {
  return [status, headers](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    HttpResponse r;
    r.status = status;
    r.headers = headers;
    return r;
  };
}
ScriptedHttp::Reply Fail(absl::Status status) {
  return [status](const HttpRequest&) -> absl::StatusOr<HttpResponse> { return status; };
}

ClientOptions FastRetries(std::vector<std::string>* log) {
  ClientOptions options;
  options.retry.initial_backoff = absl::Milliseconds(1);
  options.retry.max_backoff = absl::Milliseconds(2);
  options.log = [log](const std::string& line) { log->push_back(line); };
  return options;
}

TEST(RegistryClientTest, RetriesAFirstConnectionThatFails) {
  ScriptedHttp http;
  http.On("GET", "/v2/", Fail(absl::UnavailableError("connection refused")), 2);
  http.On("GET", "/v2/", Status(200));
  http.On("HEAD", "/blobs/sha256:", Status(404));
  std::vector<std::string> log;
  RegistryClient client(http, "registry.test", FastRetries(&log));
  // Used to deadlock: the retry's jitter took the lock the ping held.
  EXPECT_THAT(client.StatBlob("app", "sha256:" + std::string(64, 'a')),
              IsOkAndHolds(std::optional<int64_t>()));
  EXPECT_EQ(log.size(), 2u);
  EXPECT_THAT(log[0], HasSubstr("connecting to registry registry.test"));
  EXPECT_THAT(log[0], HasSubstr("retrying in"));
}

TEST(RegistryClientTest, RefusedOrFailedMountFallsBackToUpload) {
  ScriptedHttp http;
  http.On("GET", "/v2/", Status(200));
  http.On("POST", "mount=", Status(403));
  http.On("POST", "mount=", Fail(absl::PermissionDeniedError("access denied")));
  std::vector<std::string> log;
  RegistryClient client(http, "registry.test", FastRetries(&log));
  const std::string digest = "sha256:" + std::string(64, 'b');
  EXPECT_THAT(client.MountBlob("app", digest, "other"), IsOkAndHolds(false));
  EXPECT_THAT(client.MountBlob("app", digest, "other"), IsOkAndHolds(false));
  ASSERT_EQ(log.size(), 2u);
  EXPECT_THAT(log[1], HasSubstr("could not mount"));
}

TEST(RegistryClientTest, APutWhoseAnswerWasLostStillSucceeds) {
  ScriptedHttp http;
  http.On("GET", "/v2/", Status(200));
  http.On("POST", "/blobs/uploads/", Status(202, {{"Location", "/v2/app/blobs/uploads/u1?_state=x"}}));
  // The PUT stored the blob, but its answer was lost; the repeat finds the
  // session closed.
  http.On("PUT", "/blobs/uploads/u1", Fail(absl::UnavailableError("connection reset")));
  http.On("PUT", "/blobs/uploads/u1", Status(404));
  http.On("HEAD", "/blobs/sha256:", Status(200, {{"Content-Length", "5"}}));
  std::vector<std::string> log;
  RegistryClient client(http, "registry.test", FastRetries(&log));
  StringSource data("hello");
  EXPECT_THAT(client.PutBlob("app", "sha256:" + std::string(64, 'c'), 5, data), IsOk());
}

TEST(RegistryClientTest, TooLongRetryAfterFailsInsteadOfSleeping) {
  ScriptedHttp http;
  http.On("GET", "/v2/", Status(200));
  http.On("GET", "/manifests/v1", Status(503, {{"Retry-After", "86400"}}));
  std::vector<std::string> log;
  RegistryClient client(http, "registry.test", FastRetries(&log));
  absl::StatusOr<FetchedManifest> manifest =
      client.GetManifest("app", "v1", {"application/vnd.oci.image.manifest.v1+json"});
  EXPECT_FALSE(manifest.ok());
  EXPECT_THAT(manifest.status().message(), HasSubstr("asked to wait"));
}

// Every request follows the one retry policy: a ping answered 503 (a proxy
// in front of the registry) is retried like any other request.
TEST(RegistryClientTest, PingAnswered503IsRetried) {
  ScriptedHttp http;
  http.On("GET", "/v2/", Status(503), 2);
  http.On("GET", "/v2/", Status(200));
  http.On("HEAD", "/blobs/sha256:", Status(404));
  std::vector<std::string> log;
  RegistryClient client(http, "registry.test", FastRetries(&log));
  EXPECT_THAT(client.StatBlob("app", "sha256:" + std::string(64, 'a')),
              IsOkAndHolds(std::optional<int64_t>()));
  EXPECT_EQ(http.Count("GET", "/v2/"), 3);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_THAT(log[0], HasSubstr("pinging registry registry.test: HTTP 503"));
}

TEST(RegistryClientTest, PingGivesUpAfterMaxAttempts) {
  ScriptedHttp http;
  http.On("GET", "/v2/", Status(503), -1);
  std::vector<std::string> log;
  RegistryClient client(http, "registry.test", FastRetries(&log));
  EXPECT_THAT(client.StatBlob("app", "sha256:" + std::string(64, 'a')),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("pinging registry registry.test: HTTP 503"),
                             HasSubstr("gave up after 6 attempts"))));
  EXPECT_EQ(http.Count("GET", "/v2/"), 6);
}

// A small blob's PUT used to be retried around a send that retried itself:
// 6 x 6 attempts. Now one loop: at most max_attempts PUTs.
TEST(RegistryClientTest, SmallUploadRetriesDoNotNest) {
  ScriptedHttp http;
  http.On("GET", "/v2/", Status(200));
  http.On("POST", "/blobs/uploads/",
          Status(202, {{"Location", "/v2/app/blobs/uploads/u1?_state=x"}}), -1);
  http.On("PUT", "/blobs/uploads/u1", Status(503), -1);
  std::vector<std::string> log;
  RegistryClient client(http, "registry.test", FastRetries(&log));
  StringSource data("hello");
  EXPECT_THAT(client.PutBlob("app", "sha256:" + std::string(64, 'c'), 5, data),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("gave up after 6 attempts")));
  EXPECT_EQ(http.Count("PUT", "/blobs/uploads/"), 6);
  EXPECT_EQ(http.Count("POST", "/blobs/uploads/"), 1);
}

// Transport failures and error answers count against the same attempts.
TEST(RegistryClientTest, MixedFailuresShareOneBudget) {
  ScriptedHttp http;
  http.On("GET", "/v2/", Status(200));
  for (int i = 0; i < 10; ++i) {
    http.On("GET", "/manifests/v1", Fail(absl::UnavailableError("connection reset")));
    http.On("GET", "/manifests/v1", Status(502));
  }
  std::vector<std::string> log;
  RegistryClient client(http, "registry.test", FastRetries(&log));
  EXPECT_THAT(
      client.GetManifest("app", "v1", {"application/vnd.oci.image.manifest.v1+json"}),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("gave up after 6 attempts")));
  EXPECT_EQ(http.Count("GET", "/manifests/v1"), 6);
}

// The token service follows the same policy: a 503 from it is retried, and
// never more often than max_attempts.
TEST(RegistryClientTest, TokenServiceFailuresAreRetried) {
  const HttpHeaders challenge = {
      {"WWW-Authenticate",
       R"(Bearer realm="https://auth.test/token",service="registry.test")"}};
  ScriptedHttp http;
  http.On("GET", "/v2/", Status(401, challenge));
  http.On("GET", "/manifests/v1", Status(401, challenge));
  http.On("GET", "auth.test/token", Status(503), 2);
  http.On("GET", "auth.test/token", [](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    HttpResponse r;
    r.status = 200;
    r.body = R"({"token": "t0k3n", "expires_in": 300})";
    return r;
  });
  http.On("GET", "/manifests/v1", [](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
    HttpResponse r;
    r.status = FindHeader(request.headers, "Authorization") == "Bearer t0k3n" ? 200 : 401;
    r.body = "{}";
    return r;
  });
  std::vector<std::string> log;
  RegistryClient client(http, "registry.test", FastRetries(&log));
  EXPECT_THAT(
      client.GetManifest("app", "v1", {"application/vnd.oci.image.manifest.v1+json"}),
      IsOk());
  EXPECT_EQ(http.Count("GET", "auth.test/token"), 3);
  EXPECT_THAT(absl::StrJoin(log, "\n"), Not(HasSubstr("t0k3n")));

  ScriptedHttp down;
  down.On("GET", "/v2/", Status(401, challenge));
  down.On("GET", "/manifests/v1", Status(401, challenge));
  down.On("GET", "auth.test/token", Status(503), -1);
  RegistryClient client2(down, "registry.test", FastRetries(&log));
  EXPECT_THAT(
      client2.GetManifest("app", "v1", {"application/vnd.oci.image.manifest.v1+json"}),
      StatusIs(absl::StatusCode::kUnavailable,
               AllOf(HasSubstr("token service answered HTTP 503"),
                     HasSubstr("gave up after 6 attempts"))));
  EXPECT_EQ(down.Count("GET", "auth.test/token"), 6);
}

// A download cut part-way resumes with a Range; failures of any kind share
// max_attempts.
TEST(RegistryClientTest, DownloadResumesAndIsBounded) {
  const std::string digest = "sha256:" + std::string(64, 'd');
  ScriptedHttp http;
  http.On("GET", "/v2/", Status(200));
  http.On("GET", "/blobs/" + digest, [](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
    EXPECT_EQ(FindHeader(request.headers, "Range"), std::nullopt);
    EXPECT_THAT(request.response_sink->Write("hel"), IsOk());
    return absl::UnavailableError("connection reset");
  });
  http.On("GET", "/blobs/" + digest, Status(503));
  http.On("GET", "/blobs/" + digest, [](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
    EXPECT_EQ(FindHeader(request.headers, "Range"), "bytes=3-");
    EXPECT_THAT(request.response_sink->Write("lo"), IsOk());
    HttpResponse r;
    r.status = 206;
    return r;
  });
  std::vector<std::string> log;
  RegistryClient client(http, "registry.test", FastRetries(&log));
  std::string out;
  StringSink sink(&out);
  EXPECT_THAT(client.GetBlob("app", digest, sink), IsOk());
  EXPECT_EQ(out, "hello");
  EXPECT_EQ(http.Count("GET", "/blobs/"), 3);

  ScriptedHttp flaky;
  flaky.On("GET", "/v2/", Status(200));
  for (int i = 0; i < 10; ++i) {
    flaky.On("GET", "/blobs/", Fail(absl::UnavailableError("connection reset")));
    flaky.On("GET", "/blobs/", Status(500));
  }
  RegistryClient client2(flaky, "registry.test", FastRetries(&log));
  EXPECT_THAT(client2.GetBlob("app", digest, sink),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("gave up after 6 attempts")));
  EXPECT_EQ(flaky.Count("GET", "/blobs/"), 6);
}

// A chunked upload whose PATCH keeps failing asks for the progress and
// tries again, within one budget per chunk.
TEST(RegistryClientTest, ChunkedUploadRetriesAreBounded) {
  ScriptedHttp http;
  http.On("GET", "/v2/", Status(200));
  http.On("POST", "/blobs/uploads/",
          Status(202, {{"Location", "/v2/app/blobs/uploads/u1"}}));
  http.On("PATCH", "/blobs/uploads/u1", Status(503), -1);
  http.On("GET", "/blobs/uploads/u1", Status(204, {{"Range", "0-0"}}), -1);
  std::vector<std::string> log;
  ClientOptions options = FastRetries(&log);
  options.chunk_size = 4;
  RegistryClient client(http, "registry.test", options);
  StringSource data("0123456789");
  EXPECT_THAT(client.PutBlob("app", "sha256:" + std::string(64, 'e'), 10, data),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("gave up after 6 attempts")));
  EXPECT_EQ(http.Count("PATCH", "/blobs/uploads/"), 6);
  EXPECT_EQ(http.Count("GET", "/blobs/uploads/"), 5);
}

// What a registry says in an error is printed escaped, on the one line.
TEST(RegistryClientTest, RegistryErrorTextIsEscaped) {
  ScriptedHttp http;
  http.On("GET", "/v2/", Status(200));
  http.On("GET", "/manifests/v1", [](const HttpRequest&) -> absl::StatusOr<HttpResponse> {
    HttpResponse r;
    r.status = 400;
    r.body = R"({"errors": [{"code": "BAD", "message": "no\ncook: error: forged\u001b[2J"}]})";
    return r;
  });
  std::vector<std::string> log;
  RegistryClient client(http, "registry.test", FastRetries(&log));
  absl::StatusOr<FetchedManifest> manifest =
      client.GetManifest("app", "v1", {"application/vnd.oci.image.manifest.v1+json"});
  ASSERT_FALSE(manifest.ok());
  const std::string message(manifest.status().message());
  EXPECT_THAT(message, HasSubstr("BAD: no\\ncook: error: forged\\x1b[2J"));
  EXPECT_EQ(message.find('\n'), std::string::npos);
  EXPECT_EQ(message.find('\x1b'), std::string::npos);
}

// Manifests are read with a cap: what a registry sends beyond it is not
// held (the HTTP client enforces it; see http_test).
TEST(RegistryClientTest, ManifestsAreReadWithACap) {
  ScriptedHttp http;
  http.On("GET", "/v2/", Status(200));
  int64_t cap = 0;
  http.On("GET", "/manifests/v1", [&cap](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
    cap = request.max_body_size;
    HttpResponse r;
    r.status = 200;
    r.body = "{}";
    return r;
  });
  std::vector<std::string> log;
  RegistryClient client(http, "registry.test", FastRetries(&log));
  EXPECT_THAT(
      client.GetManifest("app", "v1", {"application/vnd.oci.image.manifest.v1+json"}),
      IsOk());
  EXPECT_EQ(cap, int64_t{16} << 20);
}

}  // namespace
}  // namespace cook::registry
