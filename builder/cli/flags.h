#ifndef COOK_BUILDER_CLI_FLAGS_H_
#define COOK_BUILDER_CLI_FLAGS_H_

// What the subcommands' option parsers share: the options several commands
// take (--json, --quiet, the registry options, compression), the validators
// CLI11 runs while parsing, and the conversions from option text to values
// (paths made absolute against Environment::working_dir, image references,
// platforms). Private to builder/cli's command library.

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "builder/cli/command.h"
#include "layers/compressor.h"
#include "oci/image.h"
#include "oci/reference.h"
#include "registry/session.h"

namespace cook::cli {

// `validator`'s verdict in cook's words: when it rejects a value, the error
// is `message(value)`. CLI11 puts the option's name and ": " before it;
// UsageError drops that again when `message` starts with the name itself.
// Keeps `validator`'s transformation of the value, if any; shows no
// description in --help.
CLI::Validator Worded(CLI::Validator validator,
                      std::function<std::string(const std::string&)> message);

// Accepts KEY=VALUE with a non-empty KEY; else `flag "TEXT": expected
// KEY=VALUE`.
CLI::Validator KeyValue(const std::string& flag);

// Accepts an absolute path; else `flag "TEXT": expected an absolute path`.
CLI::Validator AbsolutePath(const std::string& flag);

// A byte count with an optional binary suffix ("1048576", "512M", "2G"),
// transformed into the number of bytes; else `flag "TEXT": expected a size
// such as 512M or 2G`. (CLI::AsSizeValue in Debian's CLI11 2.1 reads "010"
// as octal and lets "-1" and overflowing numbers wrap.)
CLI::Validator SizeValue(const std::string& flag);

// Makes `path` absolute against `env.working_dir`, lexically normalised.
std::string Absolute(const std::string& path, const Environment& env);

// Transforms a path option's value with Absolute as CLI11 parses it. An
// empty value stays empty (the option's "not given") when `keep_empty`.
CLI::Validator ResolvedPath(const Environment& env, bool keep_empty = true);

// Splits each KEY=VALUE (validated by KeyValue) at its first "=".
std::vector<std::pair<std::string, std::string>> SplitKeyValues(
    const std::vector<std::string>& texts);

// An image reference, its paths resolved against the working directory.
absl::StatusOr<oci::ImageReference> ParseRef(const std::string& text,
                                             const Environment& env);

// --dest references: like ParseRef, and `scratch` is InvalidArgument.
absl::StatusOr<std::vector<oci::ImageReference>> ParseDests(
    const std::vector<std::string>& texts, const Environment& env);

// --platform: nullopt when `text` is empty.
absl::StatusOr<std::optional<oci::Platform>> ParseOptionalPlatform(
    const std::string& text);

// --compression and --compression-level (0: the algorithm's default; any
// other level must suit the algorithm).
struct CompressionFlags {
  std::string name = "zstd";
  int level = 0;
};
void AddCompressionOptions(CLI::App& app, CompressionFlags& flags);
absl::Status ParseCompressionFlags(const CompressionFlags& flags,
                                   layers::Compression& compression,
                                   int& level);

// --json and --quiet, which every command takes; also fills what
// CommonOptions carries from `env`.
void AddCommonOptions(CLI::App& app, const Environment& env,
                      CommonOptions& common);

// The registry options every command that may touch docker:// takes, bound
// to `options` (--creds and --tls-verify validated, the paths resolved);
// where credentials are looked up by default comes from `env`.
void AddRegistryOptions(CLI::App& app, const Environment& env,
                        registry::RegistryOptions& options);

}  // namespace cook::cli

#endif  // COOK_BUILDER_CLI_FLAGS_H_
