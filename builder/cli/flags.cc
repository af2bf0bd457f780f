#include "builder/cli/flags.h"

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "cache/signing.h"

namespace cook::cli {

UsageText::UsageText(const absl::Status& status)
    : CLI::ParseError("UsageText", std::string(status.message()),
                      CLI::ExitCodes::ValidationError),
      status_(absl::StatusCode::kInvalidArgument, status.message()) {
  status.ForEachPayload(
      [this](absl::string_view url, const absl::Cord& payload) {
        status_.SetPayload(url, payload);
      });
}

CLI::Validator Worded(CLI::Validator validator,
                      std::function<std::string(const std::string&)> message) {
  return CLI::Validator(
      [validator = std::move(validator),
       message = std::move(message)](std::string& value) {
        const std::string given = value;
        std::string verdict;
        try {
          verdict = validator(value);
        } catch (const CLI::ValidationError& e) {
          verdict = e.what();
        }
        if (!verdict.empty()) {
          throw UsageText(absl::InvalidArgumentError(message(given)));
        }
        return verdict;
      },
      "");
}

std::string Absolute(const std::string& path, const Environment& env) {
  std::filesystem::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (std::filesystem::path(env.working_dir) / p)
      .lexically_normal()
      .string();
}

CLI::Validator ResolvedPath(const Environment& env, bool keep_empty) {
  return CLI::Validator(
      [dir = Environment{.working_dir = env.working_dir},
       keep_empty](std::string& path) -> std::string {
        if (!path.empty() || !keep_empty) path = Absolute(path, dir);
        return "";
      },
      "");
}

CLI::Validator AbsolutePath(const std::string& flag) {
  return CLI::Validator(
      [flag](const std::string& text) -> std::string {
        if (text.starts_with("/")) return "";
        throw UsageText(absl::InvalidArgumentError(absl::StrFormat(
            "%s \"%s\": expected an absolute path", flag, text)));
      },
      "");
}

std::function<
    absl::StatusOr<std::pair<std::string, std::string>>(const std::string&)>
KeyValue(const std::string& flag) {
  return [flag](const std::string& text)
             -> absl::StatusOr<std::pair<std::string, std::string>> {
    const size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s \"%s\": expected KEY=VALUE", flag, text));
    }
    return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
  };
}

std::function<absl::StatusOr<uint64_t>(const std::string&)> Size(
    const std::string& flag) {
  return [flag](const std::string& text) -> absl::StatusOr<uint64_t> {
    std::string digits = text;
    uint64_t unit = 1;
    if (!digits.empty()) {
      switch (absl::ascii_toupper(static_cast<unsigned char>(digits.back()))) {
        case 'K':
          unit = uint64_t{1} << 10;
          break;
        case 'M':
          unit = uint64_t{1} << 20;
          break;
        case 'G':
          unit = uint64_t{1} << 30;
          break;
        default:
          break;
      }
      if (unit != 1) digits.pop_back();
    }
    uint64_t value = 0;
    if (!absl::SimpleAtoi(digits, &value) || value > (UINT64_MAX >> 30)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s \"%s\": expected a size such as 512M or 2G", flag, text));
    }
    return value * unit;
  };
}

std::function<absl::StatusOr<oci::ImageReference>(const std::string&)>
Reference(const Environment& env, std::string scratch_error) {
  return [dir = env.working_dir, scratch_error = std::move(scratch_error)](
             const std::string& text) -> absl::StatusOr<oci::ImageReference> {
    ASSIGN_OR_RETURN(oci::ImageReference ref, oci::ParseReference(text));
    if (ref.transport == oci::Transport::kScratch && !scratch_error.empty()) {
      return absl::InvalidArgumentError(scratch_error);
    }
    return oci::ResolvePaths(std::move(ref), dir);
  };
}

absl::StatusOr<std::optional<oci::Platform>> ParseOptionalPlatform(
    const std::string& text) {
  if (text.empty()) return std::nullopt;
  return oci::ParsePlatform(text);
}

void AddCompressionOptions(CLI::App& app, layers::Compression& compression,
                           int& level) {
  AddConverted<layers::Compression>(app, "--compression", compression,
                                    layers::ParseCompression, "zstd or gzip")
      ->check(CLI::IsMember({"zstd", "gzip"}));
  app.add_option("--compression-level", level, "Compression level");
}

absl::Status CheckCompressionLevel(layers::Compression compression, int level) {
  return level == 0 ? absl::OkStatus()
                    : layers::ValidateLevel(compression, level);
}

namespace {

void AddRegistryOptions(CLI::App& app, const Environment& env,
                        registry::RegistryOptions& options) {
  options.auth.registry_auth_file = env.registry_auth_file;
  options.auth.docker_config = env.docker_config;
  options.auth.home = env.home;
  options.auth.environment = env.variables;
  AddConverted<std::optional<std::string>>(
      app, "--creds", options.auth.creds,
      [](const std::string& creds)
          -> absl::StatusOr<std::optional<std::string>> {
        if (!creds.empty() && creds.front() != ':') return creds;
        return absl::InvalidArgumentError(
            "--creds: expected USER[:PASSWORD] with a non-empty user");
      },
      "USER[:PASSWORD] for the registry");
  app.add_option("--authfile", options.auth.authfile,
                 "A docker config.json / containers auth.json with credentials")
      ->transform(ResolvedPath(env));
  app.add_option("--tls-verify", options.tls_verify,
                 "true (default) or false: false skips certificate checks and "
                 "allows plain HTTP")
      ->type_name("TEXT")
      ->check(
          Worded(CLI::IsMember({"true", "false", "1", "0"}, CLI::ignore_case),
                 [](const std::string& text) {
                   return absl::StrFormat(
                       "--tls-verify=%s: expected true or false", text);
                 }));
  app.add_option("--cert-dir", options.cert_dir,
                 "A directory of extra CA certificates (*.crt) to trust")
      ->transform(ResolvedPath(env));
}

}  // namespace

void AddCommonOptions(CLI::App& app, const Environment& env,
                      CommonOptions& common, bool registry) {
  common.environment = env.variables;
  common.temp_dir = env.temp_dir;
  app.add_flag("--json", common.json,
               "Print the result as one JSON object on stdout");
  app.add_flag("-q,--quiet", common.quiet, "Silence progress output");
  if (registry) AddRegistryOptions(app, env, common.registry);
}

void AddSignKeyOption(CLI::App& app, const Environment& env,
                      std::optional<cache::SigningKey>& key) {
  AddConverted<std::optional<cache::SigningKey>>(
      app, "--sign-key", key,
      [&env](const std::string& file) -> absl::StatusOr<std::optional<cache::SigningKey>> {
        ASSIGN_OR_RETURN(cache::SigningKey loaded,
                         Annotate(cache::SigningKey::Load(Absolute(file, env)), "--sign-key"));
        return loaded;
      },
      "Sign each image written with this PEM ECDSA P-256 private key (cosign's format)");
}

void AddVerifyKeyOption(CLI::App& app, const Environment& env,
                        std::vector<cache::VerifyingKey>& keys, const std::string& help) {
  AddEach(
      app, "--verify-key", keys,
      [&env](const std::string& file) {
        return Annotate(cache::VerifyingKey::Load(Absolute(file, env)), "--verify-key");
      },
      help);
}

absl::Status CheckSignable(bool wanted, const std::vector<oci::ImageReference>& refs,
                           const std::string& flag) {
  if (!wanted) return absl::OkStatus();
  for (const oci::ImageReference& ref : refs) {
    RETURN_IF_ERROR(cache::CheckSignable(ref, flag));
  }
  return absl::OkStatus();
}

void AddCargoOptions(CLI::App& app, CargoOptions& cargo) {
  CLI::Option* release =
      app.add_flag("--release", cargo.release, "cargo: release profile");
  app.add_option("--profile", cargo.profile, "cargo: build with this profile")
      ->excludes(release);
  app.add_option("--target", cargo.targets,
                 "cargo: target triple (repeatable)");
  app.add_option("-F,--features", cargo.features,
                 "cargo: features to activate");
  app.add_flag("--all-features", cargo.all_features, "cargo: all features");
  app.add_flag("--no-default-features", cargo.no_default_features,
               "cargo: no default features");
  app.add_option("-p,--package", cargo.packages, "cargo: package (repeatable)");
  app.add_option("--bin", cargo.bins, "cargo: binary (repeatable)");
  app.add_flag("--bins", cargo.all_bins, "cargo: all binaries");
  app.add_flag("--workspace", cargo.workspace, "cargo: the whole workspace");
  app.add_flag("--tests", cargo.tests, "cargo: all tests");
  app.add_flag("--benches", cargo.benches, "cargo: all benches");
  app.add_flag("--examples", cargo.examples, "cargo: all examples");
  app.add_flag("--all-targets", cargo.all_targets, "cargo: all targets");
  app.add_flag("--locked", cargo.locked, "cargo: require Cargo.lock unchanged");
  app.add_flag("--frozen", cargo.frozen, "cargo: --locked and --offline");
  app.add_flag("--offline", cargo.offline, "cargo: no network at all");
  // What is no number at all is left to CLI11's conversion error.
  app.add_option("-j,--jobs", cargo.jobs, "cargo: parallel jobs")
      ->check(
          Worded(CLI::NonNegativeNumber | !CLI::Number, [](const std::string&) {
            return "--jobs: expected a positive number";
          }));
}

}  // namespace cook::cli
