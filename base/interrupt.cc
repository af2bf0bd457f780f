#include "base/interrupt.h"

#include <signal.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <csignal>

namespace cook {
namespace {

// A signal within this long of the first is the same request delivered
// twice: `timeout` and CI runners signal the process and then its process
// group, so one cancel arrives as two signals at once.
constexpr int64_t kRepeatWindowNs = 1'000'000'000;

std::atomic<int> g_signal{0};
std::atomic<int64_t> g_first_ns{0};

int64_t MonotonicNs() {  // async-signal-safe
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void OnSignal(int sig) {
  const int64_t now = MonotonicNs();
  int64_t unset = 0;
  g_first_ns.compare_exchange_strong(unset, now);
  if (g_signal.exchange(sig) == 0) return;
  if (now - g_first_ns.load() < kRepeatWindowNs) return;
  // The user asked again: stop now, with the conventional status.
  ::signal(sig, SIG_DFL);
  ::raise(sig);
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
