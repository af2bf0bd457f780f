// RegistryClient paths a real registry does not take on demand, driven by a
// scripted HTTP client: a first connection that fails, a token service that
// stumbles, a mount the registry refuses, a PUT whose answer was lost.

#include "builder/registry/client.h"

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace cook::registry {
namespace {

using ::cook::testing::IsOk;
using ::cook::testing::IsOkAndHolds;
using ::testing::HasSubstr;

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
  EXPECT_THAT(log[0], HasSubstr("retrying the connection to registry.test"));
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

}  // namespace
}  // namespace cook::registry
