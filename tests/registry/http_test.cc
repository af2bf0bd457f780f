#include "registry/http.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/interrupt.h"
#include "base/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

extern char** environ;

namespace cook::registry {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::IsOk;
using ::cook::testing::StatusIs;
using ::cook::testing::TempDirTest;
using ::testing::AllOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;

fs::path ServerScript() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return fs::absolute(fs::path(srcdir ? srcdir : ".") /
                      (workspace ? workspace : "cook") /
                      "tests/registry/http_test_server.py");
}

// http_test_server.py in a child process, killed by the destructor. It also
// exits when its stdin (a pipe only we hold) closes, so it never outlives
// the test.
class TestServer {
 public:
  static std::unique_ptr<TestServer> Start(std::vector<std::string> args = {}) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe2 failed";
      return nullptr;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<std::string> argv = {"python3", ServerScript().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> c_argv;
    c_argv.reserve(argv.size() + 1);
    for (std::string& arg : argv) c_argv.push_back(arg.data());
    c_argv.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, "python3", &actions, nullptr,
                                c_argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    auto server =
        std::unique_ptr<TestServer>(new TestServer(pid, in[1], out[0]));
    if (rc != 0) {
      server->pid_ = -1;
      ADD_FAILURE() << "posix_spawnp python3: " << rc;
      return nullptr;
    }
    std::string line;
    char c;
    while (::read(server->stdout_, &c, 1) == 1 && c != '\n') line += c;
    if (line.empty() || !absl::SimpleAtoi(line, &server->port_)) {
      ADD_FAILURE() << "the test server printed no port: \"" << line << "\"";
      return nullptr;
    }
    return server;
  }

  ~TestServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
    ::close(stdin_);
    ::close(stdout_);
  }

  int port() const { return port_; }
  std::string Url(std::string_view path) const {
    return absl::StrCat("http://127.0.0.1:", port_, std::string(path));
  }
  std::string HttpsUrl(std::string_view path) const {
    return absl::StrCat("https://127.0.0.1:", port_, std::string(path));
  }

 private:
  TestServer(pid_t pid, int stdin_fd, int stdout_fd)
      : pid_(pid), stdin_(stdin_fd), stdout_(stdout_fd) {}
  pid_t pid_;
  int stdin_;
  int stdout_;
  int port_ = 0;
};

// A port on which nothing listens (bound, then closed).
int UnusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "binding a socket: " << std::strerror(errno);
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string Pattern(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i % 251);
  return out;
}

// What the server saw, from an /echo response.
struct Echo {
  std::string method;
  std::string path;
  HttpHeaders headers;
  std::string body;
  int client_port = 0;
};

Echo ParseEcho(const HttpResponse& response) {
  Echo echo;
  nlohmann::json json = nlohmann::json::parse(response.body, nullptr, false);
  if (json.is_discarded()) {
    ADD_FAILURE() << "not an echo: " << response.body;
    return echo;
  }
  echo.method = json["method"];
  echo.path = json["path"];
  for (const auto& header : json["headers"]) {
    echo.headers.emplace_back(header[0], header[1]);
  }
  echo.body = absl::HexStringToBytes(std::string(json["body_hex"]));
  echo.client_port = json["client_port"];
  return echo;
}

class FailingSink : public ByteSink {
 public:
  absl::Status Write(std::string_view) override {
    return absl::DataLossError("writing the blob: disk full");
  }
};

class FailingSource : public ByteSource {
 public:
  absl::StatusOr<size_t> Read(char*, size_t) override {
    return absl::DataLossError("reading the layer: i/o error");
  }
};

class HttpTest : public TempDirTest {
 protected:
  static void SetUpTestSuite() {
    a_ = TestServer::Start().release();
    b_ = TestServer::Start().release();
  }
  static void TearDownTestSuite() {
    delete a_;
    delete b_;
    a_ = b_ = nullptr;
  }

  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_NE(a_, nullptr);
    ASSERT_NE(b_, nullptr);
    absl::StatusOr<std::unique_ptr<HttpClient>> client =
        NewCurlHttpClient({.tls_verify = false});
    ASSERT_THAT(client, IsOk());
    client_ = std::move(*client);
  }

  absl::StatusOr<HttpResponse> Send(const HttpRequest& request) {
    return client_->Send(request);
  }

  static TestServer* a_;  // two servers: two hosts
  static TestServer* b_;
  std::unique_ptr<HttpClient> client_;
};

TestServer* HttpTest::a_ = nullptr;
TestServer* HttpTest::b_ = nullptr;

TEST(FindHeaderTest, IgnoresCaseAndReturnsTheFirstValue) {
  const HttpHeaders headers = {{"Content-Type", "a"}, {"content-type", "b"}};
  EXPECT_THAT(FindHeader(headers, "CONTENT-TYPE"), Optional(std::string("a")));
  EXPECT_EQ(FindHeader(headers, "Location"), std::nullopt);
}

TEST_F(HttpTest, GetReturnsStatusHeadersAndBody) {
  const std::string url = a_->Url("/echo?x=1");
  absl::StatusOr<HttpResponse> response =
      Send({.url = url, .headers = {{"X-Custom", "one"}, {"X-Empty", ""}}});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->url, url);
  EXPECT_THAT(FindHeader(response->headers, "content-type"),
              Optional(std::string("application/json")));
  const Echo echo = ParseEcho(*response);
  EXPECT_EQ(echo.method, "GET");
  EXPECT_EQ(echo.path, "/echo?x=1");
  EXPECT_THAT(FindHeader(echo.headers, "x-custom"),
              Optional(std::string("one")));
  EXPECT_THAT(FindHeader(echo.headers, "x-empty"), Optional(std::string("")));
  EXPECT_THAT(FindHeader(echo.headers, "user-agent"),
              Optional(std::string("cook")));
}

TEST_F(HttpTest, HeadReturnsHeadersWithoutBody) {
  absl::StatusOr<HttpResponse> response =
      Send({.method = "HEAD", .url = a_->Url("/bytes?n=1234")});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 200);
  EXPECT_THAT(FindHeader(response->headers, "Content-Length"),
              Optional(std::string("1234")));
  EXPECT_EQ(response->body, "");
}

TEST_F(HttpTest, ErrorStatusIsAResponse) {
  absl::StatusOr<HttpResponse> response =
      Send({.url = a_->Url("/status?code=404")});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body, "status 404");
}

TEST_F(HttpTest, PutSendsStringBodyWithLengthAndNoExpect) {
  absl::StatusOr<HttpResponse> response =
      Send({.method = "PUT", .url = a_->Url("/echo"), .body = "hello"});
  ASSERT_THAT(response, IsOk());
  const Echo echo = ParseEcho(*response);
  EXPECT_EQ(echo.method, "PUT");
  EXPECT_EQ(echo.body, "hello");
  EXPECT_THAT(FindHeader(echo.headers, "Content-Length"),
              Optional(std::string("5")));
  EXPECT_EQ(FindHeader(echo.headers, "Expect"), std::nullopt);
  EXPECT_EQ(FindHeader(echo.headers, "Transfer-Encoding"), std::nullopt);
}

TEST_F(HttpTest, PutWithEmptyBodySendsZeroLength) {
  absl::StatusOr<HttpResponse> response =
      Send({.method = "PUT", .url = a_->Url("/echo")});
  ASSERT_THAT(response, IsOk());
  const Echo echo = ParseEcho(*response);
  EXPECT_EQ(echo.method, "PUT");
  EXPECT_THAT(FindHeader(echo.headers, "Content-Length"),
              Optional(std::string("0")));
}

TEST_F(HttpTest, PatchStreamsBodyFromSource) {
  // Large enough for curl to add "Expect: 100-continue" by default.
  const std::string data = Pattern(3 << 20);
  StringSource source(data);
  absl::StatusOr<HttpResponse> response =
      Send({.method = "PATCH",
            .url = a_->Url("/echo"),
            .headers = {{"Content-Type", "application/octet-stream"}},
            .body_source = &source,
            .body_size = static_cast<int64_t>(data.size()),
            .max_body_size = 16 << 20});  // the echo holds the body in hex
  ASSERT_THAT(response, IsOk());
  const Echo echo = ParseEcho(*response);
  EXPECT_EQ(echo.method, "PATCH");
  EXPECT_TRUE(echo.body == data) << "body of " << echo.body.size() << " bytes";
  EXPECT_THAT(FindHeader(echo.headers, "Content-Length"),
              Optional(std::to_string(data.size())));
  EXPECT_EQ(FindHeader(echo.headers, "Expect"), std::nullopt);
}

TEST_F(HttpTest, PostSendsStringBodyWithoutFormContentType) {
  absl::StatusOr<HttpResponse> response =
      Send({.method = "POST", .url = a_->Url("/echo"), .body = "a=b"});
  ASSERT_THAT(response, IsOk());
  const Echo echo = ParseEcho(*response);
  EXPECT_EQ(echo.method, "POST");
  EXPECT_EQ(echo.body, "a=b");
  EXPECT_THAT(FindHeader(echo.headers, "Content-Length"),
              Optional(std::string("3")));
  EXPECT_EQ(FindHeader(echo.headers, "Content-Type"), std::nullopt);
  EXPECT_EQ(FindHeader(echo.headers, "Expect"), std::nullopt);
}

TEST_F(HttpTest, PostStreamsBodyFromSourceWithItsContentType) {
  const std::string data = Pattern(100000);
  StringSource source(data);
  absl::StatusOr<HttpResponse> response =
      Send({.method = "POST",
            .url = a_->Url("/echo"),
            .headers = {{"content-type", "application/json"}},
            .body_source = &source,
            .body_size = static_cast<int64_t>(data.size())});
  ASSERT_THAT(response, IsOk());
  const Echo echo = ParseEcho(*response);
  EXPECT_EQ(echo.method, "POST");
  EXPECT_TRUE(echo.body == data) << "body of " << echo.body.size() << " bytes";
  EXPECT_THAT(FindHeader(echo.headers, "Content-Type"),
              Optional(std::string("application/json")));
}

TEST_F(HttpTest, DeleteUsesTheMethod) {
  absl::StatusOr<HttpResponse> response =
      Send({.method = "DELETE", .url = a_->Url("/echo")});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(ParseEcho(*response).method, "DELETE");
}

TEST_F(HttpTest, SourceErrorAbortsTheUpload) {
  FailingSource source;
  EXPECT_THAT(
      Send({.method = "PUT",
            .url = a_->Url("/echo"),
            .body_source = &source,
            .body_size = 10}),
      StatusIs(absl::StatusCode::kDataLoss, "reading the layer: i/o error"));
}

TEST_F(HttpTest, ShortSourceFailsTheUpload) {
  StringSource source("abc");
  EXPECT_THAT(
      Send({.method = "PUT",
            .url = a_->Url("/echo"),
            .body_source = &source,
            .body_size = 10}),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("3 of 10")));
}

TEST_F(HttpTest, StreamsSuccessfulResponseToSink) {
  std::string out;
  StringSink sink(&out);
  absl::StatusOr<HttpResponse> response =
      Send({.url = a_->Url("/bytes?n=300000"), .response_sink = &sink});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");
  EXPECT_TRUE(out == Pattern(300000)) << out.size() << " bytes";
}

TEST_F(HttpTest, CollectsErrorResponseInsteadOfStreaming) {
  std::string out;
  StringSink sink(&out);
  absl::StatusOr<HttpResponse> response =
      Send({.url = a_->Url("/status?code=404"), .response_sink = &sink});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body, "status 404");
  EXPECT_EQ(out, "");
}

TEST_F(HttpTest, SinkErrorAbortsTheTransfer) {
  FailingSink sink;
  EXPECT_THAT(
      Send({.url = a_->Url("/bytes?n=100000"), .response_sink = &sink}),
      StatusIs(absl::StatusCode::kDataLoss, "writing the blob: disk full"));
  // The handle stays usable.
  EXPECT_THAT(Send({.url = a_->Url("/echo")}), IsOk());
}

// A server cannot make cook hold more than the caller allows: a 2xx body
// that never ends fails once past the limit.
TEST_F(HttpTest, EndlessBodyFailsPastTheLimit) {
  const absl::Time start = absl::Now();
  EXPECT_THAT(Send({.url = a_->Url("/endless"), .max_body_size = 1 << 20}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("GET http://127.0.0.1:"),
                             HasSubstr("larger than 1 MiB"))));
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
  EXPECT_THAT(Send({.url = a_->Url("/bytes?n=1048576"), .max_body_size = 1 << 20}),
              IsOk());
  EXPECT_THAT(Send({.url = a_->Url("/bytes?n=1048577"), .max_body_size = 1 << 20}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("larger than 1 MiB")));
  EXPECT_THAT(Send({.url = a_->Url("/echo")}), IsOk());
}

// An error's body that never ends is cut: the status is the answer.
TEST_F(HttpTest, EndlessErrorBodyIsCutAndTheResponseStands) {
  absl::StatusOr<HttpResponse> response =
      Send({.url = a_->Url("/endless?code=503")});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body.size(), static_cast<size_t>(kMaxErrorBodySize));
  std::string out;
  StringSink sink(&out);
  response = Send({.url = a_->Url("/endless?code=500"), .response_sink = &sink});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body.size(), static_cast<size_t>(kMaxErrorBodySize));
  EXPECT_EQ(out, "");
  EXPECT_THAT(Send({.url = a_->Url("/echo")}), IsOk());
}

TEST_F(HttpTest, EndlessHeadersFail) {
  EXPECT_THAT(Send({.url = a_->Url("/endless-headers")}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("headers are longer than 256 KiB")));
  EXPECT_THAT(Send({.url = a_->Url("/echo")}), IsOk());
}

TEST_F(HttpTest, FollowsRelativeRedirectsKeepingAuthorization) {
  std::string out;
  StringSink sink(&out);
  absl::StatusOr<HttpResponse> response =
      Send({.url = a_->Url("/chain?n=3"),
            .headers = {{"Authorization", "Bearer s3cret"}},
            .response_sink = &sink});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->url, a_->Url("/echo?from=chain"));
  HttpResponse streamed = {.body = out};
  const Echo echo = ParseEcho(streamed);
  EXPECT_EQ(echo.path, "/echo?from=chain");
  EXPECT_THAT(FindHeader(echo.headers, "Authorization"),
              Optional(std::string("Bearer s3cret")));
}

TEST_F(HttpTest, RelativeRedirectKeepsItsQueryString) {
  absl::StatusOr<HttpResponse> response =
      Send({.url = a_->Url("/redirect?to=echo%3Fa%3D1%26b%3D2&code=307")});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->url, a_->Url("/echo?a=1&b=2"));
  EXPECT_EQ(ParseEcho(*response).path, "/echo?a=1&b=2");
}

TEST_F(HttpTest, RedirectToAnotherHostDropsAuthorization) {
  const std::string target = b_->Url("/echo?sig=abc");
  for (int code : {301, 302, 303, 307, 308}) {
    absl::StatusOr<HttpResponse> response = Send(
        {.method = "GET",
         .url = a_->Url(absl::StrCat("/redirect?code=", code,
                                     "&to=", "http://127.0.0.1:", b_->port(),
                                     "/echo%3Fsig%3Dabc")),
         .headers = {{"authorization", "Bearer s3cret"}, {"X-Kept", "yes"}}});
    ASSERT_THAT(response, IsOk()) << code;
    EXPECT_EQ(response->status, 200) << code;
    EXPECT_EQ(response->url, target) << code;
    const Echo echo = ParseEcho(*response);
    EXPECT_EQ(FindHeader(echo.headers, "Authorization"), std::nullopt) << code;
    EXPECT_THAT(FindHeader(echo.headers, "X-Kept"),
                Optional(std::string("yes")));
  }
}

TEST_F(HttpTest, RedirectToAnotherHostNameDropsAuthorization) {
  absl::StatusOr<HttpResponse> response =
      Send({.url = a_->Url(absl::StrCat(
                "/redirect?to=http://localhost:", a_->port(), "/echo")),
            .headers = {{"Authorization", "Bearer s3cret"}}});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(FindHeader(ParseEcho(*response).headers, "Authorization"),
            std::nullopt);
}

TEST_F(HttpTest, HeadFollowsRedirects) {
  absl::StatusOr<HttpResponse> response = Send(
      {.method = "HEAD",
       .url = a_->Url(absl::StrCat("/redirect?to=http://127.0.0.1:", b_->port(),
                                   "/bytes%3Fn%3D7"))});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->url, b_->Url("/bytes?n=7"));
  EXPECT_THAT(FindHeader(response->headers, "Content-Length"),
              Optional(std::string("7")));
}

TEST_F(HttpTest, DoesNotFollowRedirectsWhenNotAsked) {
  absl::StatusOr<HttpResponse> response =
      Send({.url = a_->Url("/chain?n=1"), .follow_redirects = false});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 302);
  EXPECT_THAT(FindHeader(response->headers, "location"),
              Optional(std::string("chain?n=0&k=v")));
  EXPECT_EQ(response->url, a_->Url("/chain?n=1"));
}

TEST_F(HttpTest, DoesNotFollowRedirectsOfAPut) {
  absl::StatusOr<HttpResponse> response =
      Send({.method = "PUT", .url = a_->Url("/chain?n=1"), .body = "x"});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 302);
}

TEST_F(HttpTest, FollowsAtMostTenRedirects) {
  EXPECT_THAT(Send({.url = a_->Url("/chain?n=9")}), IsOk());  // 10 hops
  EXPECT_THAT(Send({.url = a_->Url("/chain?n=10")}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("more than 10 redirects")));
}

TEST_F(HttpTest, ConnectionRefusedIsUnavailableWithoutTheQuery) {
  const int port = UnusedPort();
  EXPECT_THAT(Send({.url = absl::StrCat("http://127.0.0.1:", port,
                                        "/v2/x?token=s3cret"),
                    .headers = {{"Authorization", "Bearer s3cret"}}}),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr(absl::StrCat(
                                 "GET http://127.0.0.1:", port, "/v2/x: ")),
                             Not(HasSubstr("s3cret")))));
}

TEST_F(HttpTest, UnresolvableHostIsUnavailable) {
  EXPECT_THAT(Send({.url = "http://no-such-host.invalid/v2/"}),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(HttpTest, CutResponseIsUnavailable) {
  EXPECT_THAT(Send({.url = a_->Url("/cut")}),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr(absl::StrCat("GET ", a_->Url("/cut"), ": "))));
}

TEST_F(HttpTest, StalledTransferIsDeadlineExceeded) {
  absl::StatusOr<std::unique_ptr<HttpClient>> client = NewCurlHttpClient(
      {.tls_verify = false, .stall_timeout = absl::Seconds(1)});
  ASSERT_THAT(client, IsOk());
  const absl::Time start = absl::Now();
  EXPECT_THAT((*client)->Send({.url = a_->Url("/stall")}),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(HttpTest, MalformedUrlIsInvalidArgument) {
  EXPECT_THAT(
      Send({.url = "not a url"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("malformed url")));
  EXPECT_THAT(Send({.url = "ftp://127.0.0.1/x"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(HttpTest, ReusesTheConnection) {
  absl::StatusOr<HttpResponse> first = Send({.url = a_->Url("/echo")});
  absl::StatusOr<HttpResponse> second =
      Send({.method = "PUT", .url = a_->Url("/echo"), .body = "x"});
  absl::StatusOr<HttpResponse> third = Send({.url = a_->Url("/echo")});
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  ASSERT_THAT(third, IsOk());
  EXPECT_EQ(ParseEcho(*first).client_port, ParseEcho(*second).client_port);
  EXPECT_EQ(ParseEcho(*first).client_port, ParseEcho(*third).client_port);
}

TEST_F(HttpTest, SendsFromManyThreadsAtOnce) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const TestServer* server = (t + i) % 2 == 0 ? a_ : b_;
        absl::StatusOr<HttpResponse> response =
            Send({.url = server->Url(absl::StrCat("/bytes?n=", 1000 * t + i))});
        if (response.ok() && response->body == Pattern(1000 * t + i)) ++ok;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 80);
}

TEST_F(HttpTest, RefusesPlainHttpWhenVerifying) {
  absl::StatusOr<std::unique_ptr<HttpClient>> client = NewCurlHttpClient({});
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT(
      (*client)->Send({.url = a_->Url("/echo")}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               absl::StrCat("refusing plain http for 127.0.0.1:", a_->port(),
                            ": use --tls-verify=false to allow it")));
}

TEST_F(HttpTest, UnparsableCertificateIsInvalidArgument) {
  cook::testing::WriteTestFile(root_ / "certs/ignored.key",
                               "not a certificate");
  cook::testing::WriteTestFile(root_ / "certs/bad.crt", "not a certificate");
  EXPECT_THAT(
      NewCurlHttpClient({.cert_dir = (root_ / "certs").string()}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad.crt")));
}

TEST_F(HttpTest, MissingCertDirIsInvalidArgument) {
  EXPECT_THAT(NewCurlHttpClient({.cert_dir = (root_ / "none").string()}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("none")));
}

// In a child process: the interrupt flag cannot be cleared.
void SendInterrupted(const std::string& url) {
  InstallInterruptHandlers();
  absl::StatusOr<std::unique_ptr<HttpClient>> client =
      NewCurlHttpClient({.tls_verify = false});
  if (!client.ok()) _exit(2);
  std::thread interrupter([] {
    absl::SleepFor(absl::Milliseconds(300));
    ::kill(::getpid(), SIGINT);
  });
  absl::StatusOr<HttpResponse> response = (*client)->Send({.url = url});
  interrupter.join();
  std::fprintf(stderr, "status: %s\n", response.status().ToString().c_str());
  _exit(response.status().code() == absl::StatusCode::kCancelled ? 0 : 1);
}

TEST_F(HttpTest, InterruptCancelsTheTransfer) {
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  EXPECT_EXIT(SendInterrupted(a_->Url("/stall")), ::testing::ExitedWithCode(0),
              "CANCELLED");
}

// HTTPS with a self-signed certificate for 127.0.0.1, made by the openssl
// command.
class HttpsTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    if (!cook::testing::HaveProgram("openssl")) GTEST_SKIP() << "no openssl";
    fs::create_directories(root_ / "certs");
    cert_ = (root_ / "certs/registry.crt").string();
    const std::string key = (root_ / "registry.key").string();
    cook::testing::RunResult made = cook::testing::RunProgram(
        {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
         "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
         key, "-out", cert_});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    server_ = TestServer::Start({"--tls-cert", cert_, "--tls-key", key});
    ASSERT_NE(server_, nullptr);
  }

  std::string cert_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(HttpsTest, UntrustedCertificateIsFailedPreconditionWithHints) {
  absl::StatusOr<std::unique_ptr<HttpClient>> client = NewCurlHttpClient({});
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT((*client)->Send({.url = server_->HttpsUrl("/echo")}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(absl::StrCat(
                                 "verifying the certificate of 127.0.0.1:",
                                 server_->port())),
                             HasSubstr("--cert-dir"),
                             HasSubstr("--tls-verify=false"))));
}

TEST_F(HttpsTest, TrustsCertificatesOfCertDir) {
  absl::StatusOr<std::unique_ptr<HttpClient>> client =
      NewCurlHttpClient({.cert_dir = (root_ / "certs").string()});
  ASSERT_THAT(client, IsOk());
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<HttpResponse> response =
        (*client)->Send({.url = server_->HttpsUrl("/echo")});
    ASSERT_THAT(response, IsOk());
    EXPECT_EQ(response->status, 200);
  }
}

TEST_F(HttpsTest, SkipsVerificationWhenAsked) {
  absl::StatusOr<std::unique_ptr<HttpClient>> client =
      NewCurlHttpClient({.tls_verify = false});
  ASSERT_THAT(client, IsOk());
  absl::StatusOr<HttpResponse> response =
      (*client)->Send({.url = server_->HttpsUrl("/echo")});
  ASSERT_THAT(response, IsOk());
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpsTest, RefusesRedirectToPlainHttpWhenVerifying) {
  absl::StatusOr<std::unique_ptr<HttpClient>> client =
      NewCurlHttpClient({.cert_dir = (root_ / "certs").string()});
  ASSERT_THAT(client, IsOk());
  EXPECT_THAT((*client)->Send({.url = server_->HttpsUrl(
                                   "/redirect?to=http://127.0.0.1:1/x")}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("refusing plain http for 127.0.0.1:1")));
}

// --- URL helpers ---

TEST(UrlHelpersTest, QueryEscapeKeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(QueryEscape(""), "");
  EXPECT_EQ(QueryEscape("sha256:abc"), "sha256%3Aabc");
  EXPECT_EQ(QueryEscape("repository:foo/bar:pull,push"),
            "repository%3Afoo%2Fbar%3Apull%2Cpush");
  EXPECT_EQ(QueryEscape("a b+c&d=e~f-g.h_i"), "a%20b%2Bc%26d%3De~f-g.h_i");
}

TEST(UrlHelpersTest, WithQueryAddsToTheQueryAsWritten) {
  EXPECT_EQ(WithQuery("https://auth.example/token", "service=a%3Ab"),
            "https://auth.example/token?service=a%3Ab");
  EXPECT_EQ(WithQuery("https://reg/v2/x/blobs/uploads/u?_state=a%3D", "digest=d"),
            "https://reg/v2/x/blobs/uploads/u?_state=a%3D&digest=d");
}

TEST(UrlHelpersTest, DisplayHostIsHostAndPortEscaped) {
  EXPECT_EQ(DisplayHost("https://reg.example:5000/v2/foo/manifests/latest"),
            "reg.example:5000");
  EXPECT_EQ(DisplayHost("https://auth.example/token?service=x"), "auth.example");
  EXPECT_EQ(DisplayHost("https://user:pw@Auth.Example/token"), "Auth.Example");
  EXPECT_EQ(DisplayHost("http://[::1]:8080/"), "[::1]:8080");
  EXPECT_EQ(DisplayHost("auth.example/token"), "auth.example");
  EXPECT_EQ(DisplayHost(""), "the registry");
  EXPECT_EQ(DisplayHost("https://"), "the registry");
}

}  // namespace
}  // namespace cook::registry
