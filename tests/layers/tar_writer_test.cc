#include "layers/tar_writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <clocale>
#include <string>
#include <vector>

#include "base/io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/layers/tar_testing.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace cook::layers {
namespace {

using ::cook::layers::testing::ReadTar;
using ::cook::layers::testing::TarEntry;
using ::cook::testing::IsOk;
using ::cook::testing::StatusIs;
using ::cook::testing::WriteTestFile;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class TarWriterTest : public cook::testing::TempDirTest {};

constexpr int64_t kEpoch = 1700000000;

TEST(ArchivePathLessTest, ComparesComponentsByteWise) {
  EXPECT_TRUE(ArchivePathLess("a", "a/b"));
  EXPECT_TRUE(ArchivePathLess("a/b", "a.txt"));  // whole "a" before "a.txt"
  EXPECT_TRUE(ArchivePathLess("a/z/z", "a0"));
  EXPECT_TRUE(ArchivePathLess("B", "a"));         // bytes, not locale collation
  EXPECT_TRUE(ArchivePathLess("z", "\xc3\xa9"));  // UTF-8 after ASCII
  EXPECT_FALSE(ArchivePathLess("a/b", "a/b/"));
  EXPECT_FALSE(ArchivePathLess("a/b", "a"));
  EXPECT_FALSE(ArchivePathLess("x", "x"));
}

TEST_F(TarWriterTest, WritesNormalisedEntriesOfEveryKind) {
  WriteTestFile(root_ / "src", "contents");
  ASSERT_EQ(::chmod((root_ / "src").c_str(), 04751), 0);
  // Only real root can give files away (not inside a user namespace).
  if (::chown((root_ / "src").c_str(), 1234, 5678) == 0) {
    ASSERT_EQ(::chmod((root_ / "src").c_str(), 04751),
              0);  // chown cleared setuid
  }
  std::string tar;
  StringSink sink(&tar);
  absl::StatusOr<TarWriter> writer =
      TarWriter::Create(&sink, absl::FromUnixSeconds(kEpoch));
  ASSERT_THAT(writer, IsOk());
  ASSERT_THAT(writer->AddDirectory("d", 0700), IsOk());
  ASSERT_THAT(writer->AddFile(root_ / "src", "d/f"), IsOk());
  ASSERT_THAT(writer->AddHardlink("d/h", "d/f", 04751), IsOk());
  ASSERT_THAT(writer->AddSymlink("d/s", "../nowhere"), IsOk());
  ASSERT_THAT(writer->Finish(), IsOk());
  EXPECT_EQ(writer->bytes_written(), tar.size());
  EXPECT_EQ(tar.size() % 512, 0u);

  absl::StatusOr<std::vector<TarEntry>> entries = ReadTar(tar);
  ASSERT_THAT(entries, IsOk());
  ASSERT_EQ(entries->size(), 4u);
  const TarEntry& d = (*entries)[0];
  const TarEntry& f = (*entries)[1];
  const TarEntry& h = (*entries)[2];
  const TarEntry& s = (*entries)[3];
  EXPECT_EQ(d.name, "d/");
  EXPECT_EQ(d.type, S_IFDIR);
  EXPECT_EQ(d.perm, 0700u);
  EXPECT_EQ(f.name, "d/f");
  EXPECT_EQ(f.type, S_IFREG);
  EXPECT_EQ(f.perm, 04751u);  // setuid kept, file-type bits not
  EXPECT_EQ(f.data, "contents");
  EXPECT_EQ(h.hardlink, "d/f");
  EXPECT_THAT(h.data, IsEmpty());
  EXPECT_EQ(s.type, S_IFLNK);
  EXPECT_EQ(s.symlink, "../nowhere");
  EXPECT_EQ(s.perm, 0777u);
  for (const TarEntry& e : *entries) {
    EXPECT_EQ(e.uid, 0) << e.name;
    EXPECT_EQ(e.gid, 0) << e.name;
    EXPECT_EQ(e.uname, "") << e.name;
    EXPECT_EQ(e.gname, "") << e.name;
    EXPECT_EQ(e.mtime, kEpoch) << e.name;
    EXPECT_FALSE(e.atime_set || e.ctime_set || e.birthtime_set) << e.name;
  }
}

TEST_F(TarWriterTest, RejectsUnsortedDuplicateAndUnsafeNames) {
  std::string tar;
  StringSink sink(&tar);
  absl::StatusOr<TarWriter> writer =
      TarWriter::Create(&sink, absl::FromUnixSeconds(1));
  ASSERT_THAT(writer, IsOk());
  for (const char* bad : {"/abs", "a/../b", "./a", "a//b", "a/", ""}) {
    EXPECT_THAT(
        writer->AddDirectory(bad),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("archive name")))
        << bad;
  }
  ASSERT_THAT(writer->AddDirectory("b"), IsOk());
  EXPECT_THAT(
      writer->AddDirectory("a"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sorted")));
  EXPECT_THAT(
      writer->AddDirectory("b"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("follows \"b\"")));
  EXPECT_THAT(writer->AddHardlink("c", "d", 0644),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("must come earlier")));
  EXPECT_THAT(
      writer->AddSymlink("c", ""),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty target")));
  EXPECT_THAT(writer->Finish(), IsOk());
}

TEST_F(TarWriterTest, UnfinishedArchiveHasNoEndBlocks) {
  std::string tar;
  StringSink sink(&tar);
  {
    absl::StatusOr<TarWriter> writer =
        TarWriter::Create(&sink, absl::FromUnixSeconds(1));
    ASSERT_THAT(writer, IsOk());
    ASSERT_THAT(writer->AddDirectory("d"), IsOk());
  }
  // One header block, and not the two zero blocks that mark a complete tar.
  EXPECT_EQ(tar.size(), 512u);
}

TEST_F(TarWriterTest, NoHostSpecificPaxRecords) {
  // Long, non-ASCII and long-target entries force PAX extended headers.
  const std::string long_name(300, 'n');
  WriteTestFile(root_ / "src", "x");
  std::string tar;
  StringSink sink(&tar);
  absl::StatusOr<TarWriter> writer =
      TarWriter::Create(&sink, absl::FromUnixSeconds(kEpoch));
  ASSERT_THAT(writer, IsOk());
  ASSERT_THAT(writer->AddFile(root_ / "src", "caf\xc3\xa9"), IsOk());
  ASSERT_THAT(writer->AddFile(root_ / "src", long_name), IsOk());
  ASSERT_THAT(writer->AddSymlink("s", std::string(200, 't')), IsOk());
  ASSERT_THAT(writer->Finish(), IsOk());
  for (const char* word :
       {"atime", "ctime", "SCHILY", "LIBARCHIVE", "hdrcharset", "dev", "ino",
        "nlink", "uname=", "gname="}) {
    EXPECT_EQ(tar.find(word), std::string::npos) << word;
  }
  EXPECT_NE(tar.find("path=caf\xc3\xa9\n"), std::string::npos);
  EXPECT_NE(tar.find("path=" + long_name + "\n"), std::string::npos);
  EXPECT_NE(tar.find("linkpath=" + std::string(200, 't') + "\n"),
            std::string::npos);
}

TEST_F(TarWriterTest, SameBytesWhateverTheProcessLocale) {
  WriteTestFile(root_ / "src", "x");
  auto build = [&] {
    std::string tar;
    StringSink sink(&tar);
    absl::StatusOr<TarWriter> writer =
        TarWriter::Create(&sink, absl::FromUnixSeconds(1));
    EXPECT_THAT(writer, IsOk());
    EXPECT_THAT(writer->AddFile(root_ / "src", "\xc3\xa9t\xc3\xa9"), IsOk());
    EXPECT_THAT(writer->AddFile(root_ / "src", "\xff-not-utf8"), IsOk());
    EXPECT_THAT(writer->Finish(), IsOk());
    return tar;
  };
  ASSERT_NE(setlocale(LC_ALL, "C"), nullptr);
  const std::string in_c = build();
  ASSERT_NE(setlocale(LC_ALL, "C.UTF-8"), nullptr);
  const std::string in_utf8 = build();
  setlocale(LC_ALL, "C");
  EXPECT_EQ(in_c, in_utf8);
  // Valid UTF-8 is stored as a plain UTF-8 "path" record.
  EXPECT_NE(in_c.find("path=\xc3\xa9t\xc3\xa9\n"), std::string::npos);
  absl::StatusOr<std::vector<TarEntry>> entries = ReadTar(in_c);
  ASSERT_THAT(entries, IsOk());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].name, "\xc3\xa9t\xc3\xa9");
  EXPECT_EQ((*entries)[1].name, "\xff-not-utf8");
}

TEST_F(TarWriterTest, FileChangingSizeIsAnError) {
  // The header is written from fstat(); /proc files report size 0 but have
  // contents, the same situation as a file growing while it is read.
  std::string tar;
  StringSink sink(&tar);
  absl::StatusOr<TarWriter> writer =
      TarWriter::Create(&sink, absl::FromUnixSeconds(1));
  ASSERT_THAT(writer, IsOk());
  EXPECT_THAT(
      writer->AddFile("/proc/self/status", "status"),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("grew")));
  // Errors are sticky.
  EXPECT_THAT(writer->Finish(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                         HasSubstr("grew")));
}

TEST_F(TarWriterTest, SymlinkAsFileSourceIsNotFollowed) {
  WriteTestFile(root_ / "real", "x");
  ASSERT_EQ(::symlink("real", (root_ / "link").c_str()), 0);
  std::string tar;
  StringSink sink(&tar);
  absl::StatusOr<TarWriter> writer =
      TarWriter::Create(&sink, absl::FromUnixSeconds(1));
  ASSERT_THAT(writer, IsOk());
  EXPECT_THAT(
      writer->AddFile(root_ / "link", "link"),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("symlink")));
}

}  // namespace
}  // namespace cook::layers
