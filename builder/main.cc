// builder/main.cc: the only code that sees argv, the environment, stderr and
// exit codes.

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/interrupt.h"
#include "builder/cli/command.h"
#include "builder/cli/commands.h"
#include "builder/cli/report.h"
#include "builder/version.h"

extern char** environ;

namespace {

// The user's home as cargo and docker find it: $HOME when set and not
// empty, else the password database's entry for this user; "" when neither
// names one.
std::string UserHome() {
  if (const char* home = std::getenv("HOME"); home && *home) return home;
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<size_t>(size) : 16384);
  struct passwd entry;
  struct passwd* found = nullptr;
  if (::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr || found->pw_dir == nullptr) {
    return "";
  }
  return found->pw_dir;
}

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
  env.home = UserHome();
  // As cargo does: $CARGO_HOME (a relative one is made absolute against the
  // working directory by Parse), else ~/.cargo; never the current directory
  // because HOME is unset.
  if (const char* home = std::getenv("CARGO_HOME"); home && *home) {
    env.cargo_home = home;
  } else if (!env.home.empty()) {
    env.cargo_home = (std::filesystem::path(env.home) / ".cargo").string();
  }
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) {
    env.source_date_epoch = epoch;
  }
  if (const char* file = std::getenv("REGISTRY_AUTH_FILE")) env.registry_auth_file = file;
  if (const char* dir = std::getenv("DOCKER_CONFIG")) env.docker_config = dir;
  for (char** e = environ; *e != nullptr; ++e) env.variables.emplace_back(*e);
  // As the C++ library finds it ($TMPDIR, $TMP, $TEMP, $TEMPDIR; one that is
  // not a directory is an error), and /tmp when it finds none.
  std::error_code ec;
  const std::filesystem::path tmp = std::filesystem::temp_directory_path(ec);
  env.temp_dir = ec ? std::string("/tmp") : tmp.string();
  env.version = cook::builder::VersionLine();
  return env;
}

}  // namespace

int main(int argc, char** argv) {
  cook::InstallInterruptHandlers();
  // Nothing should throw (STYLE: no exceptions escape), but an exception that
  // did would abort without unwinding, leaving staging directories and
  // temporary files behind: caught here, the destructors clean up and the
  // failure is one error line.
  try {
    absl::StatusOr<cook::cli::Command> command =
        cook::cli::Parse(argc, argv, ReadEnvironment());
    if (!command.ok()) return cook::cli::ReportUsage(command.status(), stderr);
    return cook::cli::Report(cook::cli::Run(*command, stdout, stderr), stderr);
  } catch (const std::exception& e) {
    return cook::cli::Report(absl::InternalError(absl::StrCat("internal error: ", e.what())),
                             stderr);
  }
}
