#include "base/parallel.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"

namespace cook {
namespace {

TEST(ParallelForTest, RunsEveryIndexOnce) {
  std::vector<std::atomic<int>> runs(100);
  EXPECT_TRUE(ParallelFor(runs.size(), 4, [&](size_t i) {
                ++runs[i];
                return absl::OkStatus();
              }).ok());
  for (const auto& r : runs) EXPECT_EQ(r.load(), 1);
  EXPECT_TRUE(ParallelFor(0, 4, [](size_t) { return absl::InternalError("never"); }).ok());
}

TEST(ParallelForTest, StopsStartingWorkAfterTheFirstFailure) {
  std::atomic<int> started{0};
  absl::Status status = ParallelFor(1000, 1, [&](size_t i) {
    ++started;
    return i == 3 ? absl::UnavailableError("item 3") : absl::OkStatus();
  });
  EXPECT_EQ(status, absl::UnavailableError("item 3"));
  EXPECT_EQ(started.load(), 4);
}

}  // namespace
}  // namespace cook
