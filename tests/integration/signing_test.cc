// Acceptance of issue 13, signed caches: `--sign-key` writes cosign's
// `.sig`-tag signatures and `--verify-key` refuses anything they do not
// vouch for, before a layer is read. The other side is
// tests/integration/cosign_sig.py, an independent implementation of the
// format (Python's standard library and the openssl command line): what cook
// signs verifies there, what it signs verifies with cook. Both on Debian's
// docker-registry with TLS and Basic auth, and on `oci:` layouts.
//
// One suite-wide registry, key pairs and one cache image (a one-crate
// workspace without dependencies, built once); every test uses its own
// repositories and layouts.

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "layers/digest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/build_testing.h"
#include "tests/testing/registry_server.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::HaveProgram;
using ::cook::testing::LoggedRequest;
using ::cook::testing::RegistryServer;
using ::cook::testing::RunCook;
using ::cook::testing::RunProgram;
using ::cook::testing::RunResult;
using ::cook::testing::WriteTestFile;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using Json = nlohmann::json;

constexpr char kSimpleSigning[] =
    "application/vnd.dev.cosign.simplesigning.v1+json";
constexpr char kSignatureAnnotation[] = "dev.cosignproject.cosign/signature";

std::string Trim(const std::string& s) {
  return std::string(absl::StripAsciiWhitespace(s));
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Every file, directory and symlink under `root` with its contents (or link
// target): equal snapshots mean nothing was written, byte for byte.
std::map<std::string, std::string> Snapshot(const fs::path& root) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().lexically_relative(root).string();
    if (it->is_symlink()) {
      out[name] = "-> " + fs::read_symlink(it->path()).string();
    } else if (it->is_directory()) {
      out[name] = "/";
    } else {
      out[name] = ReadFile(it->path());
    }
  }
  return out;
}

// The `cook: error:` lines of a run.
std::vector<std::string> ErrorLines(const RunResult& r) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(r.err, '\n')) {
    if (absl::StartsWith(line, "cook: error: ")) lines.emplace_back(line);
  }
  return lines;
}

// A refusal: exit 1 and one error line that says a signature was missing.
void ExpectRefused(const RunResult& r, const std::string& what) {
  EXPECT_EQ(r.exit_code, 1) << what << ": " << r.err;
  const std::vector<std::string> errors = ErrorLines(r);
  ASSERT_THAT(errors, SizeIs(1)) << what << ": " << r.err;
  EXPECT_THAT(absl::AsciiStrToLower(errors[0]), HasSubstr("signature")) << what;
}

// True when the layout at `dir` has an index entry tagged `tag`.
bool LayoutHasTag(const fs::path& dir, const std::string& tag) {
  if (!fs::exists(dir / "index.json")) return false;
  const Json index = Json::parse(ReadFile(dir / "index.json"), nullptr, false);
  if (index.is_discarded()) return false;
  for (const Json& entry : index.value("manifests", Json::array())) {
    if (entry.value("annotations", Json::object())
            .value("org.opencontainers.image.ref.name", "") == tag) {
      return true;
    }
  }
  return false;
}

// What the suite shares: the registry, the keys and an unsigned cache image.
struct Suite {
  std::unique_ptr<RegistryServer> server;
  fs::path dir;
  std::string skip;        // why nothing can run here, or ""
  std::string cache;       // oci:DIR/cache:t, or "" without rustc
  std::string cache_skip;  // why there is no cache image, or ""
  std::string key_tag;     // the cache's cache-key tag, "cook-..."
};

class SigningTest : public cook::testing::TempDirTest {
 protected:
  static void SetUpTestSuite() {
    suite_ = new Suite;
    suite_->dir = fs::path(::testing::TempDir()) / "signing-suite";
    fs::remove_all(suite_->dir);
    fs::create_directories(suite_->dir);
    if (!HaveProgram("docker-registry") || !HaveProgram("openssl")) {
      suite_->skip = "docker-registry or openssl missing: run tools/setup.sh";
      return;
    }
    auto started = RegistryServer::Start({.tls = true, .basic_auth = true});
    if (!started.ok()) {
      suite_->skip = started.status().ToString();
      return;
    }
    suite_->server = std::move(*started);
    MakeKeys();
    BuildCache();
  }

  static void TearDownTestSuite() {
    if (suite_ != nullptr) fs::remove_all(suite_->dir);
    delete suite_;
    suite_ = nullptr;
  }

  static fs::path Key(const std::string& name) { return suite_->dir / name; }

  // k1.pem and k2.pem (SEC1 with EC PARAMETERS, what `openssl ecparam
  // -genkey` writes), k1.p8.pem (k1 as PKCS#8), and their public keys.
  static void MakeKeys() {
    for (const char* name : {"k1", "k2"}) {
      const std::string key = Key(absl::StrCat(name, ".pem")).string();
      RunResult gen = RunProgram({"openssl", "ecparam", "-genkey", "-name",
                                  "prime256v1", "-out", key});
      ASSERT_EQ(gen.exit_code, 0) << gen.err;
      RunResult pub =
          RunProgram({"openssl", "ec", "-in", key, "-pubout", "-out",
                      Key(absl::StrCat(name, ".pub")).string()});
      ASSERT_EQ(pub.exit_code, 0) << pub.err;
    }
    RunResult p8 =
        RunProgram({"openssl", "pkcs8", "-topk8", "-nocrypt", "-in",
                    Key("k1.pem").string(), "-out", Key("k1.p8.pem").string()});
    ASSERT_EQ(p8.exit_code, 0) << p8.err;
  }

  static void BuildCache() {
    if (cook::testing::HostTriple().empty()) {
      suite_->cache_skip = "rustc is missing";
      return;
    }
    const fs::path ws = suite_->dir / "ws";
    WriteTestFile(
        ws / "Cargo.toml",
        "[package]\nname = \"w\"\nversion = \"0.1.0\"\nedition = \"2021\"\n");
    WriteTestFile(
        ws / "Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"w\"\nversion = \"0.1.0\"\n");
    WriteTestFile(ws / "src/lib.rs", "pub fn f() {}\n");
    const std::string cache = "oci:" + (suite_->dir / "cache").string() + ":t";
    RunResult r = RunCook({"build", "--manifest-path", ws.string(), "--sandbox",
                           "off", "--offline", "--quiet", "--dest", cache});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    suite_->cache = cache;
    const Json index = Json::parse(ReadFile(suite_->dir / "cache/index.json"));
    for (const Json& entry : index["manifests"]) {
      const std::string tag =
          entry["annotations"].value("org.opencontainers.image.ref.name", "");
      if (absl::StartsWith(tag, "cook-")) suite_->key_tag = tag;
    }
  }

  void SetUp() override {
    TempDirTest::SetUp();
    if (!suite_->skip.empty()) GTEST_SKIP() << suite_->skip;
  }

  void NeedCache() {
    if (suite_->cache.empty()) GTEST_SKIP() << suite_->cache_skip;
  }

  const RegistryServer& server() const { return *suite_->server; }
  // A registry reference in a repository of this test's own.
  std::string Reg(const std::string& name) const {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return server().ImageRef(
        absl::StrCat(absl::AsciiStrToLower(info->name()), "/", name));
  }
  std::string Oci(const std::string& name) const {
    return "oci:" + (root_ / name).string() + ":t";
  }

  static bool AnyRegistryRef(const std::vector<std::string>& args) {
    for (const std::string& a : args) {
      if (absl::StartsWith(a, "docker://")) return true;
    }
    return false;
  }

  // cook ARGS, with the registry's CA and credentials where a registry is
  // named.
  RunResult Cook(std::vector<std::string> args) const {
    if (AnyRegistryRef(args)) {
      args.insert(args.end(),
                  {"--cert-dir", server().cert_dir(), "--creds",
                   server().username() + ":" + server().password()});
    }
    return RunCook(args);
  }

  // cosign_sig.py ARGS, likewise.
  RunResult Script(std::vector<std::string> args) const {
    const char* srcdir = std::getenv("TEST_SRCDIR");
    const char* workspace = std::getenv("TEST_WORKSPACE");
    const fs::path script = fs::path(srcdir ? srcdir : ".") /
                            (workspace ? workspace : "cook") / "tests" /
                            "integration" / "cosign_sig.py";
    std::vector<std::string> argv = {"/usr/bin/python3", script.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    if (AnyRegistryRef(args)) {
      argv.insert(argv.end(),
                  {"--ca", server().ca_file(), "--user",
                   server().username() + ":" + server().password()});
    }
    return RunProgram(argv);
  }

  // Exit status of `cosign_sig.py verify` of `ref` with the public keys.
  int ScriptVerify(const std::string& ref,
                   const std::vector<std::string>& pubs) const {
    std::vector<std::string> args = {"verify", ref};
    for (const std::string& pub : pubs)
      args.insert(args.end(), {"--key", Key(pub).string()});
    RunResult r = Script(args);
    EXPECT_THAT(r.exit_code, ::testing::AnyOf(0, 1)) << ref << ": " << r.err;
    if (r.exit_code == 0) {
      EXPECT_THAT(r.out, HasSubstr("verified by")) << ref;
    }
    return r.exit_code;
  }

  void ScriptSign(const std::string& ref, const std::string& key) const {
    RunResult r = Script({"sign", "--key", Key(key).string(), ref});
    ASSERT_EQ(r.exit_code, 0) << ref << ": " << r.err;
  }

  // The `sha256-HEX.sig` manifest of `ref`'s digest, or null when none.
  Json SigManifest(const std::string& ref) const {
    RunResult r = Script({"sig-manifest", ref});
    EXPECT_THAT(r.exit_code, ::testing::AnyOf(0, 1)) << ref << ": " << r.err;
    if (r.exit_code != 0) return nullptr;
    return Json::parse(r.out);
  }

  // A one-layer image of `text`, written to every one of `dests`.
  std::string Assemble(const std::string& text,
                       const std::vector<std::string>& dests,
                       std::vector<std::string> extra = {}) const {
    const fs::path content =
        root_ / ("content-" + layers::Sha256Digest(text).substr(7, 12));
    WriteTestFile(content / "file.txt", text);
    std::vector<std::string> args = {"assemble", "--add",
                                     content.string() + ":/data"};
    for (const std::string& d : dests) args.insert(args.end(), {"--dest", d});
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = Cook(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Trim(r.out);
  }

  // The suite's unsigned cache image, copied to `ref`.
  void PushCache(const std::string& ref) const {
    RunResult r = Cook({"copy", suite_->cache, ref, "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // `cook inspect REF --json`, without verifying anything.
  Json Inspect(const std::string& ref) const {
    RunResult r = Cook({"inspect", ref, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const Json image = Json::parse(r.out, nullptr, false);
    return image.is_object() ? image : Json::object();
  }

  std::vector<std::string> VerifyKeys(
      const std::vector<std::string>& pubs) const {
    std::vector<std::string> args;
    for (const std::string& pub : pubs) {
      args.insert(args.end(), {"--verify-key", Key(pub).string()});
    }
    return args;
  }

  RunResult Restore(const std::string& ref, const fs::path& target,
                    const fs::path& home,
                    const std::vector<std::string>& pubs) const {
    std::vector<std::string> args = {
        "restore",       "--from",       ref,           "--target-dir",
        target.string(), "--cargo-home", home.string(), "--quiet"};
    for (const std::string& a : VerifyKeys(pubs)) args.push_back(a);
    return Cook(args);
  }

  // `cook restore`, `cook copy` and `cook inspect` with `pubs` all refuse
  // `ref`: nothing is written, and no layer of the image is read.
  void ExpectEveryReaderRefuses(const std::string& ref,
                                const std::vector<std::string>& pubs) {
    const std::vector<std::string> layers = LayerDigests(ref);
    ASSERT_THAT(layers, ::testing::Not(IsEmpty()));

    const fs::path target = root_ / "refused/target";
    const fs::path home = root_ / "refused/cargo-home";
    WriteTestFile(target / "debug/.fingerprint/old", "stale fingerprint");
    WriteTestFile(home / "registry/cache/index.crate", "a crate");
    const auto target_before = Snapshot(target);
    const auto home_before = Snapshot(home);
    const size_t logged = suite_->server->Requests().size();

    ExpectRefused(Restore(ref, target, home, pubs), "restore " + ref);
    EXPECT_EQ(Snapshot(target), target_before);
    EXPECT_EQ(Snapshot(home), home_before);

    const fs::path copy_dir = root_ / "refused/copy";
    std::vector<std::string> copy = {
        "copy", ref, "oci:" + copy_dir.string() + ":t", "--quiet"};
    for (const std::string& a : VerifyKeys(pubs)) copy.push_back(a);
    ExpectRefused(Cook(copy), "copy " + ref);
    EXPECT_FALSE(LayoutHasTag(copy_dir, "t"));

    std::vector<std::string> inspect = {"inspect", ref};
    for (const std::string& a : VerifyKeys(pubs)) inspect.push_back(a);
    ExpectRefused(Cook(inspect), "inspect " + ref);

    if (absl::StartsWith(ref, "docker://")) {
      EXPECT_THAT(LayerReads(logged, layers), IsEmpty())
          << "read a layer of a refused image";
    }
  }

  // The manifest digest of the image at `ref`.
  std::string Digest(const std::string& ref) const {
    return Inspect(ref).value("digest", "");
  }

  // The layer digests of the image at `ref`.
  std::vector<std::string> LayerDigests(const std::string& ref) const {
    std::vector<std::string> layers;
    for (const Json& l : Inspect(ref).value("layers", Json::array())) {
      layers.push_back(l.value("digest", ""));
    }
    return layers;
  }

  // The registry's GETs of any of `layers` after its first `since` requests.
  std::vector<std::string> LayerReads(
      size_t since, const std::vector<std::string>& layers) const {
    std::vector<std::string> reads;
    const std::vector<LoggedRequest> all = suite_->server->Requests();
    for (size_t i = since; i < all.size(); ++i) {
      for (const std::string& layer : layers) {
        if (all[i].method == "GET" && absl::StrContains(all[i].path, layer)) {
          reads.push_back(all[i].path);
        }
      }
    }
    return reads;
  }

  static Suite* suite_;
};

Suite* SigningTest::suite_ = nullptr;

// The script against itself and plain openssl: its payload is cosign's
// exact bytes, its signature verifies with `openssl dgst -verify`, and a
// wrong key fails. Needs no signing in cook.
TEST_F(SigningTest, TheScriptWritesCosignSignaturesOpensslVerifies) {
  const std::string layout = Oci("layout");
  const std::string digest = Assemble("self-check", {Reg("app:t"), layout});
  ASSERT_THAT(digest, HasSubstr("sha256:"));
  for (const std::string& ref : {Reg("app:t"), layout}) {
    EXPECT_EQ(ScriptVerify(ref, {"k1.pub"}), 1) << "unsigned: " << ref;
    ScriptSign(ref, "k1.pem");
    EXPECT_EQ(ScriptVerify(ref, {"k1.pub"}), 0) << ref;
    EXPECT_EQ(ScriptVerify(ref, {"k2.pub"}), 1) << ref;
    EXPECT_EQ(ScriptVerify(ref, {"k2.pub", "k1.pub"}), 0) << ref;
  }
  const std::string registry_payload = absl::StrCat(
      R"({"critical":{"identity":{"docker-reference":")", server().host(), "/",
      absl::AsciiStrToLower(
          ::testing::UnitTest::GetInstance()->current_test_info()->name()),
      R"(/app"},"image":{"docker-manifest-digest":")", digest,
      R"("},"type":"cosign container image signature"},"optional":null})");
  const Json registry_sig = SigManifest(Reg("app:t"));
  ASSERT_TRUE(registry_sig.is_object());
  EXPECT_EQ(registry_sig["layers"][0]["digest"],
            layers::Sha256Digest(registry_payload));

  const Json sig = SigManifest(layout);
  ASSERT_TRUE(sig.is_object());
  EXPECT_EQ(sig["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  ASSERT_THAT(sig["layers"], SizeIs(1));
  const Json& layer = sig["layers"][0];
  EXPECT_EQ(layer["mediaType"], kSimpleSigning);
  const std::string layer_digest = layer["digest"].get<std::string>();
  const fs::path payload =
      root_ / "layout/blobs/sha256" / layer_digest.substr(7);
  const Json claims = Json::parse(ReadFile(payload));
  EXPECT_EQ(claims["critical"]["image"]["docker-manifest-digest"], digest);
  EXPECT_EQ(claims["critical"]["identity"]["docker-reference"],
            "oci:" + fs::canonical(root_ / "layout").string());
  EXPECT_EQ(claims["critical"]["type"], "cosign container image signature");
  std::string der;
  ASSERT_TRUE(absl::Base64Unescape(
      layer["annotations"][kSignatureAnnotation].get<std::string>(), &der));
  WriteTestFile(root_ / "sig.der", der);
  for (const auto& [pub, expected] :
       {std::pair{"k1.pub", 0}, std::pair{"k2.pub", 1}}) {
    RunResult r = RunProgram({"openssl", "dgst", "-sha256", "-verify",
                              Key(pub).string(), "-signature",
                              (root_ / "sig.der").string(), payload.string()});
    EXPECT_EQ(r.exit_code, expected) << pub << ": " << r.out << r.err;
  }
}

// Acceptance 1: a push cook signs verifies independently, with that key only.
// A layout's identity is its real path: one written through a symlink
// verifies where it really is.
TEST_F(SigningTest, AnAssembledImageIsSignedInTheRegistryAndTheLayouts) {
  fs::create_directories(root_ / "real");
  fs::create_directory_symlink(root_ / "real", root_ / "link");
  Assemble("signed by cook", {Reg("app:t"), Oci("layout"), Oci("link/layout")},
           {"--sign-key", Key("k1.pem").string()});
  for (const std::string& ref :
       {Reg("app:t"), Oci("layout"), Oci("real/layout")}) {
    EXPECT_EQ(ScriptVerify(ref, {"k1.pub"}), 0) << ref;
    EXPECT_EQ(ScriptVerify(ref, {"k2.pub"}), 1) << ref;
  }
}

TEST_F(SigningTest, CopySignsTheDestinationWithAPkcs8Key) {
  const std::string source = Oci("source");
  Assemble("copied", {source});
  for (const std::string& dest : {Reg("copied:t"), Oci("copied")}) {
    RunResult r =
        Cook({"copy", source, dest, "--sign-key", Key("k1.p8.pem").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(ScriptVerify(dest, {"k1.pub"}), 0) << dest;
    EXPECT_EQ(ScriptVerify(dest, {"k2.pub"}), 1) << dest;
  }
  EXPECT_EQ(ScriptVerify(source, {"k1.pub"}), 1) << "the source was signed too";
}

// Acceptance 5 (and 1 for build): every --dest gets a signature of its own.
TEST_F(SigningTest, ABuildSignsEveryDestinationUnderItsOwnName) {
  NeedCache();
  const std::vector<std::string> dests = {Reg("one:t"), Reg("two:t"),
                                          Oci("layout")};
  std::vector<std::string> args = {"build",
                                   "--manifest-path",
                                   (suite_->dir / "ws").string(),
                                   "--sandbox",
                                   "off",
                                   "--offline",
                                   "--quiet",
                                   "--sign-key",
                                   Key("k1.pem").string()};
  for (const std::string& d : dests) args.insert(args.end(), {"--dest", d});
  RunResult r = Cook(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& ref : dests) {
    EXPECT_EQ(ScriptVerify(ref, {"k1.pub"}), 0) << ref;
    EXPECT_EQ(ScriptVerify(ref, {"k2.pub"}), 1) << ref;
    const Json sig = SigManifest(ref);
    ASSERT_TRUE(sig.is_object()) << ref;
    EXPECT_THAT(sig["layers"], SizeIs(1)) << ref;
  }
}

// A signing build never signs what it finds at a destination: whoever can
// push may have put an image there with the right labels. A destination
// that holds this cache unsigned, or with files added on top, is built
// again (the same bytes as before: builds are reproducible) and only that
// is signed.
TEST_F(SigningTest, ASigningBuildNeverSignsWhatItFindsAtTheDestination) {
  NeedCache();
  const std::string dest = Reg("later:t");
  std::vector<std::string> args = {"build", "--manifest-path", (suite_->dir / "ws").string(),
                                   "--sandbox", "off", "--offline", "--dest", dest};
  RunResult unsigned_build = Cook(args);
  ASSERT_EQ(unsigned_build.exit_code, 0) << unsigned_build.err;
  const std::string built = Digest(dest);
  EXPECT_EQ(ScriptVerify(dest, {"k1.pub"}), 1);
  // Someone without the key adds a file on top; the labels stay the base's.
  WriteTestFile(root_ / "evil/pwned.txt", "malicious\n");
  RunResult planted = Cook({"assemble", "--base", dest, "--add",
                            (root_ / "evil").string() + ":/build/target/release", "--dest",
                            dest});
  ASSERT_EQ(planted.exit_code, 0) << planted.err;
  ASSERT_NE(Digest(dest), built);

  args.insert(args.end(), {"--sign-key", Key("k1.pem").string()});
  RunResult signing = Cook(args);
  ASSERT_EQ(signing.exit_code, 0) << signing.err;
  EXPECT_THAT(signing.err, ::testing::Not(HasSubstr("up to date")));
  EXPECT_EQ(Digest(dest), built);
  EXPECT_EQ(ScriptVerify(dest, {"k1.pub"}), 0);
  // Signed and current now: nothing to build, nothing signed again.
  RunResult again = Cook(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.err, HasSubstr("up to date"));
  EXPECT_THAT(SigManifest(dest)["layers"], SizeIs(1));
}

// Acceptance 2: cook verifies signatures it did not make.
TEST_F(SigningTest, CookVerifiesWhatTheScriptSigned) {
  NeedCache();
  const std::string ref = Reg("cache:t");
  PushCache(ref);
  ScriptSign(ref, "k1.pem");

  std::vector<std::string> inspect = {"inspect", ref};
  for (const std::string& a : VerifyKeys({"k2.pub", "k1.pub"}))
    inspect.push_back(a);
  RunResult inspected = Cook(inspect);
  EXPECT_EQ(inspected.exit_code, 0) << inspected.err;

  std::vector<std::string> copy = {"copy", ref, Reg("copy:t"), "--quiet"};
  for (const std::string& a : VerifyKeys({"k1.pub"})) copy.push_back(a);
  RunResult copied = Cook(copy);
  EXPECT_EQ(copied.exit_code, 0) << copied.err;
  EXPECT_EQ(Inspect(Reg("copy:t"))["digest"], Inspect(ref)["digest"]);

  const std::string layout = Oci("cache");
  PushCache(layout);
  ScriptSign(layout, "k1.pem");
  for (const auto& [from, dir] :
       {std::pair{ref, "registry"}, std::pair{layout, "layout"}}) {
    const fs::path target = root_ / dir / "target";
    RunResult restored =
        Restore(from, target, root_ / dir / "home", {"k1.pub"});
    EXPECT_EQ(restored.exit_code, 0) << from << ": " << restored.err;
    EXPECT_THAT(Snapshot(target), ::testing::Not(IsEmpty())) << from;
  }
}

// The payload may name the repository with a tag or a digest (cosign's
// --sign-container-identity); only the repository must match.
TEST_F(SigningTest, APayloadNamingTheRepositoryWithASuffixVerifies) {
  const std::string ref = Reg("app:t");
  const std::string digest = Assemble("suffixed", {ref});
  const std::string repository(
      absl::StripSuffix(absl::StripPrefix(ref, "docker://"), ":t"));
  for (const std::string& identity :
       {repository + ":other", repository + "@" + digest}) {
    RunResult sign = Script(
        {"sign", "--key", Key("k1.pem").string(), "--identity", identity, ref});
    ASSERT_EQ(sign.exit_code, 0) << sign.err;
  }
  RunResult r =
      Cook({"inspect", ref, "--json", "--verify-key", Key("k1.pub").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const Json out = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << r.out;
  ASSERT_THAT(out["signatures"], SizeIs(2)) << r.out;
  for (const Json& s : out["signatures"]) {
    EXPECT_EQ(s.value("verified", false), true) << s.dump();
  }
}

// Acceptance 3 and 4: refusals, with nothing written and no layer read.
TEST_F(SigningTest, AnUnsignedImageIsRefused) {
  NeedCache();
  for (const std::string& ref : {Reg("cache:t"), Oci("cache")}) {
    PushCache(ref);
    ExpectEveryReaderRefuses(ref, {"k1.pub"});
  }
  // Without --verify-key the same restore goes through, reading the layers
  // (which the log shows): the refusal was the signature's.
  const size_t logged = suite_->server->Requests().size();
  RunResult plain =
      Restore(Reg("cache:t"), root_ / "plain/target", root_ / "plain/home", {});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_THAT(LayerReads(logged, LayerDigests(Reg("cache:t"))),
              ::testing::Not(IsEmpty()));
}

TEST_F(SigningTest, ASignatureByAnotherKeyIsRefused) {
  NeedCache();
  for (const std::string& ref : {Reg("cache:t"), Oci("cache")}) {
    PushCache(ref);
    ScriptSign(ref, "k2.pem");
    ExpectEveryReaderRefuses(ref, {"k1.pub"});
    RunResult right =
        Cook({"inspect", ref, "--verify-key", Key("k2.pub").string()});
    EXPECT_EQ(right.exit_code, 0) << ref << ": " << right.err;
  }
}

// Also when the old signature is copied to the new digest's .sig tag: its
// payload names the old digest.
TEST_F(SigningTest, ATagMovedToUnsignedContentIsRefused) {
  NeedCache();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {Reg("cache:t"), Reg("cache:old")},
      {Oci("cache"), "oci:" + (root_ / "cache").string() + ":old"}};
  for (const auto& [ref, old] : cases) {
    PushCache(ref);
    ScriptSign(ref, "k1.pem");
    RunResult before =
        Cook({"inspect", ref, "--verify-key", Key("k1.pub").string()});
    EXPECT_EQ(before.exit_code, 0) << ref << ": " << before.err;
    RunResult keep = Cook({"copy", ref, old, "--quiet"});
    ASSERT_EQ(keep.exit_code, 0) << keep.err;
    Assemble("what an attacker pushed", {ref});
    ExpectEveryReaderRefuses(ref, {"k1.pub"});
    RunResult replayed = Script({"copy-sig", old, ref});
    ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
    ASSERT_TRUE(SigManifest(ref).is_object());
    ExpectEveryReaderRefuses(ref, {"k1.pub"});
  }
}

TEST_F(SigningTest, ASignatureForAnotherRepositoryIsRefused) {
  NeedCache();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {Reg("a:t"), Reg("b:t")}, {Oci("a"), Oci("b")}};
  for (const auto& [a, b] : cases) {
    PushCache(a);
    ScriptSign(a, "k1.pem");
    RunResult copy = Cook({"copy", a, b, "--quiet"});
    ASSERT_EQ(copy.exit_code, 0) << copy.err;
    RunResult sig = Script({"copy-sig", a, b});
    ASSERT_EQ(sig.exit_code, 0) << sig.err;
    ASSERT_EQ(SigManifest(a), SigManifest(b));
    RunResult at_a =
        Cook({"inspect", a, "--verify-key", Key("k1.pub").string()});
    EXPECT_EQ(at_a.exit_code, 0) << a << ": " << at_a.err;
    ExpectEveryReaderRefuses(b, {"k1.pub"});
  }
}

// Acceptance 4: an unverified --cache-from fails the build before cargo.
TEST_F(SigningTest, BuildRefusesAnUnsignedCacheFrom) {
  NeedCache();
  const std::string cache = Reg("cache:t");
  PushCache(cache);
  const size_t logged = suite_->server->Requests().size();
  const fs::path target = root_ / "target";
  const fs::path out = root_ / "out";
  RunResult r =
      Cook({"build", "--manifest-path", (suite_->dir / "ws").string(),
            "--sandbox", "off", "--offline", "--quiet", "--cache-from", cache,
            "--verify-key", Key("k1.pub").string(), "--target-dir",
            target.string(), "--dest", "oci:" + out.string() + ":t"});
  ExpectRefused(r, "build --cache-from");
  EXPECT_THAT(Snapshot(target), IsEmpty())
      << "cargo or the restore wrote the target dir";
  EXPECT_FALSE(LayoutHasTag(out, "t"));
  EXPECT_THAT(LayerReads(logged, LayerDigests(cache)), IsEmpty());

  ScriptSign(cache, "k1.pem");
  RunResult signed_build =
      Cook({"build", "--manifest-path", (suite_->dir / "ws").string(),
            "--sandbox", "off", "--offline", "--quiet", "--cache-from", cache,
            "--verify-key", Key("k1.pub").string(), "--target-dir",
            target.string(), "--dest", "oci:" + out.string() + ":t"});
  EXPECT_EQ(signed_build.exit_code, 0) << signed_build.err;
}

// The cache-key tag a build or restore looks for first is as writable as
// the branch tag: unsigned content there is never read, and does not block
// the signed branch tag either (cook falls back to it).
TEST_F(SigningTest, UnsignedContentAtTheCacheKeyTagIsNeverRead) {
  NeedCache();
  ASSERT_THAT(suite_->key_tag, ::testing::StartsWith("cook-"));
  const std::string cache = Reg("cache:t");
  PushCache(cache);
  ScriptSign(cache, "k1.pem");
  const std::string planted = Reg("cache:" + suite_->key_tag);
  Assemble("planted at the cache-key tag", {planted});
  const std::vector<std::string> layers = LayerDigests(planted);
  ASSERT_THAT(layers, ::testing::Not(IsEmpty()));
  const size_t logged = suite_->server->Requests().size();
  const std::string ws = (suite_->dir / "ws").string();

  RunResult restore = Cook({"restore", "--from", cache, "--manifest-path", ws,
                            "--target-dir", (root_ / "r/target").string(),
                            "--cargo-home", (root_ / "r/home").string(),
                            "--verify-key", Key("k1.pub").string()});
  EXPECT_EQ(restore.exit_code, 0) << restore.err;
  EXPECT_THAT(restore.err, HasSubstr("passing over the cache-key tag"));
  RunResult build = Cook(
      {"build", "--manifest-path", ws, "--sandbox", "off", "--offline",
       "--quiet", "--cache-from", cache, "--verify-key", Key("k1.pub").string(),
       "--target-dir", (root_ / "b/target").string(), "--dest", Oci("out")});
  EXPECT_EQ(build.exit_code, 0) << build.err;
  EXPECT_THAT(LayerReads(logged, layers), IsEmpty());
}

// Acceptance 6: re-signing with the same key adds nothing; another key
// appends and keeps the first signature as it was.
TEST_F(SigningTest, SigningAgainAddsOnlyANewKeysSignature) {
  for (const std::string& ref : {Reg("app:t"), Oci("layout")}) {
    Assemble("signed twice", {ref}, {"--sign-key", Key("k1.pem").string()});
    const Json first = SigManifest(ref);
    ASSERT_TRUE(first.is_object()) << ref;
    ASSERT_THAT(first["layers"], SizeIs(1)) << ref;

    for (const char* same : {"k1.pem", "k1.p8.pem"}) {
      Assemble("signed twice", {ref}, {"--sign-key", Key(same).string()});
      EXPECT_EQ(SigManifest(ref), first)
          << ref << ": " << same << " signed again";
    }

    Assemble("signed twice", {ref}, {"--sign-key", Key("k2.pem").string()});
    const Json both = SigManifest(ref);
    ASSERT_TRUE(both.is_object()) << ref;
    ASSERT_THAT(both["layers"], SizeIs(2)) << ref;
    EXPECT_EQ(both["layers"][0].dump(), first["layers"][0].dump()) << ref;
    EXPECT_EQ(ScriptVerify(ref, {"k1.pub"}), 0) << ref;
    EXPECT_EQ(ScriptVerify(ref, {"k2.pub"}), 0) << ref;
    for (const char* pub : {"k1.pub", "k2.pub"}) {
      RunResult r = Cook({"inspect", ref, "--verify-key", Key(pub).string()});
      EXPECT_EQ(r.exit_code, 0) << ref << " " << pub << ": " << r.err;
    }
  }
}

// Acceptance 7: `cook inspect --json` lists every signature, with the id of
// the key that verifies it (the SHA-256 of its DER SubjectPublicKeyInfo).
TEST_F(SigningTest, InspectListsTheSignaturesAndWhichKeyVerifies) {
  const std::string ref = Reg("app:t");
  Assemble("listed", {ref});
  ScriptSign(ref, "k1.pem");
  ScriptSign(ref, "k2.pem");
  RunResult id =
      RunProgram({"sh", "-c",
                  "openssl pkey -pubin -in '" + Key("k1.pub").string() +
                      "' -outform DER | sha256sum"});
  ASSERT_EQ(id.exit_code, 0) << id.err;
  const std::string k1_id = id.out.substr(0, 64);

  RunResult r =
      Cook({"inspect", ref, "--verify-key", Key("k1.pub").string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json out = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << r.out;
  ASSERT_TRUE(out.contains("signatures")) << r.out;
  ASSERT_THAT(out["signatures"], SizeIs(2)) << r.out;
  int verified = 0;
  for (const Json& s : out["signatures"]) {
    if (s.value("verified", false)) {
      ++verified;
      EXPECT_EQ(s["key_id"], k1_id) << r.out;
    } else {
      EXPECT_TRUE(s["key_id"].is_null()) << r.out;
    }
  }
  EXPECT_EQ(verified, 1) << r.out;

  RunResult plain = Cook({"inspect", ref, "--json"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_THAT(Json::parse(plain.out)["signatures"], SizeIs(2)) << plain.out;
}

}  // namespace
}  // namespace cook
