// The sandbox with real programs (/bin/sh, python3) in real namespaces: what
// the command can write, see, reach and leave behind.

#include "sandbox/sandbox.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook::sandbox {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::HaveProgram;
using ::cook::testing::IsOk;
using ::cook::testing::IsOkAndHolds;
using ::cook::testing::RunProgram;
using ::cook::testing::RunResult;
using ::cook::testing::StatusIs;
using ::cook::testing::TempDirTest;
using ::cook::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

constexpr char kSh[] = "/bin/sh";
constexpr char kPython[] = "/usr/bin/python3";

// Tries to write each path; prints "PATH ok" or "PATH <errno name>".
constexpr char kTryWrites[] = R"(
import errno, sys
for path in sys.argv[1:]:
    try:
        with open(path, "w") as f:
            f.write("x")
        print(path, "ok")
    except OSError as e:
        print(path, errno.errorcode[e.errno])
)";

std::string ReadOrEmpty(const fs::path& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  return text.ok() ? *text : "";
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// Host pids of the processes whose command line holds `word` as an argument.
std::vector<pid_t> ProcessesWithArgument(const std::string& word) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string cmdline = ReadOrEmpty(entry.path() / "cmdline");
    for (absl::string_view arg : absl::StrSplit(cmdline, '\0')) {
      if (arg == word) pids.push_back(std::stoi(name));
    }
  }
  return pids;
}

fs::path HelperBinary() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  return fs::absolute(fs::path(srcdir ? srcdir : ".") /
                      (workspace ? workspace : "cook") /
                      "tests/sandbox/run_in_sandbox");
}

class SandboxTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    home_ = root_ / "home";
    fs::create_directories(home_);
    out_ = root_ / "out.txt";
  }

  void RequireSandbox() {
    absl::Status available = UserNamespacesAvailable();
    if (!available.ok()) GTEST_SKIP() << available.message();
  }

  std::unique_ptr<SandboxRunner> Runner(SandboxMode mode) {
    auto runner = NewSandboxRunner(mode, [this](std::string_view message) {
      warnings_.emplace_back(message);
    });
    EXPECT_THAT(runner, IsOk());
    return runner.ok() ? *std::move(runner) : nullptr;
  }

  SandboxSpec Spec(std::vector<std::string> argv) {
    SandboxSpec spec;
    spec.argv = std::move(argv);
    spec.env = {"PATH=/usr/bin:/bin", absl::StrCat("HOME=", home_.string()),
                "LANG=C.UTF-8"};
    spec.cwd = root_;
    spec.stdout_file = out_;
    return spec;
  }

  SandboxSpec Shell(const std::string& script) {
    return Spec({kSh, "-c", script});
  }

  std::string Out() { return ReadOrEmpty(out_); }

  fs::path home_;
  fs::path out_;
  std::vector<std::string> warnings_;
};

TEST(ParseSandboxModeTest, AcceptsAutoOnAndOff) {
  EXPECT_THAT(ParseSandboxMode("auto"), IsOkAndHolds(SandboxMode::kAuto));
  EXPECT_THAT(ParseSandboxMode("on"), IsOkAndHolds(SandboxMode::kOn));
  EXPECT_THAT(ParseSandboxMode("off"), IsOkAndHolds(SandboxMode::kOff));
  EXPECT_THAT(
      ParseSandboxMode("yes"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("\"yes\""), HasSubstr("auto, on or off"))));
  EXPECT_THAT(ParseSandboxMode("ON"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(FilterEnvironmentTest, KeepsBuildVariablesAndDropsTheRest) {
  const std::vector<std::string> environ = {
      "PATH=/usr/bin",
      "HOME=/home/u",
      "LC_ALL=C",
      "SOURCE_DATE_EPOCH=1",
      "CARGO_HOME=/c",
      "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=clang",
      "RUSTUP_HOME=/r",
      "RUSTC_WRAPPER=",
      "RUSTFLAGS=-Cdebuginfo=0",
      "RUSTDOCFLAGS=-D",
      "CC=gcc",
      "CC_x86_64_unknown_linux_gnu=gcc",
      "CFLAGS=-O2",
      "TARGET_CC=cc",
      "HOST_CFLAGS=-g",
      "PKG_CONFIG_PATH=/p",
      "AR=ar",
      "MY_LINKER=ld",
      "GITHUB_TOKEN=ghp_secret",
      "AWS_SECRET_ACCESS_KEY=k",
      "AWS_ACCESS_KEY_ID=k",
      "COOK_TEST_SECRET=s",
      "CARGO_REGISTRY_TOKEN=t",
      "CARGO_REGISTRIES_MY_REG_TOKEN=t",
      "CARGO_REGISTRIES_MY_REG_SECRET_KEY=k",
      "CARGO_MAKEFLAGS=--jobserver-fds=3,4",
      "SSH_AUTH_SOCK=/s",
      "TMPDIR=/var/tmp",
      "LD_PRELOAD=/evil.so",
  };
  EXPECT_THAT(
      FilterEnvironment(environ, {}),
      ElementsAre(
          "PATH=/usr/bin", "HOME=/home/u", "LC_ALL=C", "SOURCE_DATE_EPOCH=1",
          "CARGO_HOME=/c", "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=clang",
          "RUSTUP_HOME=/r", "RUSTC_WRAPPER=", "RUSTFLAGS=-Cdebuginfo=0",
          "RUSTDOCFLAGS=-D", "CC=gcc", "CC_x86_64_unknown_linux_gnu=gcc",
          "CFLAGS=-O2", "TARGET_CC=cc", "HOST_CFLAGS=-g", "PKG_CONFIG_PATH=/p",
          "AR=ar", "MY_LINKER=ld"));
}

TEST(FilterEnvironmentTest, PassEnvBringsBackNamedVariablesOnly) {
  const std::vector<std::string> environ = {
      "PATH=/first", "PATH=/second",         "NOEQUALS",
      "=empty-name", "COOK_TEST_PASSED=yes", "CARGO_REGISTRY_TOKEN=t",
      "OTHER=no"};
  EXPECT_THAT(FilterEnvironment(environ, {"COOK_TEST_PASSED",
                                          "CARGO_REGISTRY_TOKEN", "ABSENT"}),
              ElementsAre("PATH=/first", "COOK_TEST_PASSED=yes",
                          "CARGO_REGISTRY_TOKEN=t"));
}

TEST_F(SandboxTest, AutoUsesTheSandboxWhereItWorksAndOffNever) {
  RequireSandbox();
  EXPECT_TRUE(Runner(SandboxMode::kAuto)->sandboxed());
  EXPECT_TRUE(Runner(SandboxMode::kOn)->sandboxed());
  EXPECT_FALSE(Runner(SandboxMode::kOff)->sandboxed());
  EXPECT_THAT(warnings_, IsEmpty());
}

TEST_F(SandboxTest, WritesInWritableDirectoriesAreOwnedByTheCaller) {
  RequireSandbox();
  const fs::path target = root_ / "target";
  const fs::path cargo_home = root_ / "cargo-home";
  fs::create_directories(target / "deps");
  fs::create_directories(cargo_home);
  SandboxSpec spec = Shell(
      "echo built > target/deps/lib.rlib && mkdir target/new && "
      "echo cached > cargo-home/registry");
  spec.writable = {target, cargo_home};
  auto runner = Runner(SandboxMode::kOn);
  ASSERT_TRUE(runner->sandboxed());
  EXPECT_THAT(runner->Run(spec), IsOkAndHolds(0));
  EXPECT_EQ(ReadOrEmpty(target / "deps/lib.rlib"), "built\n");
  EXPECT_EQ(ReadOrEmpty(cargo_home / "registry"), "cached\n");
  for (const fs::path& path :
       {target / "deps/lib.rlib", target / "new", cargo_home / "registry"}) {
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_uid, ::geteuid()) << path;
    EXPECT_EQ(st.st_gid, ::getegid()) << path;
  }
}

TEST_F(SandboxTest, WritesElsewhereFailWithReadOnlyFileSystem) {
  RequireSandbox();
  if (!fs::exists(kPython)) GTEST_SKIP() << "no " << kPython;
  fs::create_directories(root_ / "writable");
  fs::create_directories(root_ / "source");
  const std::string etc_file =
      absl::StrCat("/etc/cook-sandbox-test-", ::getpid());
  SandboxSpec spec =
      Spec({kPython, "-c", kTryWrites, (root_ / "writable/f").string(),
            (root_ / "source/f").string(), (home_ / ".profile").string(),
            etc_file, "/dev/null"});
  spec.writable = {root_ / "writable"};
  EXPECT_THAT(Runner(SandboxMode::kOn)->Run(spec), IsOkAndHolds(0));
  EXPECT_THAT(Lines(Out()),
              ElementsAre(absl::StrCat((root_ / "writable/f").string(), " ok"),
                          absl::StrCat((root_ / "source/f").string(), " EROFS"),
                          absl::StrCat((home_ / ".profile").string(), " EROFS"),
                          absl::StrCat(etc_file, " EROFS"), "/dev/null ok"));
  EXPECT_FALSE(fs::exists(root_ / "source/f"));
  EXPECT_FALSE(fs::exists(etc_file));

  // The same writes succeed without the sandbox: the probe itself works.
  SandboxSpec direct =
      Spec({kPython, "-c", kTryWrites, (root_ / "source/f").string()});
  EXPECT_THAT(Runner(SandboxMode::kOff)->Run(direct), IsOkAndHolds(0));
  EXPECT_THAT(Lines(Out()),
              ElementsAre(absl::StrCat((root_ / "source/f").string(), " ok")));
}

TEST_F(SandboxTest, TmpIsPrivateEmptyAndWritable) {
  RequireSandbox();
  const std::string host_file =
      absl::StrCat("/tmp/cook-sandbox-host-", ::getpid());
  const std::string inner_file =
      absl::StrCat("/tmp/cook-sandbox-inner-", ::getpid());
  WriteTestFile(host_file, "host");
  SandboxSpec spec = Shell(absl::StrCat("ls -A /tmp; echo inside > ",
                                        inner_file, " && cat ", inner_file));
  EXPECT_THAT(Runner(SandboxMode::kOn)->Run(spec), IsOkAndHolds(0));
  EXPECT_EQ(Out(), "inside\n");
  EXPECT_FALSE(fs::exists(inner_file));
  fs::remove(host_file);
}

TEST_F(SandboxTest, WritablePathUnderTmpIsBoundIntoThePrivateTmp) {
  RequireSandbox();
  char tmpl[] = "/tmp/cook-sandbox-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  fs::create_directories(dir / "target");
  WriteTestFile(dir / "other/file", "x");
  SandboxSpec spec = Shell(absl::StrCat(
      "echo ok > ", (dir / "target/out").string(), " && ls ", dir.string()));
  spec.writable = {dir / "target"};
  spec.cwd = dir / "target";
  EXPECT_THAT(Runner(SandboxMode::kOn)->Run(spec), IsOkAndHolds(0));
  EXPECT_EQ(Out(), "target\n");  // only what is writable
  EXPECT_EQ(ReadOrEmpty(dir / "target/out"), "ok\n");
  fs::remove_all(dir);
}

TEST_F(SandboxTest, NoNetworkInsideTheSandbox) {
  RequireSandbox();
  if (!fs::exists(kPython)) GTEST_SKIP() << "no " << kPython;
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::listen(listener, 16), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len),
            0);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  const std::string connect = R"(
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    print("connected")
except OSError as e:
    print("refused", e)
    sys.exit(1)
)";
  EXPECT_THAT(
      Runner(SandboxMode::kOn)->Run(Spec({kPython, "-c", connect, port})),
      IsOkAndHolds(1));
  EXPECT_THAT(Out(), HasSubstr("refused"));
  EXPECT_THAT(
      Runner(SandboxMode::kOff)->Run(Spec({kPython, "-c", connect, port})),
      IsOkAndHolds(0));
  EXPECT_EQ(Out(), "connected\n");
  ::close(listener);
}

TEST_F(SandboxTest, CommandSeesExactlyTheFilteredEnvironment) {
  RequireSandbox();
  const std::vector<std::string> environ = {
      "PATH=/usr/bin:/bin",     "HOME=/nonexistent",
      "CARGO_TERM_COLOR=never", "COOK_TEST_SECRET=hunter2",
      "GITHUB_TOKEN=ghp_x",     "COOK_TEST_PASSED=yes"};
  for (SandboxMode mode : {SandboxMode::kOn, SandboxMode::kOff}) {
    SandboxSpec spec = Spec({"/usr/bin/env"});
    spec.env = FilterEnvironment(environ, {"COOK_TEST_PASSED"});
    EXPECT_THAT(Runner(mode)->Run(spec), IsOkAndHolds(0));
    EXPECT_THAT(
        Lines(Out()),
        UnorderedElementsAre("PATH=/usr/bin:/bin", "HOME=/nonexistent",
                             "CARGO_TERM_COLOR=never", "COOK_TEST_PASSED=yes"));
  }
}

TEST_F(SandboxTest, ExitCodesAndSignalsPropagate) {
  RequireSandbox();
  for (SandboxMode mode : {SandboxMode::kOn, SandboxMode::kOff}) {
    auto runner = Runner(mode);
    EXPECT_THAT(runner->Run(Shell("exit 7")), IsOkAndHolds(7));
    EXPECT_THAT(runner->Run(Shell("exit 0")), IsOkAndHolds(0));
    EXPECT_THAT(runner->Run(Shell("kill -TERM $$")), IsOkAndHolds(128 + 15));
    EXPECT_THAT(runner->Run(Shell("kill -KILL $$")), IsOkAndHolds(128 + 9));
  }
}

TEST_F(SandboxTest, StdoutGoesToTheFileAndStdinIsEmpty) {
  RequireSandbox();
  WriteTestFile(out_, "old contents that must go away\n");
  for (SandboxMode mode : {SandboxMode::kOn, SandboxMode::kOff}) {
    EXPECT_THAT(Runner(mode)->Run(Shell("echo to-stdout; echo to-stderr >&2; "
                                        "cat; ls /proc/self/fd")),
                IsOkAndHolds(0));
    // Only 0, 1, 2 and ls's own directory descriptor are open.
    EXPECT_EQ(Out(), "to-stdout\n0\n1\n2\n3\n");
  }
}

TEST_F(SandboxTest, OwnPidNamespaceHostnameAndNoCapabilities) {
  RequireSandbox();
  if (!fs::exists(kPython)) GTEST_SKIP() << "no " << kPython;
  const std::string script = R"(
import os, socket
print(os.getpid())
print(socket.gethostname())
print(len(os.urandom(16)))
status = open("/proc/self/status").read()
print([l for l in status.splitlines() if l.startswith("CapEff")][0])
print(sorted(int(p) for p in os.listdir("/proc") if p.isdigit())[:2])
)";
  EXPECT_THAT(Runner(SandboxMode::kOn)->Run(Spec({kPython, "-c", script})),
              IsOkAndHolds(0));
  // The supervisor is pid 1; the command, its first child, pid 2.
  EXPECT_EQ(Out(), "2\ncook\n16\nCapEff:\t0000000000000000\n[1, 2]\n");
}

TEST_F(SandboxTest, LeftoverProcessesEndWithTheCommand) {
  RequireSandbox();
  for (SandboxMode mode : {SandboxMode::kOn, SandboxMode::kOff}) {
    const std::string marker =
        absl::StrCat("9999.", ::getpid(), mode == SandboxMode::kOn ? 1 : 2);
    const auto start = std::chrono::steady_clock::now();
    // An orphaned grandchild in its own session, and a plain background job.
    EXPECT_THAT(Runner(mode)->Run(
                    Shell(absl::StrCat("setsid sleep ", marker, " & (sleep ",
                                       marker, " &) ; sleep 0.2; exit 3"))),
                IsOkAndHolds(3));
    EXPECT_LT(std::chrono::steady_clock::now() - start,
              std::chrono::seconds(5));
    EXPECT_THAT(ProcessesWithArgument(marker), IsEmpty());
  }
}

TEST_F(SandboxTest, SetupErrorsNameTheCause) {
  RequireSandbox();
  for (SandboxMode mode : {SandboxMode::kOn, SandboxMode::kOff}) {
    auto runner = Runner(mode);
    SandboxSpec relative = Spec({"sh", "-c", "true"});
    EXPECT_THAT(runner->Run(relative),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("absolute path")));
    EXPECT_THAT(runner->Run(Spec({})),
                StatusIs(absl::StatusCode::kInvalidArgument));
    SandboxSpec missing_writable = Shell("true");
    missing_writable.writable = {root_ / "no-such-dir"};
    EXPECT_THAT(
        runner->Run(missing_writable),
        StatusIs(absl::StatusCode::kNotFound, HasSubstr("no-such-dir")));
    EXPECT_THAT(runner->Run(Spec({"/no/such/program"})),
                StatusIs(absl::StatusCode::kNotFound,
                         HasSubstr("running /no/such/program")));
    SandboxSpec missing_cwd = Shell("true");
    missing_cwd.cwd = root_ / "no-such-cwd";
    EXPECT_THAT(runner->Run(missing_cwd),
                StatusIs(absl::StatusCode::kNotFound,
                         HasSubstr("changing to directory")));
  }
}

// Raises SIGINT in-process (InstallInterruptHandlers() only sets a flag) while
// `sh` runs two background sleeps and waits; checks in a child process, since
// the flag cannot be cleared. Returns the sleeps' host pids.
void ExpectInterruptEndsEverything(SandboxMode mode, const fs::path& root) {
  const std::string marker =
      absl::StrCat("9998.", ::getpid(), static_cast<int>(mode));
  const fs::path pid_file = root / "pids";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    InstallInterruptHandlers();
    auto runner = NewSandboxRunner(mode, [](std::string_view) {});
    if (!runner.ok()) _exit(10);
    SandboxSpec spec;
    spec.argv = {
        kSh, "-c",
        absl::StrCat("sleep ", marker, " & sleep ", marker, " & wait")};
    spec.env = {"PATH=/usr/bin:/bin"};
    spec.cwd = "/";
    std::chrono::steady_clock::time_point raised;
    std::thread interrupter([&] {
      for (int i = 0; i < 500; ++i) {
        const std::vector<pid_t> pids = ProcessesWithArgument(marker);
        if (pids.size() == 2) {
          std::ofstream(pid_file) << pids[0] << "\n" << pids[1] << "\n";
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      raised = std::chrono::steady_clock::now();
      ::kill(::getpid(), SIGINT);
    });
    absl::StatusOr<int> result = (*runner)->Run(spec);
    const auto returned = std::chrono::steady_clock::now();
    interrupter.join();
    if (result.status().code() != absl::StatusCode::kCancelled) {
      std::fprintf(stderr, "Run returned %s\n",
                   result.status().ToString().c_str());
      _exit(11);
    }
    if (returned - raised > std::chrono::seconds(2)) _exit(12);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  const std::vector<std::string> pids = Lines(ReadOrEmpty(pid_file));
  ASSERT_EQ(pids.size(), 2u) << "the sleeps never started";
  for (const std::string& pid : pids) {
    EXPECT_EQ(::kill(std::stoi(pid), 0), -1) << "pid " << pid << " survived";
    EXPECT_EQ(errno, ESRCH);
  }
  EXPECT_THAT(ProcessesWithArgument(marker), IsEmpty());
}

TEST_F(SandboxTest, InterruptKillsEveryProcessInTheSandbox) {
  RequireSandbox();
  ExpectInterruptEndsEverything(SandboxMode::kOn, root_);
}

TEST_F(SandboxTest, InterruptKillsEveryProcessOfTheDirectRunner) {
  ExpectInterruptEndsEverything(SandboxMode::kOff, root_);
}

// The non-root code path: the helper runs as nobody, from /var/tmp (the
// test's runfiles live under /root, which nobody cannot enter; /tmp would be
// replaced by the private one).
TEST_F(SandboxTest, WorksForAnOrdinaryUser) {
  RequireSandbox();
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch users";
  if (!HaveProgram("setpriv")) GTEST_SKIP() << "no setpriv";
  if (!fs::exists(kPython)) GTEST_SKIP() << "no " << kPython;
  if (!fs::is_directory("/var/tmp")) GTEST_SKIP() << "no /var/tmp";
  char tmpl[] = "/var/tmp/cook-sandbox-user-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  ::chmod(dir.c_str(), 0755);
  const fs::path helper = dir / "run_in_sandbox";
  fs::copy_file(HelperBinary(), helper);
  ::chmod(helper.c_str(), 0755);
  const fs::path work = dir / "work";
  const fs::path open = dir / "open";  // writable by anyone, but not listed
  fs::create_directories(work);
  fs::create_directories(open);
  ASSERT_EQ(::chown(work.c_str(), 65534, 65534), 0);
  ::chmod(open.c_str(), 0777);

  const std::vector<std::string> setpriv = {"setpriv", "--reuid=65534",
                                            "--regid=65534", "--clear-groups",
                                            helper.string()};
  std::vector<std::string> argv = setpriv;
  for (std::string arg :
       {std::string("on"), "--writable=" + work.string(),
        "--cwd=" + work.string(), "--stdout=" + (work / "out.txt").string(),
        std::string("--"), std::string(kPython), std::string("-c"),
        std::string(kTryWrites), (work / "f").string(), (open / "f").string(),
        std::string("/tmp/scratch")}) {
    argv.push_back(arg);
  }
  RunResult sandboxed = RunProgram(argv);
  EXPECT_EQ(sandboxed.exit_code, 0) << sandboxed.err;
  EXPECT_THAT(sandboxed.err, HasSubstr("sandboxed: yes"));
  EXPECT_THAT(Lines(ReadOrEmpty(work / "out.txt")),
              ElementsAre(absl::StrCat((work / "f").string(), " ok"),
                          absl::StrCat((open / "f").string(), " EROFS"),
                          "/tmp/scratch ok"));
  struct stat st;
  ASSERT_EQ(::stat((work / "f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);

  // Without the sandbox the same user can write there.
  argv = setpriv;
  for (std::string arg :
       {std::string("off"), "--cwd=" + work.string(),
        "--stdout=" + (work / "out2.txt").string(), std::string("--"),
        std::string(kPython), std::string("-c"), std::string(kTryWrites),
        (open / "f").string()}) {
    argv.push_back(arg);
  }
  RunResult direct = RunProgram(argv);
  EXPECT_EQ(direct.exit_code, 0) << direct.err;
  EXPECT_EQ(ReadOrEmpty(work / "out2.txt"),
            absl::StrCat((open / "f").string(), " ok\n"));
  fs::remove_all(dir);
}

// A host without unprivileged user namespaces, made by setting
// user.max_user_namespaces to 0 inside a user namespace of our own.
TEST_F(SandboxTest, WithoutUserNamespacesOnFailsAndAutoFallsBack) {
  RequireSandbox();
  if (!HaveProgram("unshare")) GTEST_SKIP() << "no unshare";
  const auto run = [](const std::string& mode) {
    return RunProgram({"unshare", "--user", "--map-root-user", kSh, "-c",
                       "echo 0 > /proc/sys/user/max_user_namespaces && "
                       "exec \"$@\"",
                       "sh", HelperBinary().string(), mode, "--", kSh, "-c",
                       "echo ran"});
  };
  RunResult on = run("on");
  EXPECT_EQ(on.exit_code, 125) << on.err;
  EXPECT_THAT(on.err, AllOf(HasSubstr("error: the sandbox is unavailable: "),
                            HasSubstr("\nhint: "),
                            HasSubstr("user.max_user_namespaces"),
                            HasSubstr("--sandbox off")));
  EXPECT_THAT(on.err, Not(HasSubstr("ran")));

  RunResult automatic = run("auto");
  EXPECT_EQ(automatic.exit_code, 0) << automatic.err;
  EXPECT_THAT(
      automatic.err,
      AllOf(HasSubstr("warning: the sandbox is unavailable: "),
            HasSubstr("building without it"), HasSubstr("--sandbox off"),
            HasSubstr("sandboxed: no"), HasSubstr("\nran\n")));
}

}  // namespace
}  // namespace cook::sandbox
