#include "chef/skeleton.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <string>
#include <system_error>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_format.h"
#include "base/fd.h"
#include "base/files.h"
#include "base/status_macros.h"

namespace cook::chef {
namespace fs = std::filesystem;

namespace {

// Creates `path` (which must not exist) with `contents`.
absl::Status WriteNewFile(const fs::path& path, std::string_view contents) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec)
    return FsError(ec,
                   absl::StrFormat("creating %s", path.parent_path().string()));
  const std::string context = absl::StrFormat("writing %s", path.string());
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoError(errno, context);
  return WriteAll(fd.get(), contents, context);
}

absl::Status CheckTarget(const fs::path& out_dir) {
  std::error_code ec;
  const fs::file_status status = fs::symlink_status(out_dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return FsError(
        ec, absl::StrFormat("writing the skeleton to %s", out_dir.string()));
  }
  if (!fs::exists(status)) return absl::OkStatus();
  if (!fs::is_directory(status)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "writing the skeleton to %s: it exists and is not a directory",
        out_dir.string()));
  }
  if (!fs::is_empty(out_dir, ec) || ec) {
    return absl::FailedPreconditionError(
        absl::StrFormat("writing the skeleton to %s: the directory is not "
                        "empty; hint: pick a new --out "
                        "directory",
                        out_dir.string()));
  }
  return absl::OkStatus();
}

absl::Status WriteTree(const Recipe& recipe, const fs::path& dir) {
  for (const auto& [path, contents] : recipe.files) {
    RETURN_IF_ERROR(WriteNewFile(dir / path, contents));
  }
  // One stub per path; `fn main` wins when targets share a source.
  std::map<std::string, StubKind> stubs;
  for (const RecipePackage& package : recipe.packages) {
    for (const RecipeTarget& target : package.targets) {
      StubKind& stub =
          stubs.try_emplace(target.path, target.stub).first->second;
      if (target.stub == StubKind::kMain) stub = StubKind::kMain;
    }
  }
  for (const auto& [path, stub] : stubs) {
    RETURN_IF_ERROR(
        WriteNewFile(dir / path, stub == StubKind::kMain ? kMainStub : ""));
  }
  std::error_code ec;
  fs::create_directories(dir / recipe.workspace_root, ec);
  if (ec)
    return FsError(ec, absl::StrFormat("creating %s",
                                       (dir / recipe.workspace_root).string()));
  return absl::OkStatus();
}

}  // namespace

fs::path SkeletonWorkspaceRoot(const Recipe& recipe, const fs::path& out_dir) {
  return (out_dir / recipe.workspace_root).lexically_normal();
}

absl::Status WriteSkeleton(const Recipe& recipe, const fs::path& out_dir_arg) {
  fs::path out_dir = out_dir_arg.lexically_normal();
  if (out_dir.has_relative_path() && out_dir.filename().empty())
    out_dir = out_dir.parent_path();
  RETURN_IF_ERROR(
      Annotate(ValidateRecipe(recipe), "writing the skeleton: invalid recipe"));
  RETURN_IF_ERROR(CheckTarget(out_dir));
  std::error_code ec;
  if (out_dir.has_parent_path()) {
    fs::create_directories(out_dir.parent_path(), ec);
    if (ec) {
      return FsError(
          ec, absl::StrFormat("creating %s", out_dir.parent_path().string()));
    }
  }
  const fs::path temp = TempSibling(out_dir);
  if (!fs::create_directory(temp, ec) || ec) {
    return FsError(ec, absl::StrFormat("creating %s", temp.string()));
  }
  bool done = false;
  absl::Cleanup remove_temp = [&] {
    if (!done) {
      std::error_code ignored;
      fs::remove_all(temp, ignored);
    }
  };
  RETURN_IF_ERROR(Annotate(
      WriteTree(recipe, temp),
      absl::StrFormat("writing the skeleton to %s", out_dir.string())));
  // rename(2) replaces an empty directory and fails on a non-empty one, so a
  // directory filled meanwhile is never overwritten.
  if (::rename(temp.c_str(), out_dir.c_str()) != 0) {
    return ErrnoError(errno, absl::StrFormat("renaming the skeleton into %s",
                                             out_dir.string()));
  }
  done = true;
  return absl::OkStatus();
}

}  // namespace cook::chef
