#!/usr/bin/env bash
# make_deb.sh VERSION_FILE BINARY MAN_PAGE README COPYRIGHT CONTROL_IN OUT:
# the Debian package of cook. Depends is computed from the binary
# (dpkg-shlibdeps: libc6 and libzstd1 with the minimum versions of the symbols
# it uses); control.in holds the rest. Deterministic: files owned by root,
# modes set here, every time SOURCE_DATE_EPOCH (default 1, as cook's own
# layers), entries sorted by dpkg-deb.
set -euo pipefail
version_file=$1 binary=$2 man=$3 readme=$4 copyright=$5 control_in=$6 out=$7
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1}
version=$(head -n 1 "$version_file")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
install -D -m 0755 "$binary" "$root/usr/bin/cook"
mkdir -p "$root/usr/share/man/man1" "$root/usr/share/doc/cook" "$root/DEBIAN"
gzip -9n <"$man" >"$root/usr/share/man/man1/cook.1.gz"
install -m 0644 "$readme" "$root/usr/share/doc/cook/README.md"
install -m 0644 "$copyright" "$root/usr/share/doc/cook/copyright"
chmod 0644 "$root/usr/share/man/man1/cook.1.gz"

# dpkg-shlibdeps wants a source package's debian/control to read.
mkdir "$work/debian"
printf 'Source: cook\n\nPackage: cook\nArchitecture: amd64\n' >"$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O --warnings=0 root/usr/bin/cook |
  sed -n 's/^shlibs:Depends=//p')
case "$depends" in
  *libc6*) ;;
  *) echo "make_deb.sh: dpkg-shlibdeps found no libc6 dependency: '$depends'" >&2; exit 1 ;;
esac
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
grep -v '^#' "$control_in" |
  sed -e "s/@VERSION@/$version/" -e "s/@DEPENDS@/$depends/" -e "s/@INSTALLED_SIZE@/$size/" \
    >"$root/DEBIAN/control"
chmod 0644 "$root/DEBIAN/control"
find "$root" -type d -exec chmod 0755 {} +
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
