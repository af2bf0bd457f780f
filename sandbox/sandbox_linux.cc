// The Linux half of the sandbox: namespaces, mounts and process-tree control.
//
// Run() clones a supervisor process that forks the command, reaps every child
// and reports the command's wait status (or why setting up failed) to cook
// through a pipe. With the sandbox on, the clone creates the namespaces and
// the supervisor is pid 1 of the new pid namespace: when it exits, or when
// cook kills it, the kernel kills every process in the namespace. Without the
// sandbox the supervisor is a child subreaper: the command's orphans reparent
// to it, and it kills them all before it exits. Either way cook holds the
// write end of a control pipe; the supervisor ends the tree when it closes,
// so even a cook killed with SIGKILL leaves nothing running.
//
// cook may be multi-threaded, so after the clone the supervisor and the
// command only make system calls on data prepared before it: no malloc, no
// locks, no stdio (fork(3) would run atfork handlers, hence raw clones).

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/status_macros.h"
#include "sandbox/sandbox.h"

namespace cook::sandbox {
namespace {

namespace fs = std::filesystem;

constexpr int kNamespaceFlags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID |
                                CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
// How often cook checks Interrupted() while the command runs (a signal that
// lands on the waiting thread is seen at once).
constexpr int kPollMillis = 100;
// The supervisor's own safety net in case a SIGCHLD is missed.
constexpr int kReapMillis = 500;
constexpr int kSetupFailedExit = 127;
constexpr char kHostname[] = "cook";
// statfs(2) reports MS_NOSYMFOLLOW mounts with this bit; glibc 2.36 lacks it.
constexpr unsigned long kStNoSymfollow = 0x2000;

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// What the supervisor or the command tells cook. Written with one write(2)
// of less than PIPE_BUF bytes, so records never interleave.
enum class ReportKind : int32_t { kFailed, kNote, kExited };

// The steps that can fail after the clone; `index` in a Report says which
// mount point or writable path a step was working on.
enum class Step : int32_t {
  kSubreaper,
  kSetgroups,
  kUidMap,
  kGidMap,
  kHostname,
  kMountPrivate,
  kOpenWritable,
  kRemountReadOnly,
  kMountProc,
  kMountTmp,
  kMakeMountPoint,
  kBindWritable,
  kRemountWritable,
  kSignalFd,
  kFork,
  kDropCapabilities,
  kStdin,
  kStdout,
  kChdir,
  kExec,
};

struct Report {
  ReportKind kind;
  Step step;
  int32_t index;
  int32_t error;        // errno
  int32_t wait_status;  // kExited
};

// Everything the cloned processes need, prepared by cook before the clone.
struct Plan {
  bool isolate = false;
  bool run_command = true;  // false: only set up, for the probe
  std::vector<char*> argv;  // null-terminated, pointing into the spec
  std::vector<char*> envp;
  std::string cwd;
  int stdout_fd = -1;          // -1: cook's stderr
  int control_fd = -1;         // read end; closed write end: cook wants the end
  int report_fd = -1;          // write end
  int cook_fds[2] = {-1, -1};  // cook's ends of both pipes
  // With `isolate`:
  std::string uid_map;
  std::string gid_map;
  std::vector<std::string> mount_points;
  std::vector<std::string> writable;  // canonical, parents before children
  std::vector<char> writable_is_dir;
  std::vector<char> writable_read_only;  // a SandboxSpec::visible path
  std::vector<int> writable_fds;  // filled in by the supervisor
};

// ---------------------------------------------------------------------------
// After the clone: async-signal-safe code only.

// A bounded string built without allocating.
template <size_t N>
class FixedString {
 public:
  FixedString& Append(const char* s) {
    while (*s != '\0' && size_ + 1 < N) data_[size_++] = *s++;
    if (*s != '\0') overflow_ = true;
    data_[size_] = '\0';
    return *this;
  }
  FixedString& Append(long value) {
    char digits[24];
    int n = 0;
    unsigned long v = value < 0 ? 0UL - static_cast<unsigned long>(value)
                                : static_cast<unsigned long>(value);
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    if (value < 0) digits[n++] = '-';
    char text[24];
    for (int i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
    text[n] = '\0';
    return Append(text);
  }
  const char* c_str() const { return data_; }
  char* data() { return data_; }
  bool overflow() const { return overflow_; }

 private:
  char data_[N] = {};
  size_t size_ = 0;
  bool overflow_ = false;
};

void Send(const Plan& plan, const Report& report) {
  ssize_t rc;
  do {
    rc = ::write(plan.report_fd, &report, sizeof report);
  } while (rc < 0 && errno == EINTR);
}

[[noreturn]] void Fail(const Plan& plan, Step step, int index, int error) {
  Send(plan, Report{ReportKind::kFailed, step, index, error, 0});
  _exit(kSetupFailedExit);
}

[[noreturn]] void Fail(const Plan& plan, Step step, int error) {
  Fail(plan, step, -1, error);
}

pid_t RawFork(unsigned long extra_flags) {
  return static_cast<pid_t>(::syscall(SYS_clone, SIGCHLD | extra_flags, nullptr,
                                      nullptr, nullptr, nullptr));
}

// Returns 0 or an errno value.
int WriteSmallFile(const char* path, const char* data) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const size_t size = std::strlen(data);
  const ssize_t n = ::write(fd, data, size);
  const int error = n < 0 ? errno : (static_cast<size_t>(n) == size ? 0 : EIO);
  ::close(fd);
  return error;
}

// The per-mount flags a remount must repeat: inside a user namespace the
// kernel refuses to clear nosuid, nodev, noexec or the atime flags of a mount
// that came from the host.
unsigned long KeptFlags(unsigned long st_flags) {
  unsigned long flags = 0;
  if (st_flags & ST_NOSUID) flags |= MS_NOSUID;
  if (st_flags & ST_NODEV) flags |= MS_NODEV;
  if (st_flags & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st_flags & ST_NOATIME) flags |= MS_NOATIME;
  if (st_flags & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st_flags & ST_RELATIME) flags |= MS_RELATIME;
  if (st_flags & kStNoSymfollow) flags |= MS_NOSYMFOLLOW;
  return flags;
}

// A mount the sandbox user cannot reach is one the command cannot reach.
bool Unreachable(int error) {
  return error == ENOENT || error == ENOTDIR || error == EACCES ||
         error == ELOOP || error == ENAMETOOLONG || error == ESTALE;
}

void RemountReadOnly(const Plan& plan, int index) {
  const char* path = plan.mount_points[index].c_str();
  struct statfs st;
  if (::statfs(path, &st) != 0) {
    if (Unreachable(errno)) return;
    Fail(plan, Step::kRemountReadOnly, index, errno);
  }
  if (st.f_flags & ST_RDONLY) return;
  const unsigned long flags =
      MS_REMOUNT | MS_BIND | MS_RDONLY | KeptFlags(st.f_flags);
  if (::mount(nullptr, path, nullptr, flags, nullptr) != 0) {
    // EINVAL: no longer a mount point at this path (covered by a later
    // mount, which has its own entry).
    if (errno == EINVAL || Unreachable(errno)) return;
    Fail(plan, Step::kRemountReadOnly, index, errno);
  }
}

// Creates `path` (and its parents) as a mount point in the fresh /tmp.
void MakeMountPoint(const Plan& plan, int index) {
  FixedString<PATH_MAX> path;
  path.Append(plan.writable[index].c_str());
  if (path.overflow()) Fail(plan, Step::kMakeMountPoint, index, ENAMETOOLONG);
  char* p = path.data();
  for (char* slash = std::strchr(p + 1, '/'); slash != nullptr;
       slash = std::strchr(slash + 1, '/')) {
    *slash = '\0';
    if (::mkdir(p, 0755) != 0 && errno != EEXIST) {
      Fail(plan, Step::kMakeMountPoint, index, errno);
    }
    *slash = '/';
  }
  if (plan.writable_is_dir[index]) {
    if (::mkdir(p, 0755) != 0 && errno != EEXIST) {
      Fail(plan, Step::kMakeMountPoint, index, errno);
    }
  } else {
    const int fd = ::open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) Fail(plan, Step::kMakeMountPoint, index, errno);
    ::close(fd);
  }
}

void BindWritable(Plan& plan, int index) {
  const char* target = plan.writable[index].c_str();
  struct stat st;
  if (::lstat(target, &st) != 0) {
    if (errno != ENOENT) Fail(plan, Step::kBindWritable, index, errno);
    MakeMountPoint(plan, index);  // hidden by the private /tmp
  }
  // Through the descriptor opened before /tmp was replaced.
  FixedString<64> source;
  source.Append("/proc/self/fd/")
      .Append(static_cast<long>(plan.writable_fds[index]));
  if (::mount(source.c_str(), target, nullptr, MS_BIND | MS_REC, nullptr) !=
      0) {
    Fail(plan, Step::kBindWritable, index, errno);
  }
  ::close(plan.writable_fds[index]);
  struct statfs sfs;
  if (::statfs(target, &sfs) != 0) {
    Fail(plan, Step::kRemountWritable, index, errno);
  }
  const unsigned long read_only =
      plan.writable_read_only[index] ? MS_RDONLY : 0;
  if (::mount(nullptr, target, nullptr,
              MS_REMOUNT | MS_BIND | read_only | KeptFlags(sfs.f_flags),
              nullptr) != 0) {
    Fail(plan, Step::kRemountWritable, index, errno);
  }
}

// Runs in the supervisor, inside the new namespaces. Fails (and exits) or
// returns with the file system in place.
void SetUpNamespaces(Plan& plan) {
  // The supervisor is still in the host's /proc, where "self" is itself.
  if (int error = WriteSmallFile("/proc/self/setgroups", "deny");
      error != 0 && error != ENOENT) {
    Fail(plan, Step::kSetgroups, error);
  }
  if (int error = WriteSmallFile("/proc/self/uid_map", plan.uid_map.c_str())) {
    Fail(plan, Step::kUidMap, error);
  }
  if (int error = WriteSmallFile("/proc/self/gid_map", plan.gid_map.c_str())) {
    Fail(plan, Step::kGidMap, error);
  }
  if (::sethostname(kHostname, sizeof kHostname - 1) != 0) {
    Fail(plan, Step::kHostname, errno);
  }
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    Fail(plan, Step::kMountPrivate, errno);
  }
  for (size_t i = 0; i < plan.writable.size(); ++i) {
    plan.writable_fds[i] = ::open(plan.writable[i].c_str(), O_PATH | O_CLOEXEC);
    if (plan.writable_fds[i] < 0) {
      Fail(plan, Step::kOpenWritable, static_cast<int>(i), errno);
    }
  }
  for (size_t i = 0; i < plan.mount_points.size(); ++i) {
    RemountReadOnly(plan, static_cast<int>(i));
  }
  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              nullptr) != 0) {
    // A container that masks parts of its /proc forbids a new one; the
    // host's (now read-only) /proc still serves /proc/self.
    if (errno != EPERM && errno != EACCES) Fail(plan, Step::kMountProc, errno);
    Send(plan, Report{ReportKind::kNote, Step::kMountProc, -1, errno, 0});
  }
  if (::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") !=
      0) {
    Fail(plan, Step::kMountTmp, errno);
  }
  for (size_t i = 0; i < plan.writable.size(); ++i) {
    BindWritable(plan, static_cast<int>(i));
  }
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

std::string UnescapeMountPath(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] >= '0' &&
        text[i + 1] <= '3') {
      out.push_back(static_cast<char>((text[i + 1] - '0') * 64 +
                                      (text[i + 2] - '0') * 8 +
                                      (text[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// The distinct mount points of this mount namespace, in mount order, but
// for those that only hold autofs mounts: touching one would ask the host's
// automounter to mount it (in its own namespace; with private propagation it
// never appears in the sandbox).
absl::StatusOr<std::vector<std::string>> MountPoints() {
  ASSIGN_OR_RETURN(std::string mountinfo, ReadFile("/proc/self/mountinfo"));
  std::vector<std::string> points;
  std::set<std::string> seen;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n')) {
    // "ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE ..."
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    if (fields.size() < 5) continue;
    const auto separator = std::find(fields.begin() + 5, fields.end(), "-");
    if (fields.end() - separator > 1 && separator[1] == "autofs") continue;
    std::string point =
        UnescapeMountPath(std::string_view(fields[4].data(), fields[4].size()));
    if (seen.insert(point).second) points.push_back(std::move(point));
  }
  return points;
}

// Keeps cook's descriptors clear of 0, 1 and 2, which the command's setup
// overwrites, even when cook was started with some of them closed.
absl::StatusOr<Fd> AboveStdio(Fd fd, std::string_view what) {
  if (fd.get() > 2) return fd;
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) return ErrnoError(errno, what);
  return Fd(moved);
}

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

std::string Describe(const Plan& plan, const Report& report) {
  const auto mount_point = [&] {
    return report.index >= 0 &&
                   static_cast<size_t>(report.index) < plan.mount_points.size()
               ? plan.mount_points[report.index]
               : std::string("?");
  };
  const auto writable = [&] {
    return report.index >= 0 &&
                   static_cast<size_t>(report.index) < plan.writable.size()
               ? plan.writable[report.index]
               : std::string("?");
  };
  const std::string program = plan.argv.empty() || plan.argv[0] == nullptr
                                  ? std::string()
                                  : std::string(plan.argv[0]);
  switch (report.step) {
    case Step::kSubreaper:
      return "setting up the build's supervisor: becoming a subreaper";
    case Step::kSetgroups:
      return "setting up the sandbox: denying setgroups";
    case Step::kUidMap:
      return "setting up the sandbox: writing the uid map";
    case Step::kGidMap:
      return "setting up the sandbox: writing the gid map";
    case Step::kHostname:
      return "setting up the sandbox: setting the host name";
    case Step::kMountPrivate:
      return "setting up the sandbox: making mounts private";
    case Step::kOpenWritable:
      return absl::StrFormat("setting up the sandbox: opening %s", writable());
    case Step::kRemountReadOnly:
      return absl::StrFormat("setting up the sandbox: remounting %s read-only",
                             mount_point());
    case Step::kMountProc:
      return "setting up the sandbox: mounting /proc";
    case Step::kMountTmp:
      return "setting up the sandbox: mounting a private /tmp";
    case Step::kMakeMountPoint:
      return absl::StrFormat(
          "setting up the sandbox: creating %s in the private /tmp",
          writable());
    case Step::kBindWritable:
      return absl::StrFormat("setting up the sandbox: binding %s", writable());
    case Step::kRemountWritable:
      return absl::StrFormat("setting up the sandbox: making %s writable",
                             writable());
    case Step::kSignalFd:
      return "setting up the build's supervisor: creating a signalfd";
    case Step::kFork:
      return absl::StrFormat("running %s: forking", program);
    case Step::kDropCapabilities:
      return absl::StrFormat("running %s: dropping capabilities", program);
    case Step::kStdin:
      return absl::StrFormat("running %s: opening /dev/null as stdin", program);
    case Step::kStdout:
      return absl::StrFormat("running %s: redirecting stdout", program);
    case Step::kChdir:
      return absl::StrFormat("running %s: changing to directory %s", program,
                             plan.cwd);
    case Step::kExec:
      return absl::StrFormat("running %s", program);
  }
  return "setting up the sandbox";
}

std::string DescribeWait(int status) {
  if (WIFSIGNALED(status)) {
    return absl::StrFormat("killed by signal %d", WTERMSIG(status));
  }
  return absl::StrFormat("exited with status %d", WEXITSTATUS(status));
}

int ExitCode(int wait_status) {
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return WEXITSTATUS(wait_status);
}

// What the cloned supervisor said, and how it ended.
struct Outcome {
  std::vector<Report> reports;
  int wait_status = 0;
  bool cancelled = false;
};

// Clones the supervisor for `plan` and waits for it, ending it early when
// cook is interrupted (with `watch_interrupts`).
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
    Report record;
    const ssize_t n =
        ready < 0 ? -1 : ::read(report.first.get(), &record, sizeof record);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the supervisor is gone
    if (n == sizeof record) outcome.reports.push_back(record);
  }
  control.second.Reset();
  while (::waitpid(pid, &outcome.wait_status, 0) < 0 && errno == EINTR) {
  }
  return outcome;
}

// Fills in the namespace part of `plan`: id maps and mount points.
absl::Status PlanNamespaces(Plan& plan) {
  plan.isolate = true;
  plan.uid_map = absl::StrFormat("%d %d 1\n", ::geteuid(), ::geteuid());
  plan.gid_map = absl::StrFormat("%d %d 1\n", ::getegid(), ::getegid());
  ASSIGN_OR_RETURN(plan.mount_points,
                   Annotate(MountPoints(), "setting up the sandbox"));
  return absl::OkStatus();
}

std::string ReadSysctl(const char* path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return "";
  return std::string(absl::StripAsciiWhitespace(*text));
}

// The next step for whoever can change the host.
std::string EnableUserNamespacesHint() {
  if (ReadSysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") ==
      "1") {
    return "AppArmor restricts unprivileged user namespaces; allow them with "
           "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`";
  }
  if (ReadSysctl("/proc/sys/kernel/unprivileged_userns_clone") == "0") {
    return "allow unprivileged user namespaces with "
           "`sysctl -w kernel.unprivileged_userns_clone=1`";
  }
  if (ReadSysctl("/proc/sys/user/max_user_namespaces") == "0") {
    return "allow user namespaces with "
           "`sysctl -w user.max_user_namespaces=10000`";
  }
  return "allow unprivileged user namespaces (`sysctl -w "
         "kernel.unprivileged_userns_clone=1`, or "
         "`kernel.apparmor_restrict_unprivileged_userns=0` under AppArmor; in "
         "a container, a seccomp profile that permits them)";
}

struct ProbeResult {
  absl::Status status;
  std::string enable_hint;  // how to allow user namespaces, when relevant
};

// "`enable_hint`, or `alternative`", or just `alternative`.
std::string Hint(const ProbeResult& probe, std::string_view alternative) {
  if (probe.enable_hint.empty()) return std::string(alternative);
  return absl::StrFormat("%s, or %s", probe.enable_hint, alternative);
}

ProbeResult Unavailable(std::string_view cause, bool namespaces_refused) {
  ProbeResult result;
  result.status = absl::FailedPreconditionError(
      absl::StrFormat("the sandbox is unavailable: %s", cause));
  if (namespaces_refused) result.enable_hint = EnableUserNamespacesHint();
  return result;
}

// Sets up a sandbox with no command in a throwaway child.
ProbeResult Probe() {
  Plan plan;
  plan.run_command = false;
  if (absl::Status planned = PlanNamespaces(plan); !planned.ok()) {
    return Unavailable(std::string(planned.message()), false);
  }
  absl::StatusOr<Outcome> outcome = Supervised(plan, false);
  if (!outcome.ok()) {
    return Unavailable(std::string(outcome.status().message()), true);
  }
  for (const Report& report : outcome->reports) {
    if (report.kind != ReportKind::kFailed) continue;
    // Where unprivileged user namespaces are restricted (a sysctl, AppArmor,
    // seccomp), creating them, writing the id maps or the first mounts
    // fail; later steps failing is something else.
    const bool refused =
        report.step == Step::kSetgroups || report.step == Step::kUidMap ||
        report.step == Step::kGidMap || report.step == Step::kHostname ||
        report.step == Step::kMountPrivate || report.step == Step::kMountTmp;
    return Unavailable(absl::StrFormat("%s: %s", Describe(plan, report),
                                       std::strerror(report.error)),
                       refused);
  }
  if (!WIFEXITED(outcome->wait_status) ||
      WEXITSTATUS(outcome->wait_status) != 0) {
    return Unavailable(
        absl::StrFormat("its probe %s", DescribeWait(outcome->wait_status)),
        false);
  }
  return ProbeResult{};
}

const ProbeResult& CachedProbe() {
  static const ProbeResult* const result = new ProbeResult(Probe());
  return *result;
}

class ProcessRunner final : public SandboxRunner {
 public:
  ProcessRunner(bool isolate, std::function<void(std::string_view)> warn)
      : isolate_(isolate), warn_(std::move(warn)) {}

  absl::StatusOr<int> Run(const SandboxSpec& spec) override;
  bool sandboxed() const override { return isolate_; }

 private:
  absl::StatusOr<Plan> MakePlan(const SandboxSpec& spec) const;

  const bool isolate_;
  const std::function<void(std::string_view)> warn_;
  bool warned_about_proc_ = false;
};

absl::StatusOr<Plan> ProcessRunner::MakePlan(const SandboxSpec& spec) const {
  if (spec.argv.empty()) {
    return absl::InvalidArgumentError("running a command: no program given");
  }
  const std::string& program = spec.argv[0];
  if (!fs::path(program).is_absolute()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "running %s: the program must be an absolute path", program));
  }
  if (!spec.cwd.is_absolute()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "running %s: the working directory \"%s\" is not absolute", program,
        spec.cwd.string()));
  }
  Plan plan;
  for (const std::string& arg : spec.argv) {
    plan.argv.push_back(const_cast<char*>(arg.c_str()));
  }
  plan.argv.push_back(nullptr);
  for (const std::string& entry : spec.env) {
    plan.envp.push_back(const_cast<char*>(entry.c_str()));
  }
  plan.envp.push_back(nullptr);
  plan.cwd = spec.cwd.string();

  std::set<std::string> writable, visible;
  for (const fs::path& path : spec.writable) {
    std::error_code ec;
    fs::path canonical = fs::canonical(path, ec);
    if (ec) {
      return FsError(ec, absl::StrFormat("making %s writable in the sandbox",
                                         path.string()));
    }
    writable.insert(canonical.string());
  }
  // Only what the private /tmp would hide needs a (read-only) bind; the rest
  // of the file system is visible read-only anyway.
  for (const fs::path& path : spec.visible) {
    std::error_code ec;
    fs::path canonical = fs::canonical(path, ec);
    if (ec) {
      return FsError(ec, absl::StrFormat("making %s visible in the sandbox",
                                         path.string()));
    }
    if (canonical.string().starts_with("/tmp/") && !writable.contains(canonical.string())) {
      visible.insert(canonical.string());
    }
  }
  writable.insert(visible.begin(), visible.end());
  // Parents before children, so that a child's bind lands on its parent's.
  plan.writable.assign(writable.begin(), writable.end());
  std::stable_sort(plan.writable.begin(), plan.writable.end(),
                   [](const std::string& a, const std::string& b) {
                     return a.size() < b.size();
                   });
  for (const std::string& path : plan.writable) {
    std::error_code ec;
    plan.writable_is_dir.push_back(fs::is_directory(path, ec) ? 1 : 0);
    plan.writable_read_only.push_back(visible.contains(path) ? 1 : 0);
  }
  plan.writable_fds.assign(plan.writable.size(), -1);
  if (isolate_) RETURN_IF_ERROR(PlanNamespaces(plan));
  return plan;
}

absl::StatusOr<int> ProcessRunner::Run(const SandboxSpec& spec) {
  RETURN_IF_ERROR(CheckInterrupted());
  ASSIGN_OR_RETURN(Plan plan, MakePlan(spec));
  Fd stdout_file;
  if (spec.stdout_file.has_value()) {
    const std::string context =
        absl::StrFormat("opening %s", spec.stdout_file->string());
    const int fd = ::open(spec.stdout_file->c_str(),
                          O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return ErrnoError(errno, context);
    ASSIGN_OR_RETURN(stdout_file, AboveStdio(Fd(fd), context));
    plan.stdout_fd = stdout_file.get();
  }
  ASSIGN_OR_RETURN(Outcome outcome, Supervised(plan, true));
  if (outcome.cancelled) return absl::CancelledError("interrupted");

  for (const Report& report : outcome.reports) {
    if (report.kind == ReportKind::kNote && !warned_about_proc_ && warn_) {
      warned_about_proc_ = true;
      warn_(absl::StrFormat(
          "the sandbox shows the host's processes: %s: %s; the build still "
          "runs isolated otherwise",
          Describe(plan, report), std::strerror(report.error)));
    }
  }
  for (const Report& report : outcome.reports) {
    if (report.kind == ReportKind::kFailed) {
      return ErrnoError(report.error, Describe(plan, report));
    }
  }
  for (const Report& report : outcome.reports) {
    if (report.kind == ReportKind::kExited) return ExitCode(report.wait_status);
  }
  return absl::InternalError(
      absl::StrFormat("running %s: the build's supervisor %s without a report",
                      spec.argv[0], DescribeWait(outcome.wait_status)));
}

}  // namespace

absl::Status UserNamespacesAvailable() { return CachedProbe().status; }

absl::StatusOr<std::unique_ptr<SandboxRunner>> NewSandboxRunner(
    SandboxMode mode, const std::function<void(std::string_view)>& warn) {
  if (mode == SandboxMode::kOff) {
    return std::make_unique<ProcessRunner>(false, warn);
  }
  const ProbeResult& probe = CachedProbe();
  if (probe.status.ok()) return std::make_unique<ProcessRunner>(true, warn);
  if (mode == SandboxMode::kOn) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s\nhint: %s", probe.status.message(),
                        Hint(probe, "run with --sandbox off")));
  }
  if (warn) {
    warn(absl::StrFormat(
        "%s; building without it: the build can reach the network and write "
        "outside its directories\nhint: %s",
        probe.status.message(),
        Hint(probe, "pass --sandbox off to silence this warning")));
  }
  return std::make_unique<ProcessRunner>(false, warn);
}

}  // namespace cook::sandbox
