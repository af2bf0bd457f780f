#ifndef COOK_SANDBOX_INTERNAL_NAMESPACES_H_
#define COOK_SANDBOX_INTERNAL_NAMESPACES_H_

// The sandbox's namespaces: the id maps and mount points cook plans, and
// the file system the supervisor builds from them inside the new namespaces.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "sandbox/internal/plan.h"

namespace cook::sandbox::internal {

// In cook: sets `plan.isolate` and fills in the id maps (the caller's uid
// and gid map to themselves) and the mount points of this mount namespace.
absl::Status PlanNamespaces(Plan& plan);

// The distinct mount points in /proc/self/mountinfo `text`, in mount order,
// unescaped ("\040" is a space), but for those that only hold autofs mounts:
// touching one would ask the host's automounter to mount it (in its own
// namespace; with private propagation it never appears in the sandbox).
std::vector<std::string> ParseMountPoints(std::string_view mountinfo);

// In the supervisor, just cloned into the new namespaces (async-signal-safe):
// writes the id maps and the host name, remounts every mount point
// read-only, mounts /proc and a private /tmp, and binds the writable paths.
// Returns with the file system in place, or reports the failed step and
// exits.
void SetUpNamespaces(Plan& plan);

}  // namespace cook::sandbox::internal

#endif  // COOK_SANDBOX_INTERNAL_NAMESPACES_H_
