#ifndef COOK_BUILDER_VERSION_H_
#define COOK_BUILDER_VERSION_H_

// The line `cook --version` prints: "cook VERSION (COMMIT)". VERSION is the
// repository's VERSION file; COMMIT the short git hash that
// tools/workspace_status.sh reports (STABLE_COOK_COMMIT) when the binary is
// built with --stamp (//release always is), "unknown" where the workspace had
// no git checkout, and "unstamped" in ordinary builds, which therefore do not
// relink or re-run tests when only the commit changes.
namespace cook::builder {

const char* VersionLine();

}  // namespace cook::builder

#endif  // COOK_BUILDER_VERSION_H_
