#include "builder/cli/flags.h"

#include <cstdint>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace cook::cli {

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
        return verdict.empty() ? verdict : message(given);
      },
      "");
}

CLI::Validator KeyValue(const std::string& flag) {
  return CLI::Validator(
      [flag](const std::string& text) -> std::string {
        const size_t eq = text.find('=');
        if (eq != std::string::npos && eq != 0) return "";
        return absl::StrFormat("%s \"%s\": expected KEY=VALUE", flag, text);
      },
      "");
}

CLI::Validator AbsolutePath(const std::string& flag) {
  return CLI::Validator(
      [flag](const std::string& text) -> std::string {
        if (text.starts_with("/")) return "";
        return absl::StrFormat("%s \"%s\": expected an absolute path", flag,
                               text);
      },
      "");
}

CLI::Validator SizeValue(const std::string& flag) {
  return CLI::Validator(
      [flag](std::string& text) -> std::string {
        std::string digits = text;
        uint64_t unit = 1;
        if (!digits.empty()) {
          switch (
              absl::ascii_toupper(static_cast<unsigned char>(digits.back()))) {
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
          return absl::StrFormat(
              "%s \"%s\": expected a size such as 512M or 2G", flag, text);
        }
        text = std::to_string(value * unit);
        return "";
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
  Environment base;  // only what Absolute reads
  base.working_dir = env.working_dir;
  return CLI::Validator(
      [base = std::move(base), keep_empty](std::string& path) -> std::string {
        if (!path.empty() || !keep_empty) path = Absolute(path, base);
        return "";
      },
      "");
}

std::vector<std::pair<std::string, std::string>> SplitKeyValues(
    const std::vector<std::string>& texts) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& text : texts) {
    const size_t eq = text.find('=');
    out.emplace_back(text.substr(0, eq), text.substr(eq + 1));
  }
  return out;
}

absl::StatusOr<oci::ImageReference> ParseRef(const std::string& text,
                                             const Environment& env) {
  ASSIGN_OR_RETURN(oci::ImageReference ref, oci::ParseReference(text));
  return oci::ResolvePaths(std::move(ref), env.working_dir);
}

absl::StatusOr<std::vector<oci::ImageReference>> ParseDests(
    const std::vector<std::string>& texts, const Environment& env) {
  std::vector<oci::ImageReference> dests;
  for (const std::string& text : texts) {
    ASSIGN_OR_RETURN(oci::ImageReference ref, ParseRef(text, env));
    if (ref.transport == oci::Transport::kScratch) {
      return absl::InvalidArgumentError(
          "--dest scratch: scratch can only be a base image");
    }
    dests.push_back(std::move(ref));
  }
  return dests;
}

absl::StatusOr<std::optional<oci::Platform>> ParseOptionalPlatform(
    const std::string& text) {
  if (text.empty()) return std::nullopt;
  return oci::ParsePlatform(text);
}

void AddCompressionOptions(CLI::App& app, CompressionFlags& flags) {
  app.add_option("--compression", flags.name, "zstd or gzip")
      ->check(CLI::IsMember({"zstd", "gzip"}));
  app.add_option("--compression-level", flags.level, "Compression level");
}

absl::Status ParseCompressionFlags(const CompressionFlags& flags,
                                   layers::Compression& compression,
                                   int& level) {
  ASSIGN_OR_RETURN(compression, layers::ParseCompression(flags.name));
  if (flags.level != 0)
    RETURN_IF_ERROR(layers::ValidateLevel(compression, flags.level));
  level = flags.level;
  return absl::OkStatus();
}

void AddCommonOptions(CLI::App& app, const Environment& env,
                      CommonOptions& common) {
  common.environment = env.variables;
  common.temp_dir = env.temp_dir;
  app.add_flag("--json", common.json,
               "Print the result as one JSON object on stdout");
  app.add_flag("-q,--quiet", common.quiet, "Silence progress output");
}

void AddRegistryOptions(CLI::App& app, const Environment& env,
                        registry::RegistryOptions& options) {
  options.auth.registry_auth_file = env.registry_auth_file;
  options.auth.docker_config = env.docker_config;
  options.auth.home = env.home;
  app.add_option_function<std::string>(
         "--creds",
         [&options](const std::string& creds) { options.auth.creds = creds; },
         "USER[:PASSWORD] for the registry")
      ->check(CLI::Validator(
          [](const std::string& creds) -> std::string {
            if (!creds.empty() && creds.front() != ':') return "";
            return "expected USER[:PASSWORD] with a non-empty user";
          },
          ""));
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

}  // namespace cook::cli
