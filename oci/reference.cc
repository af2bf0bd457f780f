#include "oci/reference.h"

#include <filesystem>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/match.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "layers/digest.h"
#include "oci/registry_name.h"

namespace cook::oci {
namespace {

constexpr std::string_view kTransportHint =
    "\nhint: use oci:DIR[:TAG], docker-archive:FILE[:NAME:TAG], "
    "docker://HOST[:PORT]/REPO[:TAG] or scratch";

bool Contains(std::string_view s, char c) {
  return s.find(c) != std::string_view::npos;
}

// The reference is quoted escaped: it may come from an image or a script,
// and an error is one line (plus cook's own hint).
absl::Status ReferenceError(std::string_view text, std::string_view cause,
                            std::string_view hint = "") {
  return absl::InvalidArgumentError(
      absl::StrFormat("parsing image reference \"%s\": %s%s",
                      EscapeForDisplay(text), EscapeForDisplay(cause), hint));
}

// True when a docker name (what follows "docker://", or a docker-archive
// NAME:TAG) carries user info, as in "user:token@host/repo". A '@' in a name
// may only start a digest: anything after the last '@' that is not an
// algorithm-prefixed digest (a host, "host/repo") means the text before it
// is user info, and so does a second '@' before a digest.
bool HasUserInfo(std::string_view name) {
  const size_t at = name.rfind('@');
  if (at == std::string_view::npos) return false;
  const absl::string_view after(name.data() + at + 1, name.size() - at - 1);
  const bool digest_like = !Contains(name.substr(at + 1), '/') &&
                           (absl::StartsWith(after, "sha256:") ||
                            absl::StartsWith(after, "sha384:") ||
                            absl::StartsWith(after, "sha512:"));
  return !digest_like || Contains(name.substr(0, at), '@');
}

// Never quotes the reference: the user info may hold a password or token,
// and errors end up in CI logs.
absl::Status UserInfoError(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrFormat(
      "parsing %s: it holds user info (USER:PASSWORD@ "
      "before the host), which is not allowed there: it would be shown in "
      "logs\nhint: give credentials with --creds USER[:PASSWORD] or "
      "--authfile FILE",
      what));
}

// Docker's tag grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool IsValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  for (size_t i = 0; i < tag.size(); ++i) {
    char c = tag[i];
    bool ok = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
              (i > 0 && (c == '.' || c == '-'));
    if (!ok) return false;
  }
  return true;
}

// One path component of a repository: lowercase alphanumerics separated by
// '.', '_' or '-' runs; starts and ends with an alphanumeric.
bool IsValidComponent(std::string_view c) {
  if (c.empty()) return false;
  auto alnum = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
  };
  if (!alnum(c.front()) || !alnum(c.back())) return false;
  for (char ch : c) {
    if (!alnum(ch) && ch != '.' && ch != '_' && ch != '-') return false;
  }
  return true;
}

bool IsValidHost(std::string_view host) {
  std::string_view name = host;
  if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    std::string_view port = host.substr(colon + 1);
    if (port.empty() || port.size() > 5) return false;
    for (char ch : port) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(ch))) return false;
    }
    name = host.substr(0, colon);
  }
  if (name.empty()) return false;
  for (char ch : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(ch)) && ch != '.' &&
        ch != '-') {
      return false;
    }
  }
  return name.front() != '-' && name.front() != '.';
}

struct DockerName {
  std::string registry;
  std::string repository;
  std::string tag;
  std::string digest;
};

// Parses HOST[:PORT]/REPO[:TAG][@DIGEST] with docker.io's naming rules. Returns
// the cause of a failure, for the caller to wrap.
absl::StatusOr<DockerName> ParseDockerName(std::string_view text) {
  DockerName out;
  std::string_view name = text;
  if (size_t at = name.find('@'); at != std::string_view::npos) {
    out.digest = std::string(name.substr(at + 1));
    name = name.substr(0, at);
    if (absl::Status s = layers::ValidateDigest(out.digest); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "invalid digest \"%s\": %s", out.digest, s.message()));
    }
  }
  // A ':' after the last '/' starts the tag; one before it is a port.
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (colon != std::string_view::npos &&
      (slash == std::string_view::npos || colon > slash)) {
    out.tag = std::string(name.substr(colon + 1));
    name = name.substr(0, colon);
    if (!IsValidTag(out.tag)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "invalid tag \"%s\" (letters, digits, '_', '.' and '-', at most 128)",
          out.tag));
    }
  }
  if (name.empty()) return absl::InvalidArgumentError("empty repository name");
  std::string_view repo = name;
  size_t first_slash = name.find('/');
  if (first_slash != std::string_view::npos) {
    std::string_view first = name.substr(0, first_slash);
    if (Contains(first, '.') || Contains(first, ':') || first == "localhost") {
      if (!IsValidHost(first)) {
        return absl::InvalidArgumentError(
            absl::StrFormat("invalid registry host \"%s\"", first));
      }
      out.registry = std::string(first);
      repo = name.substr(first_slash + 1);
    }
  }
  out.registry = CanonicalRegistry(out.registry);
  for (std::string_view rest = repo;;) {
    size_t next = rest.find('/');
    std::string_view component = rest.substr(0, next);
    if (!IsValidComponent(component)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "invalid repository name \"%s\" (lowercase letters, digits and "
          "separators '.', '_', '-' between '/')",
          repo));
    }
    if (next == std::string_view::npos) break;
    rest = rest.substr(next + 1);
  }
  out.repository = CanonicalRepository(out.registry, repo);
  return out;
}

absl::StatusOr<ImageReference> ParseOci(std::string_view text,
                                        std::string_view rest) {
  ImageReference ref;
  ref.transport = Transport::kOci;
  std::string_view dir = rest;
  std::string_view tag = "latest";
  // As skopeo: a suffix after the last ':' is a tag unless it looks like a
  // path (contains '/').
  if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    std::string_view suffix = rest.substr(colon + 1);
    if (!Contains(suffix, '/')) {
      if (!IsValidTag(suffix)) {
        return ReferenceError(
            text, absl::StrFormat("invalid tag \"%s\" (letters, digits, '_', "
                                  "'.' and '-', at most 128)",
                                  suffix));
      }
      dir = rest.substr(0, colon);
      tag = suffix;
    }
  }
  if (dir.empty())
    return ReferenceError(text, "missing directory after \"oci:\"");
  ref.path = std::string(dir);
  ref.tag = std::string(tag);
  return ref;
}

absl::StatusOr<ImageReference> ParseDockerArchive(std::string_view text,
                                                  std::string_view rest) {
  ImageReference ref;
  ref.transport = Transport::kDockerArchive;
  // As containers/image: the path ends at the first ':'; the rest is a name.
  size_t colon = rest.find(':');
  ref.path = std::string(rest.substr(0, colon));
  if (ref.path.empty()) {
    return ReferenceError(text, "missing file after \"docker-archive:\"");
  }
  if (colon == std::string_view::npos) return ref;
  std::string_view name = rest.substr(colon + 1);
  if (HasUserInfo(name)) return UserInfoError("a docker-archive: image reference");
  absl::StatusOr<DockerName> parsed = ParseDockerName(name);
  if (!parsed.ok())
    return ReferenceError(text, std::string(parsed.status().message()));
  if (!parsed->digest.empty()) {
    return ReferenceError(text,
                          "a docker-archive name takes a tag, not a digest");
  }
  ref.archive_name = std::string(name);
  if (parsed->tag.empty()) {
    ref.archive_name += ":latest";
  }
  return ref;
}

absl::StatusOr<ImageReference> ParseDocker(std::string_view text,
                                           std::string_view rest) {
  if (HasUserInfo(rest)) return UserInfoError("a docker:// image reference");
  absl::StatusOr<DockerName> parsed = ParseDockerName(rest);
  if (!parsed.ok())
    return ReferenceError(text, std::string(parsed.status().message()));
  ImageReference ref;
  ref.transport = Transport::kDocker;
  ref.registry = std::move(parsed->registry);
  ref.repository = std::move(parsed->repository);
  ref.tag = std::move(parsed->tag);
  ref.digest = std::move(parsed->digest);
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

}  // namespace

std::string ImageReference::ToString() const {
  switch (transport) {
    case Transport::kOci:
      return absl::StrFormat("oci:%s:%s", path, tag);
    case Transport::kDockerArchive:
      if (archive_name.empty())
        return absl::StrFormat("docker-archive:%s", path);
      return absl::StrFormat("docker-archive:%s:%s", path, archive_name);
    case Transport::kDocker: {
      std::string out = absl::StrFormat("docker://%s/%s", registry, repository);
      if (!tag.empty()) absl::StrAppend(&out, ":", tag);
      if (!digest.empty()) absl::StrAppend(&out, "@", digest);
      return out;
    }
    case Transport::kScratch:
      return "scratch";
  }
  return "scratch";
}

absl::StatusOr<ImageReference> ParseReference(std::string_view text) {
  if (text == "scratch") return ImageReference{};
  if (text.empty())
    return ReferenceError(text, "empty reference", kTransportHint);
  constexpr std::string_view kDockerPrefix = "docker://";
  if (text.substr(0, kDockerPrefix.size()) == kDockerPrefix) {
    return ParseDocker(text, text.substr(kDockerPrefix.size()));
  }
  size_t colon = text.find(':');
  std::string_view transport = text.substr(0, colon);
  // A transport missing or misspelt: the text is quoted back below, unless
  // it looks like user info followed by a registry.
  if (transport != "oci" && transport != "docker-archive" &&
      HasUserInfo(text)) {
    return UserInfoError("an image reference");
  }
  if (colon == std::string_view::npos) {
    return ReferenceError(
        text, "missing transport",
        absl::StrFormat("\nhint: for an image layout directory write oci:%s; "
                        "other transports: docker-archive:FILE[:NAME:TAG], "
                        "docker://HOST[:PORT]/REPO[:TAG], scratch",
                        EscapeForDisplay(text)));
  }
  std::string_view rest = text.substr(colon + 1);
  if (transport == "oci") return ParseOci(text, rest);
  if (transport == "docker-archive") return ParseDockerArchive(text, rest);
  if (transport == "docker") {
    return ReferenceError(text, "the docker transport is written docker://",
                          kTransportHint);
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "unknown transport \"%s\" in \"%s\"%s", EscapeForDisplay(transport),
      EscapeForDisplay(text), kTransportHint));
}

ImageReference ResolvePaths(ImageReference ref, const std::string& base_dir) {
  if (ref.transport != Transport::kOci &&
      ref.transport != Transport::kDockerArchive) {
    return ref;
  }
  std::filesystem::path path(ref.path);
  if (!path.empty() && path.is_relative()) {
    ref.path =
        (std::filesystem::path(base_dir) / path).lexically_normal().string();
  }
  return ref;
}

}  // namespace cook::oci
