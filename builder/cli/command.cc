#include "builder/cli/command.h"

#include <filesystem>
#include <memory>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace cook::cli {
namespace {

constexpr absl::string_view kDescription =
    "cook: a daemonless image builder for Rust dependency caches";

std::string Absolute(const std::string& path, const Environment& env) {
  std::filesystem::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (std::filesystem::path(env.working_dir) / p).lexically_normal().string();
}

absl::StatusOr<std::pair<std::string, std::string>> ParseKeyValue(
    std::string_view flag, const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s \"%s\": expected KEY=VALUE", flag, text));
  }
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseKeyValues(
    std::string_view flag, const std::vector<std::string>& texts) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& text : texts) {
    ASSIGN_OR_RETURN(auto kv, ParseKeyValue(flag, text));
    out.push_back(std::move(kv));
  }
  return out;
}

absl::StatusOr<oci::ImageReference> ParseRef(const std::string& text,
                                             const Environment& env) {
  ASSIGN_OR_RETURN(oci::ImageReference ref, oci::ParseReference(text));
  return oci::ResolvePaths(std::move(ref), env.working_dir);
}

absl::StatusOr<AddSpec> ParseAdd(const std::string& text,
                                 const Environment& env) {
  // SRC[:DEST]: DEST is absolute inside the image, so the split is at the
  // last ":" that is followed by "/".
  AddSpec spec;
  size_t colon = text.rfind(":/");
  std::string source = text;
  spec.dest = "/";
  if (colon != std::string::npos) {
    source = text.substr(0, colon);
    spec.dest = text.substr(colon + 1);
  }
  if (source.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--add \"%s\": expected SRC[:DEST]", text));
  }
  spec.source = Absolute(source, env);
  return spec;
}

void AddCommon(CLI::App* app, CommonOptions* common) {
  app->add_flag("--json", common->json,
                "Print the result as one JSON object on stdout");
  app->add_flag("-q,--quiet", common->quiet, "Silence progress output");
}

// The registry options every command that may touch docker:// accepts,
// before validation.
struct RegistryFlags {
  std::string creds;
  std::string authfile;
  std::string tls_verify = "true";
  std::string cert_dir;
  bool creds_given = false;
};

void AddRegistry(CLI::App* app, RegistryFlags* flags) {
  app->add_option("--creds", flags->creds, "USER[:PASSWORD] for the registry");
  app->add_option("--authfile", flags->authfile,
                  "A docker config.json / containers auth.json with credentials");
  app->add_option("--tls-verify", flags->tls_verify,
                  "true (default) or false: false skips certificate checks and "
                  "allows plain HTTP");
  app->add_option("--cert-dir", flags->cert_dir,
                  "A directory of extra CA certificates (*.crt) to trust");
}

absl::StatusOr<registry::RegistryOptions> RegistryFrom(const CLI::App* app,
                                                       const RegistryFlags& flags,
                                                       const Environment& env) {
  registry::RegistryOptions out;
  if (app->count("--creds") > 0) {
    if (flags.creds.empty() || flags.creds.front() == ':') {
      return absl::InvalidArgumentError(
          "--creds: expected USER[:PASSWORD] with a non-empty user");
    }
    out.auth.creds = flags.creds;
  }
  if (!flags.authfile.empty()) out.auth.authfile = Absolute(flags.authfile, env);
  out.auth.registry_auth_file = env.registry_auth_file;
  out.auth.docker_config = env.docker_config;
  out.auth.home = env.home;
  const std::string verify = absl::AsciiStrToLower(flags.tls_verify);
  if (verify == "true" || verify == "1") {
    out.tls_verify = true;
  } else if (verify == "false" || verify == "0") {
    out.tls_verify = false;
  } else {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--tls-verify=%s: expected true or false", flags.tls_verify));
  }
  if (!flags.cert_dir.empty()) out.cert_dir = Absolute(flags.cert_dir, env);
  return out;
}

// "512M", "2G", "1048576": a byte count with an optional binary suffix.
absl::StatusOr<uint64_t> ParseSize(std::string_view flag, const std::string& text) {
  std::string digits = text;
  uint64_t unit = 1;
  if (!digits.empty()) {
    switch (std::toupper(static_cast<unsigned char>(digits.back()))) {
      case 'K': unit = uint64_t{1} << 10; break;
      case 'M': unit = uint64_t{1} << 20; break;
      case 'G': unit = uint64_t{1} << 30; break;
      default: unit = 0; break;
    }
    if (unit != 0) {
      digits.pop_back();
    } else {
      unit = 1;
    }
  }
  uint64_t value = 0;
  if (!absl::SimpleAtoi(digits, &value) || value > (UINT64_MAX >> 30)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s \"%s\": expected a size such as 512M or 2G", std::string(flag), text));
  }
  return value * unit;
}

// CLI11 reports through exceptions; they stop here.
absl::Status UsageError(const CLI::Error& e) {
  std::string what = e.what();
  if (what.empty()) what = e.get_name();
  // CLI11 capitalises and punctuates; our errors are lowercase, no period.
  if (!what.empty()) what[0] = static_cast<char>(std::tolower(what[0]));
  while (!what.empty() && (what.back() == '.' || what.back() == '\n')) {
    what.pop_back();
  }
  return absl::InvalidArgumentError(what);
}

}  // namespace

absl::StatusOr<absl::Time> EpochFrom(const Environment& env) {
  if (!env.source_date_epoch.has_value() || env.source_date_epoch->empty()) {
    return absl::FromUnixSeconds(1);
  }
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(*env.source_date_epoch, &seconds) || seconds < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "SOURCE_DATE_EPOCH=\"%s\": expected a non-negative number of seconds",
        *env.source_date_epoch));
  }
  return absl::FromUnixSeconds(seconds);
}

absl::StatusOr<Command> ParseArgs(int argc, const char* const* argv,
                                  const Environment& env) {
  CLI::App app{std::string(kDescription), "cook"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every command");

  // assemble
  CLI::App* assemble = app.add_subcommand(
      "assemble", "Build an image from local files and directories, without cargo");
  CommonOptions assemble_common;
  std::string base_text = "scratch";
  std::vector<std::string> adds, dests, envs, labels, entrypoint, cmd;
  std::string workdir, platform_text, compression_text = "zstd";
  int level = 0;
  assemble->add_option("--base", base_text, "Base image (default scratch)");
  assemble->add_option("--add", adds, "SRC[:DEST]: one layer per --add")
      ->required();
  assemble->add_option("--dest", dests, "Destination image reference")
      ->required();
  assemble->add_option("--env", envs, "KEY=VALUE for the image config");
  auto* workdir_opt = assemble->add_option("--workdir", workdir, "Working directory");
  auto* entrypoint_opt =
      assemble->add_option("--entrypoint", entrypoint, "Entrypoint argument");
  auto* cmd_opt = assemble->add_option("--cmd", cmd, "Cmd argument");
  assemble->add_option("--label", labels, "KEY=VALUE label");
  assemble->add_option("--platform", platform_text, "OS/ARCH[/VARIANT]");
  assemble->add_option("--compression", compression_text, "zstd or gzip")
      ->check(CLI::IsMember({"zstd", "gzip"}));
  assemble->add_option("--compression-level", level, "Compression level");
  AddCommon(assemble, &assemble_common);
  RegistryFlags assemble_registry;
  AddRegistry(assemble, &assemble_registry);

  // inspect
  CLI::App* inspect =
      app.add_subcommand("inspect", "Print an image's manifest, config and labels");
  CommonOptions inspect_common;
  std::string inspect_ref, inspect_platform;
  inspect->add_option("REF", inspect_ref, "Image reference")->required();
  inspect->add_option("--platform", inspect_platform, "OS/ARCH[/VARIANT]");
  AddCommon(inspect, &inspect_common);
  RegistryFlags inspect_registry;
  AddRegistry(inspect, &inspect_registry);

  // prepare
  CLI::App* prepare = app.add_subcommand(
      "prepare", "Write the recipe (the cache key) of a Cargo workspace");
  PrepareCommand prepare_cmd;
  std::string prepare_manifest = ".", prepare_recipe = "recipe.json";
  prepare->add_option("--manifest-path", prepare_manifest,
                      "Cargo.toml or a directory (default: .)");
  prepare->add_option("--recipe-path", prepare_recipe,
                      "Where to write the recipe (default: recipe.json)");
  prepare->add_option("--bin", prepare_cmd.bin,
                      "Keep only what this package or binary needs");
  AddCommon(prepare, &prepare_cmd.common);

  // skeleton
  CLI::App* skeleton = app.add_subcommand(
      "skeleton", "Write the stub workspace a recipe describes");
  SkeletonCommand skeleton_cmd;
  std::string skeleton_recipe = "recipe.json", skeleton_out;
  skeleton->add_option("--recipe-path", skeleton_recipe,
                       "The recipe (default: recipe.json)");
  skeleton->add_option("--out", skeleton_out, "An absent or empty directory")
      ->required();
  AddCommon(skeleton, &skeleton_cmd.common);

  // build
  CLI::App* build = app.add_subcommand(
      "build", "Build a workspace's dependencies in a sandbox into a cache image");
  BuildCommand build_cmd;
  std::string build_manifest, build_recipe, build_target_dir, build_base = "scratch",
      build_cache_from, build_platform, build_compression = "zstd";
  std::vector<std::string> build_dests, build_labels, build_envs;
  int build_level = 0;
  auto* build_manifest_opt =
      build->add_option("--manifest-path", build_manifest, "Cargo.toml or a directory");
  build->add_option("--recipe-path", build_recipe, "Use this recipe instead")
      ->excludes(build_manifest_opt);
  CargoOptions& cargo = build_cmd.cargo;
  build->add_flag("--release", cargo.release, "cargo: release profile");
  build->add_option("--profile", cargo.profile, "cargo: build with this profile");
  build->add_option("--target", cargo.targets, "cargo: target triple (repeatable)");
  build->add_option("-F,--features", cargo.features, "cargo: features to activate");
  build->add_flag("--all-features", cargo.all_features, "cargo: all features");
  build->add_flag("--no-default-features", cargo.no_default_features,
                  "cargo: no default features");
  build->add_option("-p,--package", cargo.packages, "cargo: package (repeatable)");
  build->add_option("--bin", cargo.bins, "cargo: binary (repeatable)");
  build->add_flag("--bins", cargo.all_bins, "cargo: all binaries");
  build->add_flag("--workspace", cargo.workspace, "cargo: the whole workspace");
  build->add_flag("--tests", cargo.tests, "cargo: all tests");
  build->add_flag("--benches", cargo.benches, "cargo: all benches");
  build->add_flag("--examples", cargo.examples, "cargo: all examples");
  build->add_flag("--all-targets", cargo.all_targets, "cargo: all targets");
  build->add_flag("--locked", cargo.locked, "cargo: require Cargo.lock unchanged");
  build->add_flag("--frozen", cargo.frozen, "cargo: --locked and --offline");
  build->add_flag("--offline", cargo.offline, "cargo: no network at all");
  build->add_option("-j,--jobs", cargo.jobs, "cargo: parallel jobs");
  build->add_option("--sandbox", build_cmd.sandbox, "auto (default), on or off")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  build->add_option("--pass-env", build_cmd.pass_env,
                    "Pass this environment variable into the sandbox");
  build->add_option("--target-dir", build_target_dir,
                    "Keep the target directory here (default: a private one)");
  build->add_option("--base", build_base, "Base image (default scratch)");
  build->add_option("--dest", build_dests, "Destination (default oci:cook-image)");
  build->add_option("--cache-from", build_cache_from, "Restore this image first");
  build->add_option("--image-root", build_cmd.image_root,
                    "Where the target directory goes in the image (default /build)");
  build->add_option("--compression", build_compression, "zstd or gzip")
      ->check(CLI::IsMember({"zstd", "gzip"}));
  build->add_option("--compression-level", build_level, "Compression level");
  build->add_option("--label", build_labels, "KEY=VALUE label");
  build->add_option("--env", build_envs, "KEY=VALUE for the image config");
  build->add_option("--platform", build_platform, "OS/ARCH[/VARIANT]");
  std::string build_max_layer = "2G";
  build->add_option("--max-layer-size", build_max_layer,
                    "Split layers larger than this: N[K|M|G] bytes (default 2G; 0: "
                    "no limit)");
  AddCommon(build, &build_cmd.common);
  RegistryFlags build_registry;
  AddRegistry(build, &build_registry);

  // restore
  CLI::App* restore = app.add_subcommand(
      "restore", "Put a cache image's target directory and cargo home back");
  RestoreCommand restore_cmd;
  std::string restore_from, restore_target = "target", restore_cargo_home,
      restore_platform;
  restore->add_option("--from", restore_from, "The cache image")->required();
  restore->add_option("--target-dir", restore_target,
                      "Target directory (default ./target)");
  restore->add_option("--cargo-home", restore_cargo_home,
                      "Cargo home (default $CARGO_HOME or ~/.cargo)");
  restore->add_option("--platform", restore_platform, "OS/ARCH[/VARIANT]");
  AddCommon(restore, &restore_cmd.common);
  RegistryFlags restore_registry;
  AddRegistry(restore, &restore_registry);

  // copy
  CLI::App* copy = app.add_subcommand(
      "copy", "Copy an image between any two references, keeping its digest");
  CopyCommand copy_cmd;
  std::string copy_source, copy_dest, copy_platform;
  copy->add_option("SRC", copy_source, "Image to copy")->required();
  copy->add_option("DEST", copy_dest, "Where to copy it")->required();
  copy->add_option("--platform", copy_platform,
                   "OS/ARCH[/VARIANT] to pick from a multi-platform source");
  AddCommon(copy, &copy_cmd.common);
  RegistryFlags copy_registry;
  AddRegistry(copy, &copy_registry);

  for (CLI::App* sub : app.get_subcommands({})) {
    sub->fallthrough(false);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    CLI::App* which = &app;
    for (CLI::App* sub : app.get_subcommands()) which = sub;
    return HelpRequest{which->help()};
  } catch (const CLI::CallForAllHelp&) {
    return HelpRequest{app.help("", CLI::AppFormatMode::All)};
  } catch (const CLI::ParseError& e) {
    return UsageError(e);
  }

  if (assemble->parsed()) {
    AssembleOptions o;
    o.common = assemble_common;
    ASSIGN_OR_RETURN(o.common.registry, RegistryFrom(assemble, assemble_registry, env));
    ASSIGN_OR_RETURN(o.base, ParseRef(base_text, env));
    for (const auto& a : adds) {
      ASSIGN_OR_RETURN(AddSpec spec, ParseAdd(a, env));
      o.adds.push_back(std::move(spec));
    }
    for (const auto& d : dests) {
      ASSIGN_OR_RETURN(oci::ImageReference ref, ParseRef(d, env));
      if (ref.transport == oci::Transport::kScratch) {
        return absl::InvalidArgumentError(
            "--dest scratch: scratch can only be a base image");
      }
      o.dests.push_back(std::move(ref));
    }
    ASSIGN_OR_RETURN(o.env, ParseKeyValues("--env", envs));
    ASSIGN_OR_RETURN(o.labels, ParseKeyValues("--label", labels));
    if (*workdir_opt) o.workdir = workdir;
    if (*entrypoint_opt) o.entrypoint = entrypoint;
    if (*cmd_opt) o.cmd = cmd;
    if (!platform_text.empty()) {
      ASSIGN_OR_RETURN(o.platform, oci::ParsePlatform(platform_text));
    }
    ASSIGN_OR_RETURN(o.compression, layers::ParseCompression(compression_text));
    if (level != 0) RETURN_IF_ERROR(layers::ValidateLevel(o.compression, level));
    o.compression_level = level;
    ASSIGN_OR_RETURN(o.epoch, EpochFrom(env));
    return o;
  }
  if (prepare->parsed()) {
    prepare_cmd.manifest_path = Absolute(prepare_manifest, env);
    prepare_cmd.recipe_path = Absolute(prepare_recipe, env);
    return prepare_cmd;
  }
  if (skeleton->parsed()) {
    skeleton_cmd.recipe_path = Absolute(skeleton_recipe, env);
    skeleton_cmd.out_dir = Absolute(skeleton_out, env);
    return skeleton_cmd;
  }
  if (build->parsed()) {
    ASSIGN_OR_RETURN(build_cmd.common.registry,
                     RegistryFrom(build, build_registry, env));
    if (!build_recipe.empty()) {
      build_cmd.recipe_path = Absolute(build_recipe, env);
    } else {
      build_cmd.manifest_path =
          Absolute(build_manifest.empty() ? "." : build_manifest, env);
    }
    if (!build_target_dir.empty()) {
      build_cmd.target_dir = Absolute(build_target_dir, env);
    }
    ASSIGN_OR_RETURN(build_cmd.base, ParseRef(build_base, env));
    if (build_dests.empty()) build_dests.push_back("oci:cook-image");
    for (const auto& d : build_dests) {
      ASSIGN_OR_RETURN(oci::ImageReference ref, ParseRef(d, env));
      if (ref.transport == oci::Transport::kScratch) {
        return absl::InvalidArgumentError(
            "--dest scratch: scratch can only be a base image");
      }
      build_cmd.dests.push_back(std::move(ref));
    }
    if (!build_cache_from.empty()) {
      ASSIGN_OR_RETURN(build_cmd.cache_from, ParseRef(build_cache_from, env));
    }
    if (!build_cmd.image_root.starts_with("/")) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "--image-root \"%s\": expected an absolute path", build_cmd.image_root));
    }
    if (build_cmd.cargo.release && !build_cmd.cargo.profile.empty()) {
      return absl::InvalidArgumentError(
          "--release and --profile: conflicting options, give one");
    }
    if (build_cmd.cargo.jobs < 0) {
      return absl::InvalidArgumentError("--jobs: expected a positive number");
    }
    ASSIGN_OR_RETURN(build_cmd.env, ParseKeyValues("--env", build_envs));
    ASSIGN_OR_RETURN(build_cmd.labels, ParseKeyValues("--label", build_labels));
    if (!build_platform.empty()) {
      ASSIGN_OR_RETURN(build_cmd.platform, oci::ParsePlatform(build_platform));
    }
    ASSIGN_OR_RETURN(build_cmd.compression, layers::ParseCompression(build_compression));
    if (build_level != 0) {
      RETURN_IF_ERROR(layers::ValidateLevel(build_cmd.compression, build_level));
    }
    build_cmd.compression_level = build_level;
    ASSIGN_OR_RETURN(build_cmd.max_layer_bytes, ParseSize("--max-layer-size", build_max_layer));
    ASSIGN_OR_RETURN(build_cmd.epoch, EpochFrom(env));
    return build_cmd;
  }
  if (restore->parsed()) {
    ASSIGN_OR_RETURN(restore_cmd.common.registry,
                     RegistryFrom(restore, restore_registry, env));
    ASSIGN_OR_RETURN(restore_cmd.from, ParseRef(restore_from, env));
    if (restore_cmd.from.transport == oci::Transport::kScratch) {
      return absl::InvalidArgumentError("--from scratch: scratch holds no cache");
    }
    restore_cmd.target_dir = Absolute(restore_target, env);
    if (restore_cargo_home.empty() && env.cargo_home.empty()) {
      // Absolute("") would be the working directory.
      return absl::InvalidArgumentError(
          "no cargo home: CARGO_HOME and HOME are unset and the password database "
          "names no home directory\nhint: pass --cargo-home DIR");
    }
    restore_cmd.cargo_home = Absolute(
        restore_cargo_home.empty() ? env.cargo_home : restore_cargo_home, env);
    if (!restore_platform.empty()) {
      ASSIGN_OR_RETURN(restore_cmd.platform, oci::ParsePlatform(restore_platform));
    }
    return restore_cmd;
  }
  if (copy->parsed()) {
    ASSIGN_OR_RETURN(copy_cmd.common.registry, RegistryFrom(copy, copy_registry, env));
    ASSIGN_OR_RETURN(copy_cmd.source, ParseRef(copy_source, env));
    ASSIGN_OR_RETURN(copy_cmd.dest, ParseRef(copy_dest, env));
    if (copy_cmd.source.transport == oci::Transport::kScratch ||
        copy_cmd.dest.transport == oci::Transport::kScratch) {
      return absl::InvalidArgumentError(
          "copy scratch: scratch can only be a base image");
    }
    if (!copy_platform.empty()) {
      ASSIGN_OR_RETURN(copy_cmd.platform, oci::ParsePlatform(copy_platform));
    }
    return copy_cmd;
  }
  InspectOptions o;
  o.common = inspect_common;
  ASSIGN_OR_RETURN(o.common.registry, RegistryFrom(inspect, inspect_registry, env));
  ASSIGN_OR_RETURN(o.ref, ParseRef(inspect_ref, env));
  if (o.ref.transport == oci::Transport::kScratch) {
    return absl::InvalidArgumentError("inspect scratch: scratch is not an image");
  }
  if (!inspect_platform.empty()) {
    ASSIGN_OR_RETURN(o.platform, oci::ParsePlatform(inspect_platform));
  }
  return o;
}

absl::StatusOr<Command> Parse(int argc, const char* const* argv,
                              const Environment& env) {
  ASSIGN_OR_RETURN(Command command, ParseArgs(argc, argv, env));
  std::visit(
      [&env](auto& c) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(c)>, HelpRequest>) {
          c.common.environment = env.variables;
          c.common.temp_dir = env.temp_dir;
        }
      },
      command);
  return command;
}

}  // namespace cook::cli
