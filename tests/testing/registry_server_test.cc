#include "tests/testing/registry_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook::testing {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

bool Listening(const std::string& host) {
  int port = 0;
  if (!absl::SimpleAtoi(host.substr(host.rfind(':') + 1), &port)) return false;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool connected =
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return connected;
}

auto Request(const std::string& method, const std::string& path_prefix,
             int status) {
  return AllOf(Field(&LoggedRequest::method, method),
               Field(&LoggedRequest::path, StartsWith(path_prefix)),
               Field(&LoggedRequest::status, status));
}

class RegistryServerTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    for (const char* program :
         {"docker-registry", "skopeo", "umoci", "htpasswd", "openssl"}) {
      if (!HaveProgram(program)) GTEST_SKIP() << program << " is not installed";
    }
  }

  // An OCI layout holding "tiny:v1": one layer with a file of `size` random
  // bytes, so that gzip leaves it about that big.
  std::string MakeImage(size_t size) {
    const std::string layout = (root_ / "oci").string();
    std::string data(size, '\0');
    std::mt19937 random(42);
    for (char& c : data) c = static_cast<char>(random());
    WriteTestFile(root_ / "payload", data);
    const std::vector<std::vector<std::string>> commands = {
        {"umoci", "init", "--layout", layout},
        {"umoci", "new", "--image", layout + ":v1"},
        {"umoci", "insert", "--rootless", "--image", layout + ":v1",
         (root_ / "payload").string(), "/payload"}};
    for (const std::vector<std::string>& argv : commands) {
      RunResult r = RunProgram(argv);
      EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(argv, " ") << ": " << r.err;
    }
    return "oci:" + layout + ":v1";
  }

  RunResult Skopeo(std::vector<std::string> args) {
    args.insert(args.begin(), {"skopeo", "--insecure-policy"});
    RunOptions options;
    options.env = {{"HOME", root_.string()}, {"TMPDIR", root_.string()}};
    return RunProgram(args, options);
  }

  RunResult Copy(const std::string& from, const RegistryServer& server,
                 const std::string& to) {
    std::vector<std::string> args = {"copy", "--retry-times", "0"};
    for (const std::string& flag : server.SkopeoFlags("dest-"))
      args.push_back(flag);
    args.push_back(from);
    args.push_back(server.ImageRef(to));
    return Skopeo(args);
  }

  RunResult Inspect(const RegistryServer& server, const std::string& ref,
                    std::vector<std::string> flags) {
    std::vector<std::string> args = {"inspect", "--retry-times", "0"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back(server.ImageRef(ref));
    return Skopeo(args);
  }
};

TEST_F(RegistryServerTest, TlsWithBasicAuthServesSkopeo) {
  absl::StatusOr<std::unique_ptr<RegistryServer>> started =
      RegistryServer::Start({.basic_auth = true});
  ASSERT_THAT(started, IsOk());
  const RegistryServer& server = **started;
  EXPECT_THAT(server.host(), StartsWith("127.0.0.1:"));
  EXPECT_THAT(server.ca_file(), HasSubstr("ca.crt"));
  const std::string image = MakeImage(1000);

  RunResult copy = Copy(image, server, "cook/tiny:v1");
  ASSERT_EQ(copy.exit_code, 0) << copy.err << server.LogTails();
  RunResult inspect = Inspect(server, "cook/tiny:v1", server.SkopeoFlags());
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_THAT(inspect.out, HasSubstr("\"Digest\": \"sha256:"));

  RunResult wrong =
      Inspect(server, "cook/tiny:v1",
              {"--cert-dir", server.cert_dir(), "--creds", "cook-user:wrong"});
  EXPECT_NE(wrong.exit_code, 0);
  RunResult untrusted = Inspect(server, "cook/tiny:v1",
                                {"--creds", "cook-user:cook-pass-5ecret"});
  EXPECT_NE(untrusted.exit_code, 0);
  EXPECT_THAT(untrusted.err, HasSubstr("certificate"));

  std::vector<LoggedRequest> requests = server.Requests();
  EXPECT_THAT(requests, Contains(Request("GET", "/v2/", 401)));
  EXPECT_THAT(requests,
              Contains(Request("PUT", "/v2/cook/tiny/blobs/uploads/", 201)));
  EXPECT_THAT(requests,
              Contains(Request("PUT", "/v2/cook/tiny/manifests/v1", 201)));
  EXPECT_THAT(requests,
              Contains(Request("GET", "/v2/cook/tiny/manifests/v1", 200)));
  EXPECT_THAT(requests,
              Contains(Request("GET", "/v2/cook/tiny/manifests/v1", 401)));
}

TEST_F(RegistryServerTest, TokenAuthGrantsTheScopesAsked) {
  absl::StatusOr<std::unique_ptr<RegistryServer>> started =
      RegistryServer::Start({.token_auth = true});
  ASSERT_THAT(started, IsOk());
  const RegistryServer& server = **started;
  EXPECT_THAT(server.token_realm(), StartsWith("https://127.0.0.1:"));

  RunResult copy = Copy(MakeImage(1000), server, "cook/tiny:v1");
  ASSERT_EQ(copy.exit_code, 0) << copy.err << server.LogTails();
  RunResult inspect = Inspect(server, "cook/tiny:v1", server.SkopeoFlags());
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_THAT(server.TokenScopes(), Contains("repository:cook/tiny:pull,push"));
  EXPECT_THAT(server.TokenScopes(), Contains("repository:cook/tiny:pull"));
  EXPECT_EQ(server.RefusedTokenRequests(), 0);
  // Without a token the registry challenges; with one it serves.
  EXPECT_THAT(server.Requests(), Contains(Request("GET", "/v2/", 401)));
  EXPECT_THAT(server.Requests(),
              Contains(Request("PUT", "/v2/cook/tiny/manifests/v1", 201)));

  RunResult wrong =
      Inspect(server, "cook/tiny:v1",
              {"--cert-dir", server.cert_dir(), "--creds", "cook-user:wrong"});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_EQ(server.RefusedTokenRequests(), 1);
  std::vector<TokenRequest> tokens = server.TokenRequests();
  ASSERT_THAT(tokens, Not(IsEmpty()));
  EXPECT_EQ(tokens.back().account, "cook-user");
  EXPECT_EQ(tokens.back().service, RegistryServer::kService);
  EXPECT_FALSE(tokens.back().granted);
}

TEST_F(RegistryServerTest, FaultProxyInjectsFaultsAndStreamsTheRest) {
  absl::StatusOr<std::unique_ptr<RegistryServer>> started =
      RegistryServer::Start({.tls = false, .fault_proxy = true});
  ASSERT_THAT(started, IsOk());
  const RegistryServer& server = **started;
  EXPECT_NE(server.host(), server.registry_host());
  EXPECT_EQ(server.cert_dir(), "");
  const std::string image = MakeImage(3 << 20);

  ASSERT_THAT(
      server.SetFaults(R"([{"method": "PATCH", "path_regex": "/blobs/uploads/",
                                    "action": "status", "status": 503, "times": 1}])"),
      IsOk());
  RunResult refused = Copy(image, server, "cook/big:v1");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("503"));
  EXPECT_THAT(server.FaultLog(),
              ElementsAre(AllOf(StartsWith("PATCH /v2/cook/big/blobs/uploads/"),
                                HasSubstr(" status 503"))));
  EXPECT_THAT(server.Requests(),
              Not(Contains(Field(&LoggedRequest::method, "PATCH"))));

  ASSERT_THAT(
      server.SetFaults(R"([{"method": "PATCH", "path_regex": "/blobs/uploads/",
                                    "action": "cut", "after_bytes": 1048576}])"),
      IsOk());
  RunResult cut = Copy(image, server, "cook/big:v1");
  EXPECT_NE(cut.exit_code, 0);
  ASSERT_THAT(server.FaultLog(), SizeIs(2));
  EXPECT_THAT(server.FaultLog()[1], HasSubstr(" cut after 1048576 bytes"));

  // The rule is used up: the 3 MB layer streams through to the registry.
  RunResult copy = Copy(image, server, "cook/big:v1");
  ASSERT_EQ(copy.exit_code, 0) << copy.err << server.LogTails();
  RunResult inspect = Inspect(server, "cook/big:v1", server.SkopeoFlags());
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_THAT(server.Requests(),
              Contains(Request("PATCH", "/v2/cook/big/blobs/uploads/", 202)));
  EXPECT_THAT(server.FaultLog(), SizeIs(2));

  EXPECT_THAT(
      server.SetFaults(R"([{"action": "explode"}])"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("explode")));
}

TEST_F(RegistryServerTest, RejectsContradictoryOptions) {
  EXPECT_THAT(RegistryServer::Start({.tls = true, .fault_proxy = true}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tls")));
  EXPECT_THAT(RegistryServer::Start({.basic_auth = true, .token_auth = true}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RegistryServerTest, DestructorStopsEveryServer) {
  absl::StatusOr<std::unique_ptr<RegistryServer>> started =
      RegistryServer::Start(
          {.tls = false, .token_auth = true, .fault_proxy = true});
  ASSERT_THAT(started, IsOk());
  const std::string proxy = (*started)->host();
  const std::string registry = (*started)->registry_host();
  const std::string realm = (*started)->token_realm();
  EXPECT_THAT(realm, StartsWith("http://127.0.0.1:"));
  const std::string token = realm.substr(7, realm.rfind('/') - 7);
  EXPECT_TRUE(Listening(proxy));
  EXPECT_TRUE(Listening(registry));
  EXPECT_TRUE(Listening(token));
  started->reset();
  EXPECT_FALSE(Listening(proxy));
  EXPECT_FALSE(Listening(registry));
  EXPECT_FALSE(Listening(token));
}

}  // namespace
}  // namespace cook::testing
