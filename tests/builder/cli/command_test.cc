#include "builder/cli/command.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "builder/cli/report.h"
#include "tests/builder/cli/usage_testing.h"
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
  const auto& command_ = std::get<AssembleCommand>(*command);
  const auto& o = command_.assemble;
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
  const auto& command_ = std::get<AssembleCommand>(*command);
  const auto& o = command_.assemble;
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
  EXPECT_TRUE(command_.common.json);
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

TEST(CommandTest, VersionPrintsTheBuildsLineWithoutASubcommand) {
  Environment env{"/work", std::nullopt};
  env.version = "cook 1.2.3 (abc1234)";
  auto version = ParseArgs({"--version"}, env);
  ASSERT_THAT(version, IsOk());
  EXPECT_EQ(std::get<HelpRequest>(*version).text, "cook 1.2.3 (abc1234)\n");
  auto help = ParseArgs({"--help"}, env);
  ASSERT_THAT(help, IsOk());
  EXPECT_THAT(std::get<HelpRequest>(*help).text, HasSubstr("--version"));
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
  EXPECT_EQ(std::get<AssembleCommand>(*command).assemble.epoch, absl::FromUnixSeconds(86400));
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

TEST(CommandTest, RestoreTakesAWorkspaceAndCargosOptionsForItsVerdict) {
  auto command = ParseArgs({"restore", "--from", "oci:img", "--cargo-home", "/ch",
                            "--manifest-path", "ws", "--release", "--target",
                            "aarch64-unknown-linux-gnu", "-F", "x", "--require-hit", "--force"});
  ASSERT_THAT(command, IsOk());
  const cache::RestoreOptions& o = std::get<RestoreCommand>(*command).restore;
  EXPECT_EQ(o.manifest_path, "/work/ws");
  EXPECT_TRUE(o.cargo.release);
  EXPECT_THAT(o.cargo.targets, ElementsAre("aarch64-unknown-linux-gnu"));
  EXPECT_EQ(o.cargo.features, "x");
  EXPECT_TRUE(o.require_hit);
  EXPECT_TRUE(o.force);

  // Without a workspace there is no verdict to require, force or compare.
  for (const char* flag : {"--require-hit", "--force", "--release"}) {
    EXPECT_THAT(ParseArgs({"restore", "--from", "oci:img", "--cargo-home", "/ch", flag}),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--manifest-path")))
        << flag;
  }
}

TEST(CommandTest, RestoreCargoHomeIsAbsoluteAndNeverDefaultsToTheWorkingDirectory) {
  Environment env{"/work", std::nullopt};
  env.cargo_home = "rel/home";  // a relative CARGO_HOME
  auto command = ParseArgs({"restore", "--from", "oci:img"}, env);
  ASSERT_THAT(command, IsOk());
  EXPECT_EQ(std::get<RestoreCommand>(*command).restore.cargo_home, "/work/rel/home");

  // No CARGO_HOME and no home: the working directory is no answer.
  env.cargo_home.clear();
  EXPECT_THAT(ParseArgs({"restore", "--from", "oci:img"}, env),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("no cargo home"), HasSubstr("--cargo-home"))));
  command = ParseArgs({"restore", "--from", "oci:img", "--cargo-home", "ch"}, env);
  ASSERT_THAT(command, IsOk());
  EXPECT_EQ(std::get<RestoreCommand>(*command).restore.cargo_home, "/work/ch");
}

// What main prints for `args` as a usage error, and that it exits 2.
std::string UsageErrorOf(std::vector<std::string> args) {
  absl::StatusOr<Command> command = ParseArgs(std::move(args));
  EXPECT_FALSE(command.ok());
  if (command.ok()) return "";
  const std::string out = PrintedUsageError(command.status());
  const std::string hint = "hint: run 'cook --help' for usage\n";
  EXPECT_TRUE(out.ends_with(hint)) << out;
  return out.substr(0, out.size() - hint.size());
}

TEST(ValidatorTest, KeyValueOptionsNeedAKey) {
  EXPECT_EQ(UsageErrorOf({"assemble", "--add", "/a", "--dest", "oci:/o", "--env", "NOEQ"}),
            "cook: error: --env \"NOEQ\": expected KEY=VALUE\n");
  EXPECT_EQ(UsageErrorOf({"build", "--label", "=v"}),
            "cook: error: --label \"=v\": expected KEY=VALUE\n");
  auto command = ParseArgs({"build", "--env", "A==b", "--label", "k="});
  ASSERT_THAT(command, IsOk());
  EXPECT_THAT(std::get<BuildCommand>(*command).build.env, ElementsAre(Pair("A", "=b")));
  EXPECT_THAT(std::get<BuildCommand>(*command).build.labels, ElementsAre(Pair("k", "")));
}

TEST(ValidatorTest, AddNeedsASource) {
  EXPECT_EQ(UsageErrorOf({"assemble", "--add", ":/x", "--dest", "oci:/o"}),
            "cook: error: --add \":/x\": expected SRC[:DEST]\n");
  EXPECT_EQ(UsageErrorOf({"assemble", "--add", "", "--dest", "oci:/o"}),
            "cook: error: --add \"\": expected SRC[:DEST]\n");
}

TEST(ValidatorTest, ImageRootMustBeAbsolute) {
  EXPECT_EQ(UsageErrorOf({"build", "--image-root", "rel"}),
            "cook: error: --image-root \"rel\": expected an absolute path\n");
}

TEST(ValidatorTest, JobsIsANonNegativeInteger) {
  EXPECT_EQ(UsageErrorOf({"build", "-j", "-1"}),
            "cook: error: --jobs: expected a positive number\n");
  // What is no number is CLI11's conversion error, as it always was.
  EXPECT_EQ(UsageErrorOf({"build", "--jobs", "x"}),
            "cook: error: could not convert: --jobs = x\n");
  auto command = ParseArgs({"build", "--jobs", "0"});
  ASSERT_THAT(command, IsOk());
  EXPECT_EQ(std::get<BuildCommand>(*command).build.cargo.jobs, 0);
}

TEST(ValidatorTest, MaxLayerSizeIsBytesWithABinarySuffix) {
  for (const char* size : {"12Q", "-1", "", "1.5G", "99999999999999999999", "17179869184G",
                           "2GB"}) {
    EXPECT_EQ(UsageErrorOf({"build", "--max-layer-size", size}),
              absl::StrCat("cook: error: --max-layer-size \"", size,
                           "\": expected a size such as 512M or 2G\n"));
  }
  const std::pair<const char*, uint64_t> sizes[] = {
      {"0", 0}, {"1048576", 1048576}, {"512M", uint64_t{512} << 20},
      {"2g", uint64_t{2} << 30}, {"010k", 10240}, {"17179869183G", (UINT64_MAX >> 30) << 30}};
  for (const auto& [text, bytes] : sizes) {
    auto command = ParseArgs({"build", "--max-layer-size", text});
    ASSERT_THAT(command, IsOk()) << text;
    EXPECT_EQ(std::get<BuildCommand>(*command).build.max_layer_bytes, bytes) << text;
  }
  auto command = ParseArgs({"build"});
  ASSERT_THAT(command, IsOk());
  EXPECT_EQ(std::get<BuildCommand>(*command).build.max_layer_bytes, uint64_t{2} << 30);
}

TEST(ValidatorTest, TlsVerifyIsTrueOrFalse) {
  EXPECT_EQ(UsageErrorOf({"inspect", "oci:/i", "--tls-verify=maybe"}),
            "cook: error: --tls-verify=maybe: expected true or false\n");
  EXPECT_EQ(UsageErrorOf({"inspect", "oci:/i", "--tls-verify", "yes"}),
            "cook: error: --tls-verify=yes: expected true or false\n");
  for (const auto& [text, verify] : {std::pair{"FALSE", false}, std::pair{"0", false},
                                     std::pair{"True", true}, std::pair{"1", true}}) {
    auto command = ParseArgs({"inspect", "oci:/i", absl::StrCat("--tls-verify=", text)});
    ASSERT_THAT(command, IsOk()) << text;
    EXPECT_EQ(std::get<InspectOptions>(*command).common.registry.tls_verify, verify) << text;
  }
}

TEST(ValidatorTest, CredsNeedAUser) {
  for (const char* creds : {":secret", ""}) {
    EXPECT_EQ(UsageErrorOf({"copy", "oci:/a", "oci:/b", "--creds", creds}),
              "cook: error: --creds: expected USER[:PASSWORD] with a non-empty user\n");
  }
}

TEST(ValidatorTest, ReleaseExcludesProfile) {
  EXPECT_EQ(UsageErrorOf({"build", "--profile", "dev", "--release"}),
            "cook: error: --release excludes --profile\n");
}

TEST(ValidatorTest, HelpWinsOverAValueCookRejects) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"inspect", "bogus:x", "--help"},
        {"build", "--jobs", "-1", "-h"},
        {"assemble", "--dest", "scratch", "--help"}}) {
    auto command = ParseArgs(args);
    ASSERT_THAT(command, IsOk()) << args[0];
    EXPECT_THAT(std::get<HelpRequest>(*command).text, HasSubstr("Usage: " + args[0]));
  }
  auto all = ParseArgs({"copy", "a", "--help-all"});
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(std::get<HelpRequest>(*all).text, HasSubstr("Usage: cook copy"));
}

TEST(ValidatorTest, AReferenceKeepsItsHint) {
  EXPECT_THAT(ParseArgs({"inspect", "bogus:x"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("unknown transport \"bogus\" in \"bogus:x\""),
                             HasSubstr("\nhint: use oci:"))));
}

TEST(CommandTest, PathOptionsResolveAgainstTheWorkingDirectory) {
  auto prepare = ParseArgs({"prepare"});
  ASSERT_THAT(prepare, IsOk());
  EXPECT_EQ(std::get<PrepareCommand>(*prepare).manifest_path, "/work/");
  EXPECT_EQ(std::get<PrepareCommand>(*prepare).recipe_path, "/work/recipe.json");
  auto skeleton = ParseArgs({"skeleton", "--recipe-path", "../r.json", "--out", "s/./k"});
  ASSERT_THAT(skeleton, IsOk());
  EXPECT_EQ(std::get<SkeletonCommand>(*skeleton).recipe_path, "/r.json");
  EXPECT_EQ(std::get<SkeletonCommand>(*skeleton).out_dir, "/work/s/k");
  auto restore = ParseArgs({"restore", "--from", "oci:i", "--cargo-home", "/ch"});
  ASSERT_THAT(restore, IsOk());
  EXPECT_EQ(std::get<RestoreCommand>(*restore).restore.target_dir, "/work/target");
  EXPECT_EQ(std::get<RestoreCommand>(*restore).restore.cargo_home, "/ch");
  // An empty --target-dir is none given: cook build uses a private one.
  for (const auto& [given, resolved] : {std::pair{"t", "/work/t"}, std::pair{"", ""}}) {
    auto build = ParseArgs({"build", "--target-dir", given});
    ASSERT_THAT(build, IsOk());
    EXPECT_EQ(std::get<BuildCommand>(*build).build.target_dir, resolved);
    EXPECT_EQ(std::get<BuildCommand>(*build).build.manifest_path, "/work/");
  }
}

TEST(CommandTest, EveryCommandCarriesTheEnvironment) {
  Environment env{"/work", std::nullopt};
  env.cargo_home = "/home/ci/.cargo";
  env.variables = {"PATH=/bin", "A=1"};
  env.temp_dir = "/scratch";
  for (std::vector<std::string> args :
       {std::vector<std::string>{"assemble", "--add", "/a", "--dest", "oci:/o"},
        {"inspect", "oci:/i"}, {"prepare"}, {"skeleton", "--out", "s"}, {"build"},
        {"restore", "--from", "oci:i"}, {"copy", "oci:/a", "oci:/b"}}) {
    auto command = ParseArgs(args, env);
    ASSERT_THAT(command, IsOk()) << args[0];
    std::visit(
        [&](const auto& c) {
          if constexpr (requires { c.common; }) {
            EXPECT_THAT(c.common.environment, ElementsAre("PATH=/bin", "A=1")) << args[0];
            EXPECT_EQ(c.common.temp_dir, "/scratch") << args[0];
          } else {
            ADD_FAILURE() << args[0];
          }
        },
        *command);
  }
}

}  // namespace
}  // namespace cook::cli
