#include "cache/target_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/temp_dir.h"

namespace cook::cache {
namespace {

namespace fs = std::filesystem;
using ::cook::testing::IsOkAndHolds;
using ::cook::testing::StatusIs;
using ::cook::testing::WriteTestFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Captured from `cargo build --message-format=json` (cargo 1.95) on
// tests/fixtures/tally, then `--tests`, then `--release --target
// x86_64-unknown-linux-gnu`; fields this code ignores are trimmed.
constexpr char kMessages[] = R"json({"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#serde@1.0.152","target":{"kind":["custom-build"],"name":"build-script-build"},"filenames":["/tmp/gc-tally/target/debug/build/serde-0cf9022126af730d/build-script-build"],"executable":null,"fresh":false}
{"reason":"build-script-executed","package_id":"registry+https://github.com/rust-lang/crates.io-index#serde@1.0.152","linked_libs":[],"linked_paths":[],"cfgs":[],"env":[],"out_dir":"/tmp/gc-tally/target/debug/build/serde-a1a2a063e2809830/out"}
{"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#ryu@1.0.2","target":{"kind":["lib"],"name":"ryu"},"filenames":["/tmp/gc-tally/target/debug/deps/libryu-ff0c2a44e2bba644.rlib","/tmp/gc-tally/target/debug/deps/libryu-ff0c2a44e2bba644.rmeta"],"executable":null,"fresh":true}
{"reason":"compiler-artifact","package_id":"path+file:///tmp/gc-tally#tally@1.2.0","target":{"kind":["bin"],"name":"tally"},"filenames":["/tmp/gc-tally/target/debug/tally"],"executable":"/tmp/gc-tally/target/debug/tally","fresh":false}
{"reason":"compiler-artifact","package_id":"path+file:///tmp/gc-tally#tally@1.2.0","target":{"kind":["bin"],"name":"tally"},"filenames":["/tmp/gc-tally/target/debug/deps/tally-16d105281e67eed3"],"executable":"/tmp/gc-tally/target/debug/deps/tally-16d105281e67eed3","fresh":false}
{"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#ryu@1.0.2","target":{"kind":["custom-build"],"name":"build-script-build"},"filenames":["/tmp/gc-tally/target/release/build/ryu-26d9d92d35221d5c/build-script-build"],"executable":null,"fresh":false}
{"reason":"build-script-executed","package_id":"registry+https://github.com/rust-lang/crates.io-index#ryu@1.0.2","linked_libs":[],"linked_paths":[],"cfgs":[],"env":[],"out_dir":"/tmp/gc-tally/target/x86_64-unknown-linux-gnu/release/build/ryu-a29a7ac3a74360ac/out"}
{"reason":"compiler-artifact","package_id":"path+file:///tmp/gc-tally/tally-core#1.2.0","target":{"kind":["lib"],"name":"tallycore"},"filenames":["/tmp/gc-tally/target/x86_64-unknown-linux-gnu/release/deps/libtallycore-01937bee2a01da48.rlib","/tmp/gc-tally/target/x86_64-unknown-linux-gnu/release/deps/libtallycore-01937bee2a01da48.rmeta"],"executable":null,"fresh":false}
{"reason":"build-finished","success":true}
)json";

TEST(UsedUnitHashesTest, ReadsRealCargoMessages) {
  EXPECT_THAT(UsedUnitHashes(kMessages),
              IsOkAndHolds(ElementsAre("01937bee2a01da48",   // cross lib
                                       "0cf9022126af730d",   // serde build script
                                       "16d105281e67eed3",   // test executable
                                       "26d9d92d35221d5c",   // host-built script
                                       "a1a2a063e2809830",   // serde script run
                                       "a29a7ac3a74360ac",   // cross script run
                                       "ff0c2a44e2bba644")));  // ryu lib
}

TEST(UsedUnitHashesTest, IgnoresWhatIsNotAMessage) {
  EXPECT_THAT(UsedUnitHashes(""), IsOkAndHolds(IsEmpty()));
  EXPECT_THAT(
      UsedUnitHashes("   Compiling serde v1.0.152\n"
                     "{not json\n"
                     "[\"/t/debug/deps/liba-0123456789abcdef.rlib\"]\n"
                     "{\"reason\":\"compiler-message\",\"message\":{}}\n"
                     "{\"reason\":\"compiler-artifact\",\"filenames\":7}\n"
                     "{\"reason\":\"compiler-artifact\",\"filenames\":[1,null],"
                     "\"executable\":{}}\n"
                     "{\"reason\":\"build-script-executed\",\"out_dir\":null}\r\n"
                     "{\"reason\":7}\n"
                     "{\"reason\":\"compiler-artifact\",\"filenames\":["
                     "\"/t/debug/deps/liba-0123456789ABCDEF.rlib\","  // not lowercase
                     "\"/t/debug/deps/liba-0123456789abcde.rlib\","   // 15 digits
                     "\"/t/debug/build/a-0123456789abcdef/sub/x\"]}\n"),
      IsOkAndHolds(IsEmpty()));
}

TEST(UsedUnitHashesTest, ToleratesCarriageReturnsAndNoFinalNewline) {
  EXPECT_THAT(UsedUnitHashes("{\"reason\":\"compiler-artifact\",\"filenames\":["
                             "\"/t/debug/deps/a-0123456789abcdef.d\"]}\r\n"
                             "{\"reason\":\"build-script-executed\",\"out_dir\":"
                             "\"/t/debug/build/a-fedcba9876543210/out\"}"),
              IsOkAndHolds(ElementsAre("0123456789abcdef", "fedcba9876543210")));
}

class CollectGarbageTest : public ::cook::testing::TempDirTest {
 protected:
  void Touch(const std::string& relative) { WriteTestFile(root_ / relative, "x"); }
  void Mkdir(const std::string& relative) { fs::create_directories(root_ / relative); }

  // Every path under root_, relative, without following symlinks.
  std::set<std::string> Tree() {
    std::set<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root_)) {
      out.insert(fs::relative(e.path(), root_).string());
    }
    return out;
  }
};

// A target directory shaped like the tally build, plus a stale copy of each
// kind of unit (an older serde and ryu) in the host and the cross profile.
TEST_F(CollectGarbageTest, RemovesOnlyUnusedUnits) {
  for (const char* path : {
           "target/.rustc_info.json",
           "target/CACHEDIR.TAG",
           "target/debug/.cargo-lock",
           "target/debug/tally",
           "target/debug/tally.d",
           // serde's build script: compiled (0cf9...) and run (a1a2...).
           "target/debug/build/serde-0cf9022126af730d/build-script-build",
           "target/debug/build/serde-0cf9022126af730d/build_script_build-0cf9022126af730d",
           "target/debug/build/serde-0cf9022126af730d/build_script_build-0cf9022126af730d.d",
           "target/debug/build/serde-a1a2a063e2809830/out/private.rs",
           "target/debug/build/serde-a1a2a063e2809830/output",
           "target/debug/build/serde-a1a2a063e2809830/root-output",
           "target/debug/.fingerprint/serde-0cf9022126af730d/build-script-build-script-build",
           "target/debug/.fingerprint/serde-a1a2a063e2809830/run-build-script-build-script-build",
           "target/debug/.fingerprint/serde-c10fdc08a1d33f1b/lib-serde",
           "target/debug/deps/libserde-c10fdc08a1d33f1b.rlib",
           "target/debug/deps/libserde-c10fdc08a1d33f1b.rmeta",
           "target/debug/deps/serde-c10fdc08a1d33f1b.d",
           // The same, stale.
           "target/debug/build/serde-1111111111111111/build-script-build",
           "target/debug/build/serde-2222222222222222/out/private.rs",
           "target/debug/.fingerprint/serde-1111111111111111/build-script-build-script-build",
           "target/debug/.fingerprint/serde-2222222222222222/run-build-script-build-script-build",
           "target/debug/.fingerprint/serde-3333333333333333/lib-serde",
           "target/debug/deps/libserde-3333333333333333.rlib",
           "target/debug/deps/libserde-3333333333333333.rmeta",
           "target/debug/deps/serde-3333333333333333.d",
           // A stale proc-macro, test binary and example.
           "target/debug/deps/libserde_derive-4444444444444444.so",
           "target/debug/deps/tally-5555555555555555",
           "target/debug/examples/demo-6666666666666666",
           "target/debug/examples/demo-6666666666666666.d",
           "target/debug/examples/demo",
           // rustc's own session hash: kept.
           "target/debug/incremental/tally-20y8gc32kntl7/s-abc/dep-graph.bin",
           "target/debug/incremental/tally-7777777777777777/s-abc/dep-graph.bin",
           // Not a unit directory: kept whatever the name.
           "target/debug/native/libz-8888888888888888.a",
           "target/doc/serde/build/serde-9999999999999999/x",
           // Cross: build scripts compile into the host release/ directory.
           "target/release/.cargo-lock",
           "target/release/.fingerprint/ryu-26d9d92d35221d5c/build-script-build-script-build",
           "target/release/build/ryu-26d9d92d35221d5c/build-script-build",
           "target/release/build/ryu-aaaaaaaaaaaaaaaa/build-script-build",
           "target/x86_64-unknown-linux-gnu/CACHEDIR.TAG",
           "target/x86_64-unknown-linux-gnu/release/.cargo-lock",
           "target/x86_64-unknown-linux-gnu/release/tally",
           "target/x86_64-unknown-linux-gnu/release/build/ryu-a29a7ac3a74360ac/out/x",
           "target/x86_64-unknown-linux-gnu/release/build/ryu-bbbbbbbbbbbbbbbb/out/x",
           "target/x86_64-unknown-linux-gnu/release/.fingerprint/ryu-a29a7ac3a74360ac/run",
           "target/x86_64-unknown-linux-gnu/release/.fingerprint/ryu-bbbbbbbbbbbbbbbb/run",
           "target/x86_64-unknown-linux-gnu/release/deps/libryu-a062b64e0ea94cdb.rlib",
           "target/x86_64-unknown-linux-gnu/release/deps/libryu-cccccccccccccccc.rlib",
       }) {
    Touch(path);
  }
  Mkdir("target/release/deps");
  Mkdir("target/release/examples");
  Mkdir("target/release/incremental");

  const std::set<std::string> used = {
      "0cf9022126af730d", "a1a2a063e2809830", "c10fdc08a1d33f1b",
      "26d9d92d35221d5c", "a29a7ac3a74360ac", "a062b64e0ea94cdb"};
  EXPECT_THAT(CollectGarbage(root_ / "target", used), IsOkAndHolds(17));

  for (const char* gone : {
           "target/debug/build/serde-1111111111111111",
           "target/debug/build/serde-2222222222222222",
           "target/debug/.fingerprint/serde-1111111111111111",
           "target/debug/.fingerprint/serde-2222222222222222",
           "target/debug/.fingerprint/serde-3333333333333333",
           "target/debug/deps/libserde-3333333333333333.rlib",
           "target/debug/deps/libserde-3333333333333333.rmeta",
           "target/debug/deps/serde-3333333333333333.d",
           "target/debug/deps/libserde_derive-4444444444444444.so",
           "target/debug/deps/tally-5555555555555555",
           "target/debug/examples/demo-6666666666666666",
           "target/debug/examples/demo-6666666666666666.d",
           "target/debug/incremental/tally-7777777777777777",
           "target/release/build/ryu-aaaaaaaaaaaaaaaa",
           "target/x86_64-unknown-linux-gnu/release/build/ryu-bbbbbbbbbbbbbbbb",
           "target/x86_64-unknown-linux-gnu/release/.fingerprint/ryu-bbbbbbbbbbbbbbbb",
           "target/x86_64-unknown-linux-gnu/release/deps/libryu-cccccccccccccccc.rlib",
       }) {
    EXPECT_FALSE(fs::exists(root_ / gone)) << gone;
  }
  for (const char* kept : {
           "target/.rustc_info.json",
           "target/CACHEDIR.TAG",
           "target/debug/.cargo-lock",
           "target/debug/tally",
           "target/debug/tally.d",
           "target/debug/build/serde-0cf9022126af730d/build_script_build-0cf9022126af730d",
           "target/debug/build/serde-a1a2a063e2809830/out/private.rs",
           "target/debug/.fingerprint/serde-0cf9022126af730d",
           "target/debug/.fingerprint/serde-a1a2a063e2809830",
           "target/debug/.fingerprint/serde-c10fdc08a1d33f1b/lib-serde",
           "target/debug/deps/libserde-c10fdc08a1d33f1b.rlib",
           "target/debug/deps/libserde-c10fdc08a1d33f1b.rmeta",
           "target/debug/deps/serde-c10fdc08a1d33f1b.d",
           "target/debug/examples/demo",
           "target/debug/incremental/tally-20y8gc32kntl7/s-abc/dep-graph.bin",
           "target/debug/native/libz-8888888888888888.a",
           "target/doc/serde/build/serde-9999999999999999/x",
           "target/release/.cargo-lock",
           "target/release/.fingerprint/ryu-26d9d92d35221d5c",
           "target/release/build/ryu-26d9d92d35221d5c/build-script-build",
           "target/release/deps",
           "target/release/examples",
           "target/release/incremental",
           "target/x86_64-unknown-linux-gnu/CACHEDIR.TAG",
           "target/x86_64-unknown-linux-gnu/release/.cargo-lock",
           "target/x86_64-unknown-linux-gnu/release/tally",
           "target/x86_64-unknown-linux-gnu/release/build/ryu-a29a7ac3a74360ac/out/x",
           "target/x86_64-unknown-linux-gnu/release/.fingerprint/ryu-a29a7ac3a74360ac/run",
           "target/x86_64-unknown-linux-gnu/release/deps/libryu-a062b64e0ea94cdb.rlib",
       }) {
    EXPECT_TRUE(fs::exists(root_ / kept)) << kept;
  }
  // A second pass finds nothing more.
  EXPECT_THAT(CollectGarbage(root_ / "target", used), IsOkAndHolds(0));
}

TEST_F(CollectGarbageTest, CustomProfileAndEmptyUsedSet) {
  Touch("target/bench-fast/.cargo-lock");
  Touch("target/bench-fast/.fingerprint/a-0123456789abcdef/lib-a");
  Touch("target/bench-fast/deps/liba-0123456789abcdef.rlib");
  Touch("target/bench-fast/deps/a-0123456789abcdef.d");
  Touch("target/bench-fast/app");
  EXPECT_THAT(CollectGarbage(root_ / "target", {}), IsOkAndHolds(3));
  EXPECT_EQ(Tree(), (std::set<std::string>{"target", "target/bench-fast",
                                           "target/bench-fast/.cargo-lock",
                                           "target/bench-fast/.fingerprint",
                                           "target/bench-fast/app",
                                           "target/bench-fast/deps"}));
}

TEST_F(CollectGarbageTest, DirectoriesWithoutFingerprintsAreNotProfiles) {
  Touch("target/debug/deps/liba-0123456789abcdef.rlib");  // no .fingerprint/
  Touch("target/tmp/build/a-0123456789abcdef/x");
  EXPECT_THAT(CollectGarbage(root_ / "target", {}), IsOkAndHolds(0));
  EXPECT_TRUE(fs::exists(root_ / "target/debug/deps/liba-0123456789abcdef.rlib"));
}

TEST_F(CollectGarbageTest, MissingTargetDirectoryRemovesNothing) {
  EXPECT_THAT(CollectGarbage(root_ / "absent", {}), IsOkAndHolds(0));
}

TEST_F(CollectGarbageTest, DoesNotFollowSymlinksOutOfTheTree) {
  Touch("outside/keep-0123456789abcdef/file");
  Touch("outside/libkeep-0123456789abcdef.rlib");
  Touch("outside/.fingerprint/keep-0123456789abcdef/x");
  Touch("target/debug/.fingerprint/a-1111111111111111/x");
  // A stale unit that is a symlink to a directory outside: the link goes.
  fs::create_symlink(root_ / "outside", root_ / "target/debug/.fingerprint/b-2222222222222222");
  // Unit directories and profiles that are symlinks are left alone.
  fs::create_symlink(root_ / "outside", root_ / "target/debug/deps");
  fs::create_directories(root_ / "target/x86_64-unknown-linux-gnu");
  fs::create_symlink(root_ / "outside", root_ / "target/x86_64-unknown-linux-gnu/debug");
  fs::create_symlink(root_ / "outside", root_ / "target/release");

  EXPECT_THAT(CollectGarbage(root_ / "target", {}), IsOkAndHolds(2));
  EXPECT_FALSE(fs::exists(fs::symlink_status(root_ / "target/debug/.fingerprint/b-2222222222222222")));
  EXPECT_FALSE(fs::exists(root_ / "target/debug/.fingerprint/a-1111111111111111"));
  EXPECT_TRUE(fs::exists(root_ / "outside/keep-0123456789abcdef/file"));
  EXPECT_TRUE(fs::exists(root_ / "outside/libkeep-0123456789abcdef.rlib"));
  EXPECT_TRUE(fs::exists(root_ / "outside/.fingerprint/keep-0123456789abcdef/x"));
  EXPECT_TRUE(fs::is_symlink(root_ / "target/debug/deps"));
}

TEST_F(CollectGarbageTest, ReportsWhatItCouldNotRemove) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  Touch("target/debug/.fingerprint/a-0123456789abcdef/x");
  Touch("target/debug/deps/liba-0123456789abcdef.rlib");
  fs::permissions(root_ / "target/debug/deps", fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_THAT(CollectGarbage(root_ / "target", {}),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("target/debug/deps/liba-0123456789abcdef.rlib")));
}

class NewestSourceTimeTest : public cook::testing::TempDirTest {
 protected:
  // A source file with mtime `seconds` (and some nanoseconds).
  fs::path Source(const std::string& name, int64_t seconds) {
    const fs::path path = root_ / "src" / name;
    WriteTestFile(path, "fn f() {}");
    const struct timespec times[2] = {{seconds, 5}, {seconds, 5}};
    EXPECT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
    return path;
  }
  // rustc's dep-info: a rule, then one "path:" line per source.
  void DepInfo(const std::string& relative, const std::vector<fs::path>& sources) {
    std::string text = "out:";
    for (const fs::path& s : sources) text += " " + s.string();
    text += "\n\n";
    for (const fs::path& s : sources) text += s.string() + ":\n";
    WriteTestFile(root_ / "target" / relative, text);
    fs::create_directories(root_ / "target/debug/.fingerprint");
  }
};

TEST_F(NewestSourceTimeTest, CountsOnlyTheUnitsTheBuildUsed) {
  DepInfo("debug/deps/serde-0123456789abcdef.d", {Source("serde.rs", 1000)});
  DepInfo("debug/build/serde-1111111111111111/build_script_build-1111111111111111.d",
          {Source("build.rs", 2000)});
  // A unit of the user's own, newer: not this build's.
  DepInfo("debug/deps/mine-fedcba9876543210.d", {Source("mine.rs", 9000)});
  DepInfo("debug/build/mine-2222222222222222/build_script_build-2222222222222222.d",
          {Source("mine-build.rs", 8000)});
  EXPECT_THAT(NewestSourceTime(root_ / "target", root_ / "skeleton",
                               {"0123456789abcdef", "1111111111111111"}),
              IsOkAndHolds(absl::FromUnixSeconds(2001)));
  EXPECT_THAT(NewestSourceTime(root_ / "target", root_ / "skeleton", {"0123456789abcdef"}),
              IsOkAndHolds(absl::FromUnixSeconds(1001)));
  EXPECT_THAT(NewestSourceTime(root_ / "target", root_ / "skeleton",
                               {"0123456789abcdef", "fedcba9876543210"}),
              IsOkAndHolds(absl::FromUnixSeconds(9001)));
  EXPECT_THAT(NewestSourceTime(root_ / "target", root_ / "skeleton", {}),
              IsOkAndHolds(absl::InfinitePast()));
}

TEST(TargetEntryCrateTest, NamesTheCrateOfUnitEntries) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"debug/deps/libserde_json-b649c697d8aa3efa.rlib", "serde_json"},
      {"debug/deps/libserde_json-b649c697d8aa3efa.rmeta", "serde_json"},
      {"debug/deps/serde_json-b649c697d8aa3efa.d", "serde_json"},
      {"debug/deps/liblibc-9dae90437f5f88de.rlib", "libc"},
      {"debug/deps/libc-9dae90437f5f88de.d", "libc"},
      {"debug/deps/libcfg_if-e3e26efeb5af1e45.rlib", "cfg_if"},
      {"debug/deps/libserde_derive-0123456789abcdef.so", "serde_derive"},
      {"debug/deps/libzstd_sys-0123456789abcdef.a", "zstd_sys"},
      {"debug/deps/tally-16d105281e67eed3", "tally"},
      {"debug/deps/tally-16d105281e67eed3.d", "tally"},
      {"debug/deps/libtallycore-62604dd05ee73da2.rlib", "tallycore"},
      {"debug/examples/demo-0123456789abcdef", "demo"},
      {"debug/.fingerprint/serde-json-b649c697d8aa3efa/lib-serde_json", "serde_json"},
      {"debug/.fingerprint/cfg-if-e3e26efeb5af1e45", "cfg_if"},
      {"debug/.fingerprint/tally-core-62604dd05ee73da2/lib-tallycore.json", "tally_core"},
      {"debug/.fingerprint/libc-67de48a6f73b39f8/build-script-build-script-build",
       "libc"},
      {"debug/build/serde-0cf9022126af730d/build-script-build", "serde"},
      {"debug/build/serde-0cf9022126af730d/build_script_build-0cf9022126af730d.d",
       "serde"},
      {"debug/build/serde-a1a2a063e2809830/out/private.rs", "serde"},
      {"debug/build/serde_json-2eb96ddd9e4bd67c", "serde_json"},
      {"debug/incremental/tally-20y8gc32kntl7/s-h5f-x/dep-graph.bin", "tally"},
      {"release/deps/libryu-ff0c2a44e2bba644.rlib", "ryu"},
      {"release/build/ryu-26d9d92d35221d5c/build-script-build", "ryu"},
      {"bench-fast/deps/libanyhow-f1afc8c94231e806.rlib", "anyhow"},
      {"x86_64-unknown-linux-gnu/release/build/serde_json-0eba85f23fce0bc2/out/x",
       "serde_json"},
      {"x86_64-unknown-linux-gnu/release/deps/libtallycore-01937bee2a01da48.rmeta",
       "tallycore"},
      {"x86_64-unknown-linux-gnu/release/.fingerprint/cfg-if-9aa0d7de36aa5327",
       "cfg_if"},
      {"./debug/deps//libryu-ff0c2a44e2bba644.rlib", "ryu"},
      // No crate.
      {".rustc_info.json", ""},
      {"CACHEDIR.TAG", ""},
      {"debug", ""},
      {"debug/", ""},
      {"debug/.cargo-lock", ""},
      {"debug/deps", ""},
      {"debug/build", ""},
      {"debug/tally", ""},
      {"debug/tally.d", ""},
      {"debug/libtallycore.rlib", ""},
      {"debug/examples/demo", ""},
      {"debug/deps/README", ""},
      {"x86_64-unknown-linux-gnu", ""},
      {"x86_64-unknown-linux-gnu/CACHEDIR.TAG", ""},
      {"x86_64-unknown-linux-gnu/release", ""},
      {"x86_64-unknown-linux-gnu/release/deps", ""},
      {"x86_64-unknown-linux-gnu/release/tally", ""},
      {"doc/serde/build/serde-0123456789abcdef/x", ""},
      {"", ""},
  };
  for (const auto& [path, crate] : cases) {
    EXPECT_EQ(TargetEntryCrate(path), crate) << path;
  }
}

TEST(TargetEntryUnitHashTest, NamesTheUnitOfEntriesCollectGarbageWouldRemove) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"debug/deps/libserde_json-b649c697d8aa3efa.rlib", "b649c697d8aa3efa"},
      {"debug/deps/serde_json-b649c697d8aa3efa.d", "b649c697d8aa3efa"},
      {"debug/deps/tally-16d105281e67eed3", "16d105281e67eed3"},
      {"debug/examples/demo-0123456789abcdef", "0123456789abcdef"},
      {"debug/.fingerprint/serde-json-b649c697d8aa3efa", "b649c697d8aa3efa"},
      {"debug/.fingerprint/serde-json-b649c697d8aa3efa/lib-serde_json", "b649c697d8aa3efa"},
      {"debug/build/serde-0cf9022126af730d/build-script-build", "0cf9022126af730d"},
      {"debug/build/serde-a1a2a063e2809830/out/private.rs", "a1a2a063e2809830"},
      {"bench-fast/deps/libanyhow-f1afc8c94231e806.rlib", "f1afc8c94231e806"},
      {"x86_64-unknown-linux-gnu/release/build/serde_json-0eba85f23fce0bc2/out/x",
       "0eba85f23fce0bc2"},
      {"./debug/deps//libryu-ff0c2a44e2bba644.rlib", "ff0c2a44e2bba644"},
      // Not a unit: kept in any snapshot.
      {"debug/incremental/tally-20y8gc32kntl7/s-h5f-x/dep-graph.bin", ""},
      {".rustc_info.json", ""},
      {"CACHEDIR.TAG", ""},
      {"debug", ""},
      {"debug/.cargo-lock", ""},
      {"debug/deps", ""},
      {"debug/tally", ""},
      {"debug/libtallycore.rlib", ""},
      {"debug/deps/README", ""},
      {"debug/deps/libserde-0123456789ABCDEF.rlib", ""},
      {"x86_64-unknown-linux-gnu/release/tally", ""},
      {"doc/serde/build/serde-0123456789abcdef/x", ""},
      {"", ""},
  };
  for (const auto& [path, hash] : cases) {
    EXPECT_EQ(TargetEntryUnitHash(path), hash) << path;
  }
}

TEST(CargoHomeEntryCrateTest, NamesTheCrateOfRegistryAndGitEntries) {
  const std::string index = "index.crates.io-1949cf8c6b5b557f";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"registry/src/" + index + "/serde-1.0.152/src/lib.rs", "serde"},
      {"registry/src/" + index + "/serde-1.0.152", "serde"},
      {"registry/src/" + index + "/serde_json-1.0.87/Cargo.toml", "serde_json"},
      {"registry/src/" + index + "/cfg-if-1.0.0/src/lib.rs", "cfg_if"},
      {"registry/src/" + index + "/md-5-0.10.5/src/lib.rs", "md_5"},
      {"registry/src/" + index + "/x25519-dalek-2.0.0-rc.3/src/lib.rs",
       "x25519_dalek"},
      {"registry/src/" + index + "/foo-1-1.0.0-alpha-1+build.5/a", "foo_1"},
      {"registry/cache/" + index + "/serde-1.0.152.crate", "serde"},
      {"registry/cache/" + index + "/md-5-0.10.5.crate", "md_5"},
      {"registry/cache/" + index + "/windows_x86_64_gnu-0.48.5.crate",
       "windows_x86_64_gnu"},
      {"git/checkouts/serde-3b8ab5d1e3d0e1b4/a1b2c3d/src/lib.rs", "serde"},
      {"git/checkouts/rust-lang-regex-0123456789abcdef", "rust_lang_regex"},
      {"git/db/tokio-0123456789abcdef/objects/pack/x.pack", "tokio"},
      // No crate.
      {"registry/index/" + index + "/.cache/se/rd/serde", ""},
      {"registry/src/" + index, ""},
      {"registry/cache/" + index + "/serde-1.0.152.crate.tmp", ""},
      {"registry/cache/" + index + "/serde-1.0.crate", ""},
      {"registry/src/" + index + "/serde", ""},
      {"registry/src/" + index + "/-1.0.0", ""},
      {"git/checkouts", ""},
      {"git/checkouts/nohash", ""},
      {"git/db/name-NOTHEX", ""},
      {"bin/cargo-udeps", ""},
      {".package-cache", ""},
      {"", ""},
  };
  for (const auto& [path, crate] : cases) {
    EXPECT_EQ(CargoHomeEntryCrate(path), crate) << path;
  }
}

}  // namespace
}  // namespace cook::cache
