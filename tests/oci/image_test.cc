#include "oci/image.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "oci/index_walk.h"
#include "tests/testing/status_matchers.h"

namespace cook::oci {
namespace {

using ::cook::testing::IsOk;
using ::cook::testing::IsOkAndHolds;
using ::cook::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');
const std::string kDigestC = "sha256:" + std::string(64, 'c');

TEST(ImageTest, ManifestSerialisesToKnownCanonicalBytes) {
  Manifest m;
  m.config = {std::string(kOciConfig), kDigestA, 7, {}, std::nullopt};
  m.layers.push_back({std::string(kOciLayerZstd),
                      kDigestB,
                      42,
                      {{"z", "1"}, {"a", "2"}},
                      std::nullopt});
  m.annotations = {
      {"org.opencontainers.image.created", "1970-01-01T00:00:01Z"}};
  EXPECT_EQ(
      SerializeManifest(m),
      "{\"annotations\":{\"org.opencontainers.image.created\":"
      "\"1970-01-01T00:00:01Z\"},"
      "\"config\":{\"digest\":\"" +
          kDigestA +
          "\",\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
          "\"size\":7},"
          "\"layers\":[{\"annotations\":{\"a\":\"2\",\"z\":\"1\"},"
          "\"digest\":\"" +
          kDigestB +
          "\",\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\","
          "\"size\":42}],"
          "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
          "\"schemaVersion\":2}");
}

TEST(ImageTest, EmptyManifestStillHasLayersArray) {
  Manifest m;
  m.config = {std::string(kOciConfig), kDigestA, 2, {}, std::nullopt};
  EXPECT_THAT(SerializeManifest(m), HasSubstr("\"layers\":[]"));
  EXPECT_THAT(SerializeManifest(m), Not(HasSubstr("annotations")));
}

TEST(ImageTest, ManifestRoundTrips) {
  Manifest m;
  m.config = {std::string(kOciConfig), kDigestA, 7, {}, std::nullopt};
  m.layers.push_back(
      {std::string(kOciLayerGzip), kDigestB, 42, {}, std::nullopt});
  m.layers.push_back(
      {std::string(kOciLayerTar), kDigestC, 1024, {}, std::nullopt});
  const std::string bytes = SerializeManifest(m);
  absl::StatusOr<Manifest> parsed = ParseManifest(bytes);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->config, m.config);
  EXPECT_EQ(parsed->layers, m.layers);
  EXPECT_EQ(SerializeManifest(*parsed), bytes);
}

TEST(ImageTest, ParsesDockerSchema2Manifest) {
  // As `docker push` writes it: indented, Docker media types.
  const std::string json = R"({
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 1469,
      "digest": ")" + kDigestA +
                           R"("
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 2818413,
         "digest": ")" + kDigestB +
                           R"("
      }
   ]
})";
  absl::StatusOr<Manifest> m = ParseManifest(json);
  ASSERT_THAT(m, IsOk());
  EXPECT_EQ(m->media_type, kDockerManifest);
  EXPECT_EQ(m->config.media_type, kDockerConfig);
  EXPECT_EQ(m->config.size, 1469);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].media_type, kDockerLayerGzip);
  EXPECT_EQ(m->layers[0].digest, kDigestB);
  EXPECT_THAT(DetectMediaType(json),
              IsOkAndHolds(std::string(kDockerManifest)));
}

TEST(ImageTest, ManifestParseErrorsSayWhatIsWrong) {
  EXPECT_THAT(ParseManifest("{not json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("parsing image manifest")));
  EXPECT_THAT(ParseManifest(R"({"schemaVersion":2,"layers":[]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"config\" is missing")));
  EXPECT_THAT(
      ParseManifest(
          R"({"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:12","size":1},"layers":[]})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config.digest")));
  EXPECT_THAT(
      ParseManifest(R"({"schemaVersion":1,"config":{}})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("schemaVersion")));
  EXPECT_THAT(ParseManifest(R"({"schemaVersion":2,"manifests":[]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("index")));
  EXPECT_THAT(
      ParseManifest(R"({"config":{"mediaType":"x","digest":")" + kDigestA +
                    R"(","size":-1}})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config.size")));
}

// A document nested deeper than any image needs is refused before
// nlohmann-json sees it (it would overflow the stack copying or freeing it).
TEST(ImageTest, DeeplyNestedDocumentsAreRefused) {
  const std::string deep = absl::StrCat(R"({"schemaVersion": 2, "x": )",
                                        std::string(300000, '['),
                                        std::string(300000, ']'), "}");
  EXPECT_THAT(ParseManifest(deep), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("nested deeper than")));
  EXPECT_THAT(ParseIndex(deep), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("nested deeper than")));
  EXPECT_THAT(ParseConfig(deep), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("nested deeper than")));
  EXPECT_THAT(DetectMediaType(deep), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ImageTest, IndexRoundTripsAndSelectsPlatform) {
  Index index;
  index.manifests.push_back({std::string(kOciManifest),
                             kDigestA,
                             10,
                             {},
                             Platform{"linux", "arm64", "v8"}});
  index.manifests.push_back({std::string(kOciManifest),
                             kDigestB,
                             11,
                             {},
                             Platform{"linux", "amd64", ""}});
  const std::string bytes = SerializeIndex(index);
  EXPECT_THAT(
      bytes,
      HasSubstr("\"mediaType\":\"application/vnd.oci.image.index.v1+json\""));
  absl::StatusOr<Index> parsed = ParseIndex(bytes);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->manifests, index.manifests);
  EXPECT_EQ(SerializeIndex(*parsed), bytes);

  absl::StatusOr<Descriptor> amd64 =
      SelectManifest(*parsed, Platform{"linux", "amd64", ""});
  ASSERT_THAT(amd64, IsOk());
  EXPECT_EQ(amd64->digest, kDigestB);
  // An unspecified variant accepts the index's v8.
  absl::StatusOr<Descriptor> arm64 =
      SelectManifest(*parsed, Platform{"linux", "arm64", ""});
  ASSERT_THAT(arm64, IsOk());
  EXPECT_EQ(arm64->digest, kDigestA);
  EXPECT_THAT(SelectManifest(*parsed, Platform{"linux", "s390x", ""}),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("available: linux/arm64/v8, linux/amd64")));
}

// Media types and platforms come from registries: errors quoting them stay
// one line and cannot drive the terminal.
TEST(ImageTest, ErrorsEscapeWhatTheImageSays) {
  const absl::Status media = ParseManifest(
      "{\"schemaVersion\":2,\"mediaType\":\"x\\ncook: forged\\u001b[2J\"}").status();
  EXPECT_THAT(media, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("x\\ncook: forged\\x1b[2J")));
  EXPECT_EQ(std::string(media.message()).find('\n'), std::string::npos);

  Index index;
  index.manifests.push_back({std::string(kOciManifest), kDigestA, 7, {},
                             Platform{"linux\nforged", "amd64", ""}});
  const absl::Status platform =
      SelectManifest(index, Platform{"linux", "s390x", ""}).status();
  EXPECT_THAT(platform, StatusIs(absl::StatusCode::kNotFound,
                                 HasSubstr("available: linux\\nforged/amd64")));
  EXPECT_EQ(std::string(platform.message()).find('\n'), std::string::npos);
}

TEST(ImageTest, ParsesDockerManifestList) {
  const std::string json =
      R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json",
          "manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
          "digest":")" +
      kDigestA +
      R"(","size":5,"platform":{"architecture":"amd64","os":"linux"}}]})";
  absl::StatusOr<Index> index = ParseIndex(json);
  ASSERT_THAT(index, IsOk());
  ASSERT_EQ(index->manifests.size(), 1u);
  EXPECT_EQ(index->manifests[0].platform, (Platform{"linux", "amd64", ""}));
  EXPECT_TRUE(IsIndexMediaType(*DetectMediaType(json)));
  EXPECT_THAT(DetectMediaType(R"({"manifests":[]})"),
              IsOkAndHolds(std::string(kOciIndex)));
  EXPECT_THAT(DetectMediaType(R"({"layers":[]})"),
              IsOkAndHolds(std::string(kOciManifest)));
  EXPECT_THAT(
      DetectMediaType(R"({"foo":1})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mediaType")));
}

TEST(ImageTest, ConfigRoundTripPreservesUnknownKeys) {
  const std::string json = R"({
    "architecture": "arm64", "variant": "v8", "os": "linux",
    "os.version": "10.0", "container_config": {"Hostname": "abc"},
    "created": "2024-05-06T07:08:09.123456789Z", "author": "someone",
    "docker_version": "24.0.5",
    "config": {"Env": ["PATH=/bin", "A=1"], "Cmd": ["sh"], "Entrypoint": null,
               "WorkingDir": "/w", "User": "1000:1000", "Labels": {"b": "2", "a": "1"},
               "ExposedPorts": {"80/tcp": {}}, "StopSignal": "SIGTERM", "ArgsEscaped": true},
    "rootfs": {"type": "layers", "diff_ids": [")" +
                           kDigestA + R"(", ")" + kDigestB + R"("]},
    "history": [{"created": "2024-05-06T07:08:09Z", "created_by": "/bin/sh -c #(nop) ADD"},
                {"empty_layer": true, "comment": "ümlaut"}]
  })";
  absl::StatusOr<ImageConfig> c = ParseConfig(json);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->platform, (Platform{"linux", "arm64", "v8"}));
  EXPECT_EQ(c->created, "2024-05-06T07:08:09.123456789Z");
  EXPECT_EQ(c->author, "someone");
  EXPECT_THAT(c->env, ElementsAre("PATH=/bin", "A=1"));
  EXPECT_THAT(c->cmd, ElementsAre("sh"));
  EXPECT_TRUE(c->entrypoint.empty());
  EXPECT_EQ(c->working_dir, "/w");
  EXPECT_EQ(c->user, "1000:1000");
  EXPECT_THAT(c->labels, ElementsAre(Pair("a", "1"), Pair("b", "2")));
  EXPECT_THAT(c->diff_ids, ElementsAre(kDigestA, kDigestB));
  EXPECT_THAT(c->extra,
              ElementsAre(Pair("container_config", R"({"Hostname":"abc"})"),
                          Pair("docker_version", R"("24.0.5")"),
                          Pair("os.version", R"("10.0")")));
  EXPECT_THAT(c->config_extra,
              ElementsAre(Pair("ArgsEscaped", "true"),
                          Pair("ExposedPorts", R"({"80/tcp":{}})"),
                          Pair("StopSignal", R"("SIGTERM")")));
  ASSERT_EQ(c->history_json.size(), 2u);
  EXPECT_EQ(c->history_json[1], R"({"comment":"ümlaut","empty_layer":true})");

  const std::string out = SerializeConfig(*c);
  EXPECT_THAT(out, HasSubstr(R"("ExposedPorts":{"80/tcp":{}})"));
  EXPECT_THAT(out, HasSubstr(R"("container_config":{"Hostname":"abc"})"));
  EXPECT_THAT(out, HasSubstr(R"("os.version":"10.0")"));
  absl::StatusOr<ImageConfig> again = ParseConfig(out);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(SerializeConfig(*again), out);
}

TEST(ImageTest, ConfigSerialisationOmitsEmptyOptionalFields) {
  ImageConfig c;
  c.diff_ids = {kDigestA};
  EXPECT_EQ(SerializeConfig(c),
            R"({"architecture":"amd64","config":{},"os":"linux",)"
            R"("rootfs":{"diff_ids":[")" +
                kDigestA + R"("],"type":"layers"}})");
  c.created = "1970-01-01T00:00:01Z";
  c.SetEnv("PATH", "/bin");
  c.entrypoint = {"/bin/app"};
  c.labels["k"] = "v";
  c.history_json = {R"({"created_by":"cook"})"};
  EXPECT_EQ(
      SerializeConfig(c),
      R"({"architecture":"amd64","config":{"Entrypoint":["/bin/app"],)"
      R"("Env":["PATH=/bin"],"Labels":{"k":"v"}},"created":"1970-01-01T00:00:01Z",)"
      R"("history":[{"created_by":"cook"}],"os":"linux",)"
      R"("rootfs":{"diff_ids":[")" +
          kDigestA + R"("],"type":"layers"}})");
}

TEST(ImageTest, ModelledFieldsWinOverExtra) {
  ImageConfig c;
  c.extra["architecture"] = R"("s390x")";
  c.extra["zzz"] = R"([1,2])";
  const std::string out = SerializeConfig(c);
  EXPECT_THAT(out, HasSubstr(R"("architecture":"amd64")"));
  EXPECT_THAT(out, HasSubstr(R"("zzz":[1,2])"));
}

TEST(ImageTest, UnicodeIsWrittenAsUtf8AndStable) {
  ImageConfig c;
  c.labels["greeting"] = "héllo ☃ \x01";
  c.env = {"NAME=Zoë"};
  const std::string out = SerializeConfig(c);
  EXPECT_THAT(out, HasSubstr("\"greeting\":\"héllo ☃ \\u0001\""));
  EXPECT_THAT(out, HasSubstr("\"NAME=Zoë\""));
  // Parsing escaped input yields the same canonical bytes.
  absl::StatusOr<ImageConfig> parsed = ParseConfig(
      R"({"architecture":"amd64","os":"linux","config":{"Env":["NAME=Zo\u00eb"],)"
      R"("Labels":{"greeting":"h\u00e9llo \u2603 \u0001"}},"rootfs":{"type":"layers","diff_ids":[]}})");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(SerializeConfig(*parsed), out);
}

TEST(ImageTest, ConfigParseErrors) {
  EXPECT_THAT(
      ParseConfig(R"({"architecture":"amd64","os":"linux"})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rootfs")));
  EXPECT_THAT(
      ParseConfig(R"({"os":"linux","rootfs":{"type":"layers","diff_ids":[]}})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("architecture")));
  EXPECT_THAT(
      ParseConfig(
          R"({"architecture":"amd64","os":"linux","config":{"Env":"A=1"},)"
          R"("rootfs":{"type":"layers","diff_ids":[]}})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("config.Env")));
  EXPECT_THAT(
      ParseConfig(R"({"architecture":"amd64","os":"linux",)"
                  R"("rootfs":{"type":"layers","diff_ids":["md5:00"]}})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("diff_ids")));
  EXPECT_THAT(ParseConfig("[]"), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("not a JSON object")));
}

TEST(ImageTest, SetEnvReplacesInPlace) {
  ImageConfig c;
  c.env = {"A=1", "PATH=/bin", "PATHX=2"};
  c.SetEnv("PATH", "/usr/bin:/bin");
  c.SetEnv("B", "x=y");
  EXPECT_THAT(c.env,
              ElementsAre("A=1", "PATH=/usr/bin:/bin", "PATHX=2", "B=x=y"));
  EXPECT_EQ(c.GetEnv("B"), "x=y");
  EXPECT_EQ(c.GetEnv("PATHX"), "2");
  EXPECT_EQ(c.GetEnv("PAT"), std::nullopt);
}

TEST(ImageTest, ParsesPlatforms) {
  EXPECT_THAT(ParsePlatform("linux/arm64/v8"),
              IsOkAndHolds(Platform{"linux", "arm64", "v8"}));
  EXPECT_THAT(ParsePlatform("linux/amd64"),
              IsOkAndHolds(Platform{"linux", "amd64", ""}));
  for (const char* bad : {"linux", "linux/", "/amd64", "a/b/c/d", ""}) {
    EXPECT_THAT(ParsePlatform(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("OS/ARCH")))
        << bad;
  }
  EXPECT_EQ((Platform{"linux", "arm", "v7"}).ToString(), "linux/arm/v7");
  EXPECT_EQ(HostPlatform().os, "linux");
  EXPECT_FALSE(HostPlatform().architecture.empty());
}

TEST(ImageTest, VerifyDigest) {
  // sha256("abc")
  const std::string abc =
      "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  EXPECT_THAT(VerifyDigest("abc", abc, "the blob"), IsOk());
  EXPECT_THAT(VerifyDigest("abd", abc, "the blob"),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("verifying the blob: digest mismatch")));
  EXPECT_THAT(
      VerifyDigest("abc", "sha256:ABC", "the blob"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("the blob")));
}

}  // namespace
}  // namespace cook::oci
