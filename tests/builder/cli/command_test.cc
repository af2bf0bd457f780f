#include "builder/cli/command.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace cook::cli {
namespace {

using ::cook::testing::IsOk;
using ::cook::testing::IsOkAndHolds;
using ::cook::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

absl::StatusOr<Command> ParseArgs(std::vector<std::string> args,
                                  Environment env = {"/work", std::nullopt}) {
  args.insert(args.begin(), "cook");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return Parse(static_cast<int>(argv.size()), argv.data(), env);
}

TEST(CommandTest, AssembleResolvesRelativePathsAgainstTheWorkingDirectory) {
  auto command = ParseArgs({"assemble", "--add", "dir", "--add", "x/y:/opt/y",
                            "--dest", "oci:out:v1", "--dest", "docker-archive:a.tar"});
  ASSERT_THAT(command, IsOk());
  const auto& o = std::get<AssembleOptions>(*command);
  ASSERT_EQ(o.adds.size(), 2u);
  EXPECT_EQ(o.adds[0].source, "/work/dir");
  EXPECT_EQ(o.adds[0].dest, "/");
  EXPECT_EQ(o.adds[1].source, "/work/x/y");
  EXPECT_EQ(o.adds[1].dest, "/opt/y");
  ASSERT_EQ(o.dests.size(), 2u);
  EXPECT_EQ(o.dests[0].path, "/work/out");
  EXPECT_EQ(o.dests[0].tag, "v1");
  EXPECT_EQ(o.dests[1].path, "/work/a.tar");
  EXPECT_EQ(o.base.transport, oci::Transport::kScratch);
}

TEST(CommandTest, AssembleCollectsConfigOptionsInOrder) {
  auto command = ParseArgs({"assemble", "--add", "/a", "--dest", "oci:/o", "--env",
                            "B=2", "--env", "A=x=y", "--label", "k=v", "--entrypoint",
                            "/bin/sh", "--entrypoint", "-c", "--workdir", "/app",
                            "--platform", "linux/arm64/v8", "--compression", "gzip",
                            "--compression-level", "9", "--json"});
  ASSERT_THAT(command, IsOk());
  const auto& o = std::get<AssembleOptions>(*command);
  EXPECT_THAT(o.env, ElementsAre(Pair("B", "2"), Pair("A", "x=y")));
  EXPECT_THAT(o.labels, ElementsAre(Pair("k", "v")));
  ASSERT_TRUE(o.entrypoint.has_value());
  EXPECT_THAT(*o.entrypoint, ElementsAre("/bin/sh", "-c"));
  EXPECT_FALSE(o.cmd.has_value());
  EXPECT_EQ(o.workdir, "/app");
  ASSERT_TRUE(o.platform.has_value());
  EXPECT_EQ(o.platform->architecture, "arm64");
  EXPECT_EQ(o.platform->variant, "v8");
  EXPECT_EQ(o.compression, layers::Compression::kGzip);
  EXPECT_EQ(o.compression_level, 9);
  EXPECT_TRUE(o.common.json);
}

TEST(CommandTest, MalformedArgumentsAreUsageErrors) {
  EXPECT_THAT(ParseArgs({"assemble", "--add", "/a", "--dest", "oci:/o", "--env", "NOEQUALS"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("KEY=VALUE")));
  EXPECT_THAT(ParseArgs({"assemble", "--add", "/a", "--dest", "bogus:/o"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bogus")));
  EXPECT_THAT(ParseArgs({"assemble", "--add", "/a"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--dest")));
  EXPECT_THAT(ParseArgs({"assemble", "--add", "/a", "--dest", "scratch"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("scratch")));
  EXPECT_THAT(ParseArgs({"assemble", "--add", "/a", "--dest", "oci:/o", "--compression", "lz4"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lz4")));
  EXPECT_THAT(ParseArgs({"assemble", "--add", "/a", "--dest", "oci:/o",
                         "--compression-level", "30"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseArgs({"frobnicate"}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseArgs({}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CommandTest, HelpIsARequestNotAnError) {
  auto top = ParseArgs({"--help"});
  ASSERT_THAT(top, IsOk());
  EXPECT_THAT(std::get<HelpRequest>(*top).text, HasSubstr("assemble"));
  auto sub = ParseArgs({"inspect", "--help"});
  ASSERT_THAT(sub, IsOk());
  EXPECT_THAT(std::get<HelpRequest>(*sub).text, HasSubstr("REF"));
}

TEST(CommandTest, SourceDateEpochSetsTheEpoch) {
  EXPECT_THAT(EpochFrom({"/", std::nullopt}), IsOkAndHolds(absl::FromUnixSeconds(1)));
  EXPECT_THAT(EpochFrom({"/", "1700000000"}),
              IsOkAndHolds(absl::FromUnixSeconds(1700000000)));
  EXPECT_THAT(EpochFrom({"/", "yesterday"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("SOURCE_DATE_EPOCH")));
  auto command = ParseArgs({"assemble", "--add", "/a", "--dest", "oci:/o"},
                           {"/", "86400"});
  ASSERT_THAT(command, IsOk());
  EXPECT_EQ(std::get<AssembleOptions>(*command).epoch, absl::FromUnixSeconds(86400));
}

TEST(CommandTest, InspectTakesOneReference) {
  auto command = ParseArgs({"inspect", "docker-archive:img.tar", "--json"});
  ASSERT_THAT(command, IsOk());
  const auto& o = std::get<InspectOptions>(*command);
  EXPECT_EQ(o.ref.transport, oci::Transport::kDockerArchive);
  EXPECT_EQ(o.ref.path, "/work/img.tar");
  EXPECT_TRUE(o.common.json);
  EXPECT_THAT(ParseArgs({"inspect", "scratch"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CommandTest, RestoreCargoHomeIsAbsoluteAndNeverDefaultsToTheWorkingDirectory) {
  Environment env{"/work", std::nullopt};
  env.cargo_home = "rel/home";  // a relative CARGO_HOME
  auto command = ParseArgs({"restore", "--from", "oci:img"}, env);
  ASSERT_THAT(command, IsOk());
  EXPECT_EQ(std::get<RestoreCommand>(*command).cargo_home, "/work/rel/home");

  // No CARGO_HOME and no home: the working directory is no answer.
  env.cargo_home.clear();
  EXPECT_THAT(ParseArgs({"restore", "--from", "oci:img"}, env),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("no cargo home"), HasSubstr("--cargo-home"))));
  command = ParseArgs({"restore", "--from", "oci:img", "--cargo-home", "ch"}, env);
  ASSERT_THAT(command, IsOk());
  EXPECT_EQ(std::get<RestoreCommand>(*command).cargo_home, "/work/ch");
}

}  // namespace
}  // namespace cook::cli
