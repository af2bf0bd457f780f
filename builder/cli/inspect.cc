// `cook inspect`: what an image is made of, for people and (--json) scripts.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "builder/cli/commands.h"
#include "builder/cli/image_io.h"
#include "base/json_line.h"
#include "builder/cli/progress.h"
#include "cache/signing.h"
#include "oci/transport.h"
#include "nlohmann/json.hpp"

namespace cook::cli {
namespace {

// Each argument in double quotes, escaped for the terminal; a quote inside
// is \" (EscapeForDisplay has already doubled every backslash, so that stays
// unambiguous).
std::string Quoted(const std::vector<std::string>& args) {
  std::vector<std::string> quoted;
  for (const std::string& a : args) {
    quoted.push_back(
        absl::StrCat("\"", absl::StrReplaceAll(EscapeForDisplay(a), {{"\"", "\\\""}}), "\""));
  }
  return absl::StrCat("[", absl::StrJoin(quoted, ", "), "]");
}

// The signatures of the image, when its transport can carry them: an error
// reading them fails the command only when keys were given.
struct Signatures {
  bool looked = false;
  std::vector<cache::FoundSignature> found;
  std::string error;  // why they could not be read
};

absl::StatusOr<Signatures> ReadSignatures(const InspectOptions& options,
                                          const oci::RawManifest& raw,
                                          registry::RegistrySession& registries) {
  Signatures signatures;
  if (!cache::CheckSignable(options.ref, "").ok()) return signatures;
  signatures.looked = true;
  absl::StatusOr<std::vector<cache::FoundSignature>> found =
      cache::FindSignatures(options.ref, cache::SignatureSubjects(raw), options.verify_keys,
                            registries, options.common.temp_dir);
  if (found.ok()) {
    signatures.found = *std::move(found);
  } else if (options.verify_keys.empty()) {
    signatures.error = std::string(found.status().message());
  } else {
    return found.status();
  }
  return signatures;
}

nlohmann::json SignaturesJson(const Signatures& signatures) {
  nlohmann::json list = nlohmann::json::array();
  for (const cache::FoundSignature& s : signatures.found) {
    nlohmann::json item = {{"payload", s.payload_digest},
                           {"subject", s.subject},
                           {"identity", s.claims.identity},
                           {"key_id", s.key_id.empty() ? nlohmann::json() : nlohmann::json(s.key_id)},
                           {"verified", s.verified()}};
    if (!s.verified()) item["problem"] = s.problem;
    list.push_back(std::move(item));
  }
  return list;
}

void PrintSignatures(const Signatures& signatures, std::FILE* out) {
  if (!signatures.error.empty()) {
    absl::FPrintF(out, "Signatures: could not be read: %s\n", EscapeForDisplay(signatures.error));
    return;
  }
  absl::FPrintF(out, "Signatures: %d\n", signatures.found.size());
  for (const cache::FoundSignature& s : signatures.found) {
    const std::string key =
        s.key_id.empty() ? "key unknown" : absl::StrCat("key ", s.key_id.substr(0, 16));
    absl::FPrintF(out, "  %s  %s  %s\n", EscapeForDisplay(s.payload_digest), key,
                  s.verified() ? "verified"
                               : absl::StrCat("not verified: ", EscapeForDisplay(s.problem)));
  }
}

// With --verify-key, PermissionDenied unless a signature verified.
absl::Status RequireVerified(const InspectOptions& options, const Signatures& signatures,
                             const oci::RawManifest& raw) {
  if (options.verify_keys.empty() || cache::AnyVerified(signatures.found)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrFormat(
      "inspecting %s: no signature of %s verifies with the --verify-key keys",
      options.ref.ToString(), raw.digest));
}

}  // namespace

absl::Status RunInspect(const InspectOptions& options, std::FILE* out,
                        registry::RegistrySession& registries) {
  const std::string context = absl::StrCat("inspecting ", options.ref.ToString());
  ASSIGN_OR_RETURN(cache::OpenedImage image,
                   cache::OpenImage(options.ref, options.platform.value_or(oci::HostPlatform()),
                             context, registries, options.common.temp_dir));
  const oci::RawManifest& raw = image.raw;
  const oci::Manifest& manifest = image.manifest;
  const oci::ImageConfig& config = image.config;
  ASSIGN_OR_RETURN(const Signatures signatures,
                   Annotate(ReadSignatures(options, raw, registries), context));

  if (options.common.json) {
    nlohmann::json layers = nlohmann::json::array();
    for (const oci::Descriptor& d : manifest.layers) {
      layers.push_back(
          {{"digest", d.digest}, {"mediaType", d.media_type}, {"size", d.size}});
    }
    nlohmann::json doc = {
        {"name", options.ref.ToString()},
        {"digest", raw.digest},
        {"mediaType", raw.media_type},
        {"config", manifest.config.digest},
        {"platform", config.platform.ToString()},
        {"created", config.created},
        {"layers", layers},
        {"env", config.env},
        {"workdir", config.working_dir},
        {"entrypoint", config.entrypoint},
        {"cmd", config.cmd},
        {"labels", config.labels},
    };
    if (signatures.looked) {
      doc["signatures"] = SignaturesJson(signatures);
      if (!signatures.error.empty()) doc["signatures_error"] = signatures.error;
    }
    absl::FPrintF(out, "%s\n", JsonLine(doc));
    return RequireVerified(options, signatures, raw);
  }

  // Everything below but the manifest digest (computed here) comes from the
  // image or the command line: escaped, so that an image cannot forge lines.
  absl::FPrintF(out, "Name:       %s\n", EscapeForDisplay(options.ref.ToString()));
  absl::FPrintF(out, "Digest:     %s\n", raw.digest);
  absl::FPrintF(out, "Platform:   %s\n", EscapeForDisplay(config.platform.ToString()));
  absl::FPrintF(out, "Created:    %s\n", EscapeForDisplay(config.created));
  absl::FPrintF(out, "Layers:     %d\n", manifest.layers.size());
  for (const oci::Descriptor& d : manifest.layers) {
    absl::FPrintF(out, "  %s  %s  %s\n", EscapeForDisplay(d.digest), HumanBytes(d.size),
                  EscapeForDisplay(d.media_type));
  }
  absl::FPrintF(out, "Env:\n");
  for (const std::string& e : config.env) absl::FPrintF(out, "  %s\n", EscapeForDisplay(e));
  absl::FPrintF(out, "Workdir:    %s\n", EscapeForDisplay(config.working_dir));
  absl::FPrintF(out, "Entrypoint: %s\n", Quoted(config.entrypoint));
  absl::FPrintF(out, "Cmd:        %s\n", Quoted(config.cmd));
  absl::FPrintF(out, "Labels:\n");
  for (const auto& [key, value] : config.labels) {
    absl::FPrintF(out, "  %s=%s\n", EscapeForDisplay(key), EscapeForDisplay(value));
  }
  if (signatures.looked) PrintSignatures(signatures, out);
  return RequireVerified(options, signatures, raw);
}

}  // namespace cook::cli
