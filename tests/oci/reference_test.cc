#include "oci/reference.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace cook::oci {
namespace {

using ::cook::testing::IsOk;
using ::cook::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

const std::string kDigest = "sha256:" + std::string(64, 'e');

struct Good {
  std::string text;
  ImageReference want;
};

TEST(ReferenceTest, ParsesGoodReferences) {
  const std::vector<Good> cases = {
      {"oci:out", {Transport::kOci, "out", "latest"}},
      {"oci:out:v1.2-rc_3", {Transport::kOci, "out", "v1.2-rc_3"}},
      {"oci:/abs/dir:tag", {Transport::kOci, "/abs/dir", "tag"}},
      // What follows the last ':' contains '/': it is part of the path.
      {"oci:/mnt/a:b/layout", {Transport::kOci, "/mnt/a:b/layout", "latest"}},
      {"oci:/mnt/a:b/layout:t", {Transport::kOci, "/mnt/a:b/layout", "t"}},
      {"docker-archive:img.tar", {Transport::kDockerArchive, "img.tar"}},
      {"docker-archive:img.tar:app:1.0",
       {Transport::kDockerArchive, "img.tar", "", "app:1.0"}},
      {"docker-archive:img.tar:app",
       {Transport::kDockerArchive, "img.tar", "", "app:latest"}},
      {"docker-archive:/x/img.tar:localhost:5000/team/app:v2",
       {Transport::kDockerArchive, "/x/img.tar", "",
        "localhost:5000/team/app:v2"}},
      {"docker://rust:1",
       {Transport::kDocker, "", "1", "", "docker.io", "library/rust"}},
      {"docker://rust",
       {Transport::kDocker, "", "latest", "", "docker.io", "library/rust"}},
      {"docker://someone/tool:2",
       {Transport::kDocker, "", "2", "", "docker.io", "someone/tool"}},
      {"docker://index.docker.io/library/rust:1",
       {Transport::kDocker, "", "1", "", "docker.io", "library/rust"}},
      {"docker://ghcr.io/org/repo/sub:tag",
       {Transport::kDocker, "", "tag", "", "ghcr.io", "org/repo/sub"}},
      {"docker://localhost:5000/app",
       {Transport::kDocker, "", "latest", "", "localhost:5000", "app"}},
      {"docker://localhost/app:x",
       {Transport::kDocker, "", "x", "", "localhost", "app"}},
      {"docker://reg.example:443/a/b@" + kDigest,
       {Transport::kDocker, "", "", "", "reg.example:443", "a/b", kDigest}},
      {"docker://reg.example/a:t@" + kDigest,
       {Transport::kDocker, "", "t", "", "reg.example", "a", kDigest}},
      {"scratch", {Transport::kScratch}},
  };
  for (const Good& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<ImageReference> ref = ParseReference(c.text);
    ASSERT_THAT(ref, IsOk());
    EXPECT_EQ(ref->transport, c.want.transport);
    EXPECT_EQ(ref->path, c.want.path);
    EXPECT_EQ(ref->tag, c.want.tag);
    EXPECT_EQ(ref->archive_name, c.want.archive_name);
    EXPECT_EQ(ref->registry, c.want.registry);
    EXPECT_EQ(ref->repository, c.want.repository);
    EXPECT_EQ(ref->digest, c.want.digest);
  }
}

TEST(ReferenceTest, UnknownTransportNamesItAndListsTheKnownOnes) {
  EXPECT_THAT(
      ParseReference("foo:bar"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("unknown transport \"foo\" in \"foo:bar\""),
                     HasSubstr("hint:"), HasSubstr("oci:"),
                     HasSubstr("docker-archive:"), HasSubstr("docker://"),
                     HasSubstr("scratch"))));
}

TEST(ReferenceTest, PlainDirectoryNeedsATransport) {
  EXPECT_THAT(ParseReference("out"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("\"out\": missing transport"),
                             HasSubstr("oci:out"))));
}

TEST(ReferenceTest, RejectsMalformedReferences) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty reference"},
      {"oci:", "missing directory"},
      {"oci::tag", "missing directory"},
      {"oci:dir:", "invalid tag"},
      {"oci:dir:bad tag!", "invalid tag"},
      {"oci:dir:-lead", "invalid tag"},
      {"docker-archive:", "missing file"},
      {"docker-archive:f.tar:app@" + kDigest, "not a digest"},
      {"docker-archive:f.tar:App:1", "invalid repository name"},
      {"docker:rust", "docker://"},
      {"docker://", "empty repository"},
      {"docker://Rust:1", "invalid repository name"},
      {"docker://reg.example/a//b", "invalid repository name"},
      {"docker://rust@sha256:abc", "invalid digest"},
      {"docker://rust:" + std::string(129, 'x'), "invalid tag"},
      {"docker://bad_host.io:port/x", "invalid registry host"},
  };
  for (const auto& [text, cause] : cases) {
    EXPECT_THAT(
        ParseReference(text),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 AllOf(HasSubstr(cause), HasSubstr("\"" + text + "\""))))
        << text;
  }
}

// A reference with user info is refused, and the error never shows the
// secret (nor the user name): it would land in CI logs.
TEST(ReferenceTest, UserInfoIsRefusedWithoutEchoingIt) {
  for (const std::string& text : std::vector<std::string>{
           "docker://user:s3cret@reg.example/x",
           "docker://user:s3cret@reg.example:5000/team/x:v1",
           "docker://user:s3cret@reg.example/x@" + kDigest,
           "docker://user:s3c@ret@reg.example/x",
           "docker://user:s3c/ret@reg.example/x",
           "docker://user:s3cret@reg.example",
           "docker://user:s3cret@reg.example:5000",
           "docker://s3cret@rust",
           "docker-archive:f.tar:user:s3cret@reg.example/x:v1",
           "docker:user:s3cret@reg.example/x",
           "user:s3cret@reg.example/x",
           "s3cret@reg.example/x"}) {
    absl::StatusOr<ImageReference> ref = ParseReference(text);
    EXPECT_THAT(ref, StatusIs(absl::StatusCode::kInvalidArgument,
                              AllOf(HasSubstr("user info"),
                                    HasSubstr("--creds"),
                                    HasSubstr("--authfile"))))
        << text;
    EXPECT_THAT(std::string(ref.status().message()),
                ::testing::Not(HasSubstr("s3c")))
        << text;
  }
}

// Errors quote the reference escaped, on one line (plus cook's hint).
TEST(ReferenceTest, ErrorsEscapeTheReference) {
  absl::StatusOr<ImageReference> ref =
      ParseReference("docker://reg.example/x:bad\ncook: done\x1b[2J");
  ASSERT_FALSE(ref.ok());
  const std::string message(ref.status().message());
  EXPECT_THAT(message, HasSubstr("bad\\ncook: done\\x1b"));
  EXPECT_EQ(message.find('\x1b'), std::string::npos);
  EXPECT_EQ(message.find("\ncook"), std::string::npos);
  absl::StatusOr<ImageReference> unknown = ParseReference("x\n:y");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("unknown transport \"x\\n\""));
}

TEST(ReferenceTest, ToStringRoundTrips) {
  for (const std::string& text : std::vector<std::string>{
           "oci:out:latest", "oci:/a/b:v1", "docker-archive:f.tar",
           "docker-archive:f.tar:app:1", "docker://docker.io/library/rust:1",
           "docker://localhost:5000/app@" + kDigest, "scratch"}) {
    absl::StatusOr<ImageReference> ref = ParseReference(text);
    ASSERT_THAT(ref, IsOk()) << text;
    EXPECT_EQ(ref->ToString(), text);
  }
  EXPECT_EQ(ParseReference("docker://rust:1")->ToString(),
            "docker://docker.io/library/rust:1");
}

TEST(ReferenceTest, ResolvesRelativePathsOnly) {
  ImageReference rel =
      ResolvePaths(*ParseReference("oci:out/img:t"), "/work/dir");
  EXPECT_EQ(rel.path, "/work/dir/out/img");
  EXPECT_EQ(rel.tag, "t");
  ImageReference up =
      ResolvePaths(*ParseReference("docker-archive:../x.tar"), "/work/dir");
  EXPECT_EQ(up.path, "/work/x.tar");
  ImageReference abs = ResolvePaths(*ParseReference("oci:/abs"), "/work/dir");
  EXPECT_EQ(abs.path, "/abs");
  ImageReference docker =
      ResolvePaths(*ParseReference("docker://rust"), "/work/dir");
  EXPECT_EQ(docker.path, "");
}

}  // namespace
}  // namespace cook::oci
