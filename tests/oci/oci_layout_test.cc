// The oci:DIR[:TAG] transport, through OpenImageSource / OpenImageDestination.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/files.h"
#include "oci/image.h"
#include "oci/reference.h"
#include "oci/transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "layers/digest.h"
#include "tests/oci/test_image.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace cook::oci::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::Each;

// index.json as another tool may write it: one entry, for `manifest`, with
// `fields` (JSON members) after its size.
std::string IndexJson(const RawManifest& manifest, std::string_view fields) {
  return R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
         R"("digest":")" +
         manifest.digest + R"(","size":)" +
         std::to_string(manifest.bytes.size()) + "," + std::string(fields) +
         "}]}";
}

class OciLayoutTest : public ::cook::testing::TempDirTest {
 protected:
  ImageReference Ref(const std::string& tag,
                     const std::string& dir = "layout") {
    ImageReference ref;
    ref.transport = Transport::kOci;
    ref.path = (root_ / dir).string();
    ref.tag = tag;
    return ref;
  }

  absl::Status Write(const TestImage& image, const std::string& tag) {
    absl::StatusOr<std::unique_ptr<ImageDestination>> dest =
        OpenImageDestination(Ref(tag));
    if (!dest.ok()) return dest.status();
    return WriteImage(**dest, image);
  }

  std::unique_ptr<ImageSource> Source(const std::string& tag) {
    absl::StatusOr<std::unique_ptr<ImageSource>> source =
        OpenImageSource(Ref(tag));
    EXPECT_THAT(source, IsOk());
    return source.ok() ? *std::move(source) : nullptr;
  }

  fs::path BlobPath(const std::string& digest) {
    return root_ / "layout" / "blobs" / "sha256" /
           std::string(layers::DigestHex(digest));
  }

  static ino_t Inode(const fs::path& path) {
    struct stat st = {};
    ::stat(path.c_str(), &st);
    return st.st_ino;
  }

  int BlobCount() {
    int n = 0;
    for (const auto& e :
         fs::directory_iterator(root_ / "layout" / "blobs" / "sha256")) {
      (void)e;
      ++n;
    }
    return n;
  }
};

TEST_F(OciLayoutTest, WriteThenReadBack) {
  const TestImage image =
      MakeImage({"first", "second"}, layers::Compression::kZstd);
  ASSERT_THAT(Write(image, "v1"), IsOk());

  std::unique_ptr<ImageSource> source = Source("v1");
  ASSERT_NE(source, nullptr);
  absl::StatusOr<RawManifest> raw = source->GetManifest(kAmd64);
  ASSERT_THAT(raw, IsOk());
  EXPECT_EQ(raw->bytes, image.raw.bytes);
  EXPECT_EQ(raw->digest, image.raw.digest);
  EXPECT_EQ(raw->media_type, kOciManifest);
  EXPECT_THAT(ReadSmallBlob(*source, image.manifest.config),
              IsOkAndHolds(image.config_json));
  for (size_t i = 0; i < image.layer_blobs.size(); ++i) {
    EXPECT_THAT(ReadAll(*source, image.manifest.layers[i]),
                IsOkAndHolds(image.layer_blobs[i]));
  }
}

TEST_F(OciLayoutTest, LayoutFilesFollowTheSpec) {
  const TestImage image = MakeImage({"a"});
  ASSERT_THAT(Write(image, "v1"), IsOk());
  EXPECT_THAT(ReadFile(root_ / "layout" / "oci-layout"),
              IsOkAndHolds(std::string(R"({"imageLayoutVersion":"1.0.0"})")));
  EXPECT_THAT(
      ReadFile(root_ / "layout" / "index.json"),
      IsOkAndHolds(
          R"({"manifests":[{"annotations":{"org.opencontainers.image.ref.name":"v1"},)"
          R"("digest":")" +
          image.raw.digest +
          R"(","mediaType":"application/vnd.oci.image.manifest.v1+json","size":)" +
          std::to_string(image.raw.bytes.size()) +
          R"(}],"mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2})"));
  // config, one layer, the manifest; no temporaries left behind.
  const std::vector<std::string> files = testing::ListFiles(root_ / "layout");
  EXPECT_EQ(files.size(), 5u);
  EXPECT_THAT(files, Contains("blobs/sha256/" + std::string(layers::DigestHex(
                                                    image.raw.digest))));
  EXPECT_THAT(files, Contains("index.json"));
  EXPECT_THAT(files, Each(::testing::Not(HasSubstr("tmp"))));
}

TEST_F(OciLayoutTest, TwoTagsShareBlobs) {
  const TestImage one =
      MakeImage({"shared", "only-one"}, layers::Compression::kNone, "one");
  const TestImage two =
      MakeImage({"shared", "only-two"}, layers::Compression::kNone, "two");
  ASSERT_EQ(one.manifest.layers[0], two.manifest.layers[0]);
  ASSERT_THAT(Write(one, "one"), IsOk());
  EXPECT_EQ(BlobCount(), 4);

  absl::StatusOr<std::unique_ptr<ImageDestination>> dest =
      OpenImageDestination(Ref("two"));
  ASSERT_THAT(dest, IsOk());
  EXPECT_THAT((*dest)->HasBlob(two.manifest.layers[0]), IsOkAndHolds(true));
  EXPECT_THAT((*dest)->HasBlob(two.manifest.layers[1]), IsOkAndHolds(false));
  // A shared blob is not written again: its inode stays the same.
  const ino_t inode_before = Inode(BlobPath(one.manifest.layers[0].digest));
  ASSERT_THAT(WriteImage(**dest, two), IsOk());
  EXPECT_EQ(Inode(BlobPath(one.manifest.layers[0].digest)), inode_before);
  EXPECT_EQ(BlobCount(), 7);  // +config, +1 layer, +manifest

  EXPECT_EQ(Source("one")->GetManifest(kAmd64)->digest, one.raw.digest);
  EXPECT_EQ(Source("two")->GetManifest(kAmd64)->digest, two.raw.digest);
}

TEST_F(OciLayoutTest, RetagMovesTheTagAndKeepsOthers) {
  const TestImage old_image =
      MakeImage({"old"}, layers::Compression::kNone, "old");
  const TestImage new_image =
      MakeImage({"new"}, layers::Compression::kNone, "new");
  ASSERT_THAT(Write(old_image, "latest"), IsOk());
  ASSERT_THAT(Write(old_image, "stable"), IsOk());
  ASSERT_THAT(Write(new_image, "latest"), IsOk());

  EXPECT_EQ(Source("latest")->GetManifest(kAmd64)->digest,
            new_image.raw.digest);
  EXPECT_EQ(Source("stable")->GetManifest(kAmd64)->digest,
            old_image.raw.digest);
  absl::StatusOr<std::string> index_json =
      ReadFile(root_ / "layout" / "index.json");
  ASSERT_THAT(index_json, IsOk());
  absl::StatusOr<Index> index = ParseIndex(*index_json);
  ASSERT_THAT(index, IsOk());
  EXPECT_EQ(index->manifests.size(), 2u);  // one entry per tag, none duplicated
}

TEST_F(OciLayoutTest, KeepsUnknownKeysOfOtherIndexEntries) {
  const TestImage image = MakeImage({"a"});
  ASSERT_THAT(Write(image, "v1"), IsOk());
  // Another tool added an entry with fields cook does not model.
  const std::string foreign = IndexJson(
      image.raw,
      R"("urls":["https://example.com/x"],"annotations":{"org.opencontainers.image.ref.name":"other"})");
  ASSERT_THAT(WriteFileAtomically(root_ / "layout" / "index.json", foreign),
              IsOk());
  ASSERT_THAT(Write(image, "v2"), IsOk());
  absl::StatusOr<std::string> index = ReadFile(root_ / "layout" / "index.json");
  ASSERT_THAT(index, IsOk());
  EXPECT_THAT(*index, AllOf(HasSubstr(R"("urls":["https://example.com/x"])"),
                            HasSubstr(R"(ref.name":"other")"),
                            HasSubstr(R"(ref.name":"v2")")));
}

TEST_F(OciLayoutTest, CorruptBlobIsDetectedOnRead) {
  const TestImage image = MakeImage({"some layer contents"});
  ASSERT_THAT(Write(image, "v1"), IsOk());
  const fs::path blob = BlobPath(image.manifest.layers[0].digest);
  std::string bytes = *ReadFile(blob);
  bytes[bytes.size() / 2] ^= 0x01;
  ASSERT_THAT(WriteFileAtomically(blob, bytes), IsOk());

  std::unique_ptr<ImageSource> source = Source("v1");
  EXPECT_THAT(ReadAll(*source, image.manifest.layers[0]),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr(image.manifest.layers[0].digest),
                             HasSubstr("digest mismatch"))));
  // A truncated blob too.
  ASSERT_THAT(WriteFileAtomically(blob, bytes.substr(0, 10)), IsOk());
  EXPECT_THAT(
      ReadAll(*source, image.manifest.layers[0]),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("size mismatch")));
}

TEST_F(OciLayoutTest, CorruptManifestIsDetected) {
  const TestImage image = MakeImage({"a"});
  ASSERT_THAT(Write(image, "v1"), IsOk());
  std::string bytes = image.raw.bytes;
  bytes[bytes.size() - 2] = ' ';
  ASSERT_THAT(WriteFileAtomically(BlobPath(image.raw.digest), bytes), IsOk());
  EXPECT_THAT(Source("v1")->GetManifest(kAmd64),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("manifest " + image.raw.digest),
                             HasSubstr("digest mismatch"))));
}

TEST_F(OciLayoutTest, CorruptIndexJsonNamesTheFile) {
  ASSERT_THAT(Write(MakeImage({"a"}), "v1"), IsOk());
  ASSERT_THAT(WriteFileAtomically(root_ / "layout" / "index.json",
                                  "{\"manifests\": [tru"),
              IsOk());
  EXPECT_THAT(Source("v1")->GetManifest(kAmd64),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("layout/index.json")));
  // Writing refuses to replace an index it cannot read.
  EXPECT_THAT(Write(MakeImage({"b"}), "v2"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("layout/index.json")));
  EXPECT_THAT(ReadFile(root_ / "layout" / "index.json"),
              IsOkAndHolds(std::string("{\"manifests\": [tru")));
}

// A layout from elsewhere cannot make cook read a huge index.json (or a
// huge file under a manifest's digest) into memory, nor crash it with one
// nested too deeply.
TEST_F(OciLayoutTest, HugeOrDeepIndexIsRefused) {
  ASSERT_THAT(Write(MakeImage({"a"}), "v1"), IsOk());
  const fs::path index = root_ / "layout" / "index.json";
  {
    std::ofstream out(index, std::ios::binary | std::ios::trunc);
    out << R"({"manifests": [], "pad": ")";
    const std::string block(1 << 20, 'x');
    for (int i = 0; i < 17; ++i) out << block;
    out << R"("})";
  }
  EXPECT_THAT(Source("v1")->GetManifest(kAmd64),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("layout/index.json"), HasSubstr("larger than"))));
  ASSERT_THAT(WriteFileAtomically(index, R"({"manifests": )" + std::string(300000, '[') +
                                             std::string(300000, ']') + "}"),
              IsOk());
  EXPECT_THAT(Source("v1")->GetManifest(kAmd64),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("layout/index.json"), HasSubstr("nested deeper"))));
}

TEST_F(OciLayoutTest, MissingTagListsAvailableTags) {
  ASSERT_THAT(Write(MakeImage({"a"}), "v1"), IsOk());
  ASSERT_THAT(Write(MakeImage({"b"}), "v2"), IsOk());
  EXPECT_THAT(Source("v3")->GetManifest(kAmd64),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("no image tagged \"v3\" in oci:"),
                             HasSubstr("available tags: v1, v2"))));
}

// Tags in index.json come from whoever wrote the layout: listed in an error,
// they stay on its one line.
TEST_F(OciLayoutTest, MissingTagErrorEscapesTheTagsItLists) {
  const TestImage image = MakeImage({"a"});
  ASSERT_THAT(Write(image, "v1"), IsOk());
  const std::string forged = IndexJson(
      image.raw,
      R"("annotations":{"org.opencontainers.image.ref.name":"x\nhint: forged"})");
  ASSERT_THAT(WriteFileAtomically(root_ / "layout" / "index.json", forged), IsOk());
  const absl::Status status = Source("v3")->GetManifest(kAmd64).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound,
                               HasSubstr("available tags: x\\nhint: forged")));
  EXPECT_EQ(std::string(status.message()).find('\n'), std::string::npos);
}

TEST_F(OciLayoutTest, DefaultTagReadsTheOnlyUntaggedImage) {
  const TestImage image = MakeImage({"a"});
  ASSERT_THAT(Write(image, "v1"), IsOk());
  // As `skopeo copy ... oci:DIR` (no tag) writes it: no ref.name annotation.
  Index index;
  index.manifests.push_back({std::string(kOciManifest),
                             image.raw.digest,
                             static_cast<int64_t>(image.raw.bytes.size()),
                             {},
                             std::nullopt});
  ASSERT_THAT(WriteFileAtomically(root_ / "layout" / "index.json",
                                  SerializeIndex(index)),
              IsOk());
  EXPECT_EQ(Source("latest")->GetManifest(kAmd64)->digest, image.raw.digest);
  EXPECT_THAT(
      Source("v1")->GetManifest(kAmd64),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("available tags: none")));
}

TEST_F(OciLayoutTest, MissingLayoutIsNotFound) {
  EXPECT_THAT(OpenImageSource(Ref("latest", "nowhere")),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("nowhere: no such image layout")));
}

TEST_F(OciLayoutTest, NoIndexUntilCommit) {
  const TestImage image = MakeImage({"a", "b"});
  {
    absl::StatusOr<std::unique_ptr<ImageDestination>> dest =
        OpenImageDestination(Ref("v1"));
    ASSERT_THAT(dest, IsOk());
    StringSource config(image.config_json);
    ASSERT_THAT((*dest)->PutBlob(image.manifest.config, config), IsOk());
    for (size_t i = 0; i < image.layer_blobs.size(); ++i) {
      StringSource layer(image.layer_blobs[i]);
      ASSERT_THAT((*dest)->PutBlob(image.manifest.layers[i], layer), IsOk());
    }
    ASSERT_THAT((*dest)->PutManifest(image.raw), IsOk());
    EXPECT_FALSE(fs::exists(root_ / "layout" / "index.json"));
  }  // destroyed without Commit()
  EXPECT_FALSE(fs::exists(root_ / "layout" / "index.json"));
  EXPECT_THAT(
      Source("v1")->GetManifest(kAmd64),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("no such image layout")));
}

TEST_F(OciLayoutTest, UncommittedWriteLeavesOldIndexIntact) {
  const TestImage old_image = MakeImage({"old"});
  ASSERT_THAT(Write(old_image, "v1"), IsOk());
  const std::string before = *ReadFile(root_ / "layout" / "index.json");
  {
    const TestImage new_image = MakeImage({"new"});
    absl::StatusOr<std::unique_ptr<ImageDestination>> dest =
        OpenImageDestination(Ref("v1"));
    ASSERT_THAT(dest, IsOk());
    StringSource config(new_image.config_json);
    ASSERT_THAT((*dest)->PutBlob(new_image.manifest.config, config), IsOk());
  }
  EXPECT_THAT(ReadFile(root_ / "layout" / "index.json"), IsOkAndHolds(before));
  EXPECT_EQ(Source("v1")->GetManifest(kAmd64)->digest, old_image.raw.digest);
}

TEST_F(OciLayoutTest, PutBlobRejectsWrongBytesAndLeavesNothing) {
  absl::StatusOr<std::unique_ptr<ImageDestination>> dest =
      OpenImageDestination(Ref("v1"));
  ASSERT_THAT(dest, IsOk());
  Descriptor d{std::string(kOciLayerTar),
               layers::Sha256Digest("right"),
               5,
               {},
               std::nullopt};
  StringSource wrong("wrong");
  EXPECT_THAT(
      (*dest)->PutBlob(d, wrong),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("digest mismatch")));
  StringSource longer("right!");
  EXPECT_THAT(
      (*dest)->PutBlob(d, longer),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("size mismatch")));
  EXPECT_THAT((*dest)->HasBlob(d), IsOkAndHolds(false));
  EXPECT_EQ(BlobCount(), 0);  // not even a temporary
}

TEST_F(OciLayoutTest, PutBlobFileMovesOrCopies) {
  const std::string data = "layer bytes";
  Descriptor d{std::string(kOciLayerTar),
               layers::Sha256Digest(data),
               11,
               {},
               std::nullopt};
  absl::StatusOr<std::unique_ptr<ImageDestination>> dest =
      OpenImageDestination(Ref("v1"));
  ASSERT_THAT(dest, IsOk());
  cook::testing::WriteTestFile(root_ / "copied", data);
  ASSERT_THAT((*dest)->PutBlobFile(d, root_ / "copied", /*take=*/false),
              IsOk());
  EXPECT_TRUE(fs::exists(root_ / "copied"));
  EXPECT_THAT(ReadFile(BlobPath(d.digest)), IsOkAndHolds(data));

  const std::string other = "other bytes";
  Descriptor d2{std::string(kOciLayerTar),
                layers::Sha256Digest(other),
                11,
                {},
                std::nullopt};
  cook::testing::WriteTestFile(root_ / "taken", other);
  ASSERT_THAT((*dest)->PutBlobFile(d2, root_ / "taken", /*take=*/true), IsOk());
  EXPECT_FALSE(fs::exists(root_ / "taken"));
  EXPECT_THAT(ReadFile(BlobPath(d2.digest)), IsOkAndHolds(other));

  cook::testing::WriteTestFile(root_ / "short", "short");
  Descriptor d3{std::string(kOciLayerTar),
                layers::Sha256Digest("shorter"),
                7,
                {},
                std::nullopt};
  EXPECT_THAT(
      (*dest)->PutBlobFile(d3, root_ / "short", /*take=*/true),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("size mismatch")));
}

TEST_F(OciLayoutTest, PutManifestRequiresItsBlobs) {
  const TestImage image = MakeImage({"a"});
  absl::StatusOr<std::unique_ptr<ImageDestination>> dest =
      OpenImageDestination(Ref("v1"));
  ASSERT_THAT(dest, IsOk());
  StringSource config(image.config_json);
  ASSERT_THAT((*dest)->PutBlob(image.manifest.config, config), IsOk());
  EXPECT_THAT((*dest)->PutManifest(image.raw),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(image.manifest.layers[0].digest)));
  EXPECT_THAT((*dest)->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr("no manifest")));
  RawManifest tampered = image.raw;
  tampered.digest = layers::Sha256Digest("something else");
  EXPECT_THAT(
      (*dest)->PutManifest(tampered),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("digest mismatch")));
}

TEST_F(OciLayoutTest, UnwritableLocationFailsCleanly) {
  cook::testing::WriteTestFile(root_ / "file", "not a directory");
  ImageReference under_file = Ref("v1", "file/layout");
  EXPECT_THAT(OpenImageDestination(under_file),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("file/layout")));
  EXPECT_THAT(OpenImageDestination(Ref("v1", "file")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not a directory")));

  if (::geteuid() == 0) return;  // root ignores directory permissions
  fs::create_directories(root_ / "ro");
  fs::permissions(root_ / "ro", fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_THAT(
      OpenImageDestination(Ref("v1", "ro/layout")),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("ro/layout")));
}

TEST_F(OciLayoutTest, RefusesANonEmptyDirectoryThatIsNotALayout) {
  cook::testing::WriteTestFile(root_ / "project" / "Cargo.toml", "[package]");
  EXPECT_THAT(OpenImageDestination(Ref("v1", "project")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not an image layout")));
  EXPECT_FALSE(fs::exists(root_ / "project" / "blobs"));
}

TEST_F(OciLayoutTest, ResolvesANestedIndexForThePlatform) {
  const TestImage amd = MakeImage({"amd64"});
  TestImage arm = MakeImage({"arm64"});
  arm.config.platform = Platform{"linux", "arm64", "v8"};
  arm.config_json = SerializeConfig(arm.config);
  arm.manifest.config.digest = layers::Sha256Digest(arm.config_json);
  arm.manifest.config.size = static_cast<int64_t>(arm.config_json.size());
  arm.raw = MakeRawManifest(arm.manifest);
  // Write both images untagged blobs-wise, then an index over them.
  ASSERT_THAT(Write(amd, "amd"), IsOk());
  ASSERT_THAT(Write(arm, "arm"), IsOk());
  Index index;
  index.manifests.push_back({std::string(kOciManifest),
                             amd.raw.digest,
                             static_cast<int64_t>(amd.raw.bytes.size()),
                             {},
                             kAmd64});
  index.manifests.push_back({std::string(kOciManifest),
                             arm.raw.digest,
                             static_cast<int64_t>(arm.raw.bytes.size()),
                             {},
                             Platform{"linux", "arm64", "v8"}});
  RawManifest raw_index{SerializeIndex(index), std::string(kOciIndex), ""};
  raw_index.digest = layers::Sha256Digest(raw_index.bytes);
  absl::StatusOr<std::unique_ptr<ImageDestination>> dest =
      OpenImageDestination(Ref("multi"));
  ASSERT_THAT(dest, IsOk());
  ASSERT_THAT((*dest)->PutManifest(raw_index), IsOk());
  ASSERT_THAT((*dest)->Commit(), IsOk());

  std::unique_ptr<ImageSource> source = Source("multi");
  EXPECT_EQ(source->GetManifest(kAmd64)->digest, amd.raw.digest);
  EXPECT_EQ(source->GetManifest(Platform{"linux", "arm64", ""})->digest,
            arm.raw.digest);
  EXPECT_THAT(
      source->GetManifest(Platform{"linux", "riscv64", ""}),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("linux/arm64/v8")));
}

TEST_F(OciLayoutTest, CopyImageBetweenLayoutsKeepsTheDigest) {
  const TestImage image = MakeImage({"x", "y"}, layers::Compression::kGzip);
  ASSERT_THAT(Write(image, "v1"), IsOk());
  std::unique_ptr<ImageSource> source = Source("v1");
  absl::StatusOr<std::unique_ptr<ImageDestination>> dest =
      OpenImageDestination(Ref("copy", "other"));
  ASSERT_THAT(dest, IsOk());
  absl::StatusOr<RawManifest> copied = CopyImage(*source, **dest, kAmd64);
  ASSERT_THAT(copied, IsOk());
  EXPECT_EQ(copied->digest, image.raw.digest);
  absl::StatusOr<std::unique_ptr<ImageSource>> back =
      OpenImageSource(Ref("copy", "other"));
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ((*back)->GetManifest(kAmd64)->bytes, image.raw.bytes);
  EXPECT_THAT(ReadAll(**back, image.manifest.layers[1]),
              IsOkAndHolds(image.layer_blobs[1]));
}

TEST_F(OciLayoutTest, SkopeoReadsWhatWeWrite) {
  if (std::system("command -v skopeo >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "skopeo is not installed";
  }
  const TestImage image = MakeImage({"one", "two"}, layers::Compression::kZstd);
  ASSERT_THAT(Write(image, "v1"), IsOk());
  std::string out;
  ASSERT_EQ(testing::RunCommand("skopeo --insecure-policy inspect oci:" +
                                    (root_ / "layout").string() + ":v1 2>&1",
                                &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr(image.raw.digest));
  EXPECT_THAT(out, HasSubstr(image.manifest.layers[1].digest));
  // Full validation: skopeo copies (and so verifies) every blob.
  out.clear();
  ASSERT_EQ(
      testing::RunCommand(
          "skopeo --insecure-policy copy oci:" + (root_ / "layout").string() +
              ":v1 oci:" + (root_ / "skopeo-copy").string() + ":v1 2>&1",
          &out),
      0)
      << out;
}

}  // namespace
}  // namespace cook::oci::testing
