// builder/main.cc: the only code that sees argv, the environment, stderr and
// exit codes.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "base/interrupt.h"
#include "builder/cli/command.h"
#include "builder/cli/commands.h"

namespace {

cook::cli::Environment ReadEnvironment() {
  cook::cli::Environment env;
  // Under `bazel run`, relative paths mean the user's directory, not the
  // runfiles tree.
  if (const char* dir = std::getenv("BUILD_WORKING_DIRECTORY"); dir && *dir) {
    env.working_dir = dir;
  } else {
    std::error_code ec;
    env.working_dir = std::filesystem::current_path(ec).string();
  }
  if (const char* home = std::getenv("CARGO_HOME"); home && *home) {
    env.cargo_home = home;
  } else if (const char* user_home = std::getenv("HOME"); user_home && *user_home) {
    env.cargo_home = std::filesystem::path(user_home) / ".cargo";
  }
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) {
    env.source_date_epoch = epoch;
  }
  if (const char* file = std::getenv("REGISTRY_AUTH_FILE")) env.registry_auth_file = file;
  if (const char* dir = std::getenv("DOCKER_CONFIG")) env.docker_config = dir;
  if (const char* home = std::getenv("HOME")) env.home = home;
  return env;
}

}  // namespace

int main(int argc, char** argv) {
  cook::InstallInterruptHandlers();
  absl::StatusOr<cook::cli::Command> command =
      cook::cli::Parse(argc, argv, ReadEnvironment());
  if (!command.ok()) return cook::cli::ReportUsage(command.status(), stderr);
  return cook::cli::Report(cook::cli::Run(*command, stdout, stderr), stderr);
}
