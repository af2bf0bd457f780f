#include "base/interrupt.h"

#include <signal.h>

#include <atomic>
#include <csignal>

namespace cook {
namespace {

std::atomic<int> g_signal{0};

void OnSignal(int sig) {
  if (g_signal.exchange(sig) != 0) {
    // The user asked twice: stop now, with the conventional status.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  }
}

}  // namespace

void InstallInterruptHandlers() {
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

bool Interrupted() { return g_signal.load() != 0; }

absl::Status CheckInterrupted() {
  if (Interrupted()) return absl::CancelledError("interrupted");
  return absl::OkStatus();
}

}  // namespace cook
