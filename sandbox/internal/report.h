#ifndef COOK_SANDBOX_INTERNAL_REPORT_H_
#define COOK_SANDBOX_INTERNAL_REPORT_H_

// The report pipe: the records the supervisor and the command send cook,
// and the words cook turns them into.

#include <cstdint>
#include <string>

#include "sandbox/internal/plan.h"

namespace cook::sandbox::internal {

// The exit code of a supervisor or command that could not set up.
constexpr int kSetupFailedExit = 127;

enum class ReportKind : int32_t { kFailed, kNote, kExited };

// The steps that can fail after the clone; `index` in a Report says which
// mount point or writable path a step was working on.
enum class Step : int32_t {
  kSubreaper,
  kSetgroups,
  kUidMap,
  kGidMap,
  kHostname,
  kMountPrivate,
  kOpenWritable,
  kRemountReadOnly,
  kMountProc,
  kMountTmp,
  kMakeMountPoint,
  kBindWritable,
  kRemountWritable,
  kSignalFd,
  kFork,
  kDropCapabilities,
  kStdin,
  kStdout,
  kChdir,
  kExec,
};

// Written with one write(2) of less than PIPE_BUF bytes, so records never
// interleave.
struct Report {
  ReportKind kind;
  Step step;
  int32_t index;
  int32_t error;        // errno
  int32_t wait_status;  // kExited
};

// After the clone (async-signal-safe): sends `report` to `plan.report_fd`.
void Send(const Plan& plan, const Report& report);
// After the clone: reports that `step` failed with errno `error` and exits
// with kSetupFailedExit.
[[noreturn]] void Fail(const Plan& plan, Step step, int index, int error);
[[noreturn]] void Fail(const Plan& plan, Step step, int error);

// In cook: what `report`'s step was doing, e.g. "setting up the sandbox:
// binding /w" (without the errno's text).
std::string Describe(const Plan& plan, const Report& report);
// "killed by signal N" or "exited with status N".
std::string DescribeWait(int wait_status);
// The shell's convention: the exit status, or 128+N when killed by signal N.
int ExitCode(int wait_status);

}  // namespace cook::sandbox::internal

#endif  // COOK_SANDBOX_INTERNAL_REPORT_H_
