#include "registry/auth.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <filesystem>
#include <set>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "base/c_handle.h"
#include "base/files.h"
#include "base/json_depth.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "registry/internal/curl_api.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace cook::registry {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kHubServer = "https://index.docker.io/v1/";
constexpr std::string_view kNoCredentials =
    "no credentials given: use --creds or --authfile";
// Bounds on what is read into memory: an auth file, a credential helper's
// output, a token service's answer.
constexpr int64_t kMaxAuthFileSize = int64_t{4} << 20;
constexpr size_t kMaxHelperOutput = size_t{1} << 20;
constexpr int64_t kMaxTokenResponseSize = int64_t{1} << 20;

absl::string_view Absl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(Absl(s)); }

bool IsHub(std::string_view host) {
  const std::string h = Lower(host);
  return h == "docker.io" || h == "index.docker.io" ||
         h == "registry-1.docker.io";
}

// "https://Host:5000/v1/" -> "host:5000".
std::string NormalizeKey(std::string_view key) {
  std::string k = Lower(key);
  for (std::string_view scheme : {"https://", "http://"}) {
    if (absl::StartsWith(k, Absl(scheme))) {
      k.erase(0, scheme.size());
      break;
    }
  }
  if (size_t slash = k.find('/'); slash != std::string::npos) k.resize(slash);
  return k;
}

// The host names `host` is stored under, best first.
std::vector<std::string> HostAliases(std::string_view host) {
  if (IsHub(host)) {
    return {"docker.io", "index.docker.io", "registry-1.docker.io"};
  }
  return {Lower(host)};
}

// The keys of `object` that name `host`, best first: by alias, and among
// keys of one alias the key written exactly as the alias first.
std::vector<std::string> MatchingKeys(const Json& object,
                                      std::string_view host) {
  const std::vector<std::string> aliases = HostAliases(host);
  std::vector<std::pair<std::pair<size_t, bool>, std::string>> ranked;
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string normalized = NormalizeKey(it.key());
    auto alias = std::find(aliases.begin(), aliases.end(), normalized);
    if (alias == aliases.end()) continue;
    ranked.push_back({{static_cast<size_t>(alias - aliases.begin()),
                       Lower(it.key()) != *alias},
                      it.key()});
  }
  std::stable_sort(
      ranked.begin(), ranked.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> keys;
  keys.reserve(ranked.size());
  for (auto& [rank, key] : ranked) keys.push_back(std::move(key));
  return keys;
}

absl::StatusOr<Credentials> ParseCreds(std::string_view creds) {
  Credentials out;
  if (size_t colon = creds.find(':'); colon != std::string_view::npos) {
    out.username = std::string(creds.substr(0, colon));
    out.password = std::string(creds.substr(colon + 1));
  } else {
    out.username = std::string(creds);
  }
  if (out.username.empty()) {
    return absl::InvalidArgumentError(
        "invalid --creds: the user name is empty: use --creds USER[:PASSWORD]");
  }
  return out;
}

// Asks helper `name` for the credentials of `host`.
absl::StatusOr<Credentials> FromHelper(const CredentialHelperRunner& run_helper,
                                       const std::string& name,
                                       std::string_view host) {
  const std::string server =
      IsHub(host) ? std::string(kHubServer) : std::string(host);
  absl::StatusOr<std::string> output = run_helper(name, server);
  if (absl::IsNotFound(output.status())) return Credentials{};
  if (!output.ok()) {
    return Annotate(output.status(),
                    absl::StrFormat("getting credentials for %s", host));
  }
  // The output holds the secret: an error must not quote it.
  const absl::Status malformed = absl::FailedPreconditionError(absl::StrFormat(
      "getting credentials for %s: docker-credential-%s printed malformed "
      "credentials",
      host, name));
  if (!CheckJsonDepth(*output).ok()) return malformed;
  Json doc = Json::parse(*output, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return malformed;
  std::string username;
  std::string secret;
  for (auto [field, value] :
       {std::pair{"Username", &username}, std::pair{"Secret", &secret}}) {
    auto it = doc.find(field);
    if (it == doc.end() || it->is_null()) continue;
    if (!it->is_string()) return malformed;
    *value = it->get<std::string>();
  }
  Credentials out;
  if (username == "<token>") {
    out.identity_token = std::move(secret);
  } else {
    out.username = std::move(username);
    out.password = std::move(secret);
  }
  return out;
}

// The credentials an `auths` entry holds (empty for a marker entry, as
// `docker login` writes next to a credsStore).
absl::StatusOr<Credentials> FromAuthsEntry(const Json& entry,
                                           const std::string& key,
                                           const std::string& file) {
  auto invalid = [&](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "reading auth file %s: auths[\"%s\"]: %s", file, key, what));
  };
  if (!entry.is_object()) return invalid("not an object");
  auto field = [&](const char* name, std::string* out) -> absl::Status {
    auto it = entry.find(name);
    if (it == entry.end() || it->is_null()) return absl::OkStatus();
    if (!it->is_string()) {
      return invalid(absl::StrFormat("\"%s\" is not a string", name));
    }
    *out = it->get<std::string>();
    return absl::OkStatus();
  };
  std::string auth;
  Credentials out;
  RETURN_IF_ERROR(field("auth", &auth));
  RETURN_IF_ERROR(field("username", &out.username));
  RETURN_IF_ERROR(field("password", &out.password));
  RETURN_IF_ERROR(field("identitytoken", &out.identity_token));
  if (!auth.empty()) {
    absl::StatusOr<std::string> decoded = Base64Decode(auth);
    if (!decoded.ok()) return invalid("\"auth\" is not valid base64");
    size_t colon = decoded->find(':');
    if (colon == std::string::npos) {
      return invalid("\"auth\" is not the base64 of USER:PASSWORD");
    }
    out.username = decoded->substr(0, colon);
    out.password = decoded->substr(colon + 1);
  }
  return out;
}

// The credentials for `host` in auth file `file` (contents `text`).
absl::StatusOr<Credentials> FromAuthFile(
    const std::string& file, const std::string& text, std::string_view host,
    const CredentialHelperRunner& run_helper) {
  auto invalid = [&](std::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrFormat("reading auth file %s: %s", file, what));
  };
  // Without exceptions: nlohmann's parse errors quote the text around the
  // error, which may be a password.
  if (absl::Status depth = CheckJsonDepth(text); !depth.ok()) {
    return invalid(std::string(depth.message()));
  }
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return invalid("not valid JSON");
  if (!doc.is_object()) return invalid("not a JSON object");

  if (auto helpers = doc.find("credHelpers");
      helpers != doc.end() && !helpers->is_null()) {
    if (!helpers->is_object())
      return invalid("\"credHelpers\" is not an object");
    for (const std::string& key : MatchingKeys(*helpers, host)) {
      const Json& name = (*helpers)[key];
      if (!name.is_string()) {
        return invalid(
            absl::StrFormat("credHelpers[\"%s\"] is not a string", key));
      }
      if (name.get<std::string>().empty()) continue;
      return FromHelper(run_helper, name.get<std::string>(), host);
    }
  }
  if (auto auths = doc.find("auths"); auths != doc.end() && !auths->is_null()) {
    if (!auths->is_object()) return invalid("\"auths\" is not an object");
    for (const std::string& key : MatchingKeys(*auths, host)) {
      ASSIGN_OR_RETURN(Credentials creds,
                       FromAuthsEntry((*auths)[key], key, file));
      if (!creds.empty()) return creds;
    }
  }
  if (auto store = doc.find("credsStore");
      store != doc.end() && !store->is_null()) {
    if (!store->is_string()) return invalid("\"credsStore\" is not a string");
    if (!store->get<std::string>().empty()) {
      return FromHelper(run_helper, store->get<std::string>(), host);
    }
  }
  return Credentials{};
}

// A file descriptor closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  int get() const { return fd_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// The first line of a helper's complaint, shortened.
std::string Complaint(std::string_view err, std::string_view out) {
  std::string_view text =
      absl::StripAsciiWhitespace(Absl(err)).empty() ? out : err;
  absl::string_view line = absl::StripAsciiWhitespace(Absl(text));
  line = line.substr(0, line.find('\n'));
  line = absl::StripAsciiWhitespace(line);
  if (line.size() > 200) line = line.substr(0, 200);
  return EscapeForDisplay(std::string_view(line.data(), line.size()));
}

absl::StatusOr<std::string> RunHelper(const std::string& helper,
                                      const std::string& server) {
  if (helper.empty() || helper.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrFormat("invalid credential helper name \"%s\"", helper));
  }
  const std::string program = "docker-credential-" + helper;
  const std::string context = absl::StrFormat("running %s get", program);

  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return ErrnoError(errno, context);
  Fd in_read(in[0]), in_write(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) return ErrnoError(errno, context);
  Fd out_read(out[0]), out_write(out[1]);
  if (::pipe2(err, O_CLOEXEC) != 0) return ErrnoError(errno, context);
  Fd err_read(err[0]), err_write(err[1]);

  // The server name fits in the pipe's buffer: writing it before the helper
  // starts means no SIGPIPE if the helper never reads it.
  if (server.size() > 4096) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: server name too long", context));
  }
  for (size_t done = 0; done < server.size();) {
    ssize_t n =
        ::write(in_write.get(), server.data() + done, server.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, context);
    }
    done += static_cast<size_t>(n);
  }
  in_write.Close();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  absl::Cleanup destroy = [&actions] {
    posix_spawn_file_actions_destroy(&actions);
  };
  posix_spawn_file_actions_adddup2(&actions, in_read.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  std::string arg0 = program;
  std::string arg1 = "get";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = 0;
  int rc =
      ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
  if (rc == ENOENT) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: not found on $PATH: install it, or remove it from the auth file",
        context));
  }
  if (rc != 0) return ErrnoError(rc, context);
  in_read.Close();
  out_write.Close();
  err_write.Close();

  // Both pipes are drained together, so a helper filling one never blocks.
  std::string stdout_text;
  std::string stderr_text;
  pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
  std::string* sinks[2] = {&stdout_text, &stderr_text};
  bool overflow = false;
  int open_count = 2;
  absl::Status read_status;
  while (open_count > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      read_status = ErrnoError(errno, context);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        --open_count;
        continue;
      }
      // Drained to the end, so the helper never blocks, but not kept.
      const size_t room = kMaxHelperOutput - std::min(kMaxHelperOutput, sinks[i]->size());
      if (static_cast<size_t>(n) > room) overflow = true;
      sinks[i]->append(buffer, std::min(static_cast<size_t>(n), room));
    }
  }
  out_read.Close();
  err_read.Close();
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) return ErrnoError(errno, context);
  }
  RETURN_IF_ERROR(read_status);
  if (overflow) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s for %s: it printed more than %d bytes", context, server,
        kMaxHelperOutput));
  }
  if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) {
    return stdout_text;
  }
  // Helpers report a missing entry on stdout ("credentials not found in
  // native keychain"), some on stderr.
  if (absl::StrContains(Absl(Lower(stdout_text)), "credentials not found") ||
      absl::StrContains(Absl(Lower(stderr_text)), "credentials not found")) {
    return absl::NotFoundError(
        absl::StrFormat("%s: no credentials for %s", context, server));
  }
  const std::string complaint = Complaint(stderr_text, stdout_text);
  std::string how =
      WIFEXITED(wait_status)
          ? absl::StrFormat("exit status %d", WEXITSTATUS(wait_status))
          : absl::StrFormat("killed by signal %d", WTERMSIG(wait_status));
  if (!complaint.empty()) how = absl::StrFormat("%s: %s", how, complaint);
  return absl::FailedPreconditionError(
      absl::StrFormat("%s for %s: %s", context, server, how));
}

// "https://host:5000/v2/..." -> "host:5000", escaped for display: realms
// come from registries.
std::string HostOfUrl(std::string_view url) {
  size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  std::string_view rest = url.substr(start);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    rest.remove_prefix(at + 1);
  }
  return rest.empty() ? std::string("the registry") : EscapeForDisplay(rest);
}

std::string UrlEscape(std::string_view s) {
  // curl takes a length of 0 to mean "NUL-terminated".
  if (s.empty()) return std::string();
  // The HTTP client has loaded libcurl already; LoadCurl() fails only where
  // there is no libcurl at all, and then no request is ever sent.
  if (!registry::internal::LoadCurl().ok()) return std::string(s);
  std::unique_ptr<char, registry::internal::CurlFreeDeleter> escaped(
      registry::internal::Curl().easy_escape(nullptr, s.data(), static_cast<int>(s.size())));
  return escaped == nullptr ? std::string() : std::string(escaped.get());
}

std::vector<std::string> SplitScopes(std::string_view scopes) {
  std::vector<std::string> out;
  for (absl::string_view s :
       absl::StrSplit(Absl(scopes), ' ', absl::SkipEmpty())) {
    out.emplace_back(s);
  }
  return out;
}

std::string BasicHeader(const Credentials& credentials) {
  return "Basic " +
         Base64Encode(credentials.username + ":" + credentials.password);
}

// --- WWW-Authenticate parsing (RFC 7235 section 4.1) ---

bool IsTchar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken68Char(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("-._~+/").find(c) != std::string_view::npos;
}

class ChallengeParser {
 public:
  explicit ChallengeParser(std::string_view text) : text_(text) {}

  std::vector<Challenge> Parse() {
    std::vector<Challenge> out;
    while (true) {
      SkipSpaceAndCommas();
      if (AtEnd()) break;
      std::string scheme = Token();
      if (scheme.empty()) {
        SkipPast(',');
        continue;
      }
      Challenge challenge{Lower(scheme), {}};
      ParseParams(challenge);
      out.push_back(std::move(challenge));
    }
    return out;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t')) ++pos_;
  }
  void SkipSpaceAndCommas() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == ','))
      ++pos_;
  }
  void SkipPast(char c) {
    while (!AtEnd() && Peek() != c) ++pos_;
    if (!AtEnd()) ++pos_;
  }
  std::string Token() {
    size_t start = pos_;
    while (!AtEnd() && IsTchar(Peek())) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  bool QuotedString(std::string* out) {
    if (Peek() != '"') return false;
    ++pos_;
    while (!AtEnd() && Peek() != '"') {
      if (Peek() == '\\' && pos_ + 1 < text_.size()) ++pos_;
      out->push_back(text_[pos_++]);
    }
    if (!AtEnd()) ++pos_;  // an unterminated string runs to the end
    return true;
  }
  // auth-param = token BWS "=" BWS ( token / quoted-string )
  bool Param(std::string* name, std::string* value) {
    *name = Token();
    if (name->empty()) return false;
    SkipSpace();
    if (Peek() != '=') return false;
    ++pos_;
    SkipSpace();
    value->clear();
    if (QuotedString(value)) return true;
    *value = Token();
    return !value->empty();
  }
  // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
  bool Token68() {
    size_t start = pos_;
    while (!AtEnd() && IsToken68Char(Peek())) ++pos_;
    if (pos_ == start) return false;
    while (Peek() == '=') ++pos_;
    size_t end = pos_;
    SkipSpace();
    if (AtEnd() || Peek() == ',') return true;
    pos_ = end;
    return false;
  }
  void ParseParams(Challenge& challenge) {
    bool first = true;
    while (true) {
      const size_t before = pos_;
      if (first) {
        SkipSpace();
      } else {
        SkipSpace();
        if (Peek() != ',') {
          pos_ = before;
          return;
        }
        SkipSpaceAndCommas();
      }
      const size_t start = pos_;
      std::string name, value;
      if (Param(&name, &value)) {
        challenge.params.emplace(Lower(name), std::move(value));
        first = false;
        continue;
      }
      pos_ = start;
      if (first && Token68()) {
        first = false;
        continue;
      }
      // The next challenge's scheme, or the end.
      pos_ = before;
      return;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

struct CachedToken {
  std::string token;
  absl::Time expiry;
  std::set<std::string> scopes;  // what it was requested for
};

struct BearerRealm {
  std::string realm;
  std::string service;
};

}  // namespace

// --- Credentials lookup ---

CredentialHelperRunner DefaultCredentialHelperRunner() { return RunHelper; }

absl::StatusOr<Credentials> LookupCredentials(
    const AuthConfig& config, std::string_view host,
    const CredentialHelperRunner& run_helper) {
  if (config.creds.has_value()) return ParseCreds(*config.creds);

  struct Candidate {
    std::string path;
    bool required;
  };
  std::vector<Candidate> files;
  if (!config.authfile.empty()) {
    files.push_back({config.authfile, true});
  } else {
    if (!config.registry_auth_file.empty()) {
      files.push_back({config.registry_auth_file, false});
    }
    if (!config.docker_config.empty()) {
      files.push_back(
          {(std::filesystem::path(config.docker_config) / "config.json")
               .string(),
           false});
    }
    if (!config.home.empty()) {
      files.push_back(
          {(std::filesystem::path(config.home) / ".docker" / "config.json")
               .string(),
           false});
    }
  }
  for (const Candidate& file : files) {
    absl::StatusOr<std::string> text = ReadFileAtMost(file.path, kMaxAuthFileSize);
    if (absl::IsNotFound(text.status()) && !file.required) continue;
    if (!text.ok()) {
      return Annotate(text.status(),
                      file.required ? "--authfile" : "auth file");
    }
    return FromAuthFile(file.path, *text, host, run_helper);
  }
  return Credentials{};
}

// --- Challenges ---

std::vector<Challenge> ParseChallenges(std::string_view header) {
  return ChallengeParser(header).Parse();
}

// --- Authorizer ---

struct Authorizer::State {
  State(HttpClient& http, Credentials credentials,
        std::function<absl::Time()> clock)
      : http(http),
        credentials(std::move(credentials)),
        clock(std::move(clock)) {}

  bool HasPassword() const {
    return !credentials.username.empty() || !credentials.password.empty();
  }

  // Requests a token for `scopes` from `realm`. Called without `mu` held.
  absl::StatusOr<CachedToken> FetchToken(const BearerRealm& realm,
                                         const std::vector<std::string>& scopes,
                                         const std::string& host);

  HttpClient& http;
  const Credentials credentials;
  const std::function<absl::Time()> clock;

  absl::Mutex mu;
  bool basic ABSL_GUARDED_BY(mu) = false;
  std::optional<BearerRealm> bearer ABSL_GUARDED_BY(mu);
  std::string host ABSL_GUARDED_BY(mu) = "the registry";
  std::map<std::string, CachedToken> tokens ABSL_GUARDED_BY(mu);
};

absl::StatusOr<CachedToken> Authorizer::State::FetchToken(
    const BearerRealm& realm, const std::vector<std::string>& scopes,
    const std::string& host) {
  const std::string realm_host = HostOfUrl(realm.realm);
  const std::string context =
      realm_host == host ? absl::StrFormat("requesting a token for %s", host)
                         : absl::StrFormat("requesting a token for %s from %s",
                                           host, realm_host);
  HttpRequest request;
  if (!credentials.identity_token.empty()) {
    // OAuth2 refresh-token grant (distribution's token spec): the token goes
    // in the body, never in a URL.
    request.method = "POST";
    request.url = realm.realm;
    request.headers.emplace_back("Content-Type",
                                 "application/x-www-form-urlencoded");
    request.body = "grant_type=refresh_token&client_id=cook&refresh_token=" +
                   UrlEscape(credentials.identity_token);
    if (!realm.service.empty()) {
      request.body += "&service=" + UrlEscape(realm.service);
    }
    if (!scopes.empty()) {
      request.body += "&scope=" + UrlEscape(absl::StrJoin(scopes, " "));
    }
  } else {
    std::vector<std::string> query;
    if (!realm.service.empty())
      query.push_back("service=" + UrlEscape(realm.service));
    for (const std::string& scope : scopes)
      query.push_back("scope=" + UrlEscape(scope));
    request.url = realm.realm;
    if (!query.empty()) {
      request.url += realm.realm.find('?') == std::string::npos ? "?" : "&";
      request.url += absl::StrJoin(query, "&");
    }
    // The registry named the realm, so it gets the credentials even when it
    // is another host (auth.docker.io for registry-1.docker.io).
    if (HasPassword()) {
      request.headers.emplace_back("Authorization", BasicHeader(credentials));
    }
  }
  request.max_body_size = kMaxTokenResponseSize;
  const absl::Time start = clock();
  absl::StatusOr<HttpResponse> response = http.Send(request);
  if (!response.ok()) return Annotate(response.status(), context);
  const int status = response->status;
  if (status == 401 || status == 403) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "authentication failed for %s: %s", host,
        credentials.empty()
            ? std::string("the token service refused anonymous access: ") +
                  std::string(kNoCredentials)
            : std::string("the token service refused the credentials")));
  }
  if (status == 408 || status == 429 || (status >= 500 && status <= 599)) {
    return absl::UnavailableError(absl::StrFormat(
        "%s: the token service answered HTTP %d", context, status));
  }
  if (status < 200 || status > 299) {
    return absl::InternalError(absl::StrFormat(
        "%s: the token service answered HTTP %d", context, status));
  }
  const absl::Status no_token = absl::InternalError(absl::StrFormat(
      "%s: the token service answered without a token", context));
  if (!CheckJsonDepth(response->body).ok()) return no_token;
  Json doc = Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return no_token;
  CachedToken out;
  for (const char* field : {"token", "access_token"}) {
    auto it = doc.find(field);
    if (it != doc.end() && it->is_string() && !it->get<std::string>().empty()) {
      out.token = it->get<std::string>();
      break;
    }
  }
  if (out.token.empty()) return no_token;
  // The lifetime counts from `start`, which precedes the server's issuing:
  // `issued_at` is not used, so a skewed server clock does not matter.
  absl::Duration lifetime = absl::Seconds(60);
  if (auto it = doc.find("expires_in"); it != doc.end() && it->is_number()) {
    double seconds = it->get<double>();
    if (seconds > 0 && seconds < 1e9) lifetime = absl::Seconds(seconds);
  }
  out.expiry = start + lifetime - std::min(absl::Seconds(10), lifetime / 2);
  out.scopes.insert(scopes.begin(), scopes.end());
  return out;
}

Authorizer::Authorizer(HttpClient& http, Credentials credentials,
                       std::function<absl::Time()> clock)
    : state_(std::make_shared<State>(http, std::move(credentials),
                                     std::move(clock))) {}

absl::StatusOr<std::string> Authorizer::Authorization(
    const std::string& scope) {
  State& s = *state_;
  BearerRealm realm;
  std::string host;
  {
    absl::MutexLock lock(&s.mu);
    if (s.basic) return s.HasPassword() ? BasicHeader(s.credentials) : "";
    if (!s.bearer.has_value()) return std::string();
    auto it = s.tokens.find(scope);
    if (it != s.tokens.end() && s.clock() < it->second.expiry) {
      return "Bearer " + it->second.token;
    }
    realm = *s.bearer;
    host = s.host;
  }
  // Fetched without the lock: other scopes need not wait for the network.
  ASSIGN_OR_RETURN(CachedToken token,
                   s.FetchToken(realm, SplitScopes(scope), host));
  std::string header = "Bearer " + token.token;
  absl::MutexLock lock(&s.mu);
  s.tokens[scope] = std::move(token);
  return header;
}

absl::StatusOr<bool> Authorizer::HandleChallenge(
    const HttpResponse& response, const std::string& scope,
    std::string_view sent_authorization) {
  if (response.status != 401) return false;
  State& s = *state_;
  const std::string host = HostOfUrl(response.url);

  std::optional<Challenge> bearer;
  std::optional<Challenge> basic;
  std::vector<std::string> schemes;
  for (const auto& [name, value] : response.headers) {
    if (!absl::EqualsIgnoreCase(Absl(name), "WWW-Authenticate")) continue;
    for (Challenge& challenge : ParseChallenges(value)) {
      schemes.push_back(challenge.scheme);
      if (challenge.scheme == "bearer" && !bearer) {
        bearer = std::move(challenge);
      } else if (challenge.scheme == "basic" && !basic) {
        basic = std::move(challenge);
      }
    }
  }

  if (bearer.has_value()) {
    BearerRealm realm{bearer->params["realm"], bearer->params["service"]};
    if (realm.realm.empty()) {
      return absl::FailedPreconditionError(
          absl::StrFormat("authenticating to %s: the registry's bearer "
                          "challenge names no realm",
                          host));
    }
    std::vector<std::string> scopes = SplitScopes(scope);
    for (std::string& wanted : SplitScopes(bearer->params["scope"])) {
      if (std::find(scopes.begin(), scopes.end(), wanted) == scopes.end()) {
        scopes.push_back(std::move(wanted));
      }
    }
    {
      absl::MutexLock lock(&s.mu);
      s.basic = false;
      s.bearer = realm;
      s.host = host;
      auto it = s.tokens.find(scope);
      if (it != s.tokens.end() && s.clock() < it->second.expiry) {
        const CachedToken& cached = it->second;
        if (sent_authorization != "Bearer " + cached.token) {
          return true;  // a newer token than the one refused
        }
        bool covered = std::all_of(
            scopes.begin(), scopes.end(),
            [&](const std::string& x) { return cached.scopes.count(x) > 0; });
        if (covered) {
          const std::string& error = bearer->params["error"];
          return absl::PermissionDeniedError(absl::StrFormat(
              "access to %s on %s denied%s: the repository does not exist, or "
              "%s",
              scope.empty() ? std::string("the registry") : scope, host,
              error.empty() ? std::string()
                            : " (" + EscapeForDisplay(error) + ")",
              s.credentials.empty() ? std::string(kNoCredentials)
                                    : "the credentials lack access to it"));
        }
      }
    }
    ASSIGN_OR_RETURN(CachedToken token, s.FetchToken(realm, scopes, host));
    absl::MutexLock lock(&s.mu);
    s.tokens[scope] = std::move(token);
    return true;
  }

  if (basic.has_value()) {
    if (!s.HasPassword()) {
      return absl::UnauthenticatedError(absl::StrFormat(
          "%s requires a user name and password: %s", host, kNoCredentials));
    }
    absl::MutexLock lock(&s.mu);
    s.basic = true;
    s.bearer.reset();
    s.host = host;
    if (sent_authorization == BasicHeader(s.credentials)) {
      return absl::PermissionDeniedError(absl::StrFormat(
          "authentication failed for %s: wrong username or password", host));
    }
    return true;
  }

  if (schemes.empty()) {
    return absl::UnauthenticatedError(absl::StrFormat(
        "authenticating to %s: the registry answered 401 without a challenge",
        host));
  }
  return absl::UnauthenticatedError(absl::StrFormat(
      "authenticating to %s: unsupported authentication scheme %s", host,
      EscapeForDisplay(absl::StrJoin(schemes, ", "))));
}

// --- Base64 ---

std::string Base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  // EVP_EncodeBlock takes an int length: encode in whole 3-byte groups.
  constexpr size_t kChunk = size_t{3} << 20;
  size_t written = 0;
  for (size_t done = 0; done < data.size(); done += kChunk) {
    const size_t n = std::min(kChunk, data.size() - done);
    // It writes a NUL after the output: the next chunk overwrites it, and
    // std::string has room for the last one.
    written += static_cast<size_t>(EVP_EncodeBlock(
        reinterpret_cast<unsigned char*>(out.data() + written),
        reinterpret_cast<const unsigned char*>(data.data() + done),
        static_cast<int>(n)));
  }
  out.resize(written);
  return out;
}

absl::StatusOr<std::string> Base64Decode(std::string_view text) {
  const absl::Status invalid = absl::InvalidArgumentError("invalid base64");
  std::string padded(absl::StripAsciiWhitespace(Absl(text)));
  if (padded.size() % 4 == 1 || padded.size() > INT_MAX - 3) return invalid;
  padded.append((4 - padded.size() % 4) % 4, '=');
  if (padded.empty()) return std::string();
  size_t pad = 0;
  while (pad < padded.size() && padded[padded.size() - 1 - pad] == '=') ++pad;
  if (pad > 2) return invalid;
  // '=' only at the end. (EVP_DecodeBlock rejects inner whitespace itself.)
  if (padded.find('=') < padded.size() - pad) return invalid;
  std::string out(3 * (padded.size() / 4), '\0');
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(padded.data()),
                      static_cast<int>(padded.size()));
  if (n < 0 || static_cast<size_t>(n) < pad) return invalid;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace cook::registry
