#!/usr/bin/env bash
# The release on a bare Debian 12: a debootstrap minbase root (cached, see
# debian_root.sh), and in it, by chroot: the tarball's cook answers --version
# with the stamped commit; without libcurl a docker:// command fails naming
# libcurl; `apt-get install ./cook_*.deb` resolves the dependencies (libcurl4
# comes in as a Recommends); an unprivileged user restores and inspects a
# cache image made on the host; `man cook` finds the page.
# Needs root. Runs in a private mount namespace, so /proc is unmounted even
# when the test is killed; each check is one case of $XML_OUTPUT_FILE.
set -uo pipefail
export PATH=$PATH:/usr/sbin:/sbin  # chroot, useradd

if [ -z "${COOK_RELEASE_TEST_NS:-}" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install_test: needs root (debootstrap, chroot, mount)" >&2
    exit 1
  fi
  COOK_RELEASE_TEST_NS=1 exec unshare --mount --propagation private -- "$BASH" "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
runfiles=${TEST_SRCDIR:-$here/../../..}/${TEST_WORKSPACE:-cook}
version=$(head -n 1 "$runfiles/VERSION")
deb=$runfiles/release/cook_${version}_amd64.deb
tarball=$runfiles/release/cook-${version}-linux-amd64.tar.gz
cache=$(bash "$runfiles/tests/release/debian_root.sh" "${COOK_TEST_CACHE:-/var/cache/cook-tests}") ||
  { echo "install_test: could not make the Debian root" >&2; exit 1; }

work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/install_test.XXXXXX")
root=$work/root
cleanup() {
  umount "$root/proc" 2>/dev/null
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap "exit 130" INT TERM
mkdir -m 0755 "$root"
tar --zstd -xf "$cache" -C "$root"
mount -t proc proc "$root/proc"

cases=() failures=0
check() {  # check NAME COMMAND...: one test case, passed when COMMAND succeeds
  local name=$1 log
  shift
  if log=$("$@" 2>&1); then
    cases+=("<testcase name=\"$name\"/>")
    echo "PASS $name"
  else
    failures=$((failures + 1))
    log=$(printf '%s' "$log" | tail -c 3000 | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g')
    cases+=("<testcase name=\"$name\"><failure message=\"failed\">$log</failure></testcase>")
    printf 'FAIL %s\n%s\n' "$name" "$log"
  fi
}
in_root() { chroot "$root" "$@"; }
as_user() { chroot --userspec=cooker:cooker "$root" env HOME=/home/cooker "$@"; }

tarball_version() {
  tar -xzf "$tarball" -C "$root/opt"
  local out
  out=$(in_root "/opt/cook-$version/bin/cook" --version) || return 1
  echo "$out"
  [[ "$out" =~ ^cook\ ${version//./\\.}\ \(([0-9a-f]{7,}|unknown)\)$ ]]
}

docker_needs_libcurl() {
  ! in_root sh -c 'ls /usr/lib/*/libcurl.so.4 /lib/*/libcurl.so.4' 2>/dev/null || return 1
  local status=0
  in_root "/opt/cook-$version/bin/cook" inspect docker://127.0.0.1:1/team/deps:main \
    >"$work/out" 2>"$work/err" || status=$?
  cat "$work/err"
  [ "$status" -eq 1 ] && grep -q '^cook: error: .*libcurl' "$work/err"
}

apt_install() {
  install -m 0644 "$deb" "$root/tmp/"
  in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    "./tmp/$(basename "$deb")" || return 1
  in_root dpkg-query -W -f='${Status} ${Version}\n' cook libcurl4 &&
    [ "$(in_root cook --version)" = "$(in_root "/opt/cook-$version/bin/cook" --version)" ] &&
    [ "$(in_root dpkg-query -W -f='${Status}' libcurl4)" = "install ok installed" ] &&
    in_root test -f /usr/share/doc/cook/copyright
}

# A cache-shaped image (the labels restore reads, one target-directory layer)
# made on the host by `cook assemble`: assembled twice, since the
# dev.cook.layers.target label names the layer's diff_id.
host_cache_image() {
  local cook=$root/opt/cook-$version/bin/cook dir=$root/home/cooker image diff_id
  mkdir -p "$work/src/debug/deps" && echo rlib >"$work/src/debug/deps/libdep.rlib"
  local labels=(--label "dev.cook.recipe.digest=sha256:$(printf '%064d' 0)"
                --label dev.cook.target-dir=/build/target
                --label dev.cook.cargo-home=/usr/local/cargo)
  "$cook" assemble --quiet --add "$work/src:/build/target" "${labels[@]}" \
    --dest "oci:$work/probe:cache" >/dev/null || return 1
  diff_id=$(jq -r '.manifests[0].digest' "$work/probe/index.json" |
    sed 's/^sha256://' | xargs -I{} jq -r '.config.digest' "$work/probe/blobs/sha256/{}" |
    sed 's/^sha256://' | xargs -I{} jq -r '.rootfs.diff_ids[0]' "$work/probe/blobs/sha256/{}")
  "$cook" assemble --quiet --add "$work/src:/build/target" "${labels[@]}" \
    --label "dev.cook.layers.target=$diff_id" --dest "oci:$dir/image:cache" >/dev/null &&
    chown -R "$(in_root id -u cooker):$(in_root id -g cooker)" "$dir/image"
}

user_restore() {
  as_user cook restore --from oci:/home/cooker/image:cache \
    --target-dir /home/cooker/target --cargo-home /home/cooker/cargo || return 1
  [ "$(cat "$root/home/cooker/target/debug/deps/libdep.rlib")" = rlib ] &&
    [ "$(in_root stat -c %U /home/cooker/target/debug/deps/libdep.rlib)" = cooker ]
}

user_inspect() {
  as_user cook inspect --json oci:/home/cooker/image:cache >"$work/inspect.json" || return 1
  jq -e '.. | objects | select(has("dev.cook.target-dir")) | ."dev.cook.target-dir" == "/build/target"' \
    "$work/inspect.json"
}

man_page() {
  in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q man-db || return 1
  [ "$(in_root man -w cook)" = /usr/share/man/man1/cook.1.gz ] &&
    in_root env MANPAGER=cat MANWIDTH=80 man cook | grep -q '^NAME'
}

check tarball_cook_version tarball_version
check docker_without_libcurl_names_it docker_needs_libcurl
check apt_installs_the_deb_and_its_dependencies apt_install
in_root useradd --create-home --user-group cooker
check host_made_cache_image host_cache_image
check unprivileged_restore user_restore
check unprivileged_inspect user_inspect
check man_cook man_page

if [ -n "${XML_OUTPUT_FILE:-}" ]; then
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo "<testsuites><testsuite name=\"install_test\" tests=\"${#cases[@]}\" failures=\"$failures\">"
    printf '%s\n' "${cases[@]}"
    echo '</testsuite></testsuites>'
  } >"$XML_OUTPUT_FILE"
fi
echo "${#cases[@]} checks, $failures failed"
[ "$failures" -eq 0 ]
