#ifndef COOK_BUILDER_CLI_COMMAND_H_
#define COOK_BUILDER_CLI_COMMAND_H_

// The parsed, validated command line. Parse() does all validation that needs
// no I/O, so a malformed argument is a usage error (exit 2) before any work.

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cache/assemble.h"
#include "cache/build.h"
#include "cache/cargo_options.h"
#include "cache/restore.h"
#include "cache/signing_keys.h"
#include "oci/image.h"
#include "oci/reference.h"
#include "registry/session.h"
#include "layers/compressor.h"

namespace cook::cli {

// What the command line may depend on besides argv, read once by main().
struct Environment {
  // Relative paths resolve against this (BUILD_WORKING_DIRECTORY under
  // `bazel run`, else the current directory).
  std::string working_dir;
  // SOURCE_DATE_EPOCH, when set.
  std::optional<std::string> source_date_epoch;
  // The default cargo home for `cook restore`, as cargo finds it:
  // $CARGO_HOME (relative to `working_dir` when relative), else `home`
  // + "/.cargo"; "" when there is neither.
  std::string cargo_home;
  // Where registry credentials are looked up: $REGISTRY_AUTH_FILE,
  // $DOCKER_CONFIG, the user's home ($HOME, else the password database's
  // home directory when HOME is unset or empty).
  std::string registry_auth_file;
  std::string docker_config;
  std::string home;
  // Every variable, "NAME=value" (what the sandbox's --pass-env and
  // credential helpers may see).
  std::vector<std::string> variables;
  // Where scratch files go: std::filesystem::temp_directory_path() ($TMPDIR
  // and its aliases), else /tmp.
  std::string temp_dir;
  // What `cook --version` prints: "cook VERSION (COMMIT)" (main() passes the
  // build's stamp, builder/version.h).
  std::string version;
};

struct CommonOptions {
  bool json = false;
  bool quiet = false;
  // The registry options (--creds, --authfile, --tls-verify, --cert-dir) of
  // commands that may read or write docker://.
  registry::RegistryOptions registry;
  // From Environment: nothing below the CLI reads the process environment.
  std::vector<std::string> environment;
  std::string temp_dir;
};

// `cook assemble`: the options cache::Assemble takes, filled by the CLI
// (the temp dir from `common`).
struct AssembleCommand {
  CommonOptions common;
  cache::AssembleOptions assemble;
};

struct InspectOptions {
  CommonOptions common;
  oci::ImageReference ref;
  std::optional<oci::Platform> platform;
  std::vector<cache::VerifyingKey> verify_keys;
};

struct PrepareCommand {
  CommonOptions common;
  std::string manifest_path;  // absolute
  std::string recipe_path;    // absolute
  std::string bin;
};

struct SkeletonCommand {
  CommonOptions common;
  std::string recipe_path;  // absolute
  std::string out_dir;      // absolute
};

using CargoOptions = cache::CargoOptions;

// `cook build`: what the CLI needs besides the options cache::Build takes
// (which the CLI fills, including `common`'s environment and temp dir).
struct BuildCommand {
  CommonOptions common;
  std::string sandbox = "auto";
  cache::BuildOptions build;
};

struct RestoreCommand {
  CommonOptions common;
  cache::RestoreOptions restore;
};

struct CopyCommand {
  CommonOptions common;
  oci::ImageReference source;
  oci::ImageReference dest;
  std::optional<oci::Platform> platform;
  std::optional<cache::SigningKey> sign_key;
  std::vector<cache::VerifyingKey> verify_keys;  // the source must be signed
};

// `--help` or `--version`: print `text` to stdout and exit 0.
struct HelpRequest {
  std::string text;
};

using Command =
    std::variant<HelpRequest, AssembleCommand, InspectOptions, PrepareCommand,
                 SkeletonCommand, BuildCommand, RestoreCommand, CopyCommand>;

// Parses and validates argv. Every error is a usage error (exit 2).
absl::StatusOr<Command> Parse(int argc, const char* const* argv,
                              const Environment& env);

// The entry time for layers and the image's `created`: SOURCE_DATE_EPOCH, or
// 1970-01-01T00:00:01Z.
absl::StatusOr<absl::Time> EpochFrom(const Environment& env);

}  // namespace cook::cli

#endif  // COOK_BUILDER_CLI_COMMAND_H_
