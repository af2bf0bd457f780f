#include "builder/cli/progress.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/text.h"

namespace cook::cli {

Progress::Progress(std::FILE* out, bool quiet)
    : out_(out), quiet_(quiet), interactive_(::isatty(::fileno(out)) == 1) {}

void Progress::Step(std::string_view message) {
  std::lock_guard<std::mutex> lock(mu_);
  if (quiet_) return;
  if (line_open_) std::fputs("\n", out_);
  line_open_ = false;
  absl::FPrintF(out_, "cook: %s\n", EscapeControls(message));
  std::fflush(out_);
}

void Progress::Warn(std::string_view message) {
  std::lock_guard<std::mutex> lock(mu_);
  if (line_open_) std::fputs("\n", out_);
  line_open_ = false;
  absl::FPrintF(out_, "cook: warning: %s\n", EscapeControls(message));
  std::fflush(out_);
}

void Progress::Begin(std::string_view task, uint64_t total_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  task_ = EscapeControls(task);
  total_ = total_bytes;
  done_ = 0;
  start_ = absl::Now();
  last_draw_ = absl::InfinitePast();
  if (!quiet_ && !interactive_) {
    absl::FPrintF(out_, "cook: %s (%s)\n", task_, HumanBytes(total_));
    std::fflush(out_);
  }
}

void Progress::Update(uint64_t done_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  // Threads report concurrently: a count may arrive after a larger one.
  done_ = std::max(done_, done_bytes);
  if (quiet_ || !interactive_) return;
  const absl::Time now = absl::Now();
  if (now - last_draw_ < absl::Milliseconds(100)) return;
  last_draw_ = now;
  const double seconds = absl::ToDoubleSeconds(now - start_);
  const double rate = seconds > 0 ? done_ / seconds : 0;
  std::string eta = "--";
  if (rate > 0 && total_ >= done_) {
    eta = absl::StrFormat("%ds", static_cast<int64_t>((total_ - done_) / rate));
  }
  absl::FPrintF(out_, "\r\033[Kcook: %s %s / %s, %s/s, ETA %s", task_,
                HumanBytes(done_), HumanBytes(total_),
                HumanBytes(static_cast<uint64_t>(rate)), eta);
  std::fflush(out_);
  line_open_ = true;
}

void Progress::End() {
  std::lock_guard<std::mutex> lock(mu_);
  if (quiet_) return;
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
  if (interactive_) std::fputs("\r\033[K", out_);
  line_open_ = false;
  absl::FPrintF(out_, "cook: %s done: %s in %.1fs\n", task_, HumanBytes(done_),
                seconds);
  std::fflush(out_);
}

}  // namespace cook::cli
