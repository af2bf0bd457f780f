#include "base/interrupt.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace cook {
namespace {

// Runs `body` in a forked child with the handlers installed; returns its
// wait status.
template <typename Body>
int InChild(Body body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    InstallInterruptHandlers();
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST(InterruptTest, ASignalSetsTheFlagAndCheckSaysCancelled) {
  const int status = InChild([] {
    if (Interrupted()) return 1;
    ::raise(SIGINT);
    return Interrupted() && CheckInterrupted().code() == absl::StatusCode::kCancelled ? 0 : 2;
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(InterruptTest, TheSameCancelDeliveredTwiceAtOnceIsOneRequest) {
  // As `timeout` does: to the process, then to its group.
  const int status = InChild([] {
    ::raise(SIGINT);
    ::raise(SIGINT);
    return Interrupted() ? 0 : 1;
  });
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(InterruptTest, AskingAgainLaterStopsAtOnce) {
  const int status = InChild([] {
    ::raise(SIGTERM);
    ::usleep(1'200'000);
    ::raise(SIGTERM);
    return 0;  // not reached
  });
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
}

}  // namespace
}  // namespace cook
