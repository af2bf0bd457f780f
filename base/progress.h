#ifndef COOK_BASE_PROGRESS_H_
#define COOK_BASE_PROGRESS_H_

// Where long operations report what they do. The pipeline (cache/ and what
// it uses) reports through this interface; the CLI implements it for
// terminals and CI logs, and tests may record or drop the reports.

#include <cstdint>
#include <string>
#include <string_view>

namespace cook {

// Implementations must be thread-safe: parallel layer writes and blob
// transfers report through one Progress.
class Progress {
 public:
  virtual ~Progress() = default;

  // A step of the work, one line.
  virtual void Step(std::string_view message) = 0;
  // A warning, shown even when steps are not.
  virtual void Warn(std::string_view message) = 0;

  // A byte-counted task: Begin(), any number of Update() with the bytes done
  // so far (from any thread; a count lower than one already reported, which
  // concurrent reporters may deliver late, is ignored), then End().
  virtual void Begin(std::string_view task, uint64_t total_bytes) = 0;
  virtual void Update(uint64_t done_bytes) = 0;
  virtual void End() = 0;

  // True when a person watches a live display: per-item steps that a log
  // would want are then left out.
  virtual bool interactive() const = 0;
};

// "1.5 MiB", "830 B".
std::string HumanBytes(uint64_t bytes);

}  // namespace cook

#endif  // COOK_BASE_PROGRESS_H_
