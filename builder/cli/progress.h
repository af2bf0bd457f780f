#ifndef COOK_BUILDER_CLI_PROGRESS_H_
#define COOK_BUILDER_CLI_PROGRESS_H_

// Progress on stderr: one live, rewritten line (bytes, rate, ETA) on a
// terminal; plain one-line-per-step log lines otherwise (CI logs). Messages
// often quote untrusted text (paths, references, labels, registry replies),
// so every message and task is printed escaped (EscapeForDisplay): one line
// each, with no terminal controls.

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "base/progress.h"

namespace cook::cli {

// The terminal and CI-log implementation of cook::Progress.
class Progress final : public cook::Progress {
 public:
  // `out` is usually stderr. `quiet` silences everything but Warn().
  Progress(std::FILE* out, bool quiet);

  // A step: "cook: <message>" on its own line.
  void Step(std::string_view message) override;
  // A warning, shown even when quiet.
  void Warn(std::string_view message) override;

  // Starts a byte-counted task; Update() rewrites the live line on a
  // terminal (rate-limited) and logs nothing otherwise; End() finishes it
  // with a summary line.
  void Begin(std::string_view task, uint64_t total_bytes) override;
  void Update(uint64_t done_bytes) override;
  void End() override;

  bool interactive() const override { return interactive_; }

 private:
  std::mutex mu_;
  std::FILE* out_;
  bool quiet_;
  bool interactive_;
  std::string task_;
  uint64_t total_ = 0;
  uint64_t done_ = 0;
  absl::Time start_;
  absl::Time last_draw_;
  bool line_open_ = false;
};

}  // namespace cook::cli

#endif  // COOK_BUILDER_CLI_PROGRESS_H_
