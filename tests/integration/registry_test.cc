// End-to-end tests of docker:// against real registries started on loopback:
// Debian's docker-registry with TLS from a throw-away CA and htpasswd Basic
// auth, the same with Bearer tokens from a token server, and a
// fault-injecting proxy in front of a plain one. skopeo reads what cook
// pushes.

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/build_testing.h"
#include "tests/testing/registry_server.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::HaveProgram;
using ::cook::testing::LoggedRequest;
using ::cook::testing::RegistryServer;
using ::cook::testing::RegistryServerOptions;
using ::cook::testing::RunCook;
using ::cook::testing::RunProgram;
using ::cook::testing::RunResult;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Each;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::string Trim(const std::string& s) {
  return std::string(absl::StripAsciiWhitespace(s));
}

// One error line, no secrets.
void ExpectOneErrorLine(const RunResult& r) {
  std::vector<std::string> errors;
  for (absl::string_view line : absl::StrSplit(r.err, '\n')) {
    if (absl::StartsWith(line, "cook: error: ")) errors.emplace_back(line);
  }
  EXPECT_EQ(errors.size(), 1u) << r.err;
}

bool IsUpload(const LoggedRequest& r) {
  return r.method == "POST" && absl::StrContains(r.path, "/blobs/uploads/") &&
         !absl::StrContains(r.path, "mount=");
}
bool IsBlobWrite(const LoggedRequest& r) {
  return (r.method == "PATCH" || r.method == "PUT") &&
         absl::StrContains(r.path, "/blobs/uploads/");
}

// Requests after the first `from` of the log.
std::vector<LoggedRequest> Since(const RegistryServer& server, size_t from) {
  std::vector<LoggedRequest> all = server.Requests();
  if (from >= all.size()) return {};
  return {all.begin() + static_cast<long>(from), all.end()};
}

// The image every test pushes: a 40 MiB layer of random bytes (larger than
// one upload chunk, so it goes in PATCH chunks) and a few small files.
class RegistryTest : public cook::testing::TempDirTest {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::path(::testing::TempDir()) / "registry-suite");
    fs::remove_all(*dir_);
    const fs::path content = *dir_ / "content";
    fs::create_directories(content / "small");
    std::mt19937_64 rng(42);
    std::string big(40 << 20, '\0');
    for (size_t i = 0; i + 8 <= big.size(); i += 8) {
      const uint64_t v = rng();
      std::memcpy(big.data() + i, &v, 8);
    }
    std::ofstream(content / "big.bin", std::ios::binary) << big;
    for (int i = 0; i < 5; ++i) {
      std::ofstream(content / "small" / absl::StrCat("f", i, ".txt"))
          << "file " << i << "\n";
    }
    layout_ = new std::string(absl::StrCat("oci:", (*dir_ / "layout").string(), ":v1"));
    RunResult r = RunCook({"assemble", "--add", absl::StrCat(content.string(), ":/data"),
                           "--dest", *layout_, "--label", "test=registry"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    digest_ = new std::string(Trim(r.out));
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) fs::remove_all(*dir_);
    delete dir_;
    delete layout_;
    delete digest_;
  }

  void SetUp() override {
    TempDirTest::SetUp();
    if (!HaveProgram("docker-registry") || !HaveProgram("skopeo")) {
      GTEST_SKIP() << "docker-registry or skopeo missing: run tools/setup.sh";
    }
  }

  // cook with a private HOME (no ~/.docker/config.json of the user's).
  RunResult Cook(std::vector<std::string> args,
                 std::map<std::string, std::string> env = {}) {
    env.emplace("HOME", root_.string());
    return RunCook(args, env);
  }

  static std::vector<std::string> Flags(const RegistryServer& server,
                                        bool creds = true) {
    std::vector<std::string> flags;
    if (creds) {
      flags.insert(flags.end(), {"--creds", absl::StrCat(server.username(), ":",
                                                         server.password())});
    }
    if (server.tls()) {
      flags.insert(flags.end(), {"--cert-dir", server.cert_dir()});
    } else {
      flags.push_back("--tls-verify=false");
    }
    return flags;
  }

  static std::vector<std::string> With(std::vector<std::string> args,
                                       const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  std::string SkopeoDigest(const RegistryServer& server, const std::string& ref) {
    std::vector<std::string> argv = {"skopeo", "inspect", "--format", "{{.Digest}}"};
    for (const std::string& f : server.SkopeoFlags()) argv.push_back(f);
    argv.push_back(ref);
    RunResult r = RunProgram(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Trim(r.out);
  }

  static fs::path* dir_;
  static std::string* layout_;
  static std::string* digest_;
};

fs::path* RegistryTest::dir_ = nullptr;
std::string* RegistryTest::layout_ = nullptr;
std::string* RegistryTest::digest_ = nullptr;

std::unique_ptr<RegistryServer> StartOrFail(const RegistryServerOptions& options) {
  absl::StatusOr<std::unique_ptr<RegistryServer>> server = RegistryServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

TEST_F(RegistryTest, BasicAuthPushIsSkopeoReadableAndNotRepeated) {
  auto server = StartOrFail({.tls = true, .basic_auth = true});
  ASSERT_NE(server, nullptr);
  const std::string ref = server->ImageRef("app:v1");

  RunResult push = Cook(With({"copy", *layout_, ref}, Flags(*server)));
  ASSERT_EQ(push.exit_code, 0) << push.err;
  EXPECT_EQ(Trim(push.out), *digest_);
  EXPECT_EQ(SkopeoDigest(*server, ref), *digest_);
  std::vector<LoggedRequest> first = server->Requests();
  EXPECT_THAT(first, Contains(::testing::Truly(IsBlobWrite)));
  // The 40 MiB layer went in chunks.
  int patches = 0;
  for (const LoggedRequest& r : first) patches += r.method == "PATCH";
  EXPECT_GE(patches, 2);

  // Again: every blob is there, so nothing is uploaded.
  RunResult again = Cook(With({"copy", *layout_, ref}, Flags(*server)));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(Trim(again.out), *digest_);
  std::vector<LoggedRequest> second = Since(*server, first.size());
  EXPECT_THAT(second, Not(Contains(::testing::Truly(IsUpload))));
  EXPECT_THAT(second, Not(Contains(::testing::Truly(IsBlobWrite))));

  // assemble straight to the registry gives the same image.
  const fs::path content = *dir_ / "content";
  RunResult direct = Cook(With({"assemble", "--add", absl::StrCat(content.string(), ":/data"),
                                "--label", "test=registry", "--dest",
                                server->ImageRef("direct:v1")},
                               Flags(*server)));
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  EXPECT_EQ(Trim(direct.out), *digest_);

  // Read back: inspect, and copies to oci: and docker-archive:.
  RunResult inspect = Cook(With({"inspect", "--json", ref}, Flags(*server)));
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_EQ(nlohmann::json::parse(inspect.out)["digest"], *digest_);
  const std::string oci_copy = absl::StrCat("oci:", (root_ / "copy").string(), ":v1");
  RunResult pull = Cook(With({"copy", ref, oci_copy}, Flags(*server)));
  ASSERT_EQ(pull.exit_code, 0) << pull.err;
  EXPECT_EQ(Trim(pull.out), *digest_);
  const fs::path archive = root_ / "image.tar";
  RunResult to_archive = Cook(With({"copy", ref, absl::StrCat("docker-archive:", archive.string(),
                                                               ":app:v1")},
                                   Flags(*server)));
  ASSERT_EQ(to_archive.exit_code, 0) << to_archive.err;
  EXPECT_TRUE(fs::exists(archive));
}

TEST_F(RegistryTest, CredentialsFromAuthfileAndDockerConfig) {
  auto server = StartOrFail({.tls = true, .basic_auth = true});
  ASSERT_NE(server, nullptr);
  // base64("cook-user:cook-pass-5ecret")
  RunResult b64 = RunProgram({"base64", "-w0"}, {.stdin_data = absl::StrCat(
                                                     server->username(), ":",
                                                     server->password())});
  ASSERT_EQ(b64.exit_code, 0);
  const std::string config =
      nlohmann::json({{"auths", {{server->host(), {{"auth", Trim(b64.out)}}}}}}).dump();
  const fs::path authfile = root_ / "auth.json";
  std::ofstream(authfile) << config;
  RunResult with_authfile =
      Cook({"copy", *layout_, server->ImageRef("authfile:v1"), "--authfile",
            authfile.string(), "--cert-dir", server->cert_dir()});
  EXPECT_EQ(with_authfile.exit_code, 0) << with_authfile.err;

  const fs::path docker_config = root_ / "docker-config";
  fs::create_directories(docker_config);
  std::ofstream(docker_config / "config.json") << config;
  RunResult with_env = Cook({"copy", *layout_, server->ImageRef("dockerconfig:v1"),
                             "--cert-dir", server->cert_dir()},
                            {{"DOCKER_CONFIG", docker_config.string()}});
  EXPECT_EQ(with_env.exit_code, 0) << with_env.err;

  // No credentials at all: refused, with a hint.
  RunResult anonymous = Cook({"copy", *layout_, server->ImageRef("anon:v1"),
                              "--cert-dir", server->cert_dir()});
  EXPECT_EQ(anonymous.exit_code, 1);
  ExpectOneErrorLine(anonymous);
}

TEST_F(RegistryTest, WrongPasswordFailsWithoutShowingIt) {
  auto server = StartOrFail({.tls = true, .basic_auth = true});
  ASSERT_NE(server, nullptr);
  RunResult r = Cook({"copy", *layout_, server->ImageRef("app:v1"), "--creds",
                      "cook-user:not-the-Passw0rd", "--cert-dir", server->cert_dir()});
  EXPECT_EQ(r.exit_code, 1);
  ExpectOneErrorLine(r);
  EXPECT_THAT(r.err, HasSubstr("authentication failed"));
  EXPECT_THAT(r.err, Not(HasSubstr("not-the-Passw0rd")));
  EXPECT_THAT(r.out, Not(HasSubstr("not-the-Passw0rd")));
}

TEST_F(RegistryTest, UntrustedCertificateFailsUnlessTrustedOrUnverified) {
  auto server = StartOrFail({.tls = true, .basic_auth = true});
  ASSERT_NE(server, nullptr);
  const std::string creds = absl::StrCat(server->username(), ":", server->password());
  RunResult untrusted =
      Cook({"copy", *layout_, server->ImageRef("app:v1"), "--creds", creds});
  EXPECT_EQ(untrusted.exit_code, 1);
  ExpectOneErrorLine(untrusted);
  EXPECT_THAT(untrusted.err, AllOf(HasSubstr("certificate"), HasSubstr("--cert-dir")));

  RunResult unverified = Cook({"copy", *layout_, server->ImageRef("app:v1"), "--creds",
                               creds, "--tls-verify=false"});
  EXPECT_EQ(unverified.exit_code, 0) << unverified.err;
  RunResult trusted = Cook({"inspect", server->ImageRef("app:v1"), "--creds", creds,
                            "--cert-dir", server->cert_dir()});
  EXPECT_EQ(trusted.exit_code, 0) << trusted.err;
  EXPECT_THAT(trusted.out, HasSubstr(*digest_));
}

TEST_F(RegistryTest, CopyToAnotherRepositoryMounts) {
  auto server = StartOrFail({.tls = true, .basic_auth = true});
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(Cook(With({"copy", *layout_, server->ImageRef("app:v1")}, Flags(*server)))
                .exit_code,
            0);
  const size_t before = server->Requests().size();
  RunResult copy = Cook(With({"copy", server->ImageRef("app:v1"),
                              server->ImageRef("team/other:v1")},
                             Flags(*server)));
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  EXPECT_EQ(Trim(copy.out), *digest_);
  std::vector<LoggedRequest> during = Since(*server, before);
  int mounts = 0;
  for (const LoggedRequest& r : during) {
    if (r.method == "POST" && absl::StrContains(r.path, "mount=") && r.status == 201) ++mounts;
  }
  EXPECT_EQ(mounts, 2);  // the layer and the config
  EXPECT_THAT(during, Not(Contains(::testing::Truly(IsUpload))));
  EXPECT_THAT(during, Not(Contains(::testing::Truly(IsBlobWrite))));
  EXPECT_EQ(SkopeoDigest(*server, server->ImageRef("team/other:v1")), *digest_);
}

TEST_F(RegistryTest, BearerTokenFlow) {
  auto server = StartOrFail({.tls = true, .token_auth = true});
  ASSERT_NE(server, nullptr);
  const std::string ref = server->ImageRef("tokens/app:v1");
  RunResult push = Cook(With({"copy", *layout_, ref}, Flags(*server)));
  ASSERT_EQ(push.exit_code, 0) << push.err;
  EXPECT_EQ(SkopeoDigest(*server, ref), *digest_);

  // Reading asks for pull scope only.
  const size_t tokens_before = server->TokenRequests().size();
  RunResult inspect = Cook(With({"inspect", ref}, Flags(*server)));
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  std::vector<cook::testing::TokenRequest> tokens = server->TokenRequests();
  ASSERT_GT(tokens.size(), tokens_before);
  for (size_t i = tokens_before; i < tokens.size(); ++i) {
    EXPECT_THAT(tokens[i].scopes, Each(HasSubstr(":pull"))) << i;
    EXPECT_THAT(tokens[i].scopes, Each(Not(HasSubstr("push")))) << i;
  }

  // A copy within the registry mounts, with the source's pull scope.
  RunResult copy =
      Cook(With({"copy", ref, server->ImageRef("tokens/copy:v1")}, Flags(*server)));
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  EXPECT_EQ(SkopeoDigest(*server, server->ImageRef("tokens/copy:v1")), *digest_);

  RunResult bad = Cook({"inspect", ref, "--creds", "cook-user:Wr0ng-secret", "--cert-dir",
                        server->cert_dir()});
  EXPECT_EQ(bad.exit_code, 1);
  ExpectOneErrorLine(bad);
  EXPECT_THAT(bad.err, HasSubstr("authentication failed"));
  EXPECT_THAT(bad.err, Not(HasSubstr("Wr0ng-secret")));
  EXPECT_GT(server->RefusedTokenRequests(), 0);
}

// The token service follows the same retry policy as the registry: two
// 503 answers from it are retried, and a pull still succeeds.
TEST_F(RegistryTest, TokenServiceFailuresAreRetried) {
  if (!HaveProgram("curl")) GTEST_SKIP() << "curl missing";
  auto server = StartOrFail({.tls = true, .token_auth = true});
  ASSERT_NE(server, nullptr);
  const std::string ref = server->ImageRef("tokens/retried:v1");
  RunResult push = Cook(With({"copy", *layout_, ref}, Flags(*server)));
  ASSERT_EQ(push.exit_code, 0) << push.err;
  std::string faults_url = server->token_realm();
  faults_url.replace(faults_url.rfind("/token"), std::string::npos, "/__faults");
  auto set_faults = [&](int times) {
    RunResult r = RunProgram({"curl", "-sS", "--fail", "--cacert", server->ca_file(), "-X",
                              "POST", "--data", absl::StrCat(R"({"status": 503, "times": )",
                                                             times, "}"),
                              faults_url});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  };
  auto faults_left = [&]() {
    RunResult r = RunProgram({"curl", "-sS", "--fail", "--cacert", server->ca_file(),
                              faults_url});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false).value("left", -1);
  };

  set_faults(2);
  RunResult inspect = Cook(With({"inspect", ref}, Flags(*server)));
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err << server->LogTails();
  EXPECT_THAT(inspect.out, HasSubstr(*digest_));
  EXPECT_THAT(inspect.err, AllOf(HasSubstr("token service answered HTTP 503"),
                                 HasSubstr("retrying")));
  EXPECT_EQ(faults_left(), 0);

  // A token service that stays down: the policy's attempts, then one error.
  set_faults(100);
  RunResult down = Cook(With({"inspect", ref}, Flags(*server)));
  EXPECT_EQ(down.exit_code, 1) << down.err;
  ExpectOneErrorLine(down);
  EXPECT_THAT(down.err, HasSubstr("gave up after 6 attempts"));
  EXPECT_EQ(faults_left(), 100 - 6);
}

TEST_F(RegistryTest, PushAndPullSurviveInjectedFaults) {
  auto server = StartOrFail({.tls = false, .fault_proxy = true});
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server
                  ->SetFaults(R"([
    {"method": "HEAD", "path_regex": "/blobs/", "action": "status", "status": 503, "times": 1},
    {"method": "PATCH", "path_regex": "/blobs/uploads/", "action": "status", "status": 503, "times": 2},
    {"method": "PATCH", "path_regex": "/blobs/uploads/", "action": "cut", "after_bytes": 1048576, "times": 1},
    {"method": "PUT", "path_regex": "/manifests/", "action": "status", "status": 429, "retry_after": 1, "times": 1}
  ])")
                  .ok());
  const std::string ref = server->ImageRef("faulty:v1");
  RunResult push = Cook(With({"copy", *layout_, ref}, Flags(*server, false)));
  ASSERT_EQ(push.exit_code, 0) << push.err << server->LogTails();
  EXPECT_EQ(Trim(push.out), *digest_);
  EXPECT_THAT(push.err, HasSubstr("retrying"));
  EXPECT_THAT(push.err, HasSubstr("resuming the upload"));

  // The download of the 40 MiB layer is cut after 3 MB.
  RunResult layout = Cook({"inspect", "--json", *layout_});
  ASSERT_EQ(layout.exit_code, 0) << layout.err;
  const std::string layer = nlohmann::json::parse(layout.out)["layers"][0]["digest"];
  ASSERT_TRUE(server
                  ->SetFaults(absl::StrCat(
                      R"([{"method": "GET", "path_regex": "/manifests/", "action": "status", )"
                      R"("status": 502, "times": 1}, {"method": "GET", "path_regex": "/blobs/)",
                      layer,
                      R"(", "action": "cut_response", "after_bytes": 3000000, "times": 1}])"))
                  .ok());
  const std::string oci_copy = absl::StrCat("oci:", (root_ / "pulled").string(), ":v1");
  RunResult pull = Cook(With({"copy", ref, oci_copy}, Flags(*server, false)));
  ASSERT_EQ(pull.exit_code, 0) << pull.err << server->LogTails();
  EXPECT_EQ(Trim(pull.out), *digest_);
  EXPECT_THAT(pull.err, HasSubstr("resuming the download"));
  // Every rule fired.
  std::vector<std::string> faults = server->FaultLog();
  EXPECT_EQ(faults.size(), 7u) << absl::StrJoin(faults, "\n");
  EXPECT_THAT(faults, Contains(HasSubstr("cut")));
  RunResult inspect = Cook(With({"inspect", oci_copy}, Flags(*server, false)));
  EXPECT_THAT(inspect.out, HasSubstr(*digest_));
}

// Through a proxy that answers 503 to the ping, a pull is retried like any
// other request, and succeeds.
TEST_F(RegistryTest, PingAnswered503IsRetried) {
  auto server = StartOrFail({.tls = false, .fault_proxy = true});
  ASSERT_NE(server, nullptr);
  const std::string ref = server->ImageRef("pinged:v1");
  RunResult push = Cook(With({"copy", *layout_, ref}, Flags(*server, false)));
  ASSERT_EQ(push.exit_code, 0) << push.err << server->LogTails();
  ASSERT_TRUE(server
                  ->SetFaults(R"([
    {"method": "GET", "path_regex": "^/v2/$", "action": "status", "status": 503, "times": 2}
  ])")
                  .ok());
  RunResult inspect = Cook(With({"inspect", ref}, Flags(*server, false)));
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err << server->LogTails();
  EXPECT_THAT(inspect.out, HasSubstr(*digest_));
  EXPECT_THAT(inspect.err, HasSubstr("retrying"));
  EXPECT_EQ(server->FaultLog().size(), 2u) << absl::StrJoin(server->FaultLog(), "\n");

  // A ping that never recovers gives up after the policy's attempts.
  ASSERT_TRUE(server
                  ->SetFaults(R"([
    {"method": "GET", "path_regex": "^/v2/$", "action": "status", "status": 503, "times": -1}
  ])")
                  .ok());
  const size_t before = server->FaultLog().size();
  RunResult down = Cook(With({"inspect", ref}, Flags(*server, false)));
  EXPECT_EQ(down.exit_code, 1) << down.err;
  ExpectOneErrorLine(down);
  EXPECT_THAT(down.err, AllOf(HasSubstr("HTTP 503"), HasSubstr("gave up after 6 attempts")));
  EXPECT_EQ(server->FaultLog().size() - before, 6u);
}

// A registry that sends a manifest without end costs cook 16 MiB, not all
// the memory there is: one clear error, exit 1, no retry.
TEST_F(RegistryTest, EndlessOrDeepManifestIsOneClearError) {
  auto server = StartOrFail({.tls = false, .fault_proxy = true});
  ASSERT_NE(server, nullptr);
  const std::string ref = server->ImageRef("endless:v1");
  ASSERT_TRUE(server
                  ->SetFaults(R"([
    {"method": "GET", "path_regex": "/manifests/", "action": "endless", "times": -1,
     "headers": {"Content-Type": "application/vnd.oci.image.manifest.v1+json"}}
  ])")
                  .ok());
  RunResult endless = Cook(With({"inspect", ref}, Flags(*server, false)));
  EXPECT_EQ(endless.exit_code, 1) << endless.err;
  ExpectOneErrorLine(endless);
  EXPECT_THAT(endless.err, AllOf(HasSubstr("reading manifest"), HasSubstr("larger than 16 MiB")));
  EXPECT_EQ(server->FaultLog().size(), 1u) << absl::StrJoin(server->FaultLog(), "\n");

  // Nesting that would overflow nlohmann-json's recursion, well under the cap.
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  nlohmann::json rules = nlohmann::json::array(
      {{{"method", "GET"}, {"path_regex", "/manifests/"}, {"action", "status"},
        {"status", 200}, {"times", -1}, {"body", deep},
        {"headers", {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}}}}});
  ASSERT_TRUE(server->SetFaults(rules.dump()).ok());
  RunResult nested = Cook(With({"inspect", ref}, Flags(*server, false)));
  EXPECT_EQ(nested.exit_code, 1) << nested.err;
  ExpectOneErrorLine(nested);
  EXPECT_THAT(nested.err, HasSubstr("nested deeper than 128 levels"));

  // An error page without end is cut; its status is the answer, retried.
  const std::string pushed = server->ImageRef("endless:v2");
  ASSERT_TRUE(server->SetFaults("[]").ok());
  RunResult push = Cook(With({"copy", *layout_, pushed}, Flags(*server, false)));
  ASSERT_EQ(push.exit_code, 0) << push.err << server->LogTails();
  ASSERT_TRUE(server
                  ->SetFaults(R"([
    {"method": "GET", "path_regex": "/manifests/", "action": "endless", "status": 503, "times": 2}
  ])")
                  .ok());
  RunResult retried = Cook(With({"inspect", pushed}, Flags(*server, false)));
  ASSERT_EQ(retried.exit_code, 0) << retried.err << server->LogTails();
  EXPECT_THAT(retried.out, HasSubstr(*digest_));
  EXPECT_THAT(retried.err, HasSubstr("HTTP 503"));
}

// User info in a reference is a usage error that never shows the secret,
// wherever the reference is given.
TEST_F(RegistryTest, UserInfoInAReferenceIsAUsageErrorWithoutTheSecret) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"inspect", "docker://user:s3cr3t-t0ken@127.0.0.1:5000/x"},
           {"inspect", "--json", "docker://user:s3cr3t-t0ken@127.0.0.1:5000/x:v1"},
           {"copy", *layout_, "docker://user:s3cr3t-t0ken@127.0.0.1:5000/x"},
           {"copy", "docker://user:s3cr3t-t0ken@reg.example/x", *layout_},
           {"inspect", "user:s3cr3t-t0ken@reg.example/x"}}) {
    RunResult r = Cook(args);
    EXPECT_EQ(r.exit_code, 2) << absl::StrJoin(args, " ") << "\n" << r.err;
    EXPECT_THAT(r.err, AllOf(HasSubstr("user info"), HasSubstr("--creds"),
                             HasSubstr("--authfile")));
    EXPECT_THAT(r.err + r.out, Not(HasSubstr("s3cr3t")));
    EXPECT_EQ(r.out, "");
    ExpectOneErrorLine(r);
  }
}

// `cook build` to a registry, twice: the second run finds the image up to
// date and uploads nothing; `cook restore` reads the cache from the registry.
TEST_F(RegistryTest, BuildPushesOnceAndRestoresFromTheRegistry) {
  std::optional<fs::path> root = cook::testing::SourceRoot();
  if (!root.has_value() || cook::testing::HostTriple().empty()) {
    GTEST_SKIP() << "no source tree or no rust toolchain";
  }
  auto server = StartOrFail({.tls = true, .basic_auth = true});
  ASSERT_NE(server, nullptr);
  const fs::path ws = root_ / "tally";
  cook::testing::CopyWorkspace(*root / "tests/fixtures/tally", ws);
  const std::string ref = server->ImageRef("cache/tally:deps");
  RunResult first = Cook(With({"build", "--manifest-path", ws.string(), "--dest", ref},
                              Flags(*server)));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const size_t before = server->Requests().size();
  RunResult second = Cook(With({"build", "--manifest-path", ws.string(), "--dest", ref},
                               Flags(*server)));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.err, HasSubstr("up to date"));
  EXPECT_THAT(Since(*server, before), Not(Contains(::testing::Truly(IsUpload))));

  const fs::path target = root_ / "restored-target";
  const fs::path cargo_home = root_ / "restored-cargo-home";
  RunResult restore = Cook(With({"restore", "--from", ref, "--target-dir", target.string(),
                                 "--cargo-home", cargo_home.string()},
                                Flags(*server)));
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_TRUE(fs::exists(target / "debug" / "deps")) << restore.err;
}

}  // namespace
}  // namespace cook
