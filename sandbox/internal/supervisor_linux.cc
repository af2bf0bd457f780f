// cook may be multi-threaded, so after the clone the supervisor and the
// command only make system calls on data prepared before it: no malloc, no
// locks, no stdio (fork(3) would run atfork handlers, hence raw clones).

#include "sandbox/internal/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "sandbox/internal/fixed_string.h"
#include "sandbox/internal/namespaces.h"

namespace cook::sandbox::internal {
namespace {

constexpr int kNamespaceFlags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID |
                                CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
// How often cook checks Interrupted() while the command runs (a signal that
// lands on the waiting thread is seen at once).
constexpr int kPollMillis = 100;
// The supervisor's own safety net in case a SIGCHLD is missed.
constexpr int kReapMillis = 500;

// ---------------------------------------------------------------------------
// After the clone: async-signal-safe code only.

pid_t RawFork(unsigned long extra_flags) {
  return static_cast<pid_t>(::syscall(SYS_clone, SIGCHLD | extra_flags, nullptr,
                                      nullptr, nullptr, nullptr));
}

// Gives `fd` the number `target`, without close-on-exec.
bool MoveFd(int fd, int target) {
  if (fd == target) return ::fcntl(fd, F_SETFD, 0) == 0;
  return ::dup2(fd, target) == target;
}

[[noreturn]] void ExecCommand(const Plan& plan) {
  // Its own process group: the terminal's ^C reaches cook, which ends the
  // whole tree, and the direct runner can signal the group at once.
  ::setpgid(0, 0);
  struct sigaction default_action = {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    ::sigaction(sig, &default_action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (plan.isolate) {
    // Inside its user namespace the command would otherwise hold every
    // capability when the caller is root, enough to remount / read-write.
    ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int cap = 0; cap < 64; ++cap) {
      if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
        Fail(plan, Step::kDropCapabilities, errno);
      }
    }
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
      Fail(plan, Step::kDropCapabilities, errno);
    }
  }
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0 || !MoveFd(null_fd, 0)) Fail(plan, Step::kStdin, errno);
  if (!MoveFd(plan.stdout_fd >= 0 ? plan.stdout_fd : 2, 1)) {
    Fail(plan, Step::kStdout, errno);
  }
  if (::chdir(plan.cwd.c_str()) != 0) Fail(plan, Step::kChdir, errno);
  // Whatever else cook has open stays out of the build; the report pipe
  // stays usable until execve.
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = 3; fd < 65536; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  ::execve(plan.argv[0], plan.argv.data(), plan.envp.data());
  Fail(plan, Step::kExec, errno);
}

// The parent pid in /proc/`pid`/stat, or -1.
pid_t ParentOf(const char* pid) {
  FixedString<64> path;
  path.Append("/proc/").Append(pid).Append("/stat");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buffer[512];
  const ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
  ::close(fd);
  if (n <= 0) return -1;
  buffer[n] = '\0';
  // "pid (comm) state ppid ...": comm may hold anything, so look for the
  // last ')'.
  const char* p = std::strrchr(buffer, ')');
  if (p == nullptr || p[1] != ' ' || p[2] == '\0' || p[3] != ' ') return -1;
  p += 4;
  pid_t ppid = 0;
  for (; *p >= '0' && *p <= '9'; ++p) ppid = ppid * 10 + (*p - '0');
  return ppid;
}

// SIGKILLs every child of this process (the subreaper inherits orphans, so
// repeating this until no child is left reaches every descendant).
void KillChildren() {
  struct Dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[1];
  };
  const pid_t self = ::getpid();
  const int dir = ::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;
  alignas(8) char buffer[8192];
  while (true) {
    const long n = ::syscall(SYS_getdents64, dir, buffer, sizeof buffer);
    if (n <= 0) break;
    for (long offset = 0; offset < n;) {
      const auto* entry = reinterpret_cast<const Dirent64*>(buffer + offset);
      offset += entry->d_reclen;
      const char* name = entry->d_name;
      if (*name < '1' || *name > '9') continue;
      if (ParentOf(name) != self) continue;
      pid_t pid = 0;
      for (const char* c = name; *c >= '0' && *c <= '9'; ++c) {
        pid = pid * 10 + (*c - '0');
      }
      ::kill(pid, SIGKILL);
    }
  }
  ::close(dir);
}

// Kills and reaps every descendant. `group` is the command's process group
// while the command is unreaped (its id cannot be reused then), else 0.
void KillTree(pid_t group) {
  if (group > 0) ::kill(-group, SIGKILL);
  while (true) {
    KillChildren();
    int status;
    if (::waitpid(-1, &status, __WALL) < 0 && errno != EINTR) return;
  }
}

[[noreturn]] void Supervise(Plan& plan) {
  // Only cook may hold the control pipe's write end: its closing is the
  // signal to stop.
  for (int fd : plan.cook_fds) ::close(fd);
  sigset_t all;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  if (plan.isolate) {
    // Pid 1 of the namespace: its death ends everything in it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  } else if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    Fail(plan, Step::kSubreaper, errno);
  }
  struct pollfd control = {plan.control_fd, POLLIN, 0};
  if (::poll(&control, 1, 0) != 0) _exit(kSetupFailedExit);  // cook is gone
  if (plan.isolate) SetUpNamespaces(plan);
  if (!plan.run_command) _exit(0);

  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  const int signal_fd = ::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signal_fd < 0) Fail(plan, Step::kSignalFd, errno);
  const pid_t command = RawFork(0);
  if (command < 0) Fail(plan, Step::kFork, errno);
  if (command == 0) ExecCommand(plan);
  // As the command does itself: whichever runs first, the group exists
  // before anyone signals it.
  ::setpgid(command, command);

  struct pollfd fds[2] = {{plan.control_fd, POLLIN, 0}, {signal_fd, POLLIN, 0}};
  int command_status = 0;
  bool exited = false;
  while (!exited) {
    ::poll(fds, 2, kReapMillis);
    if (fds[0].revents != 0) {
      // cook was interrupted or died.
      if (!plan.isolate) KillTree(command);
      _exit(kSetupFailedExit);
    }
    struct signalfd_siginfo info;
    while (::read(signal_fd, &info, sizeof info) > 0) {
    }
    int status;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
      if (pid == command) {
        command_status = status;
        exited = true;
      }
    }
  }
  // What the command left behind: the kernel ends the pid namespace when its
  // pid 1 exits; the subreaper must do it itself.
  if (!plan.isolate) KillTree(0);
  Send(plan, Report{ReportKind::kExited, Step::kExec, -1, 0, command_status});
  _exit(0);
}

// ---------------------------------------------------------------------------
// Before the clone and after it, in cook.

absl::StatusOr<std::pair<Fd, Fd>> Pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoError(errno, "creating a pipe");
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);
  ASSIGN_OR_RETURN(read_end,
                   AboveStdio(std::move(read_end), "creating a pipe"));
  ASSIGN_OR_RETURN(write_end,
                   AboveStdio(std::move(write_end), "creating a pipe"));
  return std::make_pair(std::move(read_end), std::move(write_end));
}

}  // namespace

absl::StatusOr<Fd> AboveStdio(Fd fd, std::string_view what) {
  if (fd.get() > 2) return fd;
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) return ErrnoError(errno, what);
  return Fd(moved);
}

absl::StatusOr<Outcome> Supervised(Plan& plan, bool watch_interrupts) {
  ASSIGN_OR_RETURN(auto control, Pipe());
  ASSIGN_OR_RETURN(auto report, Pipe());
  plan.control_fd = control.first.get();
  plan.report_fd = report.second.get();
  plan.cook_fds[0] = control.second.get();
  plan.cook_fds[1] = report.first.get();
  const pid_t pid = RawFork(plan.isolate ? kNamespaceFlags : 0);
  if (pid < 0) {
    return ErrnoError(errno, plan.isolate ? "creating the sandbox's namespaces"
                                          : "starting the build's supervisor");
  }
  if (pid == 0) Supervise(plan);
  control.first.Reset();
  report.second.Reset();

  Outcome outcome;
  while (true) {
    if (watch_interrupts && Interrupted()) {
      outcome.cancelled = true;
      // The sandbox's pid 1 takes its namespace with it; the subreaper
      // kills its tree when the control pipe closes.
      if (plan.isolate) ::kill(pid, SIGKILL);
      control.second.Reset();
      break;
    }
    struct pollfd pfd = {report.first.get(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, kPollMillis);
    if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
    if (ready < 0) break;
    Report record;
    const absl::StatusOr<size_t> n =
        ReadFull(report.first.get(), reinterpret_cast<char*>(&record),
                 sizeof record, "reading the supervisor's report");
    if (!n.ok() || *n == 0) break;  // the supervisor is gone
    if (*n == sizeof record) outcome.reports.push_back(record);
  }
  control.second.Reset();
  while (::waitpid(pid, &outcome.wait_status, 0) < 0 && errno == EINTR) {
  }
  return outcome;
}

}  // namespace cook::sandbox::internal
