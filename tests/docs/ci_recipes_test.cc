// The CI recipes cannot rot: every cook command in docs/ci/*.yml, and in the
// manual's EXAMPLES, parses with the current command line (cli::Parse, as
// `cook` runs it), with plausible values for the recipes' placeholders and
// throw-away keys where the commands name key files (cook reads keys while
// parsing). And the recipes restore nothing unverified.

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "builder/cli/command.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/docs/docs_testing.h"
#include "tests/docs/recipe_commands.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::CookCommand;
using ::cook::testing::RunProgram;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::IsSupersetOf;
using ::testing::SizeIs;

class CiRecipesTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    checkout_ = root_ / "checkout";
    fs::create_directories(checkout_);
    fs::create_directories(root_ / "tmp");
    ASSERT_EQ(RunProgram({"openssl", "ecparam", "-genkey", "-name", "prime256v1", "-noout",
                          "-out", (root_ / "throwaway.key").string()})
                  .exit_code,
              0);
    ASSERT_EQ(RunProgram({"openssl", "ec", "-in", (root_ / "throwaway.key").string(), "-pubout",
                          "-out", (root_ / "throwaway.pub").string()})
                  .exit_code,
              0);
    // The recipes' placeholders: variables the CI or the recipe sets, and
    // secrets.
    const std::string temp = (root_ / "tmp").string();
    values_ = {
        {"COOK_CACHE", "registry.example.com/team/app/cook-deps"},
        {"RUNNER_TEMP", (root_ / "runner-temp").string()},
        {"COOK_SIGNING_KEY", (root_ / "ci-files" / "COOK_SIGNING_KEY").string()},
        {"COOK_AUTH_FILE", temp + "/tmp.Xa12bc"},
        {"COOK_KEY_FILE", temp + "/cook.key"},
        {"PUSH_AUTH_FILE", temp + "/auth.json"},
        {"CI_REGISTRY", "registry.example.com"},
        {"REGISTRY_USER", "ci-user"},
        {"REGISTRY_TOKEN", "t0ken"},
        {"COOK_PUSH_USER", "push-user"},
        {"COOK_PUSH_TOKEN", "t0ken"},
        {"COOK_PULL_USER", "pull-user"},
        {"COOK_PULL_TOKEN", "t0ken"},
        {"github.actor", "ci-user"},
        {"secrets.GITHUB_TOKEN", "t0ken"},
    };
  }

  // Puts a throw-away key wherever `args` name one: a private key after
  // --sign-key, a public one after --verify-key.
  void ProvideKeys(const std::vector<std::string>& args) {
    for (size_t i = 0; i < args.size(); ++i) {
      for (const auto& [flag, made] : {std::pair{"--sign-key", "throwaway.key"},
                                       std::pair{"--verify-key", "throwaway.pub"}}) {
        std::string path;
        if (args[i] == flag && i + 1 < args.size()) path = args[i + 1];
        if (absl::StartsWith(args[i], absl::StrCat(flag, "="))) {
          path = args[i].substr(std::string(flag).size() + 1);
        }
        if (path.empty()) continue;
        const fs::path key = checkout_ / path;  // an absolute path stays as it is
        if (fs::exists(key)) continue;
        fs::create_directories(key.parent_path());
        fs::copy_file(root_ / made, key);
      }
    }
  }

  // One "FILE:LINE: cook ARGS: ERROR" for each cook command of `text` that
  // does not parse; adds each command's subcommand to `subcommands`.
  std::vector<std::string> Problems(const std::string& file, const std::string& text,
                                    std::vector<std::string>* subcommands = nullptr) {
    cli::Environment env;
    env.working_dir = checkout_.string();
    env.home = (root_ / "home").string();
    env.cargo_home = (root_ / "home" / ".cargo").string();
    env.temp_dir = (root_ / "tmp").string();
    std::vector<std::string> problems;
    for (const CookCommand& command : testing::CookCommands(text, values_)) {
      const std::string where = absl::StrCat(file, ":", command.line, ": cook ",
                                             absl::StrJoin(command.args, " "), ": ");
      if (!command.unknown.empty()) {
        problems.push_back(absl::StrCat(where, "no value for ",
                                        absl::StrJoin(command.unknown, ", "),
                                        " (add one to the test's placeholders)"));
        continue;
      }
      if (subcommands != nullptr && !command.args.empty()) {
        subcommands->push_back(command.args[0]);
      }
      ProvideKeys(command.args);
      std::vector<const char*> argv = {"cook"};
      for (const std::string& arg : command.args) argv.push_back(arg.c_str());
      absl::StatusOr<cli::Command> parsed =
          cli::Parse(static_cast<int>(argv.size()), argv.data(), env);
      if (!parsed.ok()) problems.push_back(absl::StrCat(where, parsed.status().message()));
    }
    return problems;
  }

  fs::path checkout_;
  std::map<std::string, std::string> values_;
};

TEST_F(CiRecipesTest, EveryCookCommandOfTheRecipesParses) {
  for (const char* file : {"docs/ci/github-actions.yml", "docs/ci/gitlab-ci.yml"}) {
    SCOPED_TRACE(file);
    std::vector<std::string> subcommands;
    EXPECT_THAT(Problems(file, testing::ReadTestData(testing::RunfilePath(file)), &subcommands),
                IsEmpty());
    // What each recipe shows, so that an extraction that finds nothing fails.
    EXPECT_THAT(subcommands, IsSupersetOf({"build", "restore", "inspect"}));
  }
}

// The manual's examples are recipes too.
TEST_F(CiRecipesTest, EveryCookCommandOfTheManPagesExamplesParses) {
  const std::string page = testing::RenderedManPage();
  const size_t begin = page.find("\nEXAMPLES\n");
  const size_t end = page.find("\nSEE ALSO\n");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  // Without the shell prompts of the examples that show output; the lines
  // before them blank, so that a line number is the rendered page's.
  const std::string examples =
      absl::StrCat(std::string(std::count(page.begin(), page.begin() + begin, '\n'), '\n'),
                   absl::StrReplaceAll(page.substr(begin, end - begin), {{"$ cook ", "cook "}}));
  std::vector<std::string> subcommands;
  EXPECT_THAT(Problems("docs/cook.1 (rendered by groff -Tascii)", examples, &subcommands),
              IsEmpty());
  EXPECT_THAT(subcommands, IsSupersetOf({"build", "restore", "inspect"}));
}

// README, "Against cache poisoning": nothing a recipe restores goes unverified.
TEST_F(CiRecipesTest, EveryRestoreOfTheRecipesIsVerified) {
  for (const char* file : {"docs/ci/github-actions.yml", "docs/ci/gitlab-ci.yml"}) {
    for (const CookCommand& command : testing::CookCommands(
             testing::ReadTestData(testing::RunfilePath(file)), values_)) {
      const bool restores =
          !command.args.empty() && (command.args[0] == "restore" ||
                                    absl::c_linear_search(command.args, "--cache-from"));
      EXPECT_TRUE(!restores || absl::c_linear_search(command.args, "--verify-key"))
          << file << ":" << command.line << ": cook " << absl::StrJoin(command.args, " ")
          << ": restores without --verify-key";
    }
  }
}

TEST_F(CiRecipesTest, AFlagCookLacksFailsNamingTheFileAndLine) {
  const std::string recipe =
      "test:\n"
      "  script:\n"
      "    - |\n"
      "      cook restore --from \"docker://$COOK_CACHE:main\" --manifest-path . \\\n"
      "          --verify-key cook.pub --no-such-flag\n"
      "    - cargo build\n";
  std::vector<std::string> problems = Problems("recipe.yml", recipe);
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0], HasSubstr("recipe.yml:4: cook restore --from "
                                     "docker://registry.example.com/team/app/cook-deps:main"));
  EXPECT_THAT(problems[0], HasSubstr("--no-such-flag"));
}

TEST_F(CiRecipesTest, APlaceholderWithoutAValueFails) {
  std::vector<std::string> problems =
      Problems("recipe.yml", "- run: cook inspect \"docker://${{ vars.CACHE }}:main\"\n");
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0], HasSubstr("recipe.yml:1: cook inspect"));
  EXPECT_THAT(problems[0], HasSubstr("no value for vars.CACHE"));
}

TEST(RecipeCommandsTest, TakesTheWordsTheShellWouldPass) {
  const std::string script =
      "      - run: |\n"
      "          # cook commands in comments are not run\n"
      "          if cook inspect \"docker://${{ env.REPO }}:main\" --creds 'u:p w' \\\n"
      "              --quiet 2> /dev/null; then X=1 cook copy \"$SRC\" oci:out; fi\n"
      "          echo cook; make cook || cook restore --from ${REPO}x --json\n";
  const std::map<std::string, std::string> values = {
      {"env.REPO", "reg.example/a"}, {"SRC", "oci:in"}, {"REPO", "r"}};
  std::vector<CookCommand> commands = testing::CookCommands(script, values);
  ASSERT_THAT(commands, SizeIs(3));
  EXPECT_EQ(commands[0].line, 3);
  EXPECT_THAT(commands[0].args, ::testing::ElementsAre("inspect", "docker://reg.example/a:main",
                                                       "--creds", "u:p w", "--quiet"));
  EXPECT_THAT(commands[1].args, ::testing::ElementsAre("copy", "oci:in", "oci:out"));
  EXPECT_EQ(commands[2].line, 5);
  EXPECT_THAT(commands[2].args, ::testing::ElementsAre("restore", "--from", "rx", "--json"));
  for (const CookCommand& command : commands) EXPECT_THAT(command.unknown, IsEmpty());
}

}  // namespace
}  // namespace cook
