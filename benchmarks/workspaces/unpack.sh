#!/usr/bin/env bash
# Unpacks the manifests-only workspaces next to this script into DEST/<name>.
#
# usage: benchmarks/workspaces/unpack.sh DEST [NAME...]   (default: all of them)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:?usage: unpack.sh DEST [NAME...]}
shift
mkdir -p "$dest"
if (($#)); then names=("$@"); else
  names=()
  for archive in "$here"/*.tar.zst; do names+=("$(basename "$archive" .tar.zst)"); done
fi
for name in "${names[@]}"; do
  rm -rf "${dest:?}/$name"
  zstd -dcq "$here/$name.tar.zst" | tar -xf - -C "$dest"
done
