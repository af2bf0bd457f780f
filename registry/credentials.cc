#include "registry/credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/fd.h"
#include "base/files.h"
#include "base/json_depth.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "nlohmann/json.hpp"
#include "oci/registry_name.h"

namespace cook::registry {
namespace {

using Json = nlohmann::json;

// Bounds on what is read into memory: an auth file, a credential helper's
// output.
constexpr int64_t kMaxAuthFileSize = int64_t{4} << 20;
constexpr size_t kMaxHelperOutput = size_t{1} << 20;
// Where posix_spawnp looks without a PATH (glibc's confstr(_CS_PATH)).
constexpr std::string_view kDefaultPath = "/bin:/usr/bin";

absl::string_view Absl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

std::string Lower(std::string_view s) { return absl::AsciiStrToLower(Absl(s)); }

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

// The keys of `object` that name `host`, best first: by alias, and among
// keys of one alias the key written exactly as the alias first.
std::vector<std::string> MatchingKeys(const Json& object,
                                      std::string_view host) {
  const std::vector<std::string> aliases = oci::CredentialHostAliases(host);
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
  const std::string server = oci::CredentialHelperServer(host);
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

// A helper's stdout and stderr (each cut at kMaxHelperOutput) and how it
// ended.
struct HelperOutput {
  std::string out;
  std::string err;
  bool overflow = false;
  int wait_status = 0;
};

// The PATH in `environment`, or the default.
std::string SearchPath(const std::vector<std::string>& environment) {
  for (const std::string& variable : environment) {
    if (absl::StartsWith(variable, "PATH=")) return variable.substr(5);
  }
  return std::string(kDefaultPath);
}

// Starts `program` (found as posix_spawnp finds it, in the PATH of
// `environment`) with `get` as its argument, the three descriptors as its
// stdin, stdout and stderr, and `environment`. Returns posix_spawn's error.
int Spawn(const std::string& program, const int (&stdio)[3],
          const std::vector<std::string>& environment, pid_t* pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  absl::Cleanup destroy = [&actions] {
    posix_spawn_file_actions_destroy(&actions);
  };
  for (int fd = 0; fd < 3; ++fd) {
    posix_spawn_file_actions_adddup2(&actions, stdio[fd], fd);
  }
  std::vector<std::string> env_copy = environment;
  std::vector<char*> envp;
  for (std::string& variable : env_copy) envp.push_back(variable.data());
  envp.push_back(nullptr);
  std::string arg0 = program;
  std::string arg1 = "get";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  int result = ENOENT;
  for (absl::string_view dir : absl::StrSplit(SearchPath(environment), ':')) {
    const std::string path =
        dir.empty() ? program : absl::StrCat(dir, "/", program);
    const int rc =
        ::posix_spawn(pid, path.c_str(), &actions, nullptr, argv, envp.data());
    if (rc == 0) return 0;
    if (rc == EACCES) result = EACCES;
    if (rc != ENOENT && rc != ENOTDIR && rc != EACCES) return rc;
  }
  return result;
}

// Reads the helper's stdout and stderr together to their ends, so a helper
// filling one never blocks, keeping at most kMaxHelperOutput of each.
absl::Status Drain(Fd& out, Fd& err, HelperOutput& output,
                   const std::string& context) {
  pollfd fds[2] = {{out.get(), POLLIN, 0}, {err.get(), POLLIN, 0}};
  std::string* sinks[2] = {&output.out, &output.err};
  int open_count = 2;
  while (open_count > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, context);
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
      const size_t room =
          kMaxHelperOutput - std::min(kMaxHelperOutput, sinks[i]->size());
      if (static_cast<size_t>(n) > room) output.overflow = true;
      sinks[i]->append(buffer, std::min(static_cast<size_t>(n), room));
    }
  }
  return absl::OkStatus();
}

// What a helper that ran and ended with `output` answered.
absl::StatusOr<std::string> HelperAnswer(const std::string& context,
                                         const std::string& server,
                                         HelperOutput output) {
  if (output.overflow) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s for %s: it printed more than %d bytes", context,
                        server, kMaxHelperOutput));
  }
  const int status = output.wait_status;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return output.out;
  // Helpers report a missing entry on stdout ("credentials not found in
  // native keychain"), some on stderr.
  if (absl::StrContains(Absl(Lower(output.out)), "credentials not found") ||
      absl::StrContains(Absl(Lower(output.err)), "credentials not found")) {
    return absl::NotFoundError(
        absl::StrFormat("%s: no credentials for %s", context, server));
  }
  const std::string complaint = Complaint(output.err, output.out);
  std::string how =
      WIFEXITED(status)
          ? absl::StrFormat("exit status %d", WEXITSTATUS(status))
          : absl::StrFormat("killed by signal %d", WTERMSIG(status));
  if (!complaint.empty()) how = absl::StrFormat("%s: %s", how, complaint);
  return absl::FailedPreconditionError(
      absl::StrFormat("%s for %s: %s", context, server, how));
}

absl::StatusOr<std::string> RunHelper(
    const std::string& helper, const std::string& server,
    const std::vector<std::string>& environment) {
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
  RETURN_IF_ERROR(WriteAll(in_write.get(), server, context));
  in_write.Reset();

  pid_t pid = 0;
  const int rc =
      Spawn(program, {in_read.get(), out_write.get(), err_write.get()},
            environment, &pid);
  if (rc == ENOENT) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: not found on $PATH: install it, or remove it from the auth file",
        context));
  }
  if (rc != 0) return ErrnoError(rc, context);
  in_read.Reset();
  out_write.Reset();
  err_write.Reset();

  HelperOutput output;
  const absl::Status read_status = Drain(out_read, err_read, output, context);
  out_read.Reset();
  err_read.Reset();
  while (::waitpid(pid, &output.wait_status, 0) < 0) {
    if (errno != EINTR) return ErrnoError(errno, context);
  }
  RETURN_IF_ERROR(read_status);
  return HelperAnswer(context, server, std::move(output));
}

struct AuthFile {
  std::string path;
  bool required;
};

// The auth files to consult, in order (see the header).
std::vector<AuthFile> AuthFiles(const AuthConfig& config) {
  std::vector<AuthFile> files;
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
  return files;
}

}  // namespace

CredentialHelperRunner DefaultCredentialHelperRunner(
    std::vector<std::string> environment) {
  return [environment = std::move(environment)](const std::string& helper,
                                                const std::string& server) {
    return RunHelper(helper, server, environment);
  };
}

absl::StatusOr<Credentials> LookupCredentials(
    const AuthConfig& config, std::string_view host,
    const CredentialHelperRunner& run_helper) {
  if (config.creds.has_value()) return ParseCreds(*config.creds);
  for (const AuthFile& file : AuthFiles(config)) {
    absl::StatusOr<std::string> text =
        ReadFileAtMost(file.path, kMaxAuthFileSize);
    if (absl::IsNotFound(text.status()) && !file.required) continue;
    if (!text.ok()) {
      return Annotate(text.status(),
                      file.required ? "--authfile" : "auth file");
    }
    return FromAuthFile(file.path, *text, host, run_helper);
  }
  return Credentials{};
}

absl::StatusOr<Credentials> LookupCredentials(const AuthConfig& config,
                                              std::string_view host) {
  return LookupCredentials(config, host,
                           DefaultCredentialHelperRunner(config.environment));
}

std::string BasicAuthorization(const Credentials& credentials) {
  return "Basic " +
         absl::Base64Escape(credentials.username + ":" + credentials.password);
}

absl::StatusOr<std::string> Base64Decode(std::string_view text) {
  const absl::Status invalid = absl::InvalidArgumentError("invalid base64");
  std::string padded(absl::StripAsciiWhitespace(Absl(text)));
  if (padded.size() % 4 == 1) return invalid;
  padded.append((4 - padded.size() % 4) % 4, '=');
  size_t pad = 0;
  while (pad < padded.size() && padded[padded.size() - 1 - pad] == '=') ++pad;
  if (pad > 2) return invalid;
  // '=' only at the end, and no inner whitespace (Abseil skips it).
  if (padded.find('=') < padded.size() - pad) return invalid;
  if (std::any_of(padded.begin(), padded.end(), [](char c) {
        return absl::ascii_isspace(static_cast<unsigned char>(c));
      })) {
    return invalid;
  }
  std::string out;
  if (!absl::Base64Unescape(padded, &out)) return invalid;
  return out;
}

}  // namespace cook::registry
