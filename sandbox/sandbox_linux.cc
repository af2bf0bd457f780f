// The Linux half of the sandbox: the runner, and the probe that decides
// whether the sandbox works here. The supervisor (internal/supervisor.h)
// runs the command; internal/namespaces.h builds the sandbox's file system.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "base/fd.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "sandbox/internal/namespaces.h"
#include "sandbox/internal/plan.h"
#include "sandbox/internal/report.h"
#include "sandbox/internal/supervisor.h"
#include "sandbox/sandbox.h"

namespace cook::sandbox {
namespace {

namespace fs = std::filesystem;
using internal::AboveStdio;
using internal::Describe;
using internal::DescribeWait;
using internal::ExitCode;
using internal::Outcome;
using internal::Plan;
using internal::PlanNamespaces;
using internal::Report;
using internal::ReportKind;
using internal::Step;
using internal::Supervised;

std::string ReadSysctl(const char* path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return "";
  return std::string(absl::StripAsciiWhitespace(*text));
}

// The next step for whoever can change the host.
std::string EnableUserNamespacesHint() {
  if (ReadSysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") ==
      "1") {
    return "AppArmor restricts unprivileged user namespaces; allow them with "
           "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`";
  }
  if (ReadSysctl("/proc/sys/kernel/unprivileged_userns_clone") == "0") {
    return "allow unprivileged user namespaces with "
           "`sysctl -w kernel.unprivileged_userns_clone=1`";
  }
  if (ReadSysctl("/proc/sys/user/max_user_namespaces") == "0") {
    return "allow user namespaces with "
           "`sysctl -w user.max_user_namespaces=10000`";
  }
  return "allow unprivileged user namespaces (`sysctl -w "
         "kernel.unprivileged_userns_clone=1`, or "
         "`kernel.apparmor_restrict_unprivileged_userns=0` under AppArmor; in "
         "a container, a seccomp profile that permits them)";
}

struct ProbeResult {
  absl::Status status;
  std::string enable_hint;  // how to allow user namespaces, when relevant
};

// "`enable_hint`, or `alternative`", or just `alternative`.
std::string Hint(const ProbeResult& probe, std::string_view alternative) {
  if (probe.enable_hint.empty()) return std::string(alternative);
  return absl::StrFormat("%s, or %s", probe.enable_hint, alternative);
}

ProbeResult Unavailable(std::string_view cause, bool namespaces_refused) {
  ProbeResult result;
  result.status = absl::FailedPreconditionError(
      absl::StrFormat("the sandbox is unavailable: %s", cause));
  if (namespaces_refused) result.enable_hint = EnableUserNamespacesHint();
  return result;
}

// Sets up a sandbox with no command in a throwaway child.
ProbeResult Probe() {
  Plan plan;
  plan.run_command = false;
  if (absl::Status planned = PlanNamespaces(plan); !planned.ok()) {
    return Unavailable(std::string(planned.message()), false);
  }
  absl::StatusOr<Outcome> outcome = Supervised(plan, false);
  if (!outcome.ok()) {
    return Unavailable(std::string(outcome.status().message()), true);
  }
  for (const Report& report : outcome->reports) {
    if (report.kind != ReportKind::kFailed) continue;
    // Where unprivileged user namespaces are restricted (a sysctl, AppArmor,
    // seccomp), creating them, writing the id maps or the first mounts
    // fail; later steps failing is something else.
    const bool refused =
        report.step == Step::kSetgroups || report.step == Step::kUidMap ||
        report.step == Step::kGidMap || report.step == Step::kHostname ||
        report.step == Step::kMountPrivate || report.step == Step::kMountTmp;
    return Unavailable(absl::StrFormat("%s: %s", Describe(plan, report),
                                       std::strerror(report.error)),
                       refused);
  }
  if (!WIFEXITED(outcome->wait_status) ||
      WEXITSTATUS(outcome->wait_status) != 0) {
    return Unavailable(
        absl::StrFormat("its probe %s", DescribeWait(outcome->wait_status)),
        false);
  }
  return ProbeResult{};
}

const ProbeResult& CachedProbe() {
  static const ProbeResult* const result = new ProbeResult(Probe());
  return *result;
}

// `path` without symlinks, ".." or "."; errors say it was to be made `what`
// (writable, visible) in the sandbox.
absl::StatusOr<std::string> Canonical(const fs::path& path, const char* what) {
  std::error_code ec;
  fs::path canonical = fs::canonical(path, ec);
  if (ec) {
    return FsError(ec, absl::StrFormat("making %s %s in the sandbox",
                                       path.string(), what));
  }
  return canonical.string();
}

class ProcessRunner final : public SandboxRunner {
 public:
  ProcessRunner(bool isolate, std::function<void(std::string_view)> warn)
      : isolate_(isolate), warn_(std::move(warn)) {}

  absl::StatusOr<int> Run(const SandboxSpec& spec) override;
  bool sandboxed() const override { return isolate_; }

 private:
  absl::StatusOr<Plan> MakePlan(const SandboxSpec& spec) const;

  const bool isolate_;
  const std::function<void(std::string_view)> warn_;
  bool warned_about_proc_ = false;
};

absl::StatusOr<Plan> ProcessRunner::MakePlan(const SandboxSpec& spec) const {
  if (spec.argv.empty()) {
    return absl::InvalidArgumentError("running a command: no program given");
  }
  const std::string& program = spec.argv[0];
  if (!fs::path(program).is_absolute()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "running %s: the program must be an absolute path", program));
  }
  if (!spec.cwd.is_absolute()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "running %s: the working directory \"%s\" is not absolute", program,
        spec.cwd.string()));
  }
  Plan plan;
  for (const std::string& arg : spec.argv) {
    plan.argv.push_back(const_cast<char*>(arg.c_str()));
  }
  plan.argv.push_back(nullptr);
  for (const std::string& entry : spec.env) {
    plan.envp.push_back(const_cast<char*>(entry.c_str()));
  }
  plan.envp.push_back(nullptr);
  plan.cwd = spec.cwd.string();

  std::set<std::string> writable, visible;
  for (const fs::path& path : spec.writable) {
    ASSIGN_OR_RETURN(std::string canonical, Canonical(path, "writable"));
    writable.insert(std::move(canonical));
  }
  // Only what the private /tmp would hide needs a (read-only) bind; the rest
  // of the file system is visible read-only anyway.
  for (const fs::path& path : spec.visible) {
    ASSIGN_OR_RETURN(std::string canonical, Canonical(path, "visible"));
    if (canonical.starts_with("/tmp/") && !writable.contains(canonical)) {
      visible.insert(std::move(canonical));
    }
  }
  writable.insert(visible.begin(), visible.end());
  // Parents before children, so that a child's bind lands on its parent's.
  plan.writable.assign(writable.begin(), writable.end());
  std::stable_sort(plan.writable.begin(), plan.writable.end(),
                   [](const std::string& a, const std::string& b) {
                     return a.size() < b.size();
                   });
  for (const std::string& path : plan.writable) {
    std::error_code ec;
    plan.writable_is_dir.push_back(fs::is_directory(path, ec) ? 1 : 0);
    plan.writable_read_only.push_back(visible.contains(path) ? 1 : 0);
  }
  plan.writable_fds.assign(plan.writable.size(), -1);
  if (isolate_) RETURN_IF_ERROR(PlanNamespaces(plan));
  return plan;
}

absl::StatusOr<int> ProcessRunner::Run(const SandboxSpec& spec) {
  RETURN_IF_ERROR(CheckInterrupted());
  ASSIGN_OR_RETURN(Plan plan, MakePlan(spec));
  Fd stdout_file;
  if (spec.stdout_file.has_value()) {
    const std::string context =
        absl::StrFormat("opening %s", spec.stdout_file->string());
    const int fd = ::open(spec.stdout_file->c_str(),
                          O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return ErrnoError(errno, context);
    ASSIGN_OR_RETURN(stdout_file, AboveStdio(Fd(fd), context));
    plan.stdout_fd = stdout_file.get();
  }
  ASSIGN_OR_RETURN(Outcome outcome, Supervised(plan, true));
  if (outcome.cancelled) return absl::CancelledError("interrupted");

  for (const Report& report : outcome.reports) {
    if (report.kind == ReportKind::kNote && !warned_about_proc_ && warn_) {
      warned_about_proc_ = true;
      warn_(absl::StrFormat(
          "the sandbox shows the host's processes: %s: %s; the build still "
          "runs isolated otherwise",
          Describe(plan, report), std::strerror(report.error)));
    }
  }
  for (const Report& report : outcome.reports) {
    if (report.kind == ReportKind::kFailed) {
      return ErrnoError(report.error, Describe(plan, report));
    }
  }
  for (const Report& report : outcome.reports) {
    if (report.kind == ReportKind::kExited) return ExitCode(report.wait_status);
  }
  return absl::InternalError(
      absl::StrFormat("running %s: the build's supervisor %s without a report",
                      spec.argv[0], DescribeWait(outcome.wait_status)));
}

}  // namespace

absl::Status UserNamespacesAvailable() { return CachedProbe().status; }

absl::StatusOr<std::unique_ptr<SandboxRunner>> NewSandboxRunner(
    SandboxMode mode, const std::function<void(std::string_view)>& warn) {
  if (mode == SandboxMode::kOff) {
    return std::make_unique<ProcessRunner>(false, warn);
  }
  const ProbeResult& probe = CachedProbe();
  if (probe.status.ok()) return std::make_unique<ProcessRunner>(true, warn);
  if (mode == SandboxMode::kOn) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s\nhint: %s", probe.status.message(),
                        Hint(probe, "run with --sandbox off")));
  }
  if (warn) {
    warn(absl::StrFormat(
        "%s; building without it: the build can reach the network and write "
        "outside its directories\nhint: %s",
        probe.status.message(),
        Hint(probe, "pass --sandbox off to silence this warning")));
  }
  return std::make_unique<ProcessRunner>(false, warn);
}

}  // namespace cook::sandbox
