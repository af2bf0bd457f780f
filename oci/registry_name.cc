#include "oci/registry_name.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace cook::oci {
namespace {

constexpr std::string_view kIndex = "index.docker.io";
constexpr std::string_view kEndpoint = "registry-1.docker.io";
constexpr std::string_view kHelperServer = "https://index.docker.io/v1/";
constexpr std::string_view kLibrary = "library/";

absl::string_view Absl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace

bool IsDockerHub(std::string_view host) {
  const std::string h = absl::AsciiStrToLower(Absl(host));
  return h == kDockerHub || h == kIndex || h == kEndpoint;
}

std::string CanonicalRegistry(std::string_view host) {
  if (host.empty() || host == kIndex) return std::string(kDockerHub);
  return std::string(host);
}

std::string CanonicalRepository(std::string_view registry,
                                std::string_view repository) {
  if (registry == kDockerHub &&
      repository.find('/') == std::string_view::npos) {
    return std::string(kLibrary) + std::string(repository);
  }
  return std::string(repository);
}

std::string EndpointHost(std::string_view registry) {
  if (registry == kDockerHub || registry == kIndex) {
    return std::string(kEndpoint);
  }
  return std::string(registry);
}

std::vector<std::string> CredentialHostAliases(std::string_view host) {
  if (IsDockerHub(host)) {
    return {std::string(kDockerHub), std::string(kIndex),
            std::string(kEndpoint)};
  }
  return {absl::AsciiStrToLower(Absl(host))};
}

std::string CredentialHelperServer(std::string_view host) {
  return IsDockerHub(host) ? std::string(kHelperServer) : std::string(host);
}

std::string ShortImageName(std::string_view name) {
  std::string_view s = name;
  for (std::string_view host : {kDockerHub, kIndex}) {
    if (s.size() > host.size() && s.substr(0, host.size()) == host &&
        s[host.size()] == '/') {
      s.remove_prefix(host.size() + 1);
      break;
    }
  }
  if (absl::StartsWith(Absl(s), Absl(kLibrary)))
    s.remove_prefix(kLibrary.size());
  return std::string(s);
}

}  // namespace cook::oci
