// --sign-key and --verify-key as cook parses them: keys read while parsing,
// so that a bad key or a reference that cannot carry a signature is a usage
// error (exit 2) before any work.

#include <string>
#include <vector>

#include "builder/cli/command.h"
#include "tests/builder/cli/usage_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook::cli {
namespace {

using ::cook::testing::IsOk;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

class SigningFlagsTest : public cook::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    const std::string key = (root_ / "cook.key").string();
    ASSERT_EQ(cook::testing::RunProgram(
                  {"openssl", "ecparam", "-genkey", "-name", "prime256v1", "-out", key})
                  .exit_code,
              0);
    ASSERT_EQ(cook::testing::RunProgram({"openssl", "ec", "-in", key, "-pubout", "-out",
                                         (root_ / "cook.pub").string()})
                  .exit_code,
              0);
  }
  absl::StatusOr<Command> ParseArgs(std::vector<std::string> args) {
    args.insert(args.begin(), "cook");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    // Key paths resolve against the working directory, as every path does.
    return Parse(static_cast<int>(argv.size()), argv.data(), {root_.string(), std::nullopt});
  }
  // What cook prints for a usage error, and its exit status.
  std::string UsageError(const std::vector<std::string>& args) {
    absl::StatusOr<Command> command = ParseArgs(args);
    EXPECT_FALSE(command.ok());
    if (command.ok()) return "";
    return PrintedUsageError(command.status());
  }
};

TEST_F(SigningFlagsTest, KeysAreReadWhileParsing) {
  absl::StatusOr<Command> build =
      ParseArgs({"build", "--dest", "oci:/o", "--sign-key", "cook.key", "--cache-from",
                 "docker://h/r:main", "--verify-key", "cook.pub", "--verify-key", "cook.pub"});
  ASSERT_THAT(build, IsOk());
  EXPECT_TRUE(std::get<BuildCommand>(*build).build.sign_key.has_value());
  EXPECT_THAT(std::get<BuildCommand>(*build).build.verify_keys, SizeIs(2));
  absl::StatusOr<Command> copy = ParseArgs(
      {"copy", "oci:/a", "docker://h/r:v", "--sign-key", "cook.key", "--verify-key", "cook.pub"});
  ASSERT_THAT(copy, IsOk());
  EXPECT_EQ(std::get<CopyCommand>(*copy).verify_keys[0].name(), (root_ / "cook.pub").string());
  EXPECT_THAT(ParseArgs({"restore", "--from", "oci:/a", "--cargo-home", "/h", "--verify-key",
                         "cook.pub"}),
              IsOk());
  EXPECT_THAT(ParseArgs({"inspect", "oci:/a", "--verify-key", "cook.pub"}), IsOk());
  EXPECT_THAT(ParseArgs({"assemble", "--add", "/x", "--dest", "oci:/o", "--sign-key",
                         "cook.key"}),
              IsOk());
}

TEST_F(SigningFlagsTest, BadKeysAreUsageErrorsNamingTheFlagAndFile) {
  EXPECT_THAT(UsageError({"build", "--sign-key", "cook.pub"}),
              StartsWith(absl::StrCat("cook: error: --sign-key: ", (root_ / "cook.pub").string(),
                                      ": a public key, where the private key belongs\n")));
  EXPECT_THAT(UsageError({"restore", "--from", "oci:/a", "--verify-key", "cook.key"}),
              AllOf(StartsWith("cook: error: --verify-key: "),
                    HasSubstr("a private key, where a public key belongs\nhint: ")));
  EXPECT_THAT(UsageError({"copy", "oci:/a", "oci:/b", "--verify-key", "missing.pub"}),
              StartsWith("cook: error: --verify-key: "));
  EXPECT_THAT(UsageError({"sign-nothing"}), HasSubstr("cook: error:"));
}

TEST_F(SigningFlagsTest, ReferencesThatCannotCarrySignaturesAreRefused) {
  EXPECT_THAT(UsageError({"build", "--dest", "docker-archive:/a.tar", "--sign-key", "cook.key"}),
              HasSubstr("--sign-key: docker-archive:/a.tar cannot carry a signature"));
  EXPECT_THAT(UsageError({"copy", "docker-archive:/a.tar", "oci:/b", "--verify-key",
                          "cook.pub"}),
              HasSubstr("--verify-key: docker-archive:/a.tar cannot carry a signature"));
  EXPECT_THAT(UsageError({"inspect", "docker-archive:/a.tar", "--verify-key", "cook.pub"}),
              HasSubstr("cannot carry a signature"));
  EXPECT_THAT(UsageError({"build", "--verify-key", "cook.pub"}),
              HasSubstr("--verify-key checks the --cache-from image; there is no --cache-from"));
}

}  // namespace
}  // namespace cook::cli
