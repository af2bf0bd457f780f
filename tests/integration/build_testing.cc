#include "tests/integration/build_testing.h"

#include <fcntl.h>

#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace cook::testing {
namespace {

namespace fs = std::filesystem;

std::string UserHome() {
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    return pw->pw_dir;
  }
  const char* home = std::getenv("HOME");
  return home ? home : "";
}

// "path+file:///x/crates/recipes#0.3.1" -> "recipes";
// "registry+https://...#serde@1.0.152" and "path+file:///x/dir#name@1.0" -> the name.
std::string PackageName(const std::string& id) {
  const size_t hash = id.find('#');
  if (hash == std::string::npos) return id.substr(0, id.find(' '));  // old format
  const std::string fragment = id.substr(hash + 1);
  if (size_t at = fragment.find('@'); at != std::string::npos) return fragment.substr(0, at);
  std::string url = id.substr(0, hash);
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url.substr(url.rfind('/') + 1);
}

}  // namespace

std::optional<fs::path> SourceRoot() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return std::nullopt;
  std::error_code ec;
  const fs::path real =
      fs::canonical(fs::path(srcdir) / (workspace ? workspace : "cook") / "README.md", ec);
  if (ec) return std::nullopt;
  return real.parent_path();
}

std::string CargoSuiteSkipReason() {
  if (!SourceRoot()) return "the source tree is not reachable through //:README.md";
  if (RunProgram({"cargo", "-V"}, RustOptions()).exit_code != 0) return "cargo is not installed";
  return "";
}

void CopyWorkspace(const fs::path& from, const fs::path& to) {
  ASSERT_FALSE(fs::exists(to)) << to;
  fs::create_directories(to);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(from, ec)) {
    if (entry.path().filename() == "target") continue;
    fs::copy(entry.path(), to / entry.path().filename(),
             fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
    ASSERT_FALSE(ec) << "copying " << entry.path() << ": " << ec.message();
  }
  ASSERT_FALSE(ec) << "listing " << from << ": " << ec.message();
  for (auto it = fs::recursive_directory_iterator(to); it != fs::recursive_directory_iterator();
       ++it) {
    if (!it->is_symlink()) {
      fs::permissions(it->path(), fs::perms::owner_read | fs::perms::owner_write,
                      fs::perm_options::add, ec);
    }
  }
}

void ReplaceInFile(const fs::path& file, const std::string& from, const std::string& to) {
  std::ifstream in(file, std::ios::binary);
  ASSERT_TRUE(in) << "reading " << file;
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << file << " has no " << from;
  ASSERT_EQ(text.find(from, at + 1), std::string::npos) << file << " has " << from << " twice";
  text.replace(at, from.size(), to);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << "writing " << file;
}

RunOptions RustOptions() {
  RunOptions options;
  const fs::path home = UserHome();
  const char* path = std::getenv("PATH");
  options.env["PATH"] = (home / ".cargo" / "bin").string() + ":" +
                        (path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::error_code ec;
  if (std::getenv("RUSTUP_HOME") == nullptr && fs::is_directory(home / ".rustup", ec)) {
    options.env["RUSTUP_HOME"] = (home / ".rustup").string();
  }
  options.unset_env = {"CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR", "CARGO_BUILD_TARGET",
                       "RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_INCREMENTAL"};
  return options;
}

RunResult RunCook(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env) {
  RunOptions options = RustOptions();
  for (const auto& [k, v] : env) options.env[k] = v;
  std::vector<std::string> argv = {CookBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, options);
}

std::string HostTriple() {
  RunResult r = RunProgram({"rustc", "-vV"}, RustOptions());
  if (r.exit_code != 0) return "";
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("host: ", 0) == 0) return line.substr(6);
  }
  return "";
}

std::string Unit::Key() const {
  return package + "/" + kind + (test ? "/test" : "");
}

std::vector<Unit> ParseUnits(const std::string& json_lines) {
  std::vector<Unit> units;
  std::istringstream lines(json_lines);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    nlohmann::json m = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (m.is_discarded() || !m.is_object()) {
      ADD_FAILURE() << "cargo printed a line that is not JSON: " << line;
      continue;
    }
    if (m.value("reason", "") != "compiler-artifact") continue;
    Unit u;
    const std::string id = m.value("package_id", "");
    u.package = PackageName(id);
    u.local = id.rfind("path+", 0) == 0;
    const auto& kinds = m["target"]["kind"];
    u.kind = kinds.is_array() && !kinds.empty() ? kinds[0].get<std::string>() : "?";
    u.test = m["profile"].value("test", false);
    u.fresh = m.value("fresh", false);
    if (m.contains("executable") && m["executable"].is_string()) {
      u.executable = m["executable"].get<std::string>();
    }
    units.push_back(std::move(u));
  }
  return units;
}

std::set<std::string> CompiledKeys(const std::vector<Unit>& units, bool local) {
  std::set<std::string> keys;
  for (const Unit& u : units) {
    if (!u.fresh && u.local == local) keys.insert(u.Key());
  }
  return keys;
}

std::optional<int> WaitWithTimeout(pid_t pid, double seconds) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (true) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (r < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::vector<std::string> ProcessesMentioning(const std::string& needle) {
  std::vector<std::string> found;
  const std::string self = std::to_string(::getpid());
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos || pid == self) continue;
    // read(2), not an ifstream: a process that exits meanwhile makes the
    // read fail with ESRCH, which libstdc++'s filebuf turns into an
    // exception.
    std::string cmdline;
    const int fd = ::open((entry.path() / "cmdline").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) cmdline.append(buffer, n);
    ::close(fd);
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    if (cmdline.find(needle) != std::string::npos) found.push_back(pid + ": " + cmdline);
  }
  return found;
}

}  // namespace cook::testing
