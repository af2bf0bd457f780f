#include "registry/auth.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <deque>
#include <filesystem>
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
using ::testing::Eq;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;

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

// --- ParseChallenges ---

TEST(ParseChallengesTest, Bearer) {
  std::vector<Challenge> c = ParseChallenges(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_THAT(c[0].params,
              ElementsAre(Pair("realm", "https://auth.docker.io/token"),
                          Pair("scope", "repository:library/ubuntu:pull"),
                          Pair("service", "registry.docker.io")));
}

TEST(ParseChallengesTest, BasicAndCaseAndTokens) {
  std::vector<Challenge> c =
      ParseChallenges(R"(BASIC Realm = x , charset="UTF-8")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_THAT(c[0].params,
              ElementsAre(Pair("charset", "UTF-8"), Pair("realm", "x")));
}

TEST(ParseChallengesTest, SeveralChallengesInOneHeader) {
  std::vector<Challenge> c = ParseChallenges(
      R"(Basic realm="a, b", Bearer realm="https://t/token",service=reg, Negotiate)");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_THAT(c[0].params, ElementsAre(Pair("realm", "a, b")));
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_THAT(c[1].params, ElementsAre(Pair("realm", "https://t/token"),
                                       Pair("service", "reg")));
  EXPECT_EQ(c[2].scheme, "negotiate");
  EXPECT_THAT(c[2].params, IsEmpty());
}

TEST(ParseChallengesTest, QuotedStringEscapes) {
  std::vector<Challenge> c =
      ParseChallenges(R"(Basic realm="say \"hi\" \\ there", x="")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_THAT(c[0].params,
              ElementsAre(Pair("realm", R"(say "hi" \ there)"), Pair("x", "")));
}

TEST(ParseChallengesTest, Token68IsSkipped) {
  std::vector<Challenge> c =
      ParseChallenges(R"(Negotiate YWJj/+d==, Basic realm="r")");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "negotiate");
  EXPECT_THAT(c[0].params, IsEmpty());
  EXPECT_EQ(c[1].scheme, "basic");
  EXPECT_THAT(c[1].params, ElementsAre(Pair("realm", "r")));
}

TEST(ParseChallengesTest, FirstRepeatedParamWins) {
  std::vector<Challenge> c = ParseChallenges(R"(Bearer realm="a",realm="b")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_THAT(c[0].params, ElementsAre(Pair("realm", "a")));
}

TEST(ParseChallengesTest, GarbageDoesNotCrash) {
  EXPECT_THAT(ParseChallenges(""), IsEmpty());
  EXPECT_THAT(ParseChallenges(" , ,"), IsEmpty());
  EXPECT_THAT(ParseChallenges("=\"x"), IsEmpty());
  std::vector<Challenge> c = ParseChallenges(R"(Bearer realm="unterminated)");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_THAT(c[0].params, ElementsAre(Pair("realm", "unterminated")));
  c = ParseChallenges(R"(Bearer realm="x" junk, Basic realm=y)");
  ASSERT_GE(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c.back().scheme, "basic");
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
