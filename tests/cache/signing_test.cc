#include "cache/signing.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/files.h"
#include "base/io.h"
#include "cache/cache_tag.h"
#include "cache/image_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "layers/digest.h"
#include "oci/transport.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook::cache {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::IsOk;
using ::cook::testing::RunProgram;
using ::cook::testing::RunResult;
using ::cook::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class QuietProgress : public Progress {
 public:
  void Step(std::string_view) override {}
  void Warn(std::string_view) override {}
  void Begin(std::string_view, uint64_t) override {}
  void Update(uint64_t) override {}
  void End() override {}
  bool interactive() const override { return false; }
};

// --- the format ---

TEST(PayloadTest, IsByteForByteWhatCosignWrites) {
  // cosign's own vector (sigstore's payload_test.go, no annotations).
  EXPECT_EQ(
      SignaturePayload("example.com/test/image",
                       "sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33fd34db33f"),
      R"({"critical":{"identity":{"docker-reference":"example.com/test/image"},"image":)"
      R"({"docker-manifest-digest":"sha256:d34db33fd34db33fd34db33fd34db33fd34db33fd34db33f)"
      R"(d34db33fd34db33f"},"type":"cosign container image signature"},"optional":null})");
}

TEST(PayloadTest, ParsesWhatItWritesAndCosignsOptionalAnnotations) {
  absl::StatusOr<PayloadClaims> claims =
      ParsePayload(SignaturePayload("127.0.0.1:5000/a/b", "sha256:00"));
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->identity, "127.0.0.1:5000/a/b");
  EXPECT_EQ(claims->digest, "sha256:00");
  // cosign sign -a k=v puts an object in "optional"; key order is free.
  claims = ParsePayload(
      R"({"optional":{"k":"v"},"critical":{"type":"cosign container image signature",)"
      R"("image":{"docker-manifest-digest":"sha256:11"},"identity":{"docker-reference":"r/x"}}})");
  ASSERT_THAT(claims, IsOk());
  EXPECT_EQ(claims->digest, "sha256:11");
}

TEST(PayloadTest, RefusesOtherDocuments) {
  const std::vector<std::string> bad = {
      "",
      "null",
      "[]",
      R"({"critical":{"identity":{"docker-reference":"r/x"},"image":{"docker-manifest-digest":"sha256:1"}}})",
      R"({"critical":{"identity":{"docker-reference":"r/x"},"image":{"docker-manifest-digest":"sha256:1"},"type":"atomic container signature"}})",
      R"({"critical":{"identity":{},"image":{"docker-manifest-digest":"sha256:1"},"type":"cosign container image signature"}})",
      R"({"critical":{"identity":{"docker-reference":7},"image":{"docker-manifest-digest":"sha256:1"},"type":"cosign container image signature"}})",
      R"({"critical":{"identity":{"docker-reference":"r/x"},"image":"sha256:1","type":"cosign container image signature"}})",
      std::string(100000, '['),
      std::string(kMaxPayloadSize + 1, ' '),
  };
  for (const std::string& payload : bad) {
    EXPECT_THAT(ParsePayload(payload), StatusIs(absl::StatusCode::kInvalidArgument))
        << payload.substr(0, 80);
  }
}

TEST(IdentityTest, NamesTheRepositoryWithoutTagOrDigest) {
  EXPECT_EQ(SignatureIdentity(*oci::ParseReference("docker://127.0.0.1:5000/cook/cache:v1")).value(),
            "127.0.0.1:5000/cook/cache");
  EXPECT_EQ(SignatureIdentity(*oci::ParseReference("docker://rust:1")).value(),
            "index.docker.io/library/rust");
  EXPECT_THAT(SignatureIdentity(*oci::ParseReference("docker-archive:/tmp/x.tar")),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(IdentityTest, ClaimsMatchWithTagOrDigestAsideAndDockerHubAliases) {
  EXPECT_TRUE(SameIdentity("h:5000/a/b", "h:5000/a/b"));
  EXPECT_TRUE(SameIdentity("h:5000/a/b:v1", "h:5000/a/b"));
  EXPECT_TRUE(SameIdentity("h:5000/a/b@sha256:00", "h:5000/a/b"));
  EXPECT_TRUE(SameIdentity("H:5000/a/b", "h:5000/a/b"));
  EXPECT_TRUE(SameIdentity("docker.io/rust", "index.docker.io/library/rust"));
  EXPECT_TRUE(SameIdentity("index.docker.io/library/rust:1", "index.docker.io/library/rust"));
  EXPECT_FALSE(SameIdentity("h:5000/a/b2", "h:5000/a/b"));
  EXPECT_FALSE(SameIdentity("h:5000/a", "h:5000/a/b"));
  EXPECT_FALSE(SameIdentity("h:5001/a/b", "h:5000/a/b"));
  EXPECT_FALSE(SameIdentity("h/a/b", "h:5000/a/b"));
  EXPECT_FALSE(SameIdentity("h:5000", "h:5000/a/b"));
  EXPECT_FALSE(SameIdentity("", "h:5000/a/b"));
  EXPECT_TRUE(SameIdentity("oci:/x/lay", "oci:/x/lay"));
  EXPECT_FALSE(SameIdentity("oci:/x/lay:v1", "oci:/x/lay"));
  EXPECT_FALSE(SameIdentity("oci:/x/lay2", "oci:/x/lay"));
}

TEST(IdentityTest, SignatureTagIsCosigns) {
  EXPECT_EQ(SignatureTag("sha256:abc"), "sha256-abc.sig");
}

// --- keys, against the openssl command line ---

class KeysTest : public cook::testing::TempDirTest {
 protected:
  // Runs openssl; the test fails when it does.
  void Openssl(const std::vector<std::string>& args, const std::string& stdin_data = "") {
    std::vector<std::string> argv = {"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    const RunResult r = RunProgram(argv, {.stdin_data = stdin_data});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // An EC key (SEC1 PEM, with its EC PARAMETERS block) and its public half.
  void MakeKey(const std::string& name, const std::string& curve = "prime256v1") {
    Openssl({"ecparam", "-genkey", "-name", curve, "-out", Path(name + ".pem")});
    Openssl({"ec", "-in", Path(name + ".pem"), "-pubout", "-out", Path(name + ".pub")});
  }
  std::string Path(const std::string& name) const { return (root_ / name).string(); }
};

TEST_F(KeysTest, CookSignaturesVerifyWithOpensslAndBack) {
  ASSERT_NO_FATAL_FAILURE(MakeKey("k"));
  absl::StatusOr<SigningKey> key = SigningKey::Load(Path("k.pem"));
  ASSERT_THAT(key, IsOk());
  const std::string payload = SignaturePayload("h/a", "sha256:00");
  absl::StatusOr<std::string> der = key->Sign(payload);
  ASSERT_THAT(der, IsOk());
  cook::testing::WriteTestFile(root_ / "payload", payload);
  cook::testing::WriteTestFile(root_ / "sig.der", *der);
  const RunResult verified =
      RunProgram({"openssl", "dgst", "-sha256", "-verify", Path("k.pub"), "-signature",
                  Path("sig.der"), Path("payload")});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;

  Openssl({"dgst", "-sha256", "-sign", Path("k.pem"), "-out", Path("theirs.der"),
           Path("payload")});
  absl::StatusOr<VerifyingKey> pub = VerifyingKey::Load(Path("k.pub"));
  ASSERT_THAT(pub, IsOk());
  const std::string theirs = ReadFile(root_ / "theirs.der").value();
  EXPECT_TRUE(pub->Verify(payload, theirs));
  EXPECT_FALSE(pub->Verify(payload + " ", theirs));
  std::string flipped = theirs;
  flipped[flipped.size() / 2] ^= 1;
  EXPECT_FALSE(pub->Verify(payload, flipped));
  EXPECT_FALSE(pub->Verify(payload, ""));
  EXPECT_FALSE(pub->Verify(payload, std::string(4096, '\x30')));
}

TEST_F(KeysTest, KeyIdIsTheSha256OfTheDerPublicKeyAsOpensslComputesIt) {
  ASSERT_NO_FATAL_FAILURE(MakeKey("k"));
  const RunResult der =
      RunProgram({"openssl", "pkey", "-pubin", "-in", Path("k.pub"), "-outform", "DER"});
  ASSERT_EQ(der.exit_code, 0);
  const std::string expected = layers::Sha256Digest(der.out).substr(7);
  EXPECT_EQ(VerifyingKey::Load(Path("k.pub"))->id(), expected);
  EXPECT_EQ(SigningKey::Load(Path("k.pem"))->public_key().id(), expected);
}

TEST_F(KeysTest, Pkcs8KeysSign) {
  ASSERT_NO_FATAL_FAILURE(MakeKey("k"));
  Openssl({"pkcs8", "-topk8", "-nocrypt", "-in", Path("k.pem"), "-out", Path("k8.pem")});
  absl::StatusOr<SigningKey> key = SigningKey::Load(Path("k8.pem"));
  ASSERT_THAT(key, IsOk());
  EXPECT_TRUE(VerifyingKey::Load(Path("k.pub"))->Verify("m", key->Sign("m").value()));
}

TEST_F(KeysTest, RefusesKeysItCannotUseWithTheReason) {
  ASSERT_NO_FATAL_FAILURE(MakeKey("k"));
  ASSERT_NO_FATAL_FAILURE(MakeKey("p384", "secp384r1"));
  Openssl({"pkcs8", "-topk8", "-in", Path("k.pem"), "-out", Path("enc.pem"), "-passout",
           "pass:secret"});
  Openssl({"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out",
           Path("rsa.pem")});
  Openssl({"pkey", "-in", Path("rsa.pem"), "-pubout", "-out", Path("rsa.pub")});
  cook::testing::WriteTestFile(root_ / "cosign.key",
                               "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnt9fQ==\n"
                               "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n");
  cook::testing::WriteTestFile(root_ / "junk", "not a key\n");
  Openssl({"ec", "-in", Path("k.pem"), "-aes256", "-passout", "pass:secret", "-out",
           Path("traditional.pem")});
  cook::testing::WriteTestFile(root_ / "two.pub", ReadFile(root_ / "k.pub").value() +
                                                      ReadFile(root_ / "p384.pub").value());

  auto sign_error = [&](const std::string& name) {
    return std::string(SigningKey::Load(Path(name)).status().message());
  };
  auto verify_error = [&](const std::string& name) {
    return std::string(VerifyingKey::Load(Path(name)).status().message());
  };
  EXPECT_THAT(sign_error("enc.pem"), HasSubstr("encrypted private key"));
  EXPECT_THAT(sign_error("traditional.pem"), HasSubstr("encrypted private key"));
  EXPECT_THAT(verify_error("two.pub"), HasSubstr("more than one public key"));
  EXPECT_THAT(sign_error("cosign.key"), HasSubstr("a cosign key"));
  EXPECT_THAT(sign_error("k.pub"), HasSubstr("a public key, where the private key belongs"));
  EXPECT_THAT(sign_error("rsa.pem"), HasSubstr("RSA key"));
  EXPECT_THAT(sign_error("p384.pem"), HasSubstr("secp384r1"));
  EXPECT_THAT(sign_error("junk"), HasSubstr("not a PEM private key"));
  EXPECT_THAT(sign_error("missing"), HasSubstr("missing"));
  EXPECT_THAT(verify_error("k.pem"), HasSubstr("a private key, where a public key belongs"));
  EXPECT_THAT(verify_error("rsa.pub"), HasSubstr("RSA key"));
  EXPECT_THAT(verify_error("p384.pub"), HasSubstr("secp384r1"));
  EXPECT_THAT(verify_error("junk"), HasSubstr("not a PEM public key"));
}

// --- signing and verifying images in oci: layouts ---

class SignImageTest : public KeysTest {
 protected:
  void SetUp() override {
    KeysTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(MakeKey("a"));
    ASSERT_NO_FATAL_FAILURE(MakeKey("b"));
  }
  oci::ImageReference Layout(const std::string& dir, const std::string& tag) {
    return *oci::ParseReference(absl::StrCat("oci:", Path(dir), ":", tag));
  }
  // Writes an image (its config carries `label`) to `dest`, signed with
  // `key` unless null; returns its manifest.
  oci::RawManifest Write(const oci::ImageReference& dest, const std::string& label,
                         const SigningKey* key) {
    absl::StatusOr<BaseImage> base = LoadBase(*oci::ParseReference("scratch"), std::nullopt,
                                              registries_, root_);
    EXPECT_THAT(base, IsOk());
    oci::ImageConfig config = base->config;
    config.labels["v"] = label;
    absl::StatusOr<ImageResult> written =
        WriteImage(*base, config, {}, {dest}, progress_, registries_, std::nullopt, key);
    EXPECT_THAT(written, IsOk());
    return written->manifest;
  }
  absl::Status Verify(const oci::ImageReference& ref, const std::vector<std::string>& pubs) {
    std::vector<VerifyingKey> keys;
    for (const std::string& pub : pubs) keys.push_back(VerifyingKey::Load(Path(pub)).value());
    absl::StatusOr<std::unique_ptr<oci::ImageSource>> source =
        oci::OpenImageSource(ref, &registries_, root_);
    if (!source.ok()) return source.status();
    absl::StatusOr<oci::RawManifest> raw = (*source)->GetManifest(oci::HostPlatform());
    if (!raw.ok()) return raw.status();
    return VerifyImage(ref, *raw, keys, "verifying", registries_, root_, progress_);
  }
  oci::Manifest SignatureManifest(const oci::ImageReference& ref, const std::string& digest) {
    auto source = oci::OpenImageSource(SignatureReference(ref, digest), &registries_, root_);
    return oci::ParseManifest((*source)->GetManifest(oci::HostPlatform())->bytes).value();
  }
  SigningKey Key(const std::string& name) { return SigningKey::Load(Path(name)).value(); }
  // LookUpCache of lay:main with its cache-key tag kKeyTag, verifying with
  // a.pub when `verify`.
  absl::StatusOr<FoundCache> LookUp(bool verify) {
    keys_ = {VerifyingKey::Load(Path("a.pub")).value()};
    temp_ = root_.string();
    return LookUpCache(Layout("lay", "main"), kKeyTag, oci::HostPlatform(), "restoring",
                       registries_, temp_, progress_,
                       verify ? VerifyWith(keys_, "restoring from ", registries_, temp_, progress_)
                              : nullptr);
  }
  // Tags `tag` in the layout "lay" with an index naming `raw` for this
  // platform; returns the index's digest.
  std::string PutIndex(const oci::RawManifest& raw, const std::string& tag) {
    oci::Index index;
    oci::Descriptor entry;
    entry.media_type = raw.media_type;
    entry.digest = raw.digest;
    entry.size = static_cast<int64_t>(raw.bytes.size());
    entry.platform = oci::HostPlatform();
    index.manifests.push_back(entry);
    const std::string bytes = oci::SerializeIndex(index);
    const std::string digest = layers::Sha256Digest(bytes);
    auto dest = oci::OpenImageDestination(Layout("lay", tag), &registries_);
    EXPECT_THAT((*dest)->PutManifest({bytes, std::string(oci::kOciIndex), digest}), IsOk());
    EXPECT_THAT((*dest)->Commit(), IsOk());
    return digest;
  }

  // Puts `sig` under the signature tag of `digest` in the layout "lay" by
  // hand, as someone who can write there might: its blobs need not exist.
  void Plant(const std::string& digest, const oci::Manifest& sig) {
    const oci::RawManifest raw = oci::MakeRawManifest(sig);
    const fs::path layout = root_ / "lay";
    cook::testing::WriteTestFile(layout / "blobs/sha256" / raw.digest.substr(7), raw.bytes);
    std::string index = ReadFile(layout / "index.json").value();
    index.replace(index.find("\"manifests\":[") + 13, 0,
                  absl::StrCat(R"({"mediaType":"application/vnd.oci.image.manifest.v1+json",)",
                               R"("digest":")", raw.digest, R"(","size":)", raw.bytes.size(),
                               R"(,"annotations":{"org.opencontainers.image.ref.name":")",
                               SignatureTag(digest), R"("}},)"));
    cook::testing::WriteTestFile(layout / "index.json", index);
  }

  static constexpr char kKeyTag[] = "cook-0123456789abcdef";
  std::vector<VerifyingKey> keys_;
  std::string temp_;
  // The manifest digest tagged `tag` in the layout "lay".
  std::string TaggedDigest(const std::string& tag) {
    auto source = oci::OpenImageSource(Layout("lay", tag), &registries_, root_);
    return (*source)->GetManifest(oci::HostPlatform())->digest;
  }

  QuietProgress progress_;
  registry::RegistrySession registries_{registry::RegistryOptions{}};
};

TEST_F(SignImageTest, SignedImageVerifiesOnlyWithItsKey) {
  const SigningKey a = Key("a.pem");
  const oci::ImageReference ref = Layout("lay", "v1");
  Write(ref, "1", &a);
  EXPECT_THAT(Verify(ref, {"a.pub"}), IsOk());
  EXPECT_THAT(Verify(ref, {"b.pub", "a.pub"}), IsOk());
  EXPECT_THAT(Verify(ref, {"b.pub"}), StatusIs(absl::StatusCode::kPermissionDenied,
                                               HasSubstr("no --verify-key key verifies it")));
}

TEST_F(SignImageTest, RefusesUnsignedImagesAndMovedTags) {
  const SigningKey a = Key("a.pem");
  const oci::ImageReference ref = Layout("lay", "v1");
  Write(Layout("lay", "unsigned"), "0", nullptr);
  EXPECT_THAT(Verify(Layout("lay", "unsigned"), {"a.pub"}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("it is not signed")));
  Write(ref, "1", &a);
  ASSERT_THAT(Verify(ref, {"a.pub"}), IsOk());
  Write(ref, "2", nullptr);  // the tag moves to other content, unsigned
  EXPECT_THAT(Verify(ref, {"a.pub"}), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(SignImageTest, RefusesASignatureForAnotherRepository) {
  const SigningKey a = Key("a.pem");
  const oci::RawManifest raw = Write(Layout("one", "v1"), "1", &a);
  // The image and its signature manifest copied as they are to another
  // layout: the payload names the first.
  for (const std::string& tag : {std::string("v1"), SignatureTag(raw.digest)}) {
    auto source = oci::OpenImageSource(Layout("one", tag), &registries_, root_);
    auto dest = oci::OpenImageDestination(Layout("two", tag), &registries_);
    ASSERT_THAT(oci::CopyImage(**source, **dest, oci::HostPlatform()), IsOk());
  }
  EXPECT_THAT(Verify(Layout("two", "v1"), {"a.pub"}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("names repository")));
}

TEST_F(SignImageTest, SigningAgainKeepsOneLayerPerKeyAndAppendsOtherKeys) {
  const SigningKey a = Key("a.pem");
  const SigningKey b = Key("b.pem");
  const oci::ImageReference ref = Layout("lay", "v1");
  const oci::RawManifest raw = Write(ref, "1", &a);
  const oci::Manifest first = SignatureManifest(ref, raw.digest);
  ASSERT_THAT(first.layers, SizeIs(1));
  EXPECT_EQ(first.layers[0].media_type, kSimpleSigningMediaType);
  Write(ref, "1", &a);
  EXPECT_THAT(SignatureManifest(ref, raw.digest).layers, SizeIs(1));
  ASSERT_THAT(SignImage(ref, raw.digest, b, registries_, root_, progress_), IsOk());
  const oci::Manifest both = SignatureManifest(ref, raw.digest);
  ASSERT_THAT(both.layers, SizeIs(2));
  EXPECT_EQ(both.layers[0], first.layers[0]);
  EXPECT_THAT(Verify(ref, {"a.pub"}), IsOk());
  EXPECT_THAT(Verify(ref, {"b.pub"}), IsOk());
}

TEST_F(SignImageTest, ASignatureOfTheIndexCoversTheManifestChosenFromIt) {
  const SigningKey a = Key("a.pem");
  const oci::RawManifest raw = Write(Layout("lay", "single"), "1", nullptr);
  const std::string index_digest = PutIndex(raw, "multi");
  EXPECT_THAT(Verify(Layout("lay", "multi"), {"a.pub"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_THAT(SignImage(Layout("lay", "multi"), index_digest, a, registries_, root_,
                        progress_),
              IsOk());
  EXPECT_THAT(Verify(Layout("lay", "multi"), {"a.pub"}), IsOk());
}

TEST_F(SignImageTest, AnUnsignedCacheKeyTagIsPassedOverForTheSignedTagGiven) {
  const SigningKey a = Key("a.pem");
  const oci::RawManifest branch = Write(Layout("lay", "main"), "1", &a);
  Write(Layout("lay", kKeyTag), "planted", nullptr);
  absl::StatusOr<FoundCache> found = LookUp(/*verify=*/true);
  ASSERT_THAT(found, IsOk());
  EXPECT_FALSE(found->by_key_tag);
  EXPECT_EQ(found->image.raw.digest, branch.digest);
  // Signed, the key tag wins.
  ASSERT_THAT(SignImage(Layout("lay", kKeyTag), TaggedDigest(kKeyTag), a, registries_, root_,
                        progress_),
              IsOk());
  found = LookUp(/*verify=*/true);
  ASSERT_THAT(found, IsOk());
  EXPECT_TRUE(found->by_key_tag);
  // Both unsigned: the refusal of the tag given.
  Write(Layout("lay", "main"), "2", nullptr);
  Write(Layout("lay", kKeyTag), "3", nullptr);
  EXPECT_THAT(LookUp(/*verify=*/true),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("lay:main")));
}

// A manifest under `tag` in the layout `dir` whose config blob holds
// `config` (anything, JSON or not) and which has no layers.
void PutRawImage(const oci::ImageReference& ref, const std::string& config,
                 registry::RegistrySession& registries) {
  oci::Manifest manifest;
  manifest.config.media_type = std::string(oci::kOciConfig);
  manifest.config.digest = layers::Sha256Digest(config);
  manifest.config.size = static_cast<int64_t>(config.size());
  auto dest = oci::OpenImageDestination(ref, &registries);
  ASSERT_THAT(dest, IsOk());
  StringSource bytes(config);
  ASSERT_THAT((*dest)->PutBlob(manifest.config, bytes), IsOk());
  ASSERT_THAT((*dest)->PutManifest(oci::MakeRawManifest(manifest)), IsOk());
  ASSERT_THAT((*dest)->Commit(), IsOk());
}

TEST_F(SignImageTest, ABrokenImageAtTheCacheKeyTagIsPassedOverUnread) {
  const SigningKey a = Key("a.pem");
  const oci::RawManifest branch = Write(Layout("lay", "main"), "1", &a);
  PutRawImage(Layout("lay", kKeyTag), "not json", registries_);
  absl::StatusOr<FoundCache> found = LookUp(/*verify=*/true);
  ASSERT_THAT(found, IsOk());
  EXPECT_EQ(found->image.raw.digest, branch.digest);
  // Without keys nothing is verified, and a broken key tag is an error as before.
  EXPECT_THAT(LookUp(/*verify=*/false), StatusIs(absl::StatusCode::kInvalidArgument));
}

// Whoever can push can plant a signature tag for a digest they can predict
// (builds are reproducible): it must neither block signing nor hide a valid
// signature.
TEST_F(SignImageTest, APlantedSignatureTagNeitherBlocksSigningNorHidesTheSignature) {
  const SigningKey a = Key("a.pem");
  const oci::ImageReference ref = Layout("lay", "v1");
  const oci::RawManifest raw = Write(ref, "1", nullptr);
  // More entries than cook reads that look like signatures, none with its
  // payload in the layout.
  oci::Manifest planted;
  planted.config.media_type = std::string(oci::kOciConfig);
  planted.config.digest = layers::Sha256Digest("{}");
  planted.config.size = 2;
  for (size_t i = 0; i <= kMaxSignatureLayers; ++i) {
    oci::Descriptor junk;
    junk.media_type = std::string(kSimpleSigningMediaType);
    junk.digest = layers::Sha256Digest(absl::StrCat("junk ", i));
    junk.size = 10;
    junk.annotations[std::string(kSignatureAnnotation)] = "MEUCIQ==";
    planted.layers.push_back(junk);
  }
  Plant(raw.digest, planted);
  EXPECT_THAT(Verify(ref, {"a.pub"}), StatusIs(absl::StatusCode::kPermissionDenied));

  ASSERT_THAT(SignImage(ref, raw.digest, a, registries_, root_, progress_), IsOk());
  EXPECT_THAT(SignatureManifest(ref, raw.digest).layers, SizeIs(1));
  EXPECT_THAT(Verify(ref, {"a.pub"}), IsOk());
}

TEST_F(SignImageTest, AnUnreadableIndexSignatureDoesNotHideTheManifestsOwn) {
  const SigningKey a = Key("a.pem");
  const oci::RawManifest raw = Write(Layout("lay", "single"), "1", &a);
  const std::string index_digest = PutIndex(raw, "multi");
  // The index's signature tag names a manifest whose config is not JSON
  // and whose layers are not there.
  PutRawImage(Layout("lay", SignatureTag(index_digest)), "not json", registries_);
  EXPECT_THAT(Verify(Layout("lay", "multi"), {"a.pub"}), IsOk());
  EXPECT_THAT(Verify(Layout("lay", "multi"), {"b.pub"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace cook::cache
