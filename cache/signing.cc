#include "cache/signing.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/errors.h"
#include "base/interrupt.h"
#include "base/json_depth.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "layers/digest.h"
#include "nlohmann/json.hpp"
#include "oci/registry_name.h"
#include "oci/transport.h"

namespace cook::cache {
namespace {

namespace fs = std::filesystem;

// A DER ECDSA P-256 signature is at most 72 bytes; its base64 about 96.
constexpr size_t kMaxSignatureText = 1024;
// How many reasons a refusal lists.
constexpr size_t kMaxReasons = 3;

// The registry host lower-cased and Docker Hub's aliases as one, the
// repository with Docker Hub's "library/" spelled out.
std::string NormalIdentity(std::string_view host, std::string_view repository) {
  const std::string registry =
      oci::IsDockerHub(host) ? std::string(oci::kDockerHub) : absl::AsciiStrToLower(std::string(host));
  return absl::StrCat(registry, "/", oci::CanonicalRepository(registry, repository));
}

// A JSON string, escaped as Go's encoding/json does for these characters.
std::string JsonString(std::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string KeyIdPrefix(const std::string& id) { return id.substr(0, 16); }

// The config cosign (go-containerregistry) writes for a signature manifest:
// nobody reads it, but identical bytes keep cosign's digests.
std::string SignatureConfig(const std::vector<oci::Descriptor>& layers) {
  std::vector<std::string> history;
  std::vector<std::string> diff_ids;
  for (const oci::Descriptor& layer : layers) {
    history.push_back(R"({"created":"0001-01-01T00:00:00Z"})");
    diff_ids.push_back(JsonString(layer.digest));
  }
  return absl::StrCat(R"({"architecture":"","created":"0001-01-01T00:00:00Z","history":[)",
                      absl::StrJoin(history, ","),
                      R"(],"os":"","rootfs":{"type":"layers","diff_ids":[)",
                      absl::StrJoin(diff_ids, ","), R"(]},"config":{}})");
}

// The decoded signature of a layer, or why there is none.
absl::StatusOr<std::string> LayerSignature(const oci::Descriptor& layer) {
  const auto it = layer.annotations.find(std::string(kSignatureAnnotation));
  if (it == layer.annotations.end()) {
    return absl::InvalidArgumentError("no signature annotation");
  }
  std::string der;
  if (it->second.size() > kMaxSignatureText || !absl::Base64Unescape(it->second, &der)) {
    return absl::InvalidArgumentError("the signature annotation is not base64");
  }
  return der;
}

// The signature manifest's layers, or none when there is no signature tag.
struct SignatureLayers {
  std::unique_ptr<oci::ImageSource> source;
  bool tagged = false;  // the signature tag exists
  std::vector<oci::Descriptor> layers;  // the first kMaxSignatureLayers
  size_t dropped = 0;                   // layers past those
};

absl::StatusOr<SignatureLayers> ReadSignatureLayers(const oci::ImageReference& sig_ref,
                                                    registry::RegistrySession& registries,
                                                    const fs::path& temp_dir) {
  SignatureLayers found;
  absl::StatusOr<std::unique_ptr<oci::ImageSource>> source =
      oci::OpenImageSource(sig_ref, &registries, temp_dir);
  if (absl::IsNotFound(source.status())) return found;
  RETURN_IF_ERROR(source.status());
  absl::StatusOr<oci::RawManifest> raw = (*source)->GetManifest(oci::HostPlatform());
  if (absl::IsNotFound(raw.status())) return found;
  RETURN_IF_ERROR(raw.status());
  ASSIGN_OR_RETURN(oci::Manifest manifest, oci::ParseManifest(raw->bytes));
  found.tagged = true;
  if (manifest.layers.size() > kMaxSignatureLayers) {
    found.dropped = manifest.layers.size() - kMaxSignatureLayers;
    manifest.layers.resize(kMaxSignatureLayers);
  }
  found.source = *std::move(source);
  found.layers = std::move(manifest.layers);
  return found;
}

// Checks one signature layer of `subject`: the key that verifies its bytes,
// then what it claims.
FoundSignature CheckLayer(oci::ImageSource& source, const oci::Descriptor& layer,
                          const std::string& subject, const std::string& identity,
                          const std::vector<VerifyingKey>& keys) {
  FoundSignature found;
  found.subject = subject;
  found.payload_digest = layer.digest;
  if (layer.size > kMaxPayloadSize) {
    found.problem = absl::StrFormat("a payload of %d bytes, over the %d cook reads",
                                    layer.size, kMaxPayloadSize);
    return found;
  }
  absl::StatusOr<std::string> der = LayerSignature(layer);
  absl::StatusOr<std::string> payload =
      der.ok() ? oci::ReadSmallBlob(source, layer) : der.status();
  if (!payload.ok()) {
    found.problem = std::string(payload.status().message());
    return found;
  }
  for (const VerifyingKey& key : keys) {
    if (key.Verify(*payload, *der)) {
      found.key_id = key.id();
      found.key_name = key.name();
      break;
    }
  }
  absl::StatusOr<PayloadClaims> claims = ParsePayload(*payload);
  if (!claims.ok()) {
    found.problem = std::string(claims.status().message());
    return found;
  }
  found.claims = *std::move(claims);
  if (found.claims.digest != subject) {
    found.problem = absl::StrCat("it signs ", found.claims.digest, ", not ", subject);
  } else if (!SameIdentity(found.claims.identity, identity)) {
    found.problem =
        absl::StrCat("it names repository ", found.claims.identity, ", not ", identity);
  } else if (found.key_id.empty()) {
    found.problem = keys.empty() ? "no --verify-key was given"
                                 : "no --verify-key key verifies it";
  }
  return found;
}

// An error that says the signature tag's content cannot be used, as opposed
// to one reaching the store (or an interrupt).
bool IsUnreadable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
      return true;
    default:
      return false;
  }
}

// The signatures a new one is added to, from the signature tag as it is.
struct KeptSignatures {
  bool already_signed = false;  // one by the signing key for this payload is there
  std::vector<oci::Descriptor> layers;
};

// Whoever can push can plant anything under a predictable signature tag, so
// what cannot be kept is dropped (with a warning) rather than failing the
// push: a tag that does not parse, layers that are no signature or whose
// blob `out` lacks, and layers past kMaxSignatureLayers - 1. Errors reaching
// the store are returned.
absl::StatusOr<KeptSignatures> KeepSignatures(const oci::ImageReference& sig_ref,
                                              const oci::Descriptor& ours,
                                              const std::string& payload,
                                              const SigningKey& key,
                                              oci::ImageDestination& out,
                                              registry::RegistrySession& registries,
                                              const fs::path& temp_dir, Progress& progress) {
  KeptSignatures kept;
  absl::StatusOr<SignatureLayers> existing = ReadSignatureLayers(sig_ref, registries, temp_dir);
  if (!existing.ok()) {
    // Unreadable content (or a repository not made yet, which may answer
    // 401/403) is replaced; a failure to reach the store is an error.
    if (!IsUnreadable(existing.status())) return existing.status();
    progress.Warn(absl::StrCat("replacing ", sig_ref.ToString(), ", which cannot be read (",
                               existing.status().message(), "), with this signature only"));
    return kept;
  }
  size_t dropped = existing->dropped;
  for (const oci::Descriptor& other : existing->layers) {
    absl::StatusOr<std::string> der = LayerSignature(other);
    const bool signature = other.media_type == kSimpleSigningMediaType &&
                           other.size <= kMaxPayloadSize && der.ok();
    bool present = false;
    if (signature && kept.layers.size() + 1 < kMaxSignatureLayers) {
      ASSIGN_OR_RETURN(present, out.HasBlob(other));
    }
    if (!present) {
      ++dropped;
      continue;
    }
    // The payload is deterministic: the same digest is the same bytes.
    if (other.digest == ours.digest && other.size == ours.size &&
        key.public_key().Verify(payload, *der)) {
      kept.already_signed = true;
      return kept;
    }
    kept.layers.push_back(other);
  }
  if (dropped > 0) {
    progress.Warn(absl::StrFormat(
        "dropping %d of the entries under %s: not signatures, their payload missing, or "
        "past the %d cook keeps",
        dropped, sig_ref.ToString(), kMaxSignatureLayers));
  }
  return kept;
}

}  // namespace

absl::StatusOr<std::string> SignatureIdentity(const oci::ImageReference& ref) {
  switch (ref.transport) {
    case oci::Transport::kDocker:
      if (oci::IsDockerHub(ref.registry) || ref.registry.empty()) {
        return absl::StrCat("index.docker.io/",
                            oci::CanonicalRepository(oci::kDockerHub, ref.repository));
      }
      return absl::StrCat(ref.registry, "/", ref.repository);
    case oci::Transport::kOci: {
      std::error_code ec;
      const fs::path resolved = fs::weakly_canonical(fs::absolute(ref.path), ec);
      if (ec) return FsError(ec, absl::StrCat("resolving ", ref.path));
      return absl::StrCat("oci:", resolved.string());
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(ref.ToString(), ": only docker:// and oci: images carry signatures"));
  }
}

bool SameIdentity(std::string_view claimed, std::string_view identity) {
  if (identity.starts_with("oci:")) return claimed == identity;
  if (const size_t at = claimed.find('@'); at != std::string_view::npos) {
    claimed = claimed.substr(0, at);
  }
  const size_t slash = claimed.find('/');
  if (slash == std::string_view::npos) return false;
  if (const size_t colon = claimed.rfind(':'); colon != std::string_view::npos && colon > slash) {
    claimed = claimed.substr(0, colon);
  }
  const size_t ours = identity.find('/');
  if (ours == std::string_view::npos) return false;
  return NormalIdentity(claimed.substr(0, slash), claimed.substr(slash + 1)) ==
         NormalIdentity(identity.substr(0, ours), identity.substr(ours + 1));
}

std::string SignatureTag(std::string_view digest) {
  std::string tag(digest);
  if (const size_t colon = tag.find(':'); colon != std::string::npos) tag[colon] = '-';
  return absl::StrCat(tag, ".sig");
}

oci::ImageReference SignatureReference(const oci::ImageReference& ref, std::string_view digest) {
  oci::ImageReference sig = ref;
  sig.digest.clear();
  sig.tag = SignatureTag(digest);
  return sig;
}

std::string SignaturePayload(std::string_view identity, std::string_view digest) {
  return absl::StrCat(R"({"critical":{"identity":{"docker-reference":)", JsonString(identity),
                      R"(},"image":{"docker-manifest-digest":)", JsonString(digest),
                      R"(},"type":)", JsonString(kSignaturePayloadType),
                      R"(},"optional":null})");
}

absl::StatusOr<PayloadClaims> ParsePayload(std::string_view bytes) {
  if (bytes.size() > static_cast<size_t>(kMaxPayloadSize)) {
    return absl::InvalidArgumentError("the payload is too large");
  }
  RETURN_IF_ERROR(CheckJsonDepth(bytes));
  const nlohmann::json doc = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError("the payload is not a JSON object");
  }
  const nlohmann::json* critical = doc.contains("critical") ? &doc["critical"] : nullptr;
  auto text = [&](const char* outer, const char* inner) -> const nlohmann::json* {
    if (critical == nullptr || !critical->is_object() || !critical->contains(outer)) {
      return nullptr;
    }
    const nlohmann::json& object = (*critical)[outer];
    if (!object.is_object() || !object.contains(inner) || !object[inner].is_string()) {
      return nullptr;
    }
    return &object[inner];
  };
  const nlohmann::json* type =
      critical != nullptr && critical->is_object() && critical->contains("type")
          ? &(*critical)["type"]
          : nullptr;
  if (type == nullptr || !type->is_string() || *type != kSignaturePayloadType) {
    return absl::InvalidArgumentError(
        absl::StrCat("the payload is not a \"", std::string(kSignaturePayloadType), "\""));
  }
  const nlohmann::json* identity = text("identity", "docker-reference");
  const nlohmann::json* digest = text("image", "docker-manifest-digest");
  if (identity == nullptr || digest == nullptr) {
    return absl::InvalidArgumentError(
        "the payload lacks critical.identity.docker-reference or "
        "critical.image.docker-manifest-digest");
  }
  return PayloadClaims{identity->get<std::string>(), digest->get<std::string>()};
}

bool AnyVerified(const std::vector<FoundSignature>& found) {
  return std::any_of(found.begin(), found.end(),
                     [](const FoundSignature& s) { return s.verified(); });
}

std::vector<std::string> SignatureSubjects(const oci::RawManifest& raw) {
  std::vector<std::string> subjects = {raw.digest};
  if (!raw.index_digest.empty() && raw.index_digest != raw.digest) {
    subjects.push_back(raw.index_digest);
  }
  return subjects;
}

absl::StatusOr<std::vector<FoundSignature>> FindSignatures(
    const oci::ImageReference& ref, const std::vector<std::string>& subjects,
    const std::vector<VerifyingKey>& keys, registry::RegistrySession& registries,
    const fs::path& temp_dir, bool first_valid) {
  ASSIGN_OR_RETURN(const std::string identity, SignatureIdentity(ref));
  std::vector<FoundSignature> found;
  for (const std::string& subject : subjects) {
    const oci::ImageReference sig_ref = SignatureReference(ref, subject);
    absl::StatusOr<SignatureLayers> sigs =
        ReadSignatureLayers(sig_ref, registries, temp_dir);
    if (!sigs.ok() && !IsUnreadable(sigs.status())) {
      return Annotate(sigs.status(), absl::StrCat("reading ", sig_ref.ToString()));
    }
    if (!sigs.ok()) {
      // Another subject's signatures may still count.
      FoundSignature unreadable;
      unreadable.subject = subject;
      unreadable.problem = absl::StrCat("reading ", sig_ref.ToString(), ": ",
                                        std::string(sigs.status().message()));
      found.push_back(std::move(unreadable));
      continue;
    }
    for (const oci::Descriptor& layer : sigs->layers) {
      if (layer.media_type != kSimpleSigningMediaType) continue;
      found.push_back(CheckLayer(*sigs->source, layer, subject, identity, keys));
      if (first_valid && found.back().verified()) return found;
      RETURN_IF_ERROR(CheckInterrupted());
    }
  }
  return found;
}

absl::Status VerifyImage(const oci::ImageReference& ref, const oci::RawManifest& raw,
                         const std::vector<VerifyingKey>& keys, const std::string& context,
                         registry::RegistrySession& registries, const fs::path& temp_dir,
                         Progress& progress) {
  if (keys.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(const std::vector<FoundSignature> found,
                   Annotate(FindSignatures(ref, SignatureSubjects(raw), keys, registries,
                                           temp_dir, /*first_valid=*/true),
                            context));
  std::vector<std::string> reasons;
  size_t read = 0;
  for (const FoundSignature& signature : found) {
    if (!signature.payload_digest.empty()) ++read;
    if (signature.verified()) {
      progress.Step(absl::StrFormat("signature of %s verified with %s (key %s)", raw.digest,
                                    signature.key_name, KeyIdPrefix(signature.key_id)));
      return absl::OkStatus();
    }
    if (reasons.size() < kMaxReasons) {
      reasons.push_back(signature.payload_digest.empty()
                            ? signature.problem
                            : absl::StrFormat("%s: %s", signature.payload_digest,
                                              signature.problem));
    }
  }
  const std::string why =
      found.empty() ? absl::StrCat("it is not signed (no signature under the ",
                                   SignatureTag(raw.digest), " tag)")
                    : absl::StrFormat("%d signature%s, none valid (%s%s)", read,
                                      read == 1 ? "" : "s",
                                      absl::StrJoin(reasons, "; "),
                                      found.size() > reasons.size() ? "; ..." : "");
  return absl::PermissionDeniedError(absl::StrFormat(
      "%s: refusing image %s: --verify-key requires a signature by one of the keys: %s\n"
      "hint: sign it with --sign-key on cook build or cook copy, from a job that holds the "
      "private key, or check that --verify-key is its public half",
      context, raw.digest, why));
}

absl::Status SignImage(const oci::ImageReference& dest, const std::string& digest,
                       const SigningKey& key, registry::RegistrySession& registries,
                       const fs::path& temp_dir, Progress& progress) {
  ASSIGN_OR_RETURN(const std::string identity, SignatureIdentity(dest));
  const oci::ImageReference sig_ref = SignatureReference(dest, digest);
  const std::string context = absl::StrCat("signing ", dest.ToString(), " (", digest, ")");
  const std::string payload = SignaturePayload(identity, digest);
  oci::Descriptor layer;
  layer.media_type = std::string(kSimpleSigningMediaType);
  layer.digest = layers::Sha256Digest(payload);
  layer.size = static_cast<int64_t>(payload.size());
  ASSIGN_OR_RETURN(std::unique_ptr<oci::ImageDestination> out,
                   Annotate(oci::OpenImageDestination(sig_ref, &registries), context));
  ASSIGN_OR_RETURN(const KeptSignatures kept,
                   Annotate(KeepSignatures(sig_ref, layer, payload, key, *out, registries,
                                           temp_dir, progress),
                            context));
  if (kept.already_signed) {
    progress.Step(absl::StrFormat("%s is already signed with key %s", dest.ToString(),
                                  KeyIdPrefix(key.public_key().id())));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(const std::string der, Annotate(key.Sign(payload), context));
  layer.annotations[std::string(kSignatureAnnotation)] = absl::Base64Escape(der);
  oci::Manifest manifest;
  manifest.layers = kept.layers;
  manifest.layers.push_back(layer);
  const std::string config = SignatureConfig(manifest.layers);
  manifest.config.media_type = std::string(oci::kOciConfig);
  manifest.config.digest = layers::Sha256Digest(config);
  manifest.config.size = static_cast<int64_t>(config.size());

  std::vector<oci::BlobToPut> blobs(2);
  blobs[0].descriptor = layer;
  blobs[0].open = [&payload]() -> absl::StatusOr<std::unique_ptr<ByteSource>> {
    return std::make_unique<StringSource>(payload);
  };
  blobs[1].descriptor = manifest.config;
  blobs[1].open = [&config]() -> absl::StatusOr<std::unique_ptr<ByteSource>> {
    return std::make_unique<StringSource>(config);
  };
  RETURN_IF_ERROR(Annotate(oci::PutBlobs(*out, blobs), context));
  RETURN_IF_ERROR(Annotate(out->PutManifest(oci::MakeRawManifest(manifest)), context));
  RETURN_IF_ERROR(Annotate(out->Commit(), context));
  progress.Step(absl::StrFormat("signed %s with key %s (%s)", dest.ToString(),
                                KeyIdPrefix(key.public_key().id()), sig_ref.ToString()));
  return absl::OkStatus();
}

absl::Status CheckSignable(const oci::ImageReference& ref, std::string_view flag) {
  if (ref.transport == oci::Transport::kDocker || ref.transport == oci::Transport::kOci) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      std::string(flag), ": ", ref.ToString(),
      " cannot carry a signature: only docker:// and oci: images are signed\n"
      "hint: write to an oci: layout or a registry, and export the archive from there"));
}

}  // namespace cook::cache
