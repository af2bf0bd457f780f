// Runs a command through a SandboxRunner, for tests that need a fresh process:
// another user, a host without user namespaces.
//
//   run_in_sandbox MODE [--writable=PATH]... [--cwd=DIR] [--stdout=FILE]
//                  [--pass-env=NAME]... -- PROGRAM [ARG]...
//
// Exits with the command's exit code, or 130 when interrupted (SIGINT,
// SIGTERM); prints "warning: ..." for warnings and exits 125 after
// "error: ..." when the runner fails.

#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/interrupt.h"
#include "sandbox/sandbox.h"

extern char** environ;

namespace {

constexpr int kRunnerFailed = 125;
constexpr int kInterrupted = 130;

int Usage() {
  std::fprintf(stderr,
               "usage: run_in_sandbox auto|on|off [--writable=PATH]... "
               "[--cwd=DIR] [--stdout=FILE] [--pass-env=NAME]... -- PROGRAM "
               "[ARG]...\n");
  return 2;
}

bool TakeFlag(std::string_view arg, std::string_view name, std::string* value) {
  if (arg.substr(0, name.size()) != name) return false;
  *value = std::string(arg.substr(name.size()));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using cook::sandbox::SandboxSpec;
  cook::InstallInterruptHandlers();
  if (argc < 2) return Usage();
  absl::StatusOr<cook::sandbox::SandboxMode> mode =
      cook::sandbox::ParseSandboxMode(argv[1]);
  if (!mode.ok()) return Usage();
  SandboxSpec spec;
  std::vector<std::string> pass_env;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return Usage();
  spec.cwd = cwd;
  int i = 2;
  for (; i < argc && std::string_view(argv[i]) != "--"; ++i) {
    std::string value;
    if (TakeFlag(argv[i], "--writable=", &value)) {
      spec.writable.emplace_back(value);
    } else if (TakeFlag(argv[i], "--cwd=", &value)) {
      spec.cwd = value;
    } else if (TakeFlag(argv[i], "--stdout=", &value)) {
      spec.stdout_file = value;
    } else if (TakeFlag(argv[i], "--pass-env=", &value)) {
      pass_env.push_back(value);
    } else {
      return Usage();
    }
  }
  if (i + 1 >= argc) return Usage();
  spec.argv.assign(argv + i + 1, argv + argc);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  spec.env = cook::sandbox::FilterEnvironment(env, pass_env);

  auto runner =
      cook::sandbox::NewSandboxRunner(*mode, [](std::string_view message) {
        std::fprintf(stderr, "warning: %.*s\n",
                     static_cast<int>(message.size()), message.data());
      });
  if (!runner.ok()) {
    std::fprintf(stderr, "error: %s\n",
                 std::string(runner.status().message()).c_str());
    return kRunnerFailed;
  }
  std::fprintf(stderr, "sandboxed: %s\n",
               (*runner)->sandboxed() ? "yes" : "no");
  absl::StatusOr<int> code = (*runner)->Run(spec);
  if (absl::IsCancelled(code.status())) return kInterrupted;
  if (!code.ok()) {
    std::fprintf(stderr, "error: %s\n",
                 std::string(code.status().message()).c_str());
    return kRunnerFailed;
  }
  return *code;
}
