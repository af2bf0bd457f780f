#include "tests/testing/registry_server.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/c_handle.h"
#include "base/status_macros.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/subprocess.h"

namespace cook::testing {
namespace {

namespace fs = std::filesystem;
using CurlEasy = std::unique_ptr<CURL, FreeWith<&curl_easy_cleanup>>;

// Debian's interpreter, not whatever python3 comes first on PATH (pyenv's has
// no jwt module).
constexpr char kPython[] = "/usr/bin/python3";
constexpr char kRegistry[] = "/usr/bin/docker-registry";
constexpr auto kStartTimeout = std::chrono::seconds(20);
constexpr auto kPollInterval = std::chrono::milliseconds(25);

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::Status WriteFile(const fs::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("writing ", path.string()));
  return absl::OkStatus();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    lines.emplace_back(line);
  }
  return lines;
}

std::string Tail(const fs::path& path, std::ptrdiff_t max_lines = 25) {
  std::vector<std::string> lines = Lines(ReadFile(path));
  if (std::ssize(lines) > max_lines) {
    lines.erase(lines.begin(), lines.end() - max_lines);
  }
  return absl::StrJoin(lines, "\n");
}

// The scripts are data of this library, so they are in the runfiles of every
// test that links it.
absl::StatusOr<std::string> Script(const std::string& name) {
  const fs::path path = RunfilePath("tests/testing/registry/" + name);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "finding ", name, ": no ", path.string(),
        " (run from a test that depends on //tests/testing:registry_server)"));
  }
  return fs::absolute(path).string();
}

absl::Status RequireProgram(const std::string& path,
                            const std::string& package) {
  if (::access(path.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("finding ", path, ": not installed (apt-get install ",
                     package, ", or run tools/setup.sh)"));
  }
  return absl::OkStatus();
}

absl::Status Run(const std::vector<std::string>& argv) {
  RunResult result = RunProgram(argv);
  if (result.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("running ", absl::StrJoin(argv, " "), ": exit ",
                     result.exit_code, ": ", result.err));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  absl::Cleanup close_fd = [fd] { ::close(fd); };
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return absl::InternalError(
        absl::StrCat("picking a port: ", std::strerror(errno)));
  }
  return ntohs(addr.sin_port);
}

size_t DiscardBody(char*, size_t size, size_t nmemb, void*) {
  return size * nmemb;
}

size_t AppendBody(char* data, size_t size, size_t nmemb, void* out) {
  static_cast<std::string*>(out)->append(data, size * nmemb);
  return size * nmemb;
}

// The HTTP status of `method url` (with `body`), or an error when there is no
// response at all.
absl::StatusOr<long> HttpStatus(const std::string& method,
                                const std::string& url,
                                const std::string& ca_file,
                                const std::string& body = "",
                                std::string* response = nullptr) {
  CurlEasy curl(curl_easy_init());
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 2000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, "*");
  if (!ca_file.empty())
    curl_easy_setopt(curl.get(), CURLOPT_CAINFO, ca_file.c_str());
  if (!body.empty()) {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(body.size()));
  }
  if (response != nullptr) {
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &AppendBody);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, response);
  } else {
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &DiscardBody);
  }
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat(method, " ", url, ": ", curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  return status;
}

// True while `pid` runs; once it has exited, reaps it and sets `pid` to -1 so
// that nothing signals a recycled pid.
bool Alive(pid_t& pid) {
  if (pid > 0 && ::waitpid(pid, nullptr, WNOHANG) == 0) return true;
  pid = -1;
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RegistryServer>> RegistryServer::Start(
    const RegistryServerOptions& options) {
  if (options.fault_proxy && options.tls) {
    return absl::InvalidArgumentError(
        "starting a registry: fault_proxy speaks plain HTTP; set tls = false");
  }
  if (options.basic_auth && options.token_auth) {
    return absl::InvalidArgumentError(
        "starting a registry: basic_auth and token_auth exclude each other");
  }
  std::unique_ptr<RegistryServer> server(new RegistryServer(options));
  RETURN_IF_ERROR(server->Init());
  return server;
}

absl::Status RegistryServer::Init() {
  RETURN_IF_ERROR(RequireProgram(kRegistry, "docker-registry"));
  RETURN_IF_ERROR(RequireProgram(kPython, "python3"));
  if (options_.tls || options_.token_auth) {
    RETURN_IF_ERROR(RequireProgram("/usr/bin/openssl", "openssl"));
  }
  if (options_.basic_auth) {
    RETURN_IF_ERROR(RequireProgram("/usr/bin/htpasswd", "apache2-utils"));
  }

  std::string pattern =
      (fs::path(::testing::TempDir()) / "registry.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("creating ", pattern, ": ", std::strerror(errno)));
  }
  dir_ = pattern;
  RETURN_IF_ERROR(MakeCertificates());
  if (options_.token_auth) RETURN_IF_ERROR(StartTokenServer());
  RETURN_IF_ERROR(StartRegistry());
  if (options_.fault_proxy) RETURN_IF_ERROR(StartFaultProxy());
  return absl::OkStatus();
}

RegistryServer::~RegistryServer() {
  for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
    if (it->pid <= 0) continue;
    ::kill(-it->pid, SIGKILL);
    ::kill(it->pid, SIGKILL);
    while (::waitpid(it->pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

absl::Status RegistryServer::MakeCertificates() {
  const fs::path pki = dir_ / "pki";
  fs::create_directories(pki);
  if (options_.tls) {
    // EC keys: generated in milliseconds, unlike RSA.
    RETURN_IF_ERROR(
        Run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
             "/CN=cook-test-ca", "-keyout", (pki / "ca.key").string(), "-out",
             (pki / "ca.crt").string()}));
    RETURN_IF_ERROR(
        Run({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=localhost",
             "-keyout", (pki / "server.key").string(), "-out",
             (pki / "server.csr").string()}));
    RETURN_IF_ERROR(WriteFile(pki / "server.ext",
                              "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                              "basicConstraints=CA:FALSE\n"
                              "keyUsage=critical,digitalSignature\n"
                              "extendedKeyUsage=serverAuth\n"));
    RETURN_IF_ERROR(Run(
        {"openssl", "x509", "-req", "-days", "2", "-in",
         (pki / "server.csr").string(), "-CA", (pki / "ca.crt").string(),
         "-CAkey", (pki / "ca.key").string(), "-CAcreateserial", "-CAserial",
         (pki / "ca.srl").string(), "-extfile", (pki / "server.ext").string(),
         "-out", (pki / "server.crt").string()}));
    fs::create_directories(dir_ / "certs");
    fs::copy_file(pki / "ca.crt", dir_ / "certs" / "ca.crt");
  }
  if (options_.token_auth) {
    // The token signer's certificate is self-signed and is itself the
    // registry's rootcertbundle; tokens carry it in their x5c header. The
    // registry (distribution 2.8.2) only takes RS256 here as asked; RSA it is.
    RETURN_IF_ERROR(Run(
        {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
         "2", "-subj", "/CN=cook-test-token-signer", "-keyout",
         (pki / "token.key").string(), "-out", (pki / "token.crt").string()}));
  }
  if (options_.basic_auth) {
    RunResult htpasswd = RunProgram({"htpasswd", "-Bbn", kUsername, kPassword});
    if (htpasswd.exit_code != 0) {
      return absl::InternalError(
          absl::StrCat("running htpasswd: ", htpasswd.err));
    }
    RETURN_IF_ERROR(WriteFile(dir_ / "htpasswd", htpasswd.out));
  }
  return absl::OkStatus();
}

absl::StatusOr<RegistryServer::Child*> RegistryServer::Spawn(
    const std::string& name, const std::vector<std::string>& argv) {
  Child child{name, -1, dir_ / (name + ".log")};
  int log_fd = ::open(child.log.c_str(),
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    return absl::InternalError(absl::StrCat("opening ", child.log.string(),
                                            ": ", std::strerror(errno)));
  }
  absl::Cleanup close_fds = [log_fd, null_fd] {
    ::close(log_fd);
    ::close(null_fd);
  };
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  // Only async-signal-safe calls between fork and exec.
  pid_t pid = ::fork();
  if (pid < 0)
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(127);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::execv(args[0], args.data());
    static const char kExecFailed[] = "exec failed\n";
    (void)!::write(2, kExecFailed, sizeof kExecFailed - 1);
    _exit(127);
  }
  child.pid = pid;
  children_.push_back(std::move(child));
  return &children_.back();
}

absl::StatusOr<int> RegistryServer::WaitForPortFile(Child& child,
                                                    const fs::path& port_file) {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    if (fs::exists(port_file, ec)) {
      int port = 0;
      if (!absl::SimpleAtoi(ReadFile(port_file), &port)) {
        return absl::InternalError(
            absl::StrCat("reading ", port_file.string()));
      }
      return port;
    }
    if (!Alive(child.pid)) {
      return absl::UnavailableError(absl::StrCat(
          "starting ", child.name, ": exited early:\n", Tail(child.log)));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  return absl::UnavailableError(
      absl::StrCat("starting ", child.name, ": no port after ",
                   kStartTimeout.count(), " s:\n", Tail(child.log)));
}

absl::Status RegistryServer::StartTokenServer() {
  ASSIGN_OR_RETURN(std::string script, Script("token_server.py"));
  const fs::path port_file = dir_ / "token.port";
  std::vector<std::string> argv = {
      kPython,          script,
      "--port-file",    port_file.string(),
      "--log",          (dir_ / "token_requests.jsonl").string(),
      "--username",     kUsername,
      "--password",     kPassword,
      "--issuer",       kIssuer,
      "--signing-key",  (dir_ / "pki" / "token.key").string(),
      "--signing-cert", (dir_ / "pki" / "token.crt").string()};
  if (options_.tls) {
    argv.insert(argv.end(),
                {"--tls-cert", (dir_ / "pki" / "server.crt").string(),
                 "--tls-key", (dir_ / "pki" / "server.key").string()});
  }
  ASSIGN_OR_RETURN(Child * child, Spawn("token_server", argv));
  ASSIGN_OR_RETURN(token_port_, WaitForPortFile(*child, port_file));
  return absl::OkStatus();
}

absl::Status RegistryServer::StartRegistry() {
  // Another process may take the port between FreePort() and the registry's
  // bind; try again with a new one then.
  absl::Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    ASSIGN_OR_RETURN(registry_port_, FreePort());
    std::string config = absl::StrCat(
        "version: 0.1\n"
        "log:\n"
        "  level: info\n"
        "  formatter: text\n"
        "  accesslog:\n"
        "    disabled: false\n"
        "storage:\n"
        "  filesystem:\n"
        "    rootdirectory: ",
        (dir_ / "storage").string(), "\n",
        "  delete:\n"
        "    enabled: true\n"
        "  maintenance:\n"
        "    uploadpurging:\n"
        "      enabled: false\n"
        "http:\n"
        "  addr: 127.0.0.1:",
        registry_port_, "\n", "  secret: cook-test-secret\n");
    if (options_.tls) {
      absl::StrAppend(
          &config,
          "  tls:\n    certificate: ", (dir_ / "pki" / "server.crt").string(),
          "\n    key: ", (dir_ / "pki" / "server.key").string(), "\n");
    }
    if (options_.basic_auth) {
      absl::StrAppend(
          &config,
          "auth:\n  htpasswd:\n    realm: cook-test-registry\n    path: ",
          (dir_ / "htpasswd").string(), "\n");
    }
    if (options_.token_auth) {
      absl::StrAppend(&config, "auth:\n  token:\n    realm: ", token_realm(),
                      "\n    service: ", kService, "\n    issuer: ", kIssuer,
                      "\n    rootcertbundle: ",
                      (dir_ / "pki" / "token.crt").string(), "\n");
    }
    const fs::path config_path = dir_ / "registry.yml";
    RETURN_IF_ERROR(WriteFile(config_path, config));
    ASSIGN_OR_RETURN(Child * child, Spawn("registry", {kRegistry, "serve",
                                                       config_path.string()}));
    const std::string url = absl::StrCat(options_.tls ? "https://" : "http://",
                                         registry_host(), "/v2/");
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    bool exited = false;
    while (std::chrono::steady_clock::now() < deadline) {
      absl::StatusOr<long> status = HttpStatus("GET", url, ca_file());
      if (status.ok() && (*status == 200 || *status == 401))
        return absl::OkStatus();
      if (!Alive(child->pid)) {
        exited = true;
        break;
      }
      std::this_thread::sleep_for(kPollInterval);
    }
    const pid_t pid = child->pid;
    std::string log = Tail(child->log);
    last = absl::UnavailableError(absl::StrCat(
        "starting docker-registry on ", registry_host(), ": ",
        exited ? "exited early" : "no answer to GET /v2/", ":\n", log));
    children_.pop_back();
    if (!exited) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (!absl::StrContains(log, "address already in use")) break;
    std::error_code ec;
    fs::remove(dir_ / "registry.log", ec);
  }
  return last;
}

absl::Status RegistryServer::StartFaultProxy() {
  ASSIGN_OR_RETURN(std::string script, Script("fault_proxy.py"));
  const fs::path port_file = dir_ / "proxy.port";
  ASSIGN_OR_RETURN(
      Child * child,
      Spawn("fault_proxy",
            {kPython, script, "--port-file", port_file.string(), "--backend",
             registry_host(), "--fault-log", (dir_ / "faults.log").string()}));
  ASSIGN_OR_RETURN(proxy_port_, WaitForPortFile(*child, port_file));
  return absl::OkStatus();
}

std::string RegistryServer::host() const {
  return absl::StrCat("127.0.0.1:",
                      options_.fault_proxy ? proxy_port_ : registry_port_);
}

std::string RegistryServer::registry_host() const {
  return absl::StrCat("127.0.0.1:", registry_port_);
}

std::string RegistryServer::ImageRef(const std::string& repository) const {
  return absl::StrCat("docker://", host(), "/", repository);
}

std::string RegistryServer::base_url() const {
  return absl::StrCat(options_.tls ? "https://" : "http://", host());
}

std::string RegistryServer::cert_dir() const {
  return options_.tls ? (dir_ / "certs").string() : "";
}

std::string RegistryServer::ca_file() const {
  return options_.tls ? (dir_ / "certs" / "ca.crt").string() : "";
}

std::string RegistryServer::token_realm() const {
  if (!options_.token_auth) return "";
  return absl::StrCat(options_.tls ? "https" : "http",
                      "://127.0.0.1:", token_port_, "/token");
}

std::vector<LoggedRequest> RegistryServer::Requests() const {
  const fs::path log = dir_ / "registry.log";
  std::error_code ec;
  uintmax_t size = fs::file_size(log, ec);
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    uintmax_t now = fs::file_size(log, ec);
    if (now == size) break;
    size = now;
  }
  // Access log lines (combined log format), e.g.
  //   127.0.0.1 - - [25/Nov/2026:11:46:30 +0000] "GET /v2/ HTTP/1.1" 401 87 ""
  //   "curl/7.88.1"
  // The structured "response completed" lines would do too, but 401s have none.
  std::vector<LoggedRequest> requests;
  for (const std::string& line : Lines(ReadFile(log))) {
    if (absl::StartsWith(line, "time=")) continue;
    size_t open = line.find("] \"");
    if (open == std::string::npos) continue;
    std::vector<std::string> request =
        absl::StrSplit(line.substr(open + 3), absl::MaxSplits('"', 1));
    if (request.size() != 2) continue;
    std::vector<std::string> parts = absl::StrSplit(request[0], ' ');
    std::vector<std::string> rest =
        absl::StrSplit(request[1], ' ', absl::SkipEmpty());
    LoggedRequest logged;
    if (parts.size() != 3 || rest.empty() ||
        !absl::SimpleAtoi(rest[0], &logged.status)) {
      continue;
    }
    logged.method = parts[0];
    logged.path = parts[1];
    requests.push_back(std::move(logged));
  }
  return requests;
}

std::vector<TokenRequest> RegistryServer::TokenRequests() const {
  std::vector<TokenRequest> requests;
  for (const std::string& line :
       Lines(ReadFile(dir_ / "token_requests.jsonl"))) {
    nlohmann::json entry =
        nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!entry.is_object()) continue;
    TokenRequest request;
    request.account = entry.value("account", "");
    request.service = entry.value("service", "");
    request.granted = entry.value("granted", false);
    if (entry.contains("scopes") && entry["scopes"].is_array()) {
      for (const nlohmann::json& scope : entry["scopes"]) {
        if (scope.is_string())
          request.scopes.push_back(scope.get<std::string>());
      }
    }
    requests.push_back(std::move(request));
  }
  return requests;
}

std::vector<std::string> RegistryServer::TokenScopes() const {
  std::vector<std::string> scopes;
  for (const TokenRequest& request : TokenRequests()) {
    if (request.granted)
      scopes.insert(scopes.end(), request.scopes.begin(), request.scopes.end());
  }
  return scopes;
}

int RegistryServer::RefusedTokenRequests() const {
  int refused = 0;
  for (const TokenRequest& request : TokenRequests())
    refused += request.granted ? 0 : 1;
  return refused;
}

absl::Status RegistryServer::SetFaults(const std::string& json_rules) const {
  if (!options_.fault_proxy) {
    return absl::FailedPreconditionError(
        "setting faults: started without fault_proxy");
  }
  std::string response;
  ASSIGN_OR_RETURN(
      long status,
      HttpStatus("POST", absl::StrCat("http://", host(), "/__faults"), "",
                 json_rules.empty() ? "[]" : json_rules, &response));
  if (status == 400) {
    return absl::InvalidArgumentError(
        absl::StrCat("setting faults: ", response));
  }
  if (status != 200) {
    return absl::InternalError(absl::StrCat(
        "setting faults: the proxy answered ", status, ": ", response));
  }
  return absl::OkStatus();
}

std::vector<std::string> RegistryServer::FaultLog() const {
  return Lines(ReadFile(dir_ / "faults.log"));
}

std::vector<std::string> RegistryServer::SkopeoFlags(
    const std::string& prefix) const {
  std::vector<std::string> flags;
  if (options_.tls) {
    flags = {absl::StrCat("--", prefix, "tls-verify=true"),
             absl::StrCat("--", prefix, "cert-dir"), cert_dir()};
  } else {
    flags = {absl::StrCat("--", prefix, "tls-verify=false")};
  }
  if (options_.basic_auth || options_.token_auth) {
    flags.push_back(absl::StrCat("--", prefix, "creds"));
    flags.push_back(absl::StrCat(kUsername, ":", kPassword));
  }
  return flags;
}

std::string RegistryServer::LogTails() const {
  std::string out;
  for (const Child& child : children_) {
    absl::StrAppend(&out, "--- ", child.name, " (", child.log.string(), ")\n",
                    Tail(child.log), "\n");
  }
  return out;
}

}  // namespace cook::testing
