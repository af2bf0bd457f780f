#!/usr/bin/env bash
# make_tarball.sh VERSION_FILE BINARY MAN_PAGE README OUT: cook for any
# x86-64 Linux with glibc and libzstd, cook-VERSION/{bin/cook,
# share/man/man1/cook.1, README.md}. Deterministic: sorted, owner 0:0, fixed
# modes, every time SOURCE_DATE_EPOCH (default 1), gzip without a name or time.
set -euo pipefail
version_file=$1 binary=$2 man=$3 readme=$4 out=$5
epoch=${SOURCE_DATE_EPOCH:-1}
top=cook-$(head -n 1 "$version_file")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
install -D -m 0755 "$binary" "$work/$top/bin/cook"
install -D -m 0644 "$man" "$work/$top/share/man/man1/cook.1"
install -m 0644 "$readme" "$work/$top/README.md"
find "$work/$top" -type d -exec chmod 0755 {} +
tar -C "$work" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
  --format=gnu -cf - "$top" | gzip -9n >"$out"
