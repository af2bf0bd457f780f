// The docker-archive:FILE[:NAME:TAG] transport, through OpenImageSource /
// OpenImageDestination.

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
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
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// 2024-01-02T03:04:05Z, the test images' `created`.
constexpr int64_t kCreated = 1704164645;

struct Member {
  std::string name;
  std::string data;
  int64_t mtime;
  int64_t uid;
  int64_t gid;
  bool is_dir;
};

std::vector<Member> ReadArchive(const fs::path& path) {
  std::vector<Member> out;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  if (archive_read_open_filename(a, path.c_str(), 10240) != ARCHIVE_OK) {
    ADD_FAILURE() << archive_error_string(a);
    archive_read_free(a);
    return out;
  }
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    Member m{archive_entry_pathname(e), "",
             archive_entry_mtime(e),    archive_entry_uid(e),
             archive_entry_gid(e),      archive_entry_filetype(e) == AE_IFDIR};
    char buffer[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buffer, sizeof buffer)) > 0)
      m.data.append(buffer, n);
    out.push_back(std::move(m));
  }
  archive_read_free(a);
  return out;
}

std::string Hex(const std::string& digest) {
  return std::string(layers::DigestHex(digest));
}

class DockerArchiveTest : public cook::testing::TempDirTest {
 protected:
  ImageReference Ref(const std::string& file, const std::string& name = "") {
    ImageReference ref;
    ref.transport = Transport::kDockerArchive;
    ref.path = (root_ / file).string();
    ref.archive_name = name;
    return ref;
  }

  absl::Status Write(const TestImage& image, const ImageReference& ref) {
    absl::StatusOr<std::unique_ptr<ImageDestination>> dest =
        OpenImageDestination(ref);
    if (!dest.ok()) return dest.status();
    return WriteImage(**dest, image);
  }
};

TEST_F(DockerArchiveTest, WriteThenReadBackGivesSameConfigAndDiffIds) {
  const TestImage image =
      MakeImage({"first", "second"}, layers::Compression::kZstd);
  ASSERT_THAT(Write(image, Ref("img.tar", "app:v1")), IsOk());

  absl::StatusOr<std::unique_ptr<ImageSource>> source =
      OpenImageSource(Ref("img.tar", "app:v1"));
  ASSERT_THAT(source, IsOk());
  absl::StatusOr<RawManifest> raw = (*source)->GetManifest(kAmd64);
  ASSERT_THAT(raw, IsOk());
  EXPECT_EQ(raw->media_type, kOciManifest);
  EXPECT_EQ(raw->digest, layers::Sha256Digest(raw->bytes));
  absl::StatusOr<Manifest> m = ParseManifest(raw->bytes);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->config.digest, image.manifest.config.digest);
  EXPECT_EQ(m->config.media_type, kOciConfig);
  EXPECT_THAT(ReadSmallBlob(**source, m->config),
              IsOkAndHolds(image.config_json));
  ASSERT_EQ(m->layers.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(m->layers[i].media_type, kOciLayerTar);
    EXPECT_EQ(m->layers[i].digest, image.config.diff_ids[i]);
    EXPECT_EQ(m->layers[i].size,
              static_cast<int64_t>(image.layer_tars[i].size()));
    EXPECT_THAT(ReadAll(**source, m->layers[i]),
                IsOkAndHolds(image.layer_tars[i]));
  }
}

TEST_F(DockerArchiveTest, ArchiveIsTheDockerSaveFormatAndDeterministic) {
  const TestImage image = MakeImage({"a", "b"}, layers::Compression::kGzip);
  ASSERT_THAT(Write(image, Ref("one.tar", "registry.example:5000/team/app:v1")),
              IsOk());
  ASSERT_THAT(Write(image, Ref("two.tar", "registry.example:5000/team/app:v1")),
              IsOk());
  EXPECT_EQ(*ReadFile(root_ / "one.tar"), *ReadFile(root_ / "two.tar"));

  const std::string config = Hex(image.manifest.config.digest) + ".json";
  const std::string l0 = Hex(image.config.diff_ids[0]);
  const std::string l1 = Hex(image.config.diff_ids[1]);
  std::vector<std::string> expected_names = {config,
                                             l0,
                                             l0 + "/layer.tar",
                                             l1,
                                             l1 + "/layer.tar",
                                             "manifest.json",
                                             "repositories"};
  std::sort(expected_names.begin(), expected_names.end());
  const std::vector<Member> members = ReadArchive(root_ / "one.tar");
  std::vector<std::string> names;
  for (const Member& m : members) {
    names.push_back(
        m.is_dir ? m.name.substr(0, m.name.find_last_not_of('/') + 1) : m.name);
    EXPECT_EQ(m.mtime, kCreated) << m.name;
    EXPECT_EQ(m.uid, 0) << m.name;
    EXPECT_EQ(m.gid, 0) << m.name;
    if (m.name == config) {
      EXPECT_EQ(m.data, image.config_json);
    }
    if (m.name == l0 + "/layer.tar") {
      EXPECT_EQ(m.data, image.layer_tars[0]);
    }
    if (m.name == l1 + "/layer.tar") {
      EXPECT_EQ(m.data, image.layer_tars[1]);
    }
    if (m.name == "manifest.json") {
      EXPECT_EQ(
          m.data,
          absl::StrFormat(
              R"([{"Config":"%s","Layers":["%s/layer.tar","%s/layer.tar"],)"
              R"("RepoTags":["registry.example:5000/team/app:v1"]}])",
              config, l0, l1));
    }
    if (m.name == "repositories") {
      EXPECT_EQ(m.data,
                absl::StrFormat(
                    R"({"registry.example:5000/team/app":{"v1":"%s"}})", l1));
    }
  }
  EXPECT_THAT(names, ElementsAreArray(expected_names));
}

TEST_F(DockerArchiveTest, UntaggedArchiveHasNoRepoTags) {
  const TestImage image = MakeImage({"a"});
  ASSERT_THAT(Write(image, Ref("img.tar")), IsOk());
  std::vector<std::string> names;
  for (const Member& m : ReadArchive(root_ / "img.tar")) {
    names.push_back(m.name);
    if (m.name == "manifest.json") {
      EXPECT_THAT(m.data, ::testing::Not(HasSubstr("RepoTags")));
    }
  }
  EXPECT_THAT(names, ::testing::Not(::testing::Contains("repositories")));
  absl::StatusOr<std::unique_ptr<ImageSource>> source =
      OpenImageSource(Ref("img.tar"));
  ASSERT_THAT(source, IsOk());
  EXPECT_THAT((*source)->GetManifest(kAmd64), IsOk());
}

TEST_F(DockerArchiveTest, ExistingFileSurvivesAFailedWrite) {
  cook::testing::WriteTestFile(root_ / "img.tar", "previous archive");
  TestImage image = MakeImage({"a", "b"}, layers::Compression::kZstd);
  // The config lies about the second layer's uncompressed digest.
  image.config.diff_ids[1] = layers::Sha256Digest("not the layer");
  image.config_json = SerializeConfig(image.config);
  image.manifest.config.digest = layers::Sha256Digest(image.config_json);
  image.manifest.config.size = static_cast<int64_t>(image.config_json.size());
  image.raw = MakeRawManifest(image.manifest);

  EXPECT_THAT(Write(image, Ref("img.tar", "app:v1")),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("docker-archive:"), HasSubstr("diff_id"),
                             HasSubstr(image.config.diff_ids[1]))));
  EXPECT_THAT(ReadFile(root_ / "img.tar"),
              IsOkAndHolds(std::string("previous archive")));
  EXPECT_THAT(testing::ListFiles(root_),
              ElementsAre("img.tar"));  // no temporaries
}

TEST_F(DockerArchiveTest, DestroyedWithoutCommitLeavesNothing) {
  const TestImage image = MakeImage({"a"});
  {
    absl::StatusOr<std::unique_ptr<ImageDestination>> dest =
        OpenImageDestination(Ref("img.tar", "app:v1"));
    ASSERT_THAT(dest, IsOk());
    StringSource config(image.config_json);
    ASSERT_THAT((*dest)->PutBlob(image.manifest.config, config), IsOk());
    StringSource layer(image.layer_blobs[0]);
    ASSERT_THAT((*dest)->PutBlob(image.manifest.layers[0], layer), IsOk());
    ASSERT_THAT((*dest)->PutManifest(image.raw), IsOk());
  }
  EXPECT_TRUE(fs::is_empty(root_));
}

TEST_F(DockerArchiveTest, PutManifestChecksWhatWasPut) {
  const TestImage image = MakeImage({"a"});
  absl::StatusOr<std::unique_ptr<ImageDestination>> dest =
      OpenImageDestination(Ref("img.tar"));
  ASSERT_THAT(dest, IsOk());
  EXPECT_THAT((*dest)->PutManifest(image.raw),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(image.manifest.config.digest)));
  Index index;
  RawManifest raw_index{SerializeIndex(index), std::string(kOciIndex), ""};
  raw_index.digest = layers::Sha256Digest(raw_index.bytes);
  EXPECT_THAT((*dest)->PutManifest(raw_index),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("one image manifest")));
  EXPECT_THAT((*dest)->Commit(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr("no manifest")));
}

TEST_F(DockerArchiveTest, SelectsTheImageByName) {
  ASSERT_THAT(Write(MakeImage({"a"}), Ref("img.tar", "app:v1")), IsOk());
  EXPECT_THAT(OpenImageSource(Ref("img.tar", "docker.io/library/app:v1")),
              IsOk());
  EXPECT_THAT(OpenImageSource(Ref("img.tar", "other:v2")),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("no image named \"other:v2\""),
                             HasSubstr("available: app:v1"))));
}

TEST_F(DockerArchiveTest, ReadsLegacyDockerSaveArchivesWithLinkedLayers) {
  // docker save (before 25): one directory per layer, a duplicate layer as a
  // symlink to the first copy.
  const std::string layer = MakeTar({{"etc/hostname", "box\n", '0', ""}});
  const std::string diff_id = layers::Sha256Digest(layer);
  ImageConfig config;
  config.diff_ids = {diff_id, diff_id};
  const std::string config_json = SerializeConfig(config);
  const std::string config_hex = Hex(layers::Sha256Digest(config_json));
  const std::string id1(64, '1');
  const std::string id2(64, '2');
  const std::string manifest = absl::StrFormat(
      R"([{"Config":"%s.json","RepoTags":["app:v1"],"Layers":["%s/layer.tar","%s/layer.tar"]}])",
      config_hex, id1, id2);
  const std::string archive = MakeTar({
      {"./" + id1 + "/", "", '5', ""},
      {"./" + id1 + "/VERSION", "1.0", '0', ""},
      {"./" + id1 + "/layer.tar", layer, '0', ""},
      {"./" + id2 + "/", "", '5', ""},
      {"./" + id2 + "/layer.tar", "", '2', "../" + id1 + "/layer.tar"},
      {config_hex + ".json", config_json, '0', ""},
      {"manifest.json", manifest, '0', ""},
  });
  cook::testing::WriteTestFile(root_ / "legacy.tar", archive);

  absl::StatusOr<std::unique_ptr<ImageSource>> source =
      OpenImageSource(Ref("legacy.tar"));
  ASSERT_THAT(source, IsOk());
  absl::StatusOr<Manifest> m =
      ParseManifest((*source)->GetManifest(kAmd64)->bytes);
  ASSERT_THAT(m, IsOk());
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_THAT(ReadAll(**source, m->layers[0]), IsOkAndHolds(layer));
  EXPECT_THAT(ReadAll(**source, m->layers[1]), IsOkAndHolds(layer));
  EXPECT_THAT(ReadSmallBlob(**source, m->config), IsOkAndHolds(config_json));
}

TEST_F(DockerArchiveTest, ReadsBlobsStyleArchivesWithCompressedLayers) {
  // docker save (25+) stores blobs by digest; a layer may be compressed.
  const std::string layer = MakeTar({{"hello", "world", '0', ""}});
  const std::string gz = testing::Compress(layer, layers::Compression::kGzip);
  ImageConfig config;
  config.diff_ids = {layers::Sha256Digest(layer)};
  const std::string config_json = SerializeConfig(config);
  const std::string config_hex = Hex(layers::Sha256Digest(config_json));
  const std::string gz_hex = Hex(layers::Sha256Digest(gz));
  const std::string archive = MakeTar({
      {"blobs/sha256/" + config_hex, config_json, '0', ""},
      {"blobs/sha256/" + gz_hex, gz, '0', ""},
      {"manifest.json",
       absl::StrFormat(
           R"([{"Config":"blobs/sha256/%s","RepoTags":null,"Layers":["blobs/sha256/%s"]}])",
           config_hex, gz_hex),
       '0', ""},
      {"oci-layout", R"({"imageLayoutVersion":"1.0.0"})", '0', ""},
  });
  cook::testing::WriteTestFile(root_ / "new.tar", archive);
  absl::StatusOr<std::unique_ptr<ImageSource>> source =
      OpenImageSource(Ref("new.tar"));
  ASSERT_THAT(source, IsOk());
  absl::StatusOr<Manifest> m =
      ParseManifest((*source)->GetManifest(kAmd64)->bytes);
  ASSERT_THAT(m, IsOk());
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].media_type, kOciLayerGzip);
  EXPECT_EQ(m->layers[0].digest, "sha256:" + gz_hex);
  EXPECT_THAT(ReadAll(**source, m->layers[0]), IsOkAndHolds(gz));
}

TEST_F(DockerArchiveTest, ReadsAGzippedArchive) {
  const TestImage image = MakeImage({"a"});
  ASSERT_THAT(Write(image, Ref("img.tar", "app:v1")), IsOk());
  cook::testing::WriteTestFile(root_ / "img.tar.gz",
                               testing::Compress(*ReadFile(root_ / "img.tar"),
                                                 layers::Compression::kGzip));
  absl::StatusOr<std::unique_ptr<ImageSource>> source =
      OpenImageSource(Ref("img.tar.gz"));
  ASSERT_THAT(source, IsOk());
  absl::StatusOr<Manifest> m =
      ParseManifest((*source)->GetManifest(kAmd64)->bytes);
  ASSERT_THAT(m, IsOk());
  EXPECT_THAT(ReadAll(**source, m->layers[0]),
              IsOkAndHolds(image.layer_tars[0]));
}

TEST_F(DockerArchiveTest, DecompressesIntoTheGivenTempDirOnly) {
  ASSERT_THAT(Write(MakeImage({"a"}), Ref("img.tar", "app:v1")), IsOk());
  cook::testing::WriteTestFile(root_ / "img.tar.gz",
                               testing::Compress(*ReadFile(root_ / "img.tar"),
                                                 layers::Compression::kGzip));
  const fs::path temp = root_ / "tmp";
  fs::create_directories(temp);
  {
    absl::StatusOr<std::unique_ptr<ImageSource>> source =
        OpenImageSource(Ref("img.tar.gz"), nullptr, temp);
    ASSERT_THAT(source, IsOk());
    EXPECT_EQ(
        std::distance(fs::directory_iterator(temp), fs::directory_iterator()),
        1);
  }
  EXPECT_TRUE(fs::is_empty(temp));
}

TEST_F(DockerArchiveTest, CorruptLayerIsDetectedOnRead) {
  const TestImage image = MakeImage({"precious contents"});
  ASSERT_THAT(Write(image, Ref("img.tar")), IsOk());
  std::string bytes = *ReadFile(root_ / "img.tar");
  const size_t at = bytes.find("precious contents");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'P';
  ASSERT_THAT(WriteFileAtomically(root_ / "img.tar", bytes), IsOk());

  absl::StatusOr<std::unique_ptr<ImageSource>> source =
      OpenImageSource(Ref("img.tar"));
  ASSERT_THAT(source, IsOk());
  absl::StatusOr<Manifest> m =
      ParseManifest((*source)->GetManifest(kAmd64)->bytes);
  ASSERT_THAT(m, IsOk());
  EXPECT_THAT(
      ReadAll(**source, m->layers[0]),
      StatusIs(absl::StatusCode::kDataLoss,
               AllOf(HasSubstr(image.config.diff_ids[0]), HasSubstr("img.tar"),
                     HasSubstr("digest mismatch"))));
}

TEST_F(DockerArchiveTest, BadInputsAreClearErrors) {
  EXPECT_THAT(OpenImageSource(Ref("missing.tar")),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("missing.tar: no such file")));
  cook::testing::WriteTestFile(root_ / "notes.txt", std::string(2048, 'x'));
  EXPECT_THAT(
      OpenImageSource(Ref("notes.txt")),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("corrupt tar archive")));
  cook::testing::WriteTestFile(root_ / "plain.tar",
                               MakeTar({{"a", "b", '0', ""}}));
  EXPECT_THAT(OpenImageSource(Ref("plain.tar")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("no manifest.json")));
  EXPECT_THAT(
      OpenImageDestination(Ref("no/such/dir/img.tar")),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("does not exist")));
}

TEST_F(DockerArchiveTest, CopyBetweenLayoutAndArchiveKeepsConfigAndDiffIds) {
  const TestImage image =
      MakeImage({"x", "y", "x"}, layers::Compression::kZstd);
  ImageReference layout{Transport::kOci, (root_ / "layout").string(), "v1"};
  {
    absl::StatusOr<std::unique_ptr<ImageDestination>> dest =
        OpenImageDestination(layout);
    ASSERT_THAT(dest, IsOk());
    ASSERT_THAT(WriteImage(**dest, image), IsOk());
  }
  {
    absl::StatusOr<std::unique_ptr<ImageSource>> from = OpenImageSource(layout);
    absl::StatusOr<std::unique_ptr<ImageDestination>> to =
        OpenImageDestination(Ref("img.tar", "app:v1"));
    ASSERT_THAT(from, IsOk());
    ASSERT_THAT(to, IsOk());
    ASSERT_THAT(CopyImage(**from, **to, kAmd64), IsOk());
  }
  ImageReference back{Transport::kOci, (root_ / "back").string(), "v1"};
  absl::StatusOr<RawManifest> copied;
  {
    absl::StatusOr<std::unique_ptr<ImageSource>> from =
        OpenImageSource(Ref("img.tar"));
    absl::StatusOr<std::unique_ptr<ImageDestination>> to =
        OpenImageDestination(back);
    ASSERT_THAT(from, IsOk());
    ASSERT_THAT(to, IsOk());
    copied = CopyImage(**from, **to, kAmd64);
    ASSERT_THAT(copied, IsOk());
  }
  absl::StatusOr<Manifest> m = ParseManifest(copied->bytes);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->config.digest, image.manifest.config.digest);
  std::vector<std::string> digests;
  for (const Descriptor& d : m->layers) digests.push_back(d.digest);
  EXPECT_EQ(digests, image.config.diff_ids);
}

TEST_F(DockerArchiveTest, SkopeoReadsWhatWeWrite) {
  if (std::system("command -v skopeo >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "skopeo is not installed";
  }
  const TestImage image = MakeImage({"one", "two"}, layers::Compression::kZstd);
  ASSERT_THAT(Write(image, Ref("img.tar", "localhost/app:v1")), IsOk());
  std::string out;
  ASSERT_EQ(
      testing::RunCommand("skopeo --insecure-policy inspect docker-archive:" +
                              (root_ / "img.tar").string() + " 2>&1",
                          &out),
      0)
      << out;
  EXPECT_THAT(out, HasSubstr(image.config.diff_ids[0]));
  EXPECT_THAT(out, HasSubstr(image.config.diff_ids[1]));
  // skopeo copy reads every layer and checks it against the config.
  out.clear();
  ASSERT_EQ(testing::RunCommand(
                "skopeo --insecure-policy copy docker-archive:" +
                    (root_ / "img.tar").string() + ":localhost/app:v1 oci:" +
                    (root_ / "copy").string() + ":v1 2>&1",
                &out),
            0)
      << out;
}

TEST_F(DockerArchiveTest, PodmanLoadsWhatWeWrite) {
  if (std::system("command -v podman >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "podman is not installed";
  }
  const TestImage image = MakeImage({"one", "two"}, layers::Compression::kGzip);
  ASSERT_THAT(Write(image, Ref("img.tar", "localhost/cook-test:v1")), IsOk());
  // A private store, so that the test touches no one else's images. podman
  // wants a short runroot path.
  char run[] = "/tmp/cook-podman-XXXXXX";
  ASSERT_NE(::mkdtemp(run), nullptr);
  struct RemoveRun {
    std::string path;
    ~RemoveRun() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  } remove_run{run};
  const std::string podman = absl::StrFormat(
      "podman --root %s --runroot %s --tmpdir %s/tmp --storage-driver vfs "
      "--events-backend none",
      (root_ / "store").string(), run, run);
  if (testing::RunCommand(podman + " info >/dev/null 2>&1", nullptr) != 0) {
    GTEST_SKIP() << "podman cannot run here";
  }
  std::string out;
  ASSERT_EQ(
      testing::RunCommand(
          podman + " load -i " + (root_ / "img.tar").string() + " 2>&1", &out),
      0)
      << out;
  EXPECT_THAT(out, HasSubstr("localhost/cook-test:v1"));
  out.clear();
  ASSERT_EQ(
      testing::RunCommand(
          podman + " image inspect --format '{{.Id}}' localhost/cook-test:v1",
          &out),
      0)
      << out;
  // The image ID is the config digest: podman kept our config byte for byte.
  EXPECT_THAT(out, HasSubstr(Hex(image.manifest.config.digest)));
  testing::RunCommand(podman + " system reset -f >/dev/null 2>&1", nullptr);
}

}  // namespace
}  // namespace cook::oci::testing
