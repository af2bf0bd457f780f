#include "layers/layer_writer.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "base/files.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "layers/digest.h"
#include "tests/layers/tar_testing.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

namespace cook::layers {
namespace {

namespace fs = std::filesystem;
using ::cook::layers::testing::Decompress;
using ::cook::layers::testing::ReadTar;
using ::cook::layers::testing::TarEntry;
using ::cook::testing::IsOk;
using ::cook::testing::StatusIs;
using ::cook::testing::WriteTestFile;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int64_t kEpoch = 1153704088;
// 306 bytes: longer than ustar's 100 + 155, each component within NAME_MAX.
const std::string kLongDir(200, 'L');
const std::string kLongName = kLongDir + "/" + std::string(100, 'M');

std::string RandomBytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() % 16);  // compressible
  return out;
}

// What the tree looks like from outside: every path with its final mode.
struct Node {
  std::string path;
  enum { kDir, kFile, kSymlink, kHardlink } kind;
  mode_t mode = 0;
  std::string data;  // file contents, symlink target or hardlink target
};

std::vector<Node> TreeNodes() {
  return {
      {"bin", Node::kDir, 0755},
      {"bin/app", Node::kFile, 0755, "#!/bin/sh\necho hi\n"},
      {"bin/suid", Node::kFile, 04750, "s"},
      {"empty", Node::kDir, 0700},
      {"lib", Node::kDir, 0755},
      {"lib/libfoo.rlib", Node::kFile, 0644, RandomBytes(1 << 20, 1)},
      // Sorts before libfoo.rlib ('-' < '.'), so it is the one stored as a
      // file and libfoo.rlib becomes the link, whatever was created first.
      {"lib/libfoo-copy.rlib", Node::kHardlink, 0644, "lib/libfoo.rlib"},
      {"dangling", Node::kSymlink, 0777, "does/not/exist"},
      {"abs-link", Node::kSymlink, 0777, "/usr/lib"},
      {"long", Node::kDir, 0755},
      {"long/" + kLongDir, Node::kDir, 0755},
      {"long/" + kLongName, Node::kFile, 0600, "long"},
      {"unicode", Node::kDir, 0755},
      {"unicode/caf\xc3\xa9.txt", Node::kFile, 0644, "cafe"},
      {"unicode/\xe6\x97\xa5\xe6\x9c\xac", Node::kFile, 0644, "nihon"},
      {"a", Node::kDir, 0755},
      {"a/b", Node::kDir, 0711},
      {"a/b/c.txt", Node::kFile, 0444, ""},
      {"a.txt", Node::kFile, 0640, "a"},
  };
}

struct TreeVariant {
  bool reverse = false;
  int64_t mtime = 1000;
  uid_t owner = ::geteuid();
  mode_t umask = 022;
};

// Creates the same final tree with a different creation order, umask,
// mtimes and owners.
void MakeTree(const fs::path& root, const TreeVariant& v) {
  std::vector<Node> nodes = TreeNodes();
  if (v.reverse) std::reverse(nodes.begin(), nodes.end());
  const mode_t old_umask = ::umask(v.umask);
  fs::create_directories(root);
  for (const Node& n : nodes) {
    const fs::path p = root / n.path;
    fs::create_directories(p.parent_path());
    switch (n.kind) {
      case Node::kDir:
        fs::create_directories(p);
        break;
      case Node::kFile:
        WriteTestFile(p, n.data);
        break;
      case Node::kSymlink:
        ASSERT_EQ(::symlink(n.data.c_str(), p.c_str()), 0) << p;
        break;
      case Node::kHardlink: {
        const fs::path target = root / n.data;
        if (!fs::exists(target)) {
          for (const Node& t : TreeNodes()) {
            if (t.path == n.data) WriteTestFile(target, t.data);
          }
        }
        ASSERT_EQ(::link(target.c_str(), p.c_str()), 0) << p;
        break;
      }
    }
  }
  ::umask(old_umask);
  // Final modes, owners and times, children before parents so that the
  // directory mtimes stick.
  std::vector<Node> all = TreeNodes();
  std::sort(all.begin(), all.end(),
            [](const Node& a, const Node& b) { return a.path > b.path; });
  int64_t t = v.mtime;
  for (const Node& n : all) {
    const fs::path p = root / n.path;
    if (v.owner != ::geteuid()) {
      ASSERT_EQ(::lchown(p.c_str(), v.owner, v.owner), 0)
          << p << ": " << std::strerror(errno);
    }
    if (n.kind != Node::kSymlink) {
      ASSERT_EQ(::chmod(p.c_str(), n.mode), 0) << p;
    }
    struct timespec times[2] = {{t, 0}, {t + 7, 123}};
    ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, AT_SYMLINK_NOFOLLOW), 0)
        << p;
    t += 13;
  }
}

class LayerWriterTest : public cook::testing::TempDirTest {
 protected:
  // `uid` when this process may give files away (root outside a user
  // namespace), else our own uid, so owner variations are tested when they
  // can be.
  uid_t OwnerIfPossible(uid_t uid) {
    const fs::path probe = root_ / "chown-probe";
    WriteTestFile(probe, "");
    const bool can = ::lchown(probe.c_str(), uid, uid) == 0;
    fs::remove(probe);
    if (!can) std::cerr << "note: cannot chown here; files keep their owner\n";
    return can ? uid : ::geteuid();
  }

  absl::StatusOr<LayerBlob> Write(const fs::path& source, std::string dest,
                                  Compression c = Compression::kZstd,
                                  const ProgressFn& progress = nullptr) {
    const fs::path blob = root_ / ("blob" + std::to_string(blobs_++));
    LayerOptions options;
    options.compressor.compression = c;
    options.epoch = absl::FromUnixSeconds(kEpoch);
    return WriteLayer({.source = source, .dest = std::move(dest)}, blob,
                      options, progress);
  }

  std::vector<TarEntry> Entries(const LayerBlob& blob) {
    absl::StatusOr<std::string> bytes = ReadFile(blob.path);
    EXPECT_THAT(bytes, IsOk());
    absl::StatusOr<std::vector<TarEntry>> entries = ReadTar(*bytes);
    EXPECT_THAT(entries, IsOk());
    return entries.ok() ? *entries : std::vector<TarEntry>();
  }

  static std::vector<std::string> Names(const std::vector<TarEntry>& entries) {
    std::vector<std::string> names;
    for (const TarEntry& e : entries) names.push_back(e.name);
    return names;
  }

  int blobs_ = 0;
};

TEST_F(LayerWriterTest, SameTreeBuiltDifferentlyGivesIdenticalLayers) {
  MakeTree(
      root_ / "one",
      {.reverse = false, .mtime = 1000, .owner = ::geteuid(), .umask = 022});
  MakeTree(root_ / "two", {.reverse = true,
                           .mtime = 2000000,
                           .owner = OwnerIfPossible(4242),
                           .umask = 077});
  for (Compression c :
       {Compression::kZstd, Compression::kGzip, Compression::kNone}) {
    absl::StatusOr<LayerBlob> one = Write(root_ / "one", "/", c);
    absl::StatusOr<LayerBlob> two = Write(root_ / "two", "/", c);
    ASSERT_THAT(one, IsOk());
    ASSERT_THAT(two, IsOk());
    EXPECT_EQ(one->digest, two->digest) << CompressionName(c);
    EXPECT_EQ(one->diff_id, two->diff_id) << CompressionName(c);
    EXPECT_EQ(ReadFile(one->path).value(), ReadFile(two->path).value());
    EXPECT_EQ(one->compression, c);
  }
}

TEST_F(LayerWriterTest, EntriesAreSortedNormalisedAndComplete) {
  MakeTree(root_ / "tree", {.owner = OwnerIfPossible(1000)});
  absl::StatusOr<LayerBlob> blob = Write(root_ / "tree", "/");
  ASSERT_THAT(blob, IsOk());
  std::vector<TarEntry> entries = Entries(*blob);
  EXPECT_THAT(
      Names(entries),
      ElementsAre("a/", "a/b/", "a/b/c.txt", "a.txt", "abs-link", "bin/",
                  "bin/app", "bin/suid", "dangling", "empty/", "lib/",
                  "lib/libfoo-copy.rlib", "lib/libfoo.rlib", "long/",
                  "long/" + kLongDir + "/", "long/" + kLongName, "unicode/",
                  "unicode/caf\xc3\xa9.txt",
                  "unicode/\xe6\x97\xa5\xe6\x9c\xac"));
  for (const TarEntry& e : entries) {
    SCOPED_TRACE(e.name);
    EXPECT_EQ(e.uid, 0);
    EXPECT_EQ(e.gid, 0);
    EXPECT_EQ(e.uname, "");
    EXPECT_EQ(e.gname, "");
    EXPECT_EQ(e.mtime, kEpoch);
    EXPECT_FALSE(e.atime_set || e.ctime_set || e.birthtime_set);
    for (const Node& n : TreeNodes()) {
      if (e.name == n.path || e.name == n.path + "/") {
        EXPECT_EQ(e.perm, n.mode);
        if (n.kind == Node::kSymlink) {
          EXPECT_EQ(e.symlink, n.data);
        }
        if (n.kind == Node::kFile && e.hardlink.empty()) {
          EXPECT_EQ(e.data, n.data);
        }
      }
    }
  }
}

TEST_F(LayerWriterTest, HardlinksPointToTheFirstPathInArchiveOrder) {
  MakeTree(root_ / "tree", {});
  absl::StatusOr<LayerBlob> blob = Write(root_ / "tree", "/");
  ASSERT_THAT(blob, IsOk());
  for (const TarEntry& e : Entries(*blob)) {
    if (e.name == "lib/libfoo-copy.rlib") {
      EXPECT_THAT(e.hardlink, IsEmpty());
      EXPECT_EQ(e.data.size(), 1u << 20);
    }
    if (e.name == "lib/libfoo.rlib") {
      EXPECT_EQ(e.hardlink, "lib/libfoo-copy.rlib");
      EXPECT_THAT(e.data, IsEmpty());
    }
  }
  // The contents are stored once.
  EXPECT_LT(blob->uncompressed_size, (1u << 20) + 64 * 1024);
}

TEST_F(LayerWriterTest, RawTarHasNoHostSpecificRecords) {
  MakeTree(root_ / "tree", {.owner = OwnerIfPossible(1000)});
  absl::StatusOr<LayerBlob> blob =
      Write(root_ / "tree", "/", Compression::kNone);
  ASSERT_THAT(blob, IsOk());
  absl::StatusOr<std::string> tar = ReadFile(blob->path);
  ASSERT_THAT(tar, IsOk());
  for (const char* word : {"atime", "ctime", "SCHILY", "LIBARCHIVE",
                           "hdrcharset", "uname=", "gname=", "uid=", "gid="}) {
    EXPECT_EQ(tar->find(word), std::string::npos) << word;
  }
  EXPECT_NE(tar->find("path=long/" + kLongName), std::string::npos);
  // No 10240-byte blocking: the archive ends right after its two zero blocks.
  EXPECT_EQ(tar->size() % 512, 0u);
  EXPECT_EQ(tar->substr(tar->size() - 1024), std::string(1024, '\0'));
  EXPECT_NE(tar->substr(tar->size() - 1536, 512), std::string(512, '\0'));
}

TEST_F(LayerWriterTest, DigestsAndSizesDescribeTheBlob) {
  MakeTree(root_ / "tree", {});
  for (Compression c : {Compression::kZstd, Compression::kGzip}) {
    absl::StatusOr<LayerBlob> blob = Write(root_ / "tree", "/", c);
    ASSERT_THAT(blob, IsOk());
    absl::StatusOr<std::string> bytes = ReadFile(blob->path);
    ASSERT_THAT(bytes, IsOk());
    EXPECT_EQ(blob->digest, Sha256Digest(*bytes));
    EXPECT_EQ(blob->size, bytes->size());
    absl::StatusOr<std::string> tar = Decompress(*bytes);
    ASSERT_THAT(tar, IsOk());
    EXPECT_EQ(blob->diff_id, Sha256Digest(*tar));
    EXPECT_EQ(blob->uncompressed_size, tar->size());
    EXPECT_LT(blob->size, blob->uncompressed_size);
    EXPECT_THAT(ValidateDigest(blob->digest), IsOk());
  }
}

TEST_F(LayerWriterTest, DestParentsAreMadeUpAsRelative0755Directories) {
  WriteTestFile(root_ / "target/debug/libx.rlib", "x");
  ::chmod((root_ / "target").c_str(), 0750);
  absl::StatusOr<LayerBlob> blob = Write(root_ / "target", "/build//target/");
  ASSERT_THAT(blob, IsOk());
  std::vector<TarEntry> entries = Entries(*blob);
  EXPECT_THAT(Names(entries),
              ElementsAre("build/", "build/target/", "build/target/debug/",
                          "build/target/debug/libx.rlib"));
  EXPECT_EQ(entries[0].perm, 0755u);
  EXPECT_EQ(entries[1].perm, 0750u);  // the source directory's own mode
}

TEST_F(LayerWriterTest, SingleFileIsNamedByDest) {
  WriteTestFile(root_ / "app", "binary");
  ::chmod((root_ / "app").c_str(), 0755);
  ASSERT_EQ(::symlink("app", (root_ / "applink").c_str()), 0);
  struct Case {
    fs::path source;
    std::string dest;
    std::vector<std::string> names;
  };
  for (const Case& c : std::vector<Case>{
           {root_ / "app",
            "/usr/bin/tool",
            {"usr/", "usr/bin/", "usr/bin/tool"}},
           {root_ / "app", "usr/bin/", {"usr/", "usr/bin/", "usr/bin/app"}},
           {root_ / "app", "/", {"app"}},
           {root_ / "applink", "/", {"applink"}},
       }) {
    absl::StatusOr<LayerBlob> blob = Write(c.source, c.dest);
    ASSERT_THAT(blob, IsOk()) << c.dest;
    std::vector<TarEntry> entries = Entries(*blob);
    EXPECT_THAT(Names(entries), ElementsAreArray(c.names)) << c.dest;
    if (c.source.filename() == "applink") {
      EXPECT_EQ(entries.back().symlink, "app");
    } else {
      EXPECT_EQ(entries.back().data, "binary");
      EXPECT_EQ(entries.back().perm, 0755u);
    }
  }
}

TEST_F(LayerWriterTest, DotDotInDestIsRejected) {
  WriteTestFile(root_ / "app", "x");
  EXPECT_THAT(
      Write(root_ / "app", "/usr/../../etc/x"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"..\"")));
}

TEST_F(LayerWriterTest, SocketsAndFifosAreSkipped) {
  fs::create_directories(root_ / "tree");
  WriteTestFile(root_ / "tree/file", "x");
  ASSERT_EQ(::mkfifo((root_ / "tree/fifo").c_str(), 0644), 0);
  // mknod makes a socket inode without binding one (and without the 108-byte
  // limit of socket addresses).
  ASSERT_EQ(::mknod((root_ / "tree/sock").c_str(), S_IFSOCK | 0644, 0), 0);
  absl::StatusOr<LayerBlob> blob = Write(root_ / "tree", "/");
  ASSERT_THAT(blob, IsOk());
  EXPECT_THAT(Names(Entries(*blob)), ElementsAre("file"));
}

TEST_F(LayerWriterTest, ExistingBlobPathIsRefusedAndKept) {
  WriteTestFile(root_ / "tree/f", "x");
  WriteTestFile(root_ / "blob", "precious");
  LayerOptions options;
  EXPECT_THAT(WriteLayer({.source = root_ / "tree"}, root_ / "blob", options),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("blob")));
  EXPECT_EQ(ReadFile(root_ / "blob").value(), "precious");
}

TEST_F(LayerWriterTest, FailureLeavesNoFileBehind) {
  fs::create_directories(root_ / "out");
  LayerOptions options;
  EXPECT_THAT(
      WriteLayer({.source = root_ / "missing"}, root_ / "out/blob", options),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("missing")));
  options.compressor.level = 42;
  WriteTestFile(root_ / "tree/a", "a");
  EXPECT_THAT(
      WriteLayer({.source = root_ / "tree"}, root_ / "out/blob", options),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("42")));
  // A file that disappears after the walk fails the write half-way.
  options.compressor.level = 0;
  WriteTestFile(root_ / "tree/z", RandomBytes(100, 2));
  ProgressFn remove_z = [&](uint64_t, uint64_t) {
    fs::remove(root_ / "tree/z");
  };
  EXPECT_THAT(WriteLayer({.source = root_ / "tree"}, root_ / "out/blob",
                         options, remove_z),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("tree/z")));
  EXPECT_TRUE(fs::is_empty(root_ / "out"));
}

TEST_F(LayerWriterTest, ProgressIsMonotonicAndEndsExact) {
  fs::create_directories(root_ / "tree");
  for (int i = 0; i < 5; ++i) {
    WriteTestFile(root_ / "tree" / ("f" + std::to_string(i)),
                  RandomBytes(5 << 20, i));
  }
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  absl::StatusOr<LayerBlob> blob = Write(
      root_ / "tree", "/", Compression::kZstd,
      [&](uint64_t done, uint64_t total) { calls.emplace_back(done, total); });
  ASSERT_THAT(blob, IsOk());
  ASSERT_GE(calls.size(), 3u);
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_LE(calls[i].first, calls[i].second);
    if (i > 0) {
      EXPECT_GE(calls[i].first, calls[i - 1].first);
    }
  }
  EXPECT_EQ(calls.back().first, blob->uncompressed_size);
  EXPECT_EQ(calls.back().second, blob->uncompressed_size);
  // The walk's estimate is close to the real size.
  EXPECT_NEAR(static_cast<double>(calls.front().second),
              static_cast<double>(blob->uncompressed_size), 4096);
}

TEST_F(LayerWriterTest, MemoryStaysFlatForALargeLayer) {
  // A 512 MiB sparse file: cheap to create, read and compress, but far
  // larger than the memory a streaming writer should ever need.
  fs::create_directories(root_ / "tree");
  const fs::path big = root_ / "tree/big";
  {
    int fd = ::open(big.c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, 512 << 20), 0);
    ASSERT_EQ(::pwrite(fd, "end", 3, (512 << 20) - 3), 3);
    ::close(fd);
  }
  struct rusage before;
  ::getrusage(RUSAGE_SELF, &before);
  LayerOptions options;
  options.compressor.threads = 2;
  absl::StatusOr<LayerBlob> blob =
      WriteLayer({.source = root_ / "tree"}, root_ / "blob", options);
  ASSERT_THAT(blob, IsOk());
  struct rusage after;
  ::getrusage(RUSAGE_SELF, &after);
  EXPECT_GT(blob->uncompressed_size, 512u << 20);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 128 * 1024)
      << "KiB of peak growth";
}

TEST_F(LayerWriterTest, GnuTarReadsTheLayer) {
  if (!cook::testing::HaveProgram("tar")) GTEST_SKIP() << "no tar";
  MakeTree(root_ / "tree", {});
  absl::StatusOr<LayerBlob> blob =
      Write(root_ / "tree", "/app", Compression::kGzip);
  ASSERT_THAT(blob, IsOk());
  fs::create_directories(root_ / "out");
  cook::testing::RunResult r = cook::testing::RunProgram(
      {"tar", "-xzf", blob->path.string(), "-C", (root_ / "out").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(root_ / "out/app/long" / kLongName).value(), "long");
  EXPECT_EQ(ReadFile(root_ / "out/app/unicode/caf\xc3\xa9.txt").value(),
            "cafe");
  EXPECT_EQ(fs::read_symlink(root_ / "out/app/dangling"), "does/not/exist");
  struct stat a, b;
  ASSERT_EQ(::stat((root_ / "out/app/lib/libfoo.rlib").c_str(), &a), 0);
  ASSERT_EQ(::stat((root_ / "out/app/lib/libfoo-copy.rlib").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
}

}  // namespace
}  // namespace cook::layers
