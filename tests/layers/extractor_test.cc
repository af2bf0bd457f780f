#include "layers/extractor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "base/fd.h"
#include "base/files.h"
#include "base/interrupt.h"
#include "base/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "layers/compressor.h"
#include "layers/digest.h"
#include "layers/layer_writer.h"
#include "tests/layers/tar_testing.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook::layers {
namespace {

namespace fs = std::filesystem;
using ::cook::layers::testing::BuildTar;
using ::cook::layers::testing::TarEntry;
using ::cook::testing::IsOk;
using ::cook::testing::IsOkAndHolds;
using ::cook::testing::StatusIs;
using ::cook::testing::WriteTestFile;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kEpoch = 1153704088;

TarEntry File(std::string name, std::string data, uint32_t perm = 0644) {
  return {.name = std::move(name),
          .type = S_IFREG,
          .perm = perm,
          .mtime = kEpoch,
          .data = std::move(data)};
}
TarEntry Dir(std::string name, uint32_t perm = 0755) {
  return {
      .name = std::move(name), .type = S_IFDIR, .perm = perm, .mtime = kEpoch};
}
TarEntry Symlink(std::string name, std::string target) {
  return {.name = std::move(name),
          .type = S_IFLNK,
          .perm = 0777,
          .mtime = kEpoch,
          .symlink = std::move(target)};
}
TarEntry Hardlink(std::string name, std::string target) {
  return {.name = std::move(name),
          .type = S_IFREG,
          .perm = 0644,
          .mtime = kEpoch,
          .hardlink = std::move(target)};
}

std::vector<std::string> Tree(const fs::path& root) {
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(root);
       it != fs::recursive_directory_iterator(); ++it) {
    out.push_back(fs::relative(it->path(), root).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class ExtractorTest : public cook::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    dest_ = root_ / "dest";
    outside_ = root_ / "outside";
    fs::create_directories(dest_);
    fs::create_directories(outside_);
  }

  absl::Status Extract(const std::string& bytes,
                       const ExtractOptions& options = {}) {
    StringSource in(bytes);
    return ExtractLayer(in, dest_, options);
  }

  absl::StatusOr<LayerBlob> WriteBlob(const fs::path& source, std::string dest,
                                      Compression c = Compression::kZstd) {
    LayerOptions options;
    options.compressor.compression = c;
    options.epoch = absl::FromUnixSeconds(kEpoch);
    return WriteLayer({.source = source, .dest = std::move(dest)},
                      root_ / ("blob-" + std::to_string(blobs_++)), options);
  }

  absl::Status ExtractBlob(const LayerBlob& blob,
                           const ExtractOptions& options = {}) {
    absl::StatusOr<std::unique_ptr<FileSource>> in =
        FileSource::Open(blob.path);
    if (!in.ok()) return in.status();
    return ExtractLayer(**in, dest_, options);
  }

  fs::path dest_;
  fs::path outside_;
  int blobs_ = 0;
};

struct Malicious {
  std::string test_name;
  std::vector<TarEntry> entries;
  std::string refused;  // the entry the error must name
  std::string reason;
};

class ExtractorRefusalTest : public ExtractorTest,
                             public ::testing::WithParamInterface<Malicious> {};

TEST_P(ExtractorRefusalTest, RefusesAndWritesNothingOutside) {
  const Malicious& m = GetParam();
  // Entries may name ../outside/... or the absolute outside directory.
  std::vector<TarEntry> entries = m.entries;
  for (TarEntry& e : entries) {
    for (std::string* s : {&e.name, &e.symlink, &e.hardlink}) {
      if (size_t at = s->find("@OUTSIDE@"); at != std::string::npos) {
        s->replace(at, 9, outside_.string());
      }
    }
  }
  std::string refused = m.refused;
  if (size_t at = refused.find("@OUTSIDE@"); at != std::string::npos) {
    refused.replace(at, 9, outside_.string());
  }
  WriteTestFile(outside_ / "secret", "secret");
  EXPECT_THAT(
      Extract(BuildTar(entries)),
      StatusIs(absl::StatusCode::kInvalidArgument,
               AllOf(HasSubstr("refusing archive entry \"" + refused + "\""),
                     HasSubstr(m.reason))));
  EXPECT_THAT(Tree(outside_), ::testing::ElementsAre("secret"));
  EXPECT_THAT(ReadFile(outside_ / "secret"),
              IsOkAndHolds(std::string("secret")));
  EXPECT_FALSE(fs::exists(root_ / "x"));
  EXPECT_FALSE(fs::exists(root_ / "evil"));
}

INSTANTIATE_TEST_SUITE_P(
    Escapes, ExtractorRefusalTest,
    ::testing::Values(
        Malicious{"DotDot",
                  {File("ok", "ok"), File("../x", "evil")},
                  "../x",
                  "\"..\""},
        Malicious{"Absolute",
                  {File("@OUTSIDE@/evil", "evil")},
                  "@OUTSIDE@/evil",
                  "absolute path"},
        Malicious{"DotDotInside",
                  {Dir("a"), File("a/../../x", "evil")},
                  "a/../../x",
                  "\"..\""},
        Malicious{"ThroughSymlink",
                  {Symlink("link", "@OUTSIDE@"), File("link/evil", "evil")},
                  "link/evil",
                  "symlink \"link\""},
        Malicious{"ThroughRelativeSymlink",
                  {Dir("d"), Symlink("d/up", "../../outside"),
                   File("d/up/evil", "evil")},
                  "d/up/evil",
                  "symlink \"d/up\""},
        Malicious{"DirectoryThroughSymlink",
                  {Symlink("link", "@OUTSIDE@"), Dir("link/sub")},
                  "link/sub/",  // libarchive marks directories with a "/"
                  "symlink"},
        Malicious{"HardlinkDotDot",
                  {Hardlink("hl", "../outside/secret")},
                  "hl",
                  "\"..\""},
        Malicious{"HardlinkAbsolute",
                  {Hardlink("hl", "@OUTSIDE@/secret")},
                  "hl",
                  "absolute path"},
        Malicious{"HardlinkThroughSymlink",
                  {Symlink("link", "@OUTSIDE@"), Hardlink("hl", "link/secret")},
                  "hl",
                  "symlink \"link\""},
        Malicious{"CharDevice",
                  {{.name = "null", .type = S_IFCHR, .perm = 0666}},
                  "null",
                  "device nodes are not allowed"},
        Malicious{"BlockDevice",
                  {{.name = "sda", .type = S_IFBLK, .perm = 0660}},
                  "sda",
                  "device nodes are not allowed"},
        Malicious{"Fifo",
                  {{.name = "pipe", .type = S_IFIFO, .perm = 0644}},
                  "pipe",
                  "FIFOs are not allowed"}),
    [](const ::testing::TestParamInfo<Malicious>& info) {
      return info.param.test_name;
    });

TEST_F(ExtractorTest, ExistingSymlinkInDestIsNotFollowed) {
  ASSERT_EQ(::symlink(outside_.c_str(), (dest_ / "debug").c_str()), 0);
  EXPECT_THAT(
      Extract(BuildTar({File("debug/libx.rlib", "x")})),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr("refusing archive entry \"debug/libx.rlib\": path goes "
                    "through symlink \"debug\"")));
  EXPECT_TRUE(fs::is_empty(outside_));
}

TEST_F(ExtractorTest, RoundTripsAWrittenLayer) {
  const fs::path src = root_ / "src";
  WriteTestFile(src / "bin/app", "#!/bin/sh\n");
  WriteTestFile(src / "bin/suid", "s");
  WriteTestFile(src / "lib/liba.rlib", std::string(3 << 20, 'r'));
  WriteTestFile(src / "ro/file", "read-only");
  fs::create_directories(src / "empty");
  ASSERT_EQ(::link((src / "lib/liba.rlib").c_str(),
                   (src / "lib/liba-link.rlib").c_str()),
            0);
  ASSERT_EQ(::symlink("../lib/liba.rlib", (src / "bin/rel").c_str()), 0);
  ASSERT_EQ(::symlink("/nonexistent/target", (src / "dangling").c_str()), 0);
  ASSERT_EQ(::chmod((src / "bin/app").c_str(), 0755), 0);
  ASSERT_EQ(::chmod((src / "bin/suid").c_str(), 04711), 0);
  ASSERT_EQ(::chmod((src / "ro/file").c_str(), 0444), 0);
  ASSERT_EQ(::chmod((src / "ro").c_str(), 0555), 0);
  ASSERT_EQ(::chmod((src / "empty").c_str(), 0700), 0);

  for (Compression c :
       {Compression::kZstd, Compression::kGzip, Compression::kNone}) {
    SCOPED_TRACE(CompressionName(c));
    fs::remove_all(dest_);
    fs::create_directories(dest_);
    absl::StatusOr<LayerBlob> blob = WriteBlob(src, "/", c);
    ASSERT_THAT(blob, IsOk());
    ASSERT_THAT(ExtractBlob(*blob), IsOk());

    EXPECT_THAT(ReadFile(dest_ / "bin/app"),
                IsOkAndHolds(std::string("#!/bin/sh\n")));
    EXPECT_THAT(ReadFile(dest_ / "lib/liba.rlib"),
                IsOkAndHolds(std::string(3 << 20, 'r')));
    EXPECT_EQ(fs::read_symlink(dest_ / "bin/rel"), "../lib/liba.rlib");
    EXPECT_EQ(fs::read_symlink(dest_ / "dangling"), "/nonexistent/target");
    struct stat st, link_st;
    ASSERT_EQ(::lstat((dest_ / "lib/liba-link.rlib").c_str(), &link_st), 0);
    ASSERT_EQ(::lstat((dest_ / "lib/liba.rlib").c_str(), &st), 0);
    EXPECT_EQ(st.st_ino, link_st.st_ino);
    EXPECT_EQ(st.st_nlink, 2u);

    for (auto [path, mode] :
         std::vector<std::pair<std::string, mode_t>>{{"bin/app", 0755},
                                                     {"bin/suid", 04711},
                                                     {"ro/file", 0444},
                                                     {"ro", 0555},
                                                     {"empty", 0700},
                                                     {"lib/liba.rlib", 0644}}) {
      ASSERT_EQ(::lstat((dest_ / path).c_str(), &st), 0) << path;
      EXPECT_EQ(st.st_mode & 07777, mode) << path;
    }
    for (const char* path :
         {"bin/app", "bin", "ro", "ro/file", "empty", "dangling", "bin/rel"}) {
      ASSERT_EQ(::lstat((dest_ / path).c_str(), &st), 0) << path;
      EXPECT_EQ(st.st_mtim.tv_sec, kEpoch) << path;
    }
    ::chmod((dest_ / "ro").c_str(), 0755);
  }
}

TEST_F(ExtractorTest,
       ExtractingIntoAnExistingTreeReplacesFilesAndKeepsDirectories) {
  WriteTestFile(dest_ / "bin/app", "old contents that are longer");
  WriteTestFile(dest_ / "bin/local-only", "keep me");
  WriteTestFile(dest_ / "lib", "a file where a directory is coming");
  // A file in the way that is hard-linked to, and a symlink pointing to, a
  // file outside: both must be replaced, never written through.
  WriteTestFile(outside_ / "linked", "outside");
  WriteTestFile(outside_ / "pointed", "outside");
  ASSERT_EQ(::link((outside_ / "linked").c_str(), (dest_ / "bin/hard").c_str()),
            0);
  ASSERT_EQ(
      ::symlink((outside_ / "pointed").c_str(), (dest_ / "bin/soft").c_str()),
      0);
  fs::create_directories(dest_ / "empty-dir-in-the-way");

  ASSERT_THAT(
      Extract(BuildTar({Dir("bin", 0750), File("bin/app", "new"),
                        File("bin/hard", "inside"), File("bin/soft", "inside"),
                        File("empty-dir-in-the-way", "file now"), Dir("lib"),
                        File("lib/x", "x")})),
      IsOk());
  EXPECT_THAT(ReadFile(dest_ / "bin/app"), IsOkAndHolds(std::string("new")));
  EXPECT_THAT(ReadFile(dest_ / "bin/local-only"),
              IsOkAndHolds(std::string("keep me")));
  EXPECT_THAT(ReadFile(dest_ / "bin/hard"),
              IsOkAndHolds(std::string("inside")));
  EXPECT_THAT(ReadFile(dest_ / "bin/soft"),
              IsOkAndHolds(std::string("inside")));
  EXPECT_FALSE(fs::is_symlink(dest_ / "bin/soft"));
  EXPECT_THAT(ReadFile(dest_ / "empty-dir-in-the-way"),
              IsOkAndHolds(std::string("file now")));
  EXPECT_THAT(ReadFile(dest_ / "lib/x"), IsOkAndHolds(std::string("x")));
  EXPECT_THAT(ReadFile(outside_ / "linked"),
              IsOkAndHolds(std::string("outside")));
  EXPECT_THAT(ReadFile(outside_ / "pointed"),
              IsOkAndHolds(std::string("outside")));
  struct stat st;
  ASSERT_EQ(::stat((dest_ / "bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
}

TEST_F(ExtractorTest, NonEmptyDirectoryInTheWayIsAnError) {
  WriteTestFile(dest_ / "x/inner", "i");
  EXPECT_THAT(
      Extract(BuildTar({File("x", "file")})),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("\"x\"")));
  EXPECT_THAT(ReadFile(dest_ / "x/inner"), IsOkAndHolds(std::string("i")));
}

TEST_F(ExtractorTest, StripPrefixExtractsOnlyThatSubtree) {
  const fs::path target = root_ / "target";
  WriteTestFile(target / "debug/deps/liba.rlib", "a");
  WriteTestFile(target / "debug/.fingerprint/a/hash", "h");
  absl::StatusOr<LayerBlob> blob = WriteBlob(target, "/build/target");
  ASSERT_THAT(blob, IsOk());
  ASSERT_THAT(ExtractBlob(*blob, {.strip_prefix = "/build/target/"}), IsOk());
  EXPECT_THAT(Tree(dest_),
              ::testing::ElementsAre("debug", "debug/.fingerprint",
                                     "debug/.fingerprint/a",
                                     "debug/.fingerprint/a/hash", "debug/deps",
                                     "debug/deps/liba.rlib"));
  // Entries outside the prefix are skipped, but a hardlink may not reach out.
  EXPECT_THAT(
      Extract(BuildTar({File("other/f", "f"), File("build/target/x", "x")}),
              {.strip_prefix = "build/target"}),
      IsOk());
  EXPECT_FALSE(fs::exists(dest_ / "other"));
  EXPECT_THAT(ReadFile(dest_ / "x"), IsOkAndHolds(std::string("x")));
  EXPECT_THAT(
      Extract(BuildTar({File("other/f", "f"),
                        Hardlink("build/target/h", "other/f")}),
              {.strip_prefix = "build/target"}),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr(
              "\"build/target/h\": hardlink target \"other/f\" is outside")));
  EXPECT_THAT(
      Extract(BuildTar({}), {.strip_prefix = "../x"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("strip prefix")));
}

TEST_F(ExtractorTest, MtimesAreLeftAloneWhenNotKept) {
  ASSERT_THAT(
      Extract(BuildTar({Dir("d"), File("d/f", "f")}), {.keep_mtimes = false}),
      IsOk());
  struct stat st;
  ASSERT_EQ(::stat((dest_ / "d/f").c_str(), &st), 0);
  EXPECT_GT(st.st_mtim.tv_sec, kEpoch + 365 * 86400);
}

TEST_F(ExtractorTest, AcceptsDotSlashNamesAndEmptyInput) {
  ASSERT_THAT(Extract(BuildTar({Dir("./"), Dir("./a"), File("./a/b", "b")})),
              IsOk());
  EXPECT_THAT(ReadFile(dest_ / "a/b"), IsOkAndHolds(std::string("b")));
  EXPECT_THAT(Extract(""), IsOk());
  EXPECT_THAT(Extract(BuildTar({})), IsOk());
}

TEST_F(ExtractorTest, GarbageAndMissingDestinationAreErrors) {
  EXPECT_THAT(Extract(std::string(2048, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("extracting layer")));
  StringSource in(BuildTar({File("f", "f")}));
  EXPECT_THAT(ExtractLayer(in, root_ / "missing"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
}

TEST_F(ExtractorTest, NonAsciiAndLongNamesRoundTrip) {
  // Longer than ustar's 100 + 155 bytes; each component within NAME_MAX.
  const std::string long_name =
      std::string(200, 'q') + "/" + std::string(100, 'r');
  ASSERT_THAT(
      Extract(BuildTar({File("caf\xc3\xa9", "c"), Dir(long_name.substr(0, 200)),
                        File(long_name, "l"),
                        Hardlink("h\xc3\xa9", "caf\xc3\xa9")})),
      IsOk());
  EXPECT_THAT(ReadFile(dest_ / "caf\xc3\xa9"), IsOkAndHolds(std::string("c")));
  EXPECT_THAT(ReadFile(dest_ / long_name), IsOkAndHolds(std::string("l")));
  EXPECT_THAT(ReadFile(dest_ / "h\xc3\xa9"), IsOkAndHolds(std::string("c")));
}

// Yields `data` in small pieces; at its end fails as a verifying transport
// source does when the digest is wrong, and can raise SIGINT once a number
// of bytes has been read.
class TestSource : public ByteSource {
 public:
  explicit TestSource(std::string data) : data_(std::move(data)) {}
  absl::Status end_status = absl::OkStatus();
  size_t interrupt_after = std::string::npos;
  bool reached_end = false;

  absl::StatusOr<size_t> Read(char* buffer, size_t n) override {
    if (offset_ >= interrupt_after && !raised_) {
      raised_ = true;
      ::raise(SIGINT);
    }
    n = std::min({n, data_.size() - offset_, size_t{64} << 10});
    if (n == 0) {
      reached_end = true;
      if (!end_status.ok()) return end_status;
      return 0;
    }
    std::copy_n(data_.data() + offset_, n, buffer);
    offset_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t offset_ = 0;
  bool raised_ = false;
};

std::string Padded(std::string tar) {
  tar.resize((tar.size() / 10240 + 1) * 10240, '\0');
  return tar;
}

std::string ZstdOf(const std::string& data) {
  std::string out;
  StringSink sink(&out);
  auto compressor = NewCompressor({}, &sink);
  EXPECT_THAT(compressor, IsOk());
  EXPECT_THAT((*compressor)->Write(data), IsOk());
  EXPECT_THAT((*compressor)->Close(), IsOk());
  return out;
}

TEST_F(ExtractorTest, SparseFilesKeepTheirHolesAsZeros) {
  // GNU tar's PAX sparse entries: data, a hole, data, and a trailing hole.
  if (!cook::testing::HaveProgram("tar")) GTEST_SKIP() << "no tar";
  const fs::path src = root_ / "src";
  fs::create_directories(src);
  std::string expected(3 << 20, '\0');
  expected.replace(0, 5, "start");
  expected.replace(1 << 20, 6, "middle");
  {
    Fd fd(::open((src / "sparse").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
    ASSERT_TRUE(fd.valid());
    ASSERT_EQ(::pwrite(fd.get(), "start", 5, 0), 5);
    ASSERT_EQ(::pwrite(fd.get(), "middle", 6, 1 << 20), 6);
    ASSERT_EQ(::ftruncate(fd.get(), 3 << 20), 0);
  }
  const cook::testing::RunResult tar = cook::testing::RunProgram(
      {"tar", "--sparse", "--format=pax", "-cf", (root_ / "sparse.tar").string(), "-C",
       src.string(), "sparse"});
  ASSERT_EQ(tar.exit_code, 0);
  absl::StatusOr<std::string> bytes = ReadFileAtMost(root_ / "sparse.tar", 1 << 24);
  ASSERT_THAT(bytes.status(), IsOk());
  ASSERT_LT(bytes->size(), size_t{1} << 20);  // the holes are not in the archive
  ASSERT_THAT(Extract(*bytes), IsOk());
  EXPECT_THAT(ReadFileAtMost(dest_ / "sparse", 1 << 24), IsOkAndHolds(expected));
}

TEST_F(ExtractorTest, ReadsPastTheTarEndSoThatTheSourceCanFail) {
  // A transport's verifying source fails only at the blob's end, which comes
  // after the tar end marker (and its padding).
  TestSource in(Padded(BuildTar({Dir("d"), File("d/f", "f")})));
  in.end_status =
      absl::DataLossError("reading blob sha256:ab: digest mismatch");
  EXPECT_THAT(ExtractLayer(in, dest_), StatusIs(absl::StatusCode::kDataLoss,
                                                HasSubstr("digest mismatch")));
  EXPECT_TRUE(in.reached_end);
  EXPECT_THAT(Tree(dest_), ::testing::IsEmpty());
}

TEST_F(ExtractorTest, ChecksTheUncompressedStreamAgainstTheDiffId) {
  const std::string tar = Padded(BuildTar({Dir("d"), File("d/f", "f")}));
  std::string tampered = tar;
  tampered.back() = 'X';  // after the end marker: the entries read the same
  for (bool compressed : {false, true}) {
    SCOPED_TRACE(compressed ? "zstd" : "plain");
    TestSource in(compressed ? ZstdOf(tampered) : tampered);
    EXPECT_THAT(ExtractLayer(in, dest_, {.diff_id = Sha256Digest(tar)}),
                StatusIs(absl::StatusCode::kDataLoss,
                         AllOf(HasSubstr(Sha256Digest(tar)),
                               HasSubstr(Sha256Digest(tampered)))));
    EXPECT_THAT(Tree(dest_), ::testing::IsEmpty());
    TestSource good(compressed ? ZstdOf(tar) : tar);
    ASSERT_THAT(ExtractLayer(good, dest_, {.diff_id = Sha256Digest(tar)}),
                IsOk());
    EXPECT_THAT(Tree(dest_), ::testing::ElementsAre("d", "d/f"));
    fs::remove_all(dest_ / "d");
  }
}

TEST_F(ExtractorTest, ATruncatedLayerLeavesNoneOfItsFiles) {
  WriteTestFile(dest_ / "d/earlier", "from an earlier layer");
  const std::string tar = BuildTar({Dir("d"), File("d/first", "complete"),
                                    File("d/big", std::string(1 << 20, 'b'))});
  for (bool compressed : {false, true}) {
    SCOPED_TRACE(compressed ? "zstd" : "plain");
    const std::string blob = compressed ? ZstdOf(tar) : tar;
    TestSource in(blob.substr(0, blob.size() / 2));
    EXPECT_THAT(
        ExtractLayer(in, dest_),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("runcated")));
    EXPECT_THAT(Tree(dest_), ::testing::ElementsAre("d", "d/earlier"));
  }
}

TEST_F(ExtractorTest, AConflictFoundWhileMovingIntoPlaceMovesNothing) {
  WriteTestFile(dest_ / "x/inner", "i");
  EXPECT_THAT(
      Extract(BuildTar({File("a", "a"), File("x", "file"), File("z", "z")})),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("\"x\"")));
  EXPECT_THAT(Tree(dest_), ::testing::ElementsAre("x", "x/inner"));
}

TEST_F(ExtractorTest, HardlinksMayNameAFileOfAnEarlierLayer) {
  WriteTestFile(dest_ / "lib/earlier.rlib", "earlier");
  ASSERT_THAT(
      Extract(BuildTar({Hardlink("lib/link.rlib", "lib/earlier.rlib")})),
      IsOk());
  struct stat a, b;
  ASSERT_EQ(::stat((dest_ / "lib/earlier.rlib").c_str(), &a), 0);
  ASSERT_EQ(::stat((dest_ / "lib/link.rlib").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST_F(ExtractorTest, AnExplicitDirectoryReplacesASymlinkInDest) {
  ASSERT_EQ(::symlink(outside_.c_str(), (dest_ / "debug").c_str()), 0);
  ASSERT_THAT(Extract(BuildTar({Dir("debug"), File("debug/libx.rlib", "x")})),
              IsOk());
  EXPECT_FALSE(fs::is_symlink(dest_ / "debug"));
  EXPECT_THAT(ReadFile(dest_ / "debug/libx.rlib"),
              IsOkAndHolds(std::string("x")));
  EXPECT_TRUE(fs::is_empty(outside_));
}

TEST_F(ExtractorTest, EntriesMayNotUseTheStagingName) {
  EXPECT_THAT(
      Extract(BuildTar({File(".cook-extract-abcdef/x", "x")})),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reserved")));
  EXPECT_THAT(Tree(dest_), ::testing::IsEmpty());
}

// Entry names and the strip prefix come from the image: quoted in an error,
// they stay on its one line (a "\nhint: ..." in them cannot become a line of
// cook's own).
TEST_F(ExtractorTest, ErrorsEscapeTheNamesTheyQuote) {
  const absl::Status entry =
      Extract(BuildTar({File("../x\nhint: forged", "x")}));
  EXPECT_THAT(entry, StatusIs(absl::StatusCode::kInvalidArgument,
                              HasSubstr("../x\\nhint: forged")));
  EXPECT_EQ(std::string(entry.message()).find('\n'), std::string::npos);

  ExtractOptions options;
  options.strip_prefix = "a/../b\nhint: forged";
  const absl::Status prefix = Extract(BuildTar({File("a/x", "x")}), options);
  EXPECT_THAT(prefix, StatusIs(absl::StatusCode::kInvalidArgument,
                               HasSubstr("a/../b\\nhint: forged")));
  EXPECT_EQ(std::string(prefix.message()).find('\n'), std::string::npos);
}

// SIGINT (as base/interrupt.h delivers it) in the middle of a file: the
// extraction stops with CancelledError and nothing is left under a final
// name, nor a staging directory. Runs in a child: the flag cannot be reset.
TEST_F(ExtractorTest, AnInterruptMidFileLeavesNothing) {
  WriteTestFile(dest_ / "kept", "from an earlier layer");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    InstallInterruptHandlers();
    TestSource in(
        BuildTar({File("small", "s"), File("big", std::string(8 << 20, 'b'))}));
    in.interrupt_after = 3 << 20;
    const absl::Status status = ExtractLayer(in, dest_);
    _exit(absl::IsCancelled(status) ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "not cancelled";
  EXPECT_THAT(Tree(dest_), ::testing::ElementsAre("kept"));
}

}  // namespace
}  // namespace cook::layers
