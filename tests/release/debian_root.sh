#!/usr/bin/env bash
# debian_root.sh CACHE_DIR: prints the path of a tarball (zstd) of a minimal
# Debian 12 root (debootstrap --variant=minbase bookworm) whose apt lists are
# fresh and whose /var/cache/apt/archives already holds the packages the
# release test installs (man-db, libcurl4 and what they need), so the test
# needs no network once the tarball exists. Made once (a few minutes, needs
# Debian's mirror), then reused: the name is keyed by the suite and by this
# list of packages, never by a date. Delete it to refresh the packages.
# Needs root (debootstrap, chroot). Concurrent callers wait on a lock.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin  # debootstrap, chroot

cache_dir=$1
mirror=${COOK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=(man-db libcurl4)
tarball="$cache_dir/debian-bookworm-minbase-$(printf '%s\n' "${packages[@]}" | sha256sum | cut -c1-8).tar.zst"

mkdir -p "$cache_dir"
exec 9>"$cache_dir/.lock"
flock 9
if [ -s "$tarball" ]; then
  echo "$tarball"
  exit 0
fi

work=$(mktemp -d "$cache_dir/.root.XXXXXX")
chmod 755 "$work"  # the chroot's /: mktemp's 0700 would lock users out
cleanup() {
  umount "$work/proc" 2>/dev/null || true
  rm -rf --one-file-system "$work" "$work.log" "$tarball.tmp"
}
trap cleanup EXIT
trap "exit 130" INT TERM

echo "debian_root: debootstrap --variant=minbase bookworm (once; a few minutes)" >&2
debootstrap --variant=minbase bookworm "$work" "$mirror" >"$work.log" 2>&1 ||
  { tail -20 "$work.log" >&2; exit 1; }
rm -f "$work.log"
cp /etc/resolv.conf "$work/etc/resolv.conf"
mount -t proc proc "$work/proc"
chroot "$work" apt-get update -qq >&2
chroot "$work" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --download-only "${packages[@]}" >&2
umount "$work/proc"
tar --zstd -C "$work" --numeric-owner -cf "$tarball.tmp" .
mv "$tarball.tmp" "$tarball"
echo "$tarball"
