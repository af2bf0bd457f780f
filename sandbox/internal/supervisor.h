#ifndef COOK_SANDBOX_INTERNAL_SUPERVISOR_H_
#define COOK_SANDBOX_INTERNAL_SUPERVISOR_H_

// The supervisor: a process cloned from cook (into new namespaces with
// `Plan::isolate`) that forks the command, reaps every child and reports
// the command's wait status, or why setting up failed, through a pipe.
//
// With the sandbox on, the supervisor is pid 1 of the new pid namespace:
// when it exits, or when cook kills it, the kernel kills every process in
// the namespace. Without the sandbox it is a child subreaper: the command's
// orphans reparent to it, and it kills them all before it exits. Either way
// cook holds the write end of a control pipe; the supervisor ends the tree
// when it closes, so even a cook killed with SIGKILL leaves nothing running.

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/fd.h"
#include "sandbox/internal/plan.h"
#include "sandbox/internal/report.h"

namespace cook::sandbox::internal {

// What the cloned supervisor said, and how it ended.
struct Outcome {
  std::vector<Report> reports;
  int wait_status = 0;
  bool cancelled = false;  // cook was interrupted and ended it
};

// Clones the supervisor for `plan` (filling in its pipe descriptors) and
// waits for it. With `watch_interrupts`, polls Interrupted() and ends the
// whole process tree early (within about a second), setting `cancelled`.
// Errors: creating the pipes or the clone failed.
absl::StatusOr<Outcome> Supervised(Plan& plan, bool watch_interrupts);

// `fd`, moved above 2 if it is 0, 1 or 2 (which the command's setup
// overwrites), as happens when cook starts with some of them closed.
// Errors are "`what`: strerror".
absl::StatusOr<Fd> AboveStdio(Fd fd, std::string_view what);

}  // namespace cook::sandbox::internal

#endif  // COOK_SANDBOX_INTERNAL_SUPERVISOR_H_
