#ifndef COOK_BUILDER_CLI_FLAGS_H_
#define COOK_BUILDER_CLI_FLAGS_H_

// What the subcommands' option declarations share: the options several
// commands take (--json, --quiet, the registry options, compression), and
// the validators and conversions CLI11 runs while it parses (paths made
// absolute against Environment::working_dir, image references, platforms,
// KEY=VALUE pairs, sizes). Private to builder/cli's command library.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "builder/cli/command.h"
#include "cache/signing_keys.h"
#include "layers/compressor.h"
#include "oci/image.h"
#include "oci/reference.h"
#include "registry/session.h"

namespace cook::cli {

// What --dest says when it names scratch (build and assemble).
inline constexpr char kDestNotScratch[] =
    "--dest scratch: scratch can only be a base image";

// A usage error in cook's words, thrown from the validators and conversions
// below: CLI11 passes it through parse() as it is, where it would put the
// option's name before a ValidationError's message. Parse returns status().
class UsageText : public CLI::ParseError {
 public:
  explicit UsageText(const absl::Status& status);
  // InvalidArgument, with the message (and payloads) thrown.
  const absl::Status& status() const { return status_; }

 private:
  absl::Status status_;
};

// Declares `name`, which `convert` turns into `value` as CLI11 parses it
// (once, with every value, for a vector `Text`). A failed conversion throws
// UsageText with `convert`'s status.
template <typename T, typename Text = std::string>
CLI::Option* AddConverted(
    CLI::App& app, const std::string& name, T& value,
    std::type_identity_t<std::function<absl::StatusOr<T>(const Text&)>> convert,
    const std::string& help) {
  return app.add_option_function<Text>(
      name,
      [&value, convert = std::move(convert)](const Text& text) {
        absl::StatusOr<T> converted = convert(text);
        if (!converted.ok()) throw UsageText(converted.status());
        value = *std::move(converted);
      },
      help);
}

// A repeatable AddConverted: `convert` turns each value into one of `values`.
template <typename T>
CLI::Option* AddEach(
    CLI::App& app, const std::string& name, std::vector<T>& values,
    std::type_identity_t<std::function<absl::StatusOr<T>(const std::string&)>>
        convert,
    const std::string& help) {
  return AddConverted<std::vector<T>, std::vector<std::string>>(
      app, name, values,
      [convert = std::move(convert)](const std::vector<std::string>& texts)
          -> absl::StatusOr<std::vector<T>> {
        std::vector<T> out;
        for (const std::string& text : texts) {
          absl::StatusOr<T> one = convert(text);
          if (!one.ok()) return one.status();
          out.push_back(*std::move(one));
        }
        return out;
      },
      help);
}

// For AddConverted of an option that is either given or not: given, its
// value is there.
template <typename T>
absl::StatusOr<std::optional<T>> Given(const T& value) {
  return value;
}

// `validator`'s verdict in cook's words: where it rejects a value, throws
// UsageText with InvalidArgument(`message(value)`). Keeps `validator`'s
// transformation of the value, if any; shows no description in --help.
CLI::Validator Worded(CLI::Validator validator,
                      std::function<std::string(const std::string&)> message);

// Makes `path` absolute against `env.working_dir`, lexically normalised.
std::string Absolute(const std::string& path, const Environment& env);

// Transforms a path option's value with Absolute as CLI11 parses it. An
// empty value stays empty (the option's "not given") when `keep_empty`.
CLI::Validator ResolvedPath(const Environment& env, bool keep_empty = true);

// Accepts an absolute path; else `flag "TEXT": expected an absolute path`.
CLI::Validator AbsolutePath(const std::string& flag);

// KEY=VALUE with a non-empty KEY, split at the first "="; else
// `flag "TEXT": expected KEY=VALUE`.
std::function<
    absl::StatusOr<std::pair<std::string, std::string>>(const std::string&)>
KeyValue(const std::string& flag);

// A byte count with an optional binary suffix ("1048576", "512M", "2G"); else
// `flag "TEXT": expected a size such as 512M or 2G`. (CLI::AsSizeValue in
// Debian's CLI11 2.1 reads "010" as octal and lets "-1" and overflowing
// numbers wrap.)
std::function<absl::StatusOr<uint64_t>(const std::string&)> Size(
    const std::string& flag);

// An image reference, its paths resolved against `env.working_dir`; when
// `scratch_error` is not empty, `scratch` is InvalidArgument(scratch_error).
std::function<absl::StatusOr<oci::ImageReference>(const std::string&)>
Reference(const Environment& env, std::string scratch_error = "");

// --platform: nullopt when `text` is empty.
absl::StatusOr<std::optional<oci::Platform>> ParseOptionalPlatform(
    const std::string& text);

// --compression and --compression-level; CheckCompressionLevel then checks
// that a level other than 0 (the algorithm's default) suits the algorithm.
void AddCompressionOptions(CLI::App& app, layers::Compression& compression,
                           int& level);
absl::Status CheckCompressionLevel(layers::Compression compression, int level);

// --json and --quiet, which every command takes, and the registry options
// (bound to `common.registry`) when `registry`: every command that may touch
// docker:// takes those. Also fills what CommonOptions carries from `env`.
void AddCommonOptions(CLI::App& app, const Environment& env,
                      CommonOptions& common, bool registry);

// --sign-key FILE (build, assemble, copy): the PEM private key, read as
// CLI11 parses it, so that a bad key fails before any work.
void AddSignKeyOption(CLI::App& app, const Environment& env,
                      std::optional<cache::SigningKey>& key);
// --verify-key FILE, repeatable (restore, build, copy, inspect): PEM public
// keys, read as CLI11 parses them.
void AddVerifyKeyOption(CLI::App& app, const Environment& env,
                        std::vector<cache::VerifyingKey>& keys, const std::string& help);
// Usage errors for signing or verifying a reference that cannot carry
// signatures (docker-archive:): each of `refs` when `wanted`.
absl::Status CheckSignable(bool wanted, const std::vector<oci::ImageReference>& refs,
                           const std::string& flag);

// cargo's options (`cook build`, `cook restore`), with cargo's names and
// meaning, bound to `cargo`.
void AddCargoOptions(CLI::App& app, CargoOptions& cargo);

}  // namespace cook::cli

#endif  // COOK_BUILDER_CLI_FLAGS_H_
