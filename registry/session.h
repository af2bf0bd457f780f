#ifndef COOK_REGISTRY_SESSION_H_
#define COOK_REGISTRY_SESSION_H_

// Everything one cook run shares across the registries it talks to: the
// options from the command line, one HTTP client (so connections are reused
// between reading a base image and pushing the result) and one
// RegistryClient per host (so tokens are reused).

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "oci/transport.h"
#include "registry/client.h"
#include "registry/credentials.h"
#include "registry/http.h"
#include "registry/retry.h"

namespace cook::registry {

struct RegistryOptions {
  AuthConfig auth;
  bool tls_verify = true;
  std::string cert_dir;
  RetryPolicy retry;
  int64_t chunk_size = int64_t{32} << 20;
  // Blobs transferred at once to or from one registry.
  int parallel_blobs = 4;
  LogFn log;
};

// Also how oci::OpenImageSource / OpenImageDestination open docker://
// references (oci::RegistryTransports).
class RegistrySession : public oci::RegistryTransports {
 public:
  explicit RegistrySession(RegistryOptions options);
  // Tests: talk through `http` (a fault-injecting client, say) and resolve
  // credential helpers with `run_helper` (empty: run them with
  // options.auth.environment).
  RegistrySession(RegistryOptions options, std::unique_ptr<HttpClient> http,
                  CredentialHelperRunner run_helper = nullptr);
  ~RegistrySession() override;

  absl::StatusOr<std::unique_ptr<oci::ImageSource>> OpenSource(
      const oci::ImageReference& ref) override;
  absl::StatusOr<std::unique_ptr<oci::ImageDestination>> OpenDestination(
      const oci::ImageReference& ref) override;

  const RegistryOptions& options() const { return options_; }

  // The client for `host` (created on first use: looks up credentials, and
  // makes the HTTP client, which may fail on a bad --cert-dir). Thread-safe.
  absl::StatusOr<RegistryClient*> Client(const std::string& host);

  // Blob bytes uploaded through this session so far.
  int64_t uploaded_bytes();

 private:
  RegistryOptions options_;
  CredentialHelperRunner run_helper_;
  std::mutex mu_;
  std::unique_ptr<HttpClient> http_;
  std::map<std::string, std::unique_ptr<RegistryClient>> clients_;
};

}  // namespace cook::registry

#endif  // COOK_REGISTRY_SESSION_H_
