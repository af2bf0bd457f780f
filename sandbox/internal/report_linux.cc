#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "sandbox/internal/report.h"

namespace cook::sandbox::internal {

// Not base's WriteAll: after the clone nothing may allocate, and WriteAll
// builds a Status message when it fails. A record is one atomic write.
void Send(const Plan& plan, const Report& report) {
  ssize_t rc;
  do {
    rc = ::write(plan.report_fd, &report, sizeof report);
  } while (rc < 0 && errno == EINTR);
}

void Fail(const Plan& plan, Step step, int index, int error) {
  Send(plan, Report{ReportKind::kFailed, step, index, error, 0});
  _exit(kSetupFailedExit);
}

void Fail(const Plan& plan, Step step, int error) {
  Fail(plan, step, -1, error);
}

namespace {

// The `index`th of `paths`, or "?" when a report's index is out of range.
std::string PathAt(const std::vector<std::string>& paths, int32_t index) {
  return index >= 0 && static_cast<size_t>(index) < paths.size()
             ? paths[index]
             : std::string("?");
}

}  // namespace

std::string Describe(const Plan& plan, const Report& report) {
  const std::string mount_point = PathAt(plan.mount_points, report.index);
  const std::string writable = PathAt(plan.writable, report.index);
  const std::string program = plan.argv.empty() || plan.argv[0] == nullptr
                                  ? std::string()
                                  : std::string(plan.argv[0]);
  switch (report.step) {
    case Step::kSubreaper:
      return "setting up the build's supervisor: becoming a subreaper";
    case Step::kSetgroups:
      return "setting up the sandbox: denying setgroups";
    case Step::kUidMap:
      return "setting up the sandbox: writing the uid map";
    case Step::kGidMap:
      return "setting up the sandbox: writing the gid map";
    case Step::kHostname:
      return "setting up the sandbox: setting the host name";
    case Step::kMountPrivate:
      return "setting up the sandbox: making mounts private";
    case Step::kOpenWritable:
      return absl::StrFormat("setting up the sandbox: opening %s", writable);
    case Step::kRemountReadOnly:
      return absl::StrFormat("setting up the sandbox: remounting %s read-only",
                             mount_point);
    case Step::kMountProc:
      return "setting up the sandbox: mounting /proc";
    case Step::kMountTmp:
      return "setting up the sandbox: mounting a private /tmp";
    case Step::kMakeMountPoint:
      return absl::StrFormat(
          "setting up the sandbox: creating %s in the private /tmp", writable);
    case Step::kBindWritable:
      return absl::StrFormat("setting up the sandbox: binding %s", writable);
    case Step::kRemountWritable:
      return absl::StrFormat("setting up the sandbox: making %s writable",
                             writable);
    case Step::kSignalFd:
      return "setting up the build's supervisor: creating a signalfd";
    case Step::kFork:
      return absl::StrFormat("running %s: forking", program);
    case Step::kDropCapabilities:
      return absl::StrFormat("running %s: dropping capabilities", program);
    case Step::kStdin:
      return absl::StrFormat("running %s: opening /dev/null as stdin", program);
    case Step::kStdout:
      return absl::StrFormat("running %s: redirecting stdout", program);
    case Step::kChdir:
      return absl::StrFormat("running %s: changing to directory %s", program,
                             plan.cwd);
    case Step::kExec:
      return absl::StrFormat("running %s", program);
  }
  return "setting up the sandbox";
}

std::string DescribeWait(int status) {
  if (WIFSIGNALED(status)) {
    return absl::StrFormat("killed by signal %d", WTERMSIG(status));
  }
  return absl::StrFormat("exited with status %d", WEXITSTATUS(status));
}

int ExitCode(int wait_status) {
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return WEXITSTATUS(wait_status);
}

}  // namespace cook::sandbox::internal
