#include "registry/credentials.h"

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace cook::registry {
namespace {

using ::cook::testing::IsOk;
using ::cook::testing::IsOkAndHolds;
using ::cook::testing::StatusIs;
using ::cook::testing::TempDirTest;
using ::cook::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "s3cr3t-Pa55";

// --- Base64 ---

TEST(Base64Test, EncodesWithPadding) {
  EXPECT_EQ(absl::Base64Escape(""), "");
  EXPECT_EQ(absl::Base64Escape("f"), "Zg==");
  EXPECT_EQ(absl::Base64Escape("fo"), "Zm8=");
  EXPECT_EQ(absl::Base64Escape("foo"), "Zm9v");
  EXPECT_EQ(absl::Base64Escape("user:pass"), "dXNlcjpwYXNz");
}

TEST(Base64Test, RoundTripsEveryLength) {
  std::string data;
  for (int i = 0; i < 40; ++i) {
    EXPECT_THAT(Base64Decode(absl::Base64Escape(data)), IsOkAndHolds(data)) << i;
    data.push_back(static_cast<char>(i * 37));
  }
}

TEST(Base64Test, DecodesPaddingAndWhitespace) {
  EXPECT_THAT(Base64Decode("Zg=="), IsOkAndHolds(std::string("f")));
  EXPECT_THAT(Base64Decode("Zm8="), IsOkAndHolds(std::string("fo")));
  EXPECT_THAT(Base64Decode("Zg"), IsOkAndHolds(std::string("f")));
  EXPECT_THAT(Base64Decode("Zm8"), IsOkAndHolds(std::string("fo")));
  EXPECT_THAT(Base64Decode(" dXNlcjpwYXNz\n"),
              IsOkAndHolds(std::string("user:pass")));
  EXPECT_THAT(Base64Decode(""), IsOkAndHolds(std::string()));
}

TEST(Base64Test, RejectsInvalidInput) {
  for (const char* bad :
       {"!!!!", "Z", "Zg===", "Z=g=", "dXNl cjp", "Zm9v=Zm9v", "Zm9v=Zm9"}) {
    EXPECT_THAT(Base64Decode(bad), StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

// --- LookupCredentials ---

auto HasCreds(const std::string& user, const std::string& password,
              const std::string& identity_token = "") {
  return IsOkAndHolds(
      AllOf(Field(&Credentials::username, user),
            Field(&Credentials::password, password),
            Field(&Credentials::identity_token, identity_token)));
}

auto Anonymous() { return HasCreds("", ""); }

std::string AuthsFile(const std::string& key, const std::string& user,
                      const std::string& password) {
  return absl::StrCat(R"({"auths": {")", key, R"(": {"auth": ")",
                      absl::Base64Escape(user + ":" + password), R"("}}})");
}

// A helper runner that must not be called.
absl::StatusOr<std::string> NoHelper(const std::string& helper,
                                     const std::string& server) {
  ADD_FAILURE() << "unexpected helper " << helper << " for " << server;
  return absl::InternalError("unexpected helper");
}

// Records calls and answers from a table.
class FakeHelpers {
 public:
  void Answer(std::string helper, std::string server,
              absl::StatusOr<std::string> answer) {
    answers_.push_back(
        {std::move(helper), std::move(server), std::move(answer)});
  }
  CredentialHelperRunner Runner() {
    return [this](const std::string& helper,
                  const std::string& server) -> absl::StatusOr<std::string> {
      calls_.push_back(helper + " " + server);
      for (const auto& a : answers_) {
        if (a.helper == helper && a.server == server) return a.answer;
      }
      return absl::NotFoundError("credentials not found");
    };
  }
  const std::vector<std::string>& calls() const { return calls_; }

 private:
  struct Entry {
    std::string helper;
    std::string server;
    absl::StatusOr<std::string> answer;
  };
  std::vector<Entry> answers_;
  std::vector<std::string> calls_;
};

using LookupCredentialsTest = TempDirTest;

TEST_F(LookupCredentialsTest, CredsFlag) {
  AuthConfig config;
  config.creds = "alice:pw";
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              HasCreds("alice", "pw"));
  config.creds = "alice";
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              HasCreds("alice", ""));
  config.creds = "alice:p:w:";
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              HasCreds("alice", "p:w:"));
  config.creds = absl::StrCat(":", kSecret);
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("--creds"), Not(HasSubstr(kSecret)))));
  config.creds = "";
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(LookupCredentialsTest, CredsFlagWinsOverFiles) {
  WriteTestFile(root_ / "auth.json", AuthsFile("reg.example", "file", "pw"));
  AuthConfig config;
  config.creds = "flag:pw";
  config.authfile = (root_ / "auth.json").string();
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              HasCreds("flag", "pw"));
}

TEST_F(LookupCredentialsTest, NothingConfiguredIsAnonymous) {
  EXPECT_THAT(LookupCredentials(AuthConfig{}, "reg.example", NoHelper),
              Anonymous());
  AuthConfig config;
  config.registry_auth_file = (root_ / "missing.json").string();
  config.docker_config = (root_ / "missing").string();
  config.home = (root_ / "home").string();
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper), Anonymous());
}

TEST_F(LookupCredentialsTest, SourcesInOrderFirstExistingWins) {
  const std::filesystem::path authfile = root_ / "flag.json";
  const std::filesystem::path registry_auth_file = root_ / "registry_auth.json";
  const std::filesystem::path docker_config = root_ / "docker";
  const std::filesystem::path home = root_ / "home";
  WriteTestFile(authfile, AuthsFile("reg.example", "flag", "1"));
  WriteTestFile(registry_auth_file, AuthsFile("reg.example", "env", "2"));
  WriteTestFile(docker_config / "config.json",
                AuthsFile("reg.example", "docker", "3"));
  WriteTestFile(home / ".docker" / "config.json",
                AuthsFile("reg.example", "home", "4"));
  AuthConfig config{std::nullopt, authfile.string(),
                    registry_auth_file.string(), docker_config.string(),
                    home.string()};

  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              HasCreds("flag", "1"));
  config.authfile.clear();
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              HasCreds("env", "2"));
  std::filesystem::remove(registry_auth_file);
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              HasCreds("docker", "3"));
  config.docker_config.clear();
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              HasCreds("home", "4"));

  // The first file that exists is the only one read, even without an entry.
  WriteTestFile(docker_config / "config.json",
                AuthsFile("other.example", "x", "y"));
  config.docker_config = docker_config.string();
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper), Anonymous());
}

TEST_F(LookupCredentialsTest, MissingAuthfileIsAnError) {
  AuthConfig config;
  config.authfile = (root_ / "nope.json").string();
  WriteTestFile(root_ / "home" / ".docker" / "config.json",
                AuthsFile("reg.example", "home", "4"));
  config.home = (root_ / "home").string();
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("--authfile"), HasSubstr("nope.json"))));
}

TEST_F(LookupCredentialsTest, UsernamePasswordAndIdentityToken) {
  const std::filesystem::path file = root_ / "auth.json";
  WriteTestFile(file, R"({"auths": {
      "a.example": {"username": "ann", "password": "pw"},
      "b.example": {"identitytoken": "refresh-me"},
      "c.example": {"auth": ")" +
                          absl::Base64Escape("cat:x:y") +
                          R"(", "identitytoken": "tok"},
      "d.example": {"auth": ")" +
                          absl::Base64Escape("dan:") + R"("}}})");
  AuthConfig config;
  config.authfile = file.string();
  EXPECT_THAT(LookupCredentials(config, "a.example", NoHelper),
              HasCreds("ann", "pw"));
  EXPECT_THAT(LookupCredentials(config, "b.example", NoHelper),
              HasCreds("", "", "refresh-me"));
  EXPECT_THAT(LookupCredentials(config, "c.example", NoHelper),
              HasCreds("cat", "x:y", "tok"));
  EXPECT_THAT(LookupCredentials(config, "d.example", NoHelper),
              HasCreds("dan", ""));
  EXPECT_THAT(LookupCredentials(config, "e.example", NoHelper), Anonymous());
}

TEST_F(LookupCredentialsTest, SchemeAndPathInKeysAreIgnored) {
  const std::filesystem::path file = root_ / "auth.json";
  AuthConfig config;
  config.authfile = file.string();
  WriteTestFile(file, AuthsFile("https://Reg.Example:5000/v1/", "u", "p"));
  EXPECT_THAT(LookupCredentials(config, "reg.example:5000", NoHelper),
              HasCreds("u", "p"));
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper), Anonymous());
  WriteTestFile(file, AuthsFile("http://reg.example/", "u", "p"));
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              HasCreds("u", "p"));
  WriteTestFile(file, AuthsFile("reg.example", "u", "p"));
  EXPECT_THAT(LookupCredentials(config, "REG.example", NoHelper),
              HasCreds("u", "p"));
}

TEST_F(LookupCredentialsTest, DockerHubAliases) {
  const std::filesystem::path file = root_ / "auth.json";
  AuthConfig config;
  config.authfile = file.string();
  for (const char* key :
       {"docker.io", "index.docker.io", "registry-1.docker.io",
        "https://index.docker.io/v1/"}) {
    WriteTestFile(file, AuthsFile(key, "hub", "pw"));
    for (const char* host :
         {"docker.io", "index.docker.io", "registry-1.docker.io"}) {
      EXPECT_THAT(LookupCredentials(config, host, NoHelper),
                  HasCreds("hub", "pw"))
          << key << " for " << host;
    }
    EXPECT_THAT(LookupCredentials(config, "quay.io", NoHelper), Anonymous());
  }
  // "docker.io" is preferred over the other aliases.
  WriteTestFile(file, R"({"auths": {
      "https://index.docker.io/v1/": {"auth": ")" +
                          absl::Base64Escape("old:1") + R"("},
      "docker.io": {"auth": ")" +
                          absl::Base64Escape("new:2") + R"("}}})");
  EXPECT_THAT(LookupCredentials(config, "docker.io", NoHelper),
              HasCreds("new", "2"));
}

TEST_F(LookupCredentialsTest, MalformedFileIsNamedWithoutItsContents) {
  const std::filesystem::path file = root_ / "auth.json";
  AuthConfig config;
  config.authfile = file.string();
  const auto names_file_only = [&](absl::StatusCode code) {
    return StatusIs(code,
                    AllOf(HasSubstr(file.string()), Not(HasSubstr(kSecret)),
                          Not(HasSubstr(absl::Base64Escape(kSecret)))));
  };
  WriteTestFile(
      file, absl::StrCat(R"({"auths": {"reg.example": {"password": ")", kSecret,
                         R"(" oops}}})"));
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              names_file_only(absl::StatusCode::kInvalidArgument));
  WriteTestFile(file, "[1, 2]");
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              names_file_only(absl::StatusCode::kInvalidArgument));
  WriteTestFile(file, R"({"auths": ["reg.example"]})");
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              names_file_only(absl::StatusCode::kInvalidArgument));
  WriteTestFile(file, R"({"auths": {"reg.example": {"auth": 42}}})");
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              names_file_only(absl::StatusCode::kInvalidArgument));
}

TEST_F(LookupCredentialsTest, BadBase64AuthIsNamedWithoutItsValue) {
  const std::filesystem::path file = root_ / "auth.json";
  AuthConfig config;
  config.authfile = file.string();
  WriteTestFile(file, absl::StrCat(R"({"auths": {"reg.example": {"auth": "!)",
                                   kSecret, R"("}}})"));
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(file.string()), HasSubstr("reg.example"),
                             HasSubstr("base64"), Not(HasSubstr(kSecret)))));
  // Valid base64 but no "user:" in it.
  WriteTestFile(file, absl::StrCat(R"({"auths": {"reg.example": {"auth": ")",
                                   absl::Base64Escape(kSecret), R"("}}})"));
  EXPECT_THAT(
      LookupCredentials(config, "reg.example", NoHelper),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("USER:PASSWORD"), Not(HasSubstr(kSecret)),
                     Not(HasSubstr(absl::Base64Escape(kSecret))))));
}

TEST_F(LookupCredentialsTest, CredHelperForTheHostComesFirst) {
  const std::filesystem::path file = root_ / "auth.json";
  WriteTestFile(file, R"({
      "credHelpers": {"https://reg.example": "ecr", "other.example": "nope"},
      "auths": {"reg.example": {"auth": ")" +
                          absl::Base64Escape("file:pw") + R"("}},
      "credsStore": "desktop"})");
  FakeHelpers helpers;
  helpers.Answer(
      "ecr", "reg.example",
      R"({"ServerURL": "reg.example", "Username": "AWS", "Secret": "tok"})");
  AuthConfig config;
  config.authfile = file.string();
  EXPECT_THAT(LookupCredentials(config, "reg.example", helpers.Runner()),
              HasCreds("AWS", "tok"));
  EXPECT_THAT(helpers.calls(), ElementsAre("ecr reg.example"));
}

TEST_F(LookupCredentialsTest, CredsStoreAfterAuths) {
  const std::filesystem::path file = root_ / "auth.json";
  // `docker login` with a credsStore leaves empty entries in auths.
  WriteTestFile(file, R"({
      "auths": {"a.example": {"auth": ")" +
                          absl::Base64Escape("file:pw") + R"("},
                "b.example": {}, "https://index.docker.io/v1/": {}},
      "credsStore": "desktop"})");
  FakeHelpers helpers;
  helpers.Answer(
      "desktop", "b.example",
      R"({"ServerURL": "b.example", "Username": "bob", "Secret": "pw2"})");
  helpers.Answer("desktop", "https://index.docker.io/v1/",
                 R"({"Username": "<token>", "Secret": "refresh"})");
  AuthConfig config;
  config.authfile = file.string();
  EXPECT_THAT(LookupCredentials(config, "a.example", helpers.Runner()),
              HasCreds("file", "pw"));
  EXPECT_THAT(LookupCredentials(config, "b.example", helpers.Runner()),
              HasCreds("bob", "pw2"));
  EXPECT_THAT(LookupCredentials(config, "docker.io", helpers.Runner()),
              HasCreds("", "", "refresh"));
  // The helper has nothing: anonymous, not an error.
  EXPECT_THAT(LookupCredentials(config, "c.example", helpers.Runner()),
              Anonymous());
  EXPECT_THAT(
      helpers.calls(),
      ElementsAre("desktop b.example", "desktop https://index.docker.io/v1/",
                  "desktop c.example"));
}

TEST_F(LookupCredentialsTest, HelperErrorsNeverQuoteTheSecret) {
  const std::filesystem::path file = root_ / "auth.json";
  WriteTestFile(file, R"({"credsStore": "pass"})");
  AuthConfig config;
  config.authfile = file.string();

  FakeHelpers helpers;
  helpers.Answer(
      "pass", "broken.example",
      absl::FailedPreconditionError("running docker-credential-pass get: "
                                    "exit status 2: gpg: decryption failed"));
  helpers.Answer(
      "pass", "garbled.example",
      absl::StrCat(R"({"Username": "u", "Secret": ")", kSecret, R"(")"));
  helpers.Answer(
      "pass", "typed.example",
      absl::StrCat(R"({"Username": 7, "Secret": ")", kSecret, R"("})"));
  EXPECT_THAT(LookupCredentials(config, "broken.example", helpers.Runner()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("broken.example"),
                             HasSubstr("decryption failed"))));
  EXPECT_THAT(LookupCredentials(config, "garbled.example", helpers.Runner()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("docker-credential-pass"),
                             Not(HasSubstr(kSecret)))));
  EXPECT_THAT(
      LookupCredentials(config, "typed.example", helpers.Runner()),
      StatusIs(absl::StatusCode::kFailedPrecondition, Not(HasSubstr(kSecret))));
}

// The real runner, with a helper script on $PATH.
// Auth files are read with a size cap and a nesting limit: a huge or
// deeply nested file is one clear error, not a crash.
TEST_F(LookupCredentialsTest, HugeOrDeepAuthFileIsRefused) {
  const std::filesystem::path file = root_ / "auth.json";
  AuthConfig config;
  config.authfile = file.string();
  WriteTestFile(file, absl::StrCat(R"({"auths": {}, "pad": ")",
                                   std::string(5 << 20, 'x'), R"("})"));
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(file.string()), HasSubstr("larger than"))));
  WriteTestFile(file, absl::StrCat(R"({"auths": {}, "deep": )",
                                   std::string(200000, '['),
                                   std::string(200000, ']'), "}"));
  EXPECT_THAT(LookupCredentials(config, "reg.example", NoHelper),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(file.string()), HasSubstr("nested deeper"))));
  FakeHelpers helpers;
  helpers.Answer("deep", "reg.example",
                 absl::StrCat(std::string(200000, '['), std::string(200000, ']')));
  WriteTestFile(file, R"({"credsStore": "deep"})");
  EXPECT_THAT(LookupCredentials(config, "reg.example", helpers.Runner()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("malformed credentials")));
}

TEST_F(LookupCredentialsTest, DefaultRunnerRunsHelperFromPath) {
  const std::filesystem::path bin = root_ / "bin";
  WriteTestFile(bin / "docker-credential-cooktest", R"(#!/bin/sh
[ "$1" = get ] || { echo "bad arguments: $*" >&2; exit 3; }
read -r server
case "$server" in
  reg.example:5000)
    printf '{"ServerURL":"%s","Username":"robot","Secret":"s3cr3t-Pa55"}\n' "$server" ;;
  broken.example)
    echo "s3cr3t-Pa55 is not printed" >/dev/null
    printf 'keychain is locked\033[2J\n' >&2; exit 2 ;;
  flood.example)
    head -c 3000000 /dev/zero | tr '\0' x ;;
  *)
    echo "credentials not found in native keychain"; exit 1 ;;
esac
)");
  ASSERT_EQ(::chmod((bin / "docker-credential-cooktest").c_str(), 0755), 0);
  const char* old_path = ::getenv("PATH");
  const std::vector<std::string> environment = {
      absl::StrCat("PATH=", bin.string(), ":", old_path == nullptr ? "" : old_path)};

  CredentialHelperRunner run = DefaultCredentialHelperRunner(environment);
  absl::StatusOr<std::string> out = run("cooktest", "reg.example:5000");
  ASSERT_THAT(out, IsOk());
  EXPECT_THAT(*out, HasSubstr(R"("Username":"robot")"));
  EXPECT_THAT(
      run("cooktest", "other.example"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("other.example")));
  EXPECT_THAT(run("cooktest", "broken.example"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("docker-credential-cooktest"),
                             HasSubstr("exit status 2"),
                             HasSubstr("keychain is locked\\x1b[2J"))));
  EXPECT_THAT(run("cooktest", "flood.example"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("printed more than 1048576 bytes")));
  EXPECT_THAT(run("cooktest-missing", "reg.example"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("docker-credential-cooktest-missing"),
                             HasSubstr("PATH"))));
  EXPECT_THAT(run("../cooktest", "reg.example"),
              StatusIs(absl::StatusCode::kInvalidArgument));

  const std::filesystem::path file = root_ / "auth.json";
  WriteTestFile(file, R"({"credHelpers": {"reg.example:5000": "cooktest"},
                          "credsStore": "cooktest"})");
  AuthConfig config;
  config.authfile = file.string();
  config.environment = environment;
  EXPECT_THAT(LookupCredentials(config, "reg.example:5000"),
              HasCreds("robot", kSecret));
  EXPECT_THAT(LookupCredentials(config, "other.example"), Anonymous());
}

// Helpers get the environment given in AuthConfig, not the process's: its
// PATH finds them, and its variables are what they see.
TEST_F(LookupCredentialsTest, HelperRunsWithTheGivenEnvironment) {
  const std::filesystem::path bin = root_ / "bin";
  WriteTestFile(bin / "docker-credential-envtest", R"(#!/bin/sh
read -r server
printf '{"Username":"%s","Secret":"%s"}\n' "$COOK_TEST_HELPER_USER" "$server"
)");
  ASSERT_EQ(::chmod((bin / "docker-credential-envtest").c_str(), 0755), 0);
  const std::filesystem::path file = root_ / "auth.json";
  WriteTestFile(file, R"({"credsStore": "envtest"})");
  AuthConfig config;
  config.authfile = file.string();
  config.environment = {absl::StrCat("PATH=/nonexistent:", bin.string()),
                        "COOK_TEST_HELPER_USER=from-config"};
  EXPECT_THAT(LookupCredentials(config, "reg.example"),
              HasCreds("from-config", "reg.example"));
  EXPECT_THAT(LookupCredentials(config, "docker.io"),
              HasCreds("from-config", "https://index.docker.io/v1/"));

  // Without a PATH, only /bin and /usr/bin are searched.
  config.environment = {"COOK_TEST_HELPER_USER=from-config"};
  EXPECT_THAT(LookupCredentials(config, "reg.example"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("docker-credential-envtest"),
                             HasSubstr("not found on $PATH"))));
}

}  // namespace
}  // namespace cook::registry
