#!/bin/sh
# Bazel's workspace status command (.bazelrc): prints STABLE_COOK_COMMIT, the
# short hash of the commit checked out in this workspace, or "unknown" where
# there is none (a tarball without .git, or git missing). Runs offline, in the
# workspace root, before every build; only targets built with --stamp read it
# (builder:version_stamped, which //release builds).
top=$(git rev-parse --show-toplevel 2>/dev/null)
commit=unknown
# A tarball unpacked inside some other repository must not report that one.
if [ -n "$top" ] && [ "$top" -ef . ]; then
  commit=$(git rev-parse --short HEAD 2>/dev/null) || commit=unknown
fi
echo "STABLE_COOK_COMMIT ${commit:-unknown}"
