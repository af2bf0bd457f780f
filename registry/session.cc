#include "registry/session.h"

#include <utility>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "registry/image_transport.h"

namespace cook::registry {

RegistrySession::RegistrySession(RegistryOptions options)
    : RegistrySession(std::move(options), nullptr) {}

RegistrySession::RegistrySession(RegistryOptions options,
                                 std::unique_ptr<HttpClient> http,
                                 CredentialHelperRunner run_helper)
    : options_(std::move(options)),
      run_helper_(run_helper ? std::move(run_helper)
                             : DefaultCredentialHelperRunner(
                                   options_.auth.environment)),
      http_(std::move(http)) {}

RegistrySession::~RegistrySession() = default;

absl::StatusOr<RegistryClient*> RegistrySession::Client(const std::string& host) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(host);
  if (it != clients_.end()) return it->second.get();
  if (http_ == nullptr) {
    HttpOptions http_options;
    http_options.tls_verify = options_.tls_verify;
    http_options.cert_dir = options_.cert_dir;
    ASSIGN_OR_RETURN(http_, NewCurlHttpClient(http_options));
  }
  ASSIGN_OR_RETURN(
      Credentials credentials,
      Annotate(LookupCredentials(options_.auth, host, run_helper_),
               absl::StrFormat("looking up credentials for %s", host)));
  ClientOptions client_options;
  client_options.credentials = std::move(credentials);
  client_options.tls_verify = options_.tls_verify;
  client_options.retry = options_.retry;
  client_options.chunk_size = options_.chunk_size;
  client_options.log = options_.log;
  auto client = std::make_unique<RegistryClient>(*http_, host, std::move(client_options));
  RegistryClient* out = client.get();
  clients_.emplace(host, std::move(client));
  return out;
}

int64_t RegistrySession::uploaded_bytes() {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t total = 0;
  for (const auto& [host, client] : clients_) total += client->uploaded_bytes();
  return total;
}

absl::StatusOr<std::unique_ptr<oci::ImageSource>> RegistrySession::OpenSource(
    const oci::ImageReference& ref) {
  ASSIGN_OR_RETURN(RegistryClient * client, Client(ref.registry));
  return internal::OpenRegistrySource(ref, *client);
}

absl::StatusOr<std::unique_ptr<oci::ImageDestination>> RegistrySession::OpenDestination(
    const oci::ImageReference& ref) {
  ASSIGN_OR_RETURN(RegistryClient * client, Client(ref.registry));
  return internal::OpenRegistryDestination(ref, *client, options_.parallel_blobs);
}

}  // namespace cook::registry
