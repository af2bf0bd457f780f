#ifndef COOK_TESTS_TESTING_REGISTRY_SERVER_H_
#define COOK_TESTS_TESTING_REGISTRY_SERVER_H_

// Real registry servers on loopback for integration tests: Debian's
// `docker-registry` (CNCF distribution 2.8.2) with, as asked, TLS from a
// throw-away CA, htpasswd (bcrypt) Basic auth, Bearer tokens from
// tests/testing/registry/token_server.py, and a fault-injecting proxy
// (tests/testing/registry/fault_proxy.py) in front.
//
// Needs docker-registry, htpasswd (apache2-utils), openssl and Debian's
// /usr/bin/python3 with python3-jwt and python3-cryptography (tools/setup.sh
// installs them). The scripts come from the runfiles of the test that links
// this library.
//
//   absl::StatusOr<std::unique_ptr<RegistryServer>> started =
//       RegistryServer::Start({.basic_auth = true});
//   ASSERT_THAT(started, IsOk());
//   const RegistryServer& server = **started;
//   RunProgram({CookBinary(), "push", "--cert-dir", server.cert_dir(), ...,
//               server.ImageRef("app:v1")});  //
//               "docker://127.0.0.1:PORT/app:v1"
//   EXPECT_THAT(server.Requests(), Contains(Field(&LoggedRequest::method,
//   "PUT")));
//
// Processes and files: every server is a child process in its own process
// group, logging to a file in a fresh directory under ::testing::TempDir().
// Ports are picked by binding port 0 (the scripts bind 0 themselves and
// report the port).

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cook::testing {

struct RegistryServerOptions {
  // HTTPS with a certificate (SAN IP:127.0.0.1, DNS:localhost) from a
  // throw-away CA; the token server then speaks HTTPS with the same
  // certificate. Must be false with `fault_proxy`.
  bool tls = true;
  // htpasswd Basic auth: user kUsername, password kPassword.
  bool basic_auth = false;
  // Bearer tokens from the token server (realm http(s)://127.0.0.1:PORT/token,
  // service kService), which itself wants Basic auth with the same user and
  // password and grants every scope asked for. Exclusive with `basic_auth`.
  bool token_auth = false;
  // A fault-injecting plain-HTTP proxy in front of a plain-HTTP registry;
  // host() is then the proxy's. See SetFaults().
  bool fault_proxy = false;
};

// One request the registry served, from its access log.
struct LoggedRequest {
  std::string method;
  std::string path;  // the request URI: path and query, as sent
  int status = 0;
};

// One request to the token server.
struct TokenRequest {
  std::string
      account;  // the user name presented ("" without Basic credentials)
  std::string service;
  std::vector<std::string> scopes;  // e.g. "repository:app:pull,push"
  bool granted = false;             // false: answered 401
};

// The servers live as long as this object: the destructor kills every process
// it started (SIGKILL to each process group) and removes its temp dir. The
// children also get SIGKILL when the thread that called Start() dies
// (PR_SET_PDEATHSIG), so a crashed test leaves nothing behind.
//
// Accessors are cheap; Requests(), TokenRequests() and FaultLog() read log
// files and may be called while clients are running. Not thread-safe
// otherwise.
class RegistryServer {
 public:
  static constexpr char kUsername[] = "cook-user";
  static constexpr char kPassword[] = "cook-pass-5ecret";
  static constexpr char kService[] = "cook-test-registry";
  static constexpr char kIssuer[] = "cook-test-issuer";

  // Starts the servers `options` ask for and waits (up to about 20 s each)
  // until they answer. Errors: InvalidArgument for contradictory options,
  // FailedPrecondition when a program or script is missing, Unavailable when
  // a server does not come up (the message ends with the tail of its log).
  static absl::StatusOr<std::unique_ptr<RegistryServer>> Start(
      const RegistryServerOptions& options);

  RegistryServer(const RegistryServer&) = delete;
  RegistryServer& operator=(const RegistryServer&) = delete;
  ~RegistryServer();

  // "127.0.0.1:PORT": what clients use (the proxy's with `fault_proxy`).
  std::string host() const;
  // The registry itself, bypassing any proxy.
  std::string registry_host() const;
  // "docker://" + host() + "/" + `repository` (which may carry ":tag" or
  // "@digest").
  std::string ImageRef(const std::string& repository) const;
  // "https://" + host() or "http://" + host().
  std::string base_url() const;
  bool tls() const { return options_.tls; }

  // A directory holding only ca.crt (for --cert-dir); empty without TLS.
  std::string cert_dir() const;
  // The CA certificate (PEM); empty without TLS.
  std::string ca_file() const;
  // kUsername and kPassword; they only matter with basic_auth or token_auth.
  std::string username() const { return kUsername; }
  std::string password() const { return kPassword; }
  // The token endpoint; empty without token_auth.
  std::string token_realm() const;

  // Requests the registry has served so far, in the order it finished them
  // (the access log, which also lists 401s). First waits until the log has
  // been quiet for 50 ms (at most 1 s), since the registry may write a line
  // just after the client has its response. Faults the proxy answered itself
  // never reach the registry and are not listed.
  std::vector<LoggedRequest> Requests() const;

  // Every token request so far, in order. Logged before the answer is sent.
  std::vector<TokenRequest> TokenRequests() const;
  // The scopes of the granted token requests, in order.
  std::vector<std::string> TokenScopes() const;
  // How many token requests were refused (401).
  int RefusedTokenRequests() const;

  // Replaces the proxy's fault rules (a JSON list; the format is documented
  // in tests/testing/registry/fault_proxy.py) and returns once they are in
  // effect. "[]" removes all faults. Errors: FailedPrecondition without
  // `fault_proxy`, InvalidArgument when the proxy rejects the rules.
  //
  //   server->SetFaults(R"([{"method": "PATCH", "path_regex":
  //   "/blobs/uploads/",
  //                          "action": "status", "status": 503, "times":
  //                          2}])");
  absl::Status SetFaults(const std::string& json_rules) const;
  // One line per fault injected so far, "METHOD PATH ACTION[ DETAIL]", e.g.
  // "PATCH /v2/app/blobs/uploads/...?_state=... status 503". Written before
  // the client sees the fault.
  std::vector<std::string> FaultLog() const;

  // skopeo flags to reach this registry: --{prefix}tls-verify,
  // --{prefix}cert-dir and --{prefix}creds as needed, where `prefix` is ""
  // (inspect, delete), "src-" or "dest-" (copy). Pass --insecure-policy to
  // skopeo yourself.
  std::vector<std::string> SkopeoFlags(const std::string& prefix = "") const;

  // The last lines of every server log, for failure messages.
  std::string LogTails() const;

 private:
  struct Child {
    std::string name;
    pid_t pid = -1;
    std::filesystem::path log;
  };

  explicit RegistryServer(const RegistryServerOptions& options)
      : options_(options) {}

  absl::Status Init();
  absl::Status MakeCertificates();
  absl::Status StartTokenServer();
  absl::Status StartRegistry();
  absl::Status StartFaultProxy();
  absl::StatusOr<Child*> Spawn(const std::string& name,
                               const std::vector<std::string>& argv);
  absl::StatusOr<int> WaitForPortFile(Child& child,
                                      const std::filesystem::path& port_file);

  RegistryServerOptions options_;
  std::filesystem::path dir_;
  std::vector<Child> children_;
  int registry_port_ = 0;
  int token_port_ = 0;
  int proxy_port_ = 0;
};

}  // namespace cook::testing

#endif  // COOK_TESTS_TESTING_REGISTRY_SERVER_H_
