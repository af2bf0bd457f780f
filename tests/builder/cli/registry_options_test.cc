// The registry options every docker://-capable command takes, and cook copy.

#include <string>
#include <variant>
#include <vector>

#include "builder/cli/command.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace cook::cli {
namespace {

using ::cook::testing::StatusIs;
using ::testing::HasSubstr;

absl::StatusOr<Command> ParseArgs(std::vector<std::string> args) {
  Environment env;
  env.working_dir = "/work";
  env.registry_auth_file = "/run/containers/auth.json";
  env.docker_config = "/etc/docker-config";
  env.home = "/home/ci";
  env.cargo_home = "/home/ci/.cargo";
  args.insert(args.begin(), "cook");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return Parse(static_cast<int>(argv.size()), argv.data(), env);
}

TEST(RegistryOptionsTest, CopyTakesEveryRegistryOption) {
  auto command = ParseArgs({"copy", "oci:layout:v1", "docker://registry.test:5000/app:v1",
                            "--creds", "ci:s3cret", "--authfile", "auth.json",
                            "--tls-verify=false", "--cert-dir", "certs"});
  ASSERT_TRUE(command.ok()) << command.status();
  const auto& copy = std::get<CopyCommand>(*command);
  EXPECT_EQ(copy.source.path, "/work/layout");
  EXPECT_EQ(copy.dest.registry, "registry.test:5000");
  EXPECT_EQ(copy.dest.repository, "app");
  const registry::RegistryOptions& r = copy.common.registry;
  EXPECT_EQ(r.auth.creds, "ci:s3cret");
  EXPECT_EQ(r.auth.authfile, "/work/auth.json");
  EXPECT_EQ(r.cert_dir, "/work/certs");
  EXPECT_FALSE(r.tls_verify);
  // Where the defaults are looked up comes from the environment.
  EXPECT_EQ(r.auth.registry_auth_file, "/run/containers/auth.json");
  EXPECT_EQ(r.auth.docker_config, "/etc/docker-config");
  EXPECT_EQ(r.auth.home, "/home/ci");
}

TEST(RegistryOptionsTest, DefaultsVerifyTlsWithoutCredentials) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"inspect", "docker://r.test/app"},
        {"restore", "--from", "docker://r.test/app"},
        {"assemble", "--add", "/a", "--dest", "docker://r.test/app"},
        {"build", "--dest", "docker://r.test/app"}}) {
    auto command = ParseArgs(args);
    ASSERT_TRUE(command.ok()) << args[0] << ": " << command.status();
    const registry::RegistryOptions* r = std::visit(
        [](const auto& c) -> const registry::RegistryOptions* {
          if constexpr (requires { c.common.registry; }) {
            return &c.common.registry;
          } else {
            return nullptr;
          }
        },
        *command);
    ASSERT_NE(r, nullptr) << args[0];
    EXPECT_TRUE(r->tls_verify) << args[0];
    EXPECT_FALSE(r->auth.creds.has_value()) << args[0];
    EXPECT_EQ(r->cert_dir, "") << args[0];
  }
}

TEST(RegistryOptionsTest, MalformedRegistryOptionsAreUsageErrors) {
  EXPECT_THAT(ParseArgs({"inspect", "docker://r.test/app", "--tls-verify=maybe"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--tls-verify")));
  EXPECT_THAT(ParseArgs({"inspect", "docker://r.test/app", "--creds", ":nouser"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--creds")));
  EXPECT_THAT(ParseArgs({"copy", "oci:a"}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseArgs({"copy", "scratch", "oci:b"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("scratch")));
  // prepare never talks to a registry.
  EXPECT_THAT(ParseArgs({"prepare", "--creds", "a:b"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cook::cli
