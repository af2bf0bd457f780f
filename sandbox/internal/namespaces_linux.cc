#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/files.h"
#include "base/status_macros.h"
#include "sandbox/internal/fixed_string.h"
#include "sandbox/internal/namespaces.h"
#include "sandbox/internal/report.h"

namespace cook::sandbox::internal {
namespace {

constexpr char kHostname[] = "cook";
// statfs(2) reports MS_NOSYMFOLLOW mounts with this bit; glibc 2.36 lacks it.
constexpr unsigned long kStNoSymfollow = 0x2000;

// ---------------------------------------------------------------------------
// After the clone: async-signal-safe code only.

// Returns 0 or an errno value. One write(2), not base's WriteAll: the kernel
// takes an id map in a single write, and nothing here may allocate.
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

}  // namespace

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

// ---------------------------------------------------------------------------
// Before the clone, in cook.

namespace {

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

}  // namespace

std::vector<std::string> ParseMountPoints(std::string_view mountinfo) {
  std::vector<std::string> points;
  std::set<std::string> seen;
  const absl::string_view text(mountinfo.data(), mountinfo.size());
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
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

absl::Status PlanNamespaces(Plan& plan) {
  plan.isolate = true;
  plan.uid_map = absl::StrFormat("%d %d 1\n", ::geteuid(), ::geteuid());
  plan.gid_map = absl::StrFormat("%d %d 1\n", ::getegid(), ::getegid());
  ASSIGN_OR_RETURN(
      std::string mountinfo,
      Annotate(ReadFile("/proc/self/mountinfo"), "setting up the sandbox"));
  plan.mount_points = ParseMountPoints(mountinfo);
  return absl::OkStatus();
}

}  // namespace cook::sandbox::internal
