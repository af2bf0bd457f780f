#include "base/fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace cook {
namespace {

using ::cook::testing::IsOk;
using ::cook::testing::StatusIs;
using ::testing::HasSubstr;

TEST(FdTest, ClosesOnceAndMovesOwnership) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  Fd read_end(fds[0]);
  {
    Fd write_end(fds[1]);
    Fd moved = std::move(write_end);
    EXPECT_FALSE(write_end.valid());
    EXPECT_EQ(moved.get(), fds[1]);
  }
  // The write end is closed: the read end sees the end of the stream.
  char c;
  EXPECT_EQ(::read(read_end.get(), &c, 1), 0);
  EXPECT_EQ(::fcntl(fds[1], F_GETFD), -1);
}

TEST(FdTest, WriteAllAndReadFullMoveMoreThanOnePipeBuffer) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);
  // Larger than a pipe's 64 KiB, so both sides see short counts.
  const std::string data(1 << 20, 'x');
  std::thread writer([&] {
    EXPECT_THAT(WriteAll(write_end.get(), data, "writing"), IsOk());
    write_end.Reset();
  });
  std::string got(data.size() + 10, '\0');
  absl::StatusOr<size_t> n = ReadFull(read_end.get(), got.data(), got.size(), "reading");
  writer.join();
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(*n, data.size());
  got.resize(*n);
  EXPECT_EQ(got, data);
}

TEST(FdTest, ErrorsNameTheContext) {
  EXPECT_THAT(WriteAll(-1, "x", "writing the report"),
              StatusIs(absl::StatusCode::kUnknown, HasSubstr("writing the report")));
  char c;
  EXPECT_THAT(ReadFull(-1, &c, 1, "reading the report"),
              StatusIs(absl::StatusCode::kUnknown, HasSubstr("reading the report")));
}

}  // namespace
}  // namespace cook
