#ifndef COOK_OCI_REGISTRY_NAME_H_
#define COOK_OCI_REGISTRY_NAME_H_

// Docker Hub's names, in one place. Docker Hub is named "docker.io" in
// references (also "index.docker.io"), serves the distribution API on
// "registry-1.docker.io", keeps official images under "library/", and
// `docker login` stores its credentials under "https://index.docker.io/v1/".
// Every other registry is called by the host[:port] the reference gives.

#include <string>
#include <string_view>
#include <vector>

namespace cook::oci {

// The name references use for Docker Hub.
inline constexpr std::string_view kDockerHub = "docker.io";

// True for "docker.io", "index.docker.io" and "registry-1.docker.io", in any
// case: the names credentials for Docker Hub may be stored under.
bool IsDockerHub(std::string_view host);

// The registry a reference names: "docker.io" for none ("") and for
// "index.docker.io"; any other host as given.
std::string CanonicalRegistry(std::string_view host);

// The repository as the registry stores it: a one-component name on Docker
// Hub is an official image ("rust" -> "library/rust").
std::string CanonicalRepository(std::string_view registry,
                                std::string_view repository);

// The host that serves the distribution API for `registry` (a reference's
// registry): "registry-1.docker.io" for "docker.io" and "index.docker.io".
std::string EndpointHost(std::string_view registry);

// The names credentials for `host` are stored under, best first, lower-case:
// Docker Hub's three names, or the host itself.
std::vector<std::string> CredentialHostAliases(std::string_view host);

// The server name credential helpers know `host` by:
// "https://index.docker.io/v1/" for Docker Hub, else the host as given.
std::string CredentialHelperServer(std::string_view host);

// A docker-archive image name as Docker shows it: without a leading
// "docker.io/" or "index.docker.io/", then without "library/"
// ("docker.io/library/rust:1" -> "rust:1").
std::string ShortImageName(std::string_view name);

}  // namespace cook::oci

#endif  // COOK_OCI_REGISTRY_NAME_H_
