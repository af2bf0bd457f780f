#ifndef COOK_BASE_INTERRUPT_H_
#define COOK_BASE_INTERRUPT_H_

// SIGINT/SIGTERM become a flag that long-running work polls, so that an
// interrupted run unwinds through its cleanups (temporary files removed,
// nothing renamed into place) and exits 130.

#include "absl/status/status.h"

namespace cook {

// Installs handlers for SIGINT and SIGTERM. A second signal kills at once,
// unless it comes within a second of the first (the same cancel delivered to
// the process and to its group).
void InstallInterruptHandlers();

bool Interrupted();

// CancelledError("interrupted") once a signal has arrived, else OK.
absl::Status CheckInterrupted();

}  // namespace cook

#endif  // COOK_BASE_INTERRUPT_H_
