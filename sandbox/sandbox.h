#ifndef COOK_SANDBOX_SANDBOX_H_
#define COOK_SANDBOX_SANDBOX_H_

// Runs cargo (or any program) to completion, optionally inside a sandbox made
// of Linux namespaces in cook's own process: no setuid helper, no daemon.
//
// Inside the sandbox (SandboxMode::kOn, or kAuto where it works):
//  * own user namespace: the caller's uid and gid map to the same ids (other
//    owners show as nobody); the command runs without capabilities and with
//    no_new_privs, so even root inside writes only where plain owner/group/
//    other permissions allow;
//  * own mount namespace: every mount is read-only except the `writable`
//    paths; /tmp is a private, empty tmpfs; /proc belongs to the sandbox's pid
//    namespace; /dev is the host's (read-only, but device nodes such as
//    /dev/null and /dev/urandom work);
//  * own pid, network (no interfaces up: no network at all), ipc and uts
//    (hostname "cook") namespaces.
// Both runners start the command in its own process group, with stdin from
// /dev/null and no file descriptors but 0, 1 and 2, and end every process the
// command left behind when it exits or when cook is interrupted.

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cook::sandbox {

enum class SandboxMode { kAuto, kOn, kOff };

// "auto", "on" or "off"; anything else is InvalidArgument.
absl::StatusOr<SandboxMode> ParseSandboxMode(std::string_view text);

struct SandboxSpec {
  std::vector<std::string> argv;  // argv[0] is an absolute path; no PATH search
  std::vector<std::string> env;   // the complete environment, KEY=VALUE
  std::filesystem::path cwd;      // absolute
  // Read-write inside the sandbox; everything else is read-only. Each must
  // exist. A path under /tmp is bound into the private /tmp at the same
  // place; nothing else of the host's /tmp is visible, so `cwd` and the
  // program must not lie under /tmp outside these paths. Mounts below a
  // writable path stay read-only.
  std::vector<std::filesystem::path> writable;
  // Read-only inside, and kept visible even under /tmp (which is private):
  // e.g. vendored crate directories of a workspace checked out in /tmp.
  std::vector<std::filesystem::path> visible;
  // The command's stdout goes here (created or truncated); without it, to
  // cook's stderr: cook's stdout is reserved for --json.
  std::optional<std::filesystem::path> stdout_file;
};

// The test seam for `cook build`.
class SandboxRunner {
 public:
  virtual ~SandboxRunner() = default;
  // Runs `spec` to completion and returns its exit code (128+N when killed by
  // signal N). Processes the command leaves behind are killed when it exits.
  // While it runs, polls Interrupted(): on interrupt, kills the whole process
  // tree (within about a second) and returns CancelledError("interrupted").
  // Errors: InvalidArgument for a malformed `spec`, NotFound for a missing
  // writable path, cwd or program, other codes when the sandbox cannot be set
  // up. Not thread-safe: one Run() at a time.
  virtual absl::StatusOr<int> Run(const SandboxSpec& spec) = 0;
  // True when Run() isolates the command in namespaces.
  virtual bool sandboxed() const = 0;
};

// kOn: the sandbox, or FailedPrecondition with a "\nhint: " line where
// unprivileged user namespaces are unavailable. kAuto: the sandbox where it
// works, else a direct runner, after calling `warn` once with the reason.
// kOff: a direct runner. `warn` is copied; the runner also uses it for
// warnings during Run() (e.g. when only the host's /proc can be used).
absl::StatusOr<std::unique_ptr<SandboxRunner>> NewSandboxRunner(
    SandboxMode mode, const std::function<void(std::string_view)>& warn);

// OK when an unprivileged sandbox can be set up here (user, mount, pid, net,
// ipc and uts namespaces, id maps, mounts); else FailedPrecondition saying
// which step failed. The first call probes in a throwaway child process;
// later calls return the cached result. Thread-safe.
absl::Status UserNamespacesAvailable();

// The environment the build may see: cargo, rustup, rustc, C/C++ compiler,
// linker, pkg-config, cmake and bindgen variables, PATH, HOME, USER, LOGNAME,
// LANG, LANGUAGE, LC_*, TZ, TERM, SOURCE_DATE_EPOCH, plus each variable named
// in `pass_env`. Credentials are dropped even under an allowed prefix (any
// name containing TOKEN, SECRET, PASSWORD, PASSWD or CREDENTIAL, such as
// CARGO_REGISTRY_TOKEN), as is CARGO_MAKEFLAGS (its jobserver descriptors are
// not passed on); `pass_env` brings back any of them. Keeps the order of
// `environ` and the first of duplicate names; drops entries without '='.
std::vector<std::string> FilterEnvironment(
    const std::vector<std::string>& environ,
    const std::vector<std::string>& pass_env);

}  // namespace cook::sandbox

#endif  // COOK_SANDBOX_SANDBOX_H_
