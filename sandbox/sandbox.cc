// The portable half of the sandbox: mode parsing and the environment filter.

#include "sandbox/sandbox.h"

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"

namespace cook::sandbox {
namespace {

// Variables cargo, rustc, rustup and the build scripts of common -sys crates
// (cc, cmake, pkg-config, bindgen) read to decide how to compile.
constexpr std::string_view kAllowedNames[] = {
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "TZ",
    "TERM",
    "SOURCE_DATE_EPOCH",
    "RUSTFLAGS",
    "CC",
    "CXX",
    "CFLAGS",
    "CXXFLAGS",
    "CPPFLAGS",
    "LDFLAGS",
    "AR",
    "ARFLAGS",
    "AS",
    "LD",
    "NM",
    "RANLIB",
    "RANLIBFLAGS",
    "OBJCOPY",
    "STRIP",
    "CROSS_COMPILE",
    "CRATE_CC_NO_DEFAULTS",
    "LIBRARY_PATH",
    "LD_LIBRARY_PATH",
    "CPATH",
    "C_INCLUDE_PATH",
    "CPLUS_INCLUDE_PATH",
    "LIBCLANG_PATH",
    "CLANG_PATH",
    "LLVM_CONFIG_PATH",
    "CMAKE",
};

constexpr std::string_view kAllowedPrefixes[] = {
    "CARGO_",    "RUSTUP_",  "RUSTC",      "RUSTDOC",  "RUST_",
    "LC_",       "CC_",      "CXX_",       "CFLAGS_",  "CXXFLAGS_",
    "CPPFLAGS_", "LDFLAGS_", "AR_",        "ARFLAGS_", "RANLIB_",
    "TARGET_",   "HOST_",    "PKG_CONFIG", "CMAKE_",   "BINDGEN_",
};

// Credentials that may hide under an allowed prefix.
constexpr std::string_view kSecretWords[] = {"TOKEN", "SECRET", "PASSWORD",
                                             "PASSWD", "CREDENTIAL"};

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

bool Allowed(std::string_view name) {
  for (std::string_view word : kSecretWords) {
    if (name.find(word) != std::string_view::npos) return false;
  }
  // Its jobserver descriptors are closed before the build starts.
  if (name == "CARGO_MAKEFLAGS") return false;
  for (std::string_view allowed : kAllowedNames) {
    if (name == allowed) return true;
  }
  for (std::string_view prefix : kAllowedPrefixes) {
    if (StartsWith(name, prefix)) return true;
  }
  return EndsWith(name, "_LINKER");
}

}  // namespace

absl::StatusOr<SandboxMode> ParseSandboxMode(std::string_view text) {
  if (text == "auto") return SandboxMode::kAuto;
  if (text == "on") return SandboxMode::kOn;
  if (text == "off") return SandboxMode::kOff;
  return absl::InvalidArgumentError(absl::StrFormat(
      "invalid sandbox mode \"%s\": expected auto, on or off", text));
}

std::vector<std::string> FilterEnvironment(
    const std::vector<std::string>& environ,
    const std::vector<std::string>& pass_env) {
  const std::set<std::string_view> passed(pass_env.begin(), pass_env.end());
  std::set<std::string_view> seen;
  std::vector<std::string> out;
  for (const std::string& entry : environ) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    const std::string_view name = std::string_view(entry).substr(0, eq);
    if (!seen.insert(name).second) continue;
    if (passed.count(name) > 0 || Allowed(name)) out.push_back(entry);
  }
  return out;
}

}  // namespace cook::sandbox
