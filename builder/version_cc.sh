#!/bin/sh
# version_cc.sh VERSION_FILE STATUS_FILE|-: writes builder/version.h's
# definition to stdout; the commit is STATUS_FILE's STABLE_COOK_COMMIT
# ("unstamped" for -). Refuses a version or commit that is not plain
# [0-9A-Za-z.+~-], so the C++ string needs no escaping.
set -eu
version=$(head -n 1 "$1")
commit=unstamped
if [ "$2" != - ]; then
  commit=$(sed -n 's/^STABLE_COOK_COMMIT //p' "$2")
  commit=${commit:-unknown}
fi
for value in "$version" "$commit"; do
  case "$value" in
    "" | *[!0-9A-Za-z.+~-]*) echo "version_cc.sh: bad version or commit: '$value'" >&2; exit 1 ;;
  esac
done
cat <<CC
#include "builder/version.h"

namespace cook::builder {

const char* VersionLine() { return "cook $version ($commit)"; }

}  // namespace cook::builder
CC
