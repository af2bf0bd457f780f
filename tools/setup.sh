#!/usr/bin/env bash
# Installs every Debian package that cook's build, example, tests and benchmarks need.
# Idempotent: when everything is present it only runs dpkg-query and exits.
set -euo pipefail

packages=(
  # build
  bazel-bootstrap bazel-rules-java bazel-platforms g++ pkg-config
  libarchive-dev libssl-dev libzstd-dev libtomlplusplus-dev libabsl-dev
  libcurl4-openssl-dev nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev
  libbenchmark-dev
  # tools/size_check.sh (function lengths)
  universal-ctags
  # the static archives libarchive.a needs (linked statically, see third_party/)
  libxml2-dev libicu-dev liblzma-dev libbz2-dev nettle-dev zlib1g-dev
  # Rust crates for examples/ and the tests, from Debian (a cargo directory source
  # at /usr/share/cargo/registry): no crates.io needed
  librust-serde-dev librust-serde-derive-dev librust-serde-json-dev librust-anyhow-dev
  librust-thiserror-dev librust-regex-dev librust-log-dev
  # tests/fixtures/larder (the incremental-build tests): every crate of its
  # Cargo.lock, the winapi ones too, since cargo resolves the whole lock
  librust-adler-dev librust-aho-corasick-dev librust-atty-dev librust-autocfg-dev
  librust-cfg-if-dev librust-crc32fast-dev librust-crossbeam-channel-dev
  librust-crossbeam-deque-dev librust-crossbeam-epoch-dev librust-crossbeam-utils-dev
  librust-either-dev librust-env-logger-dev librust-flate2-dev librust-getrandom-dev
  librust-hashbrown-dev librust-humantime-dev librust-indexmap-dev librust-itoa-dev
  librust-lazy-static-dev librust-libc-dev librust-memchr-dev librust-memoffset-dev
  librust-miniz-oxide-dev librust-num-cpus-dev librust-once-cell-dev
  librust-ppv-lite86-dev librust-proc-macro2-dev librust-quote-dev
  librust-rand-chacha-dev librust-rand-core-dev librust-rand-dev librust-rayon-core-dev
  librust-rayon-dev librust-regex-syntax-dev librust-ryu-dev librust-scopeguard-dev
  librust-smallvec-dev librust-syn-dev librust-termcolor-dev librust-thiserror-impl-dev
  librust-unicode-ident-dev librust-winapi-dev librust-winapi-i686-pc-windows-gnu-dev
  librust-winapi-x86-64-pc-windows-gnu-dev librust-winapi-util-dev
  # tests and benchmarks: real clients and tools that read what cook writes
  skopeo umoci podman busybox-static zstd tar coreutils python3 jq time
  # tests/fuzz: libFuzzer targets built with Debian's clang (--config=fuzz)
  clang libclang-rt-14-dev
  # tests: real registries on loopback (tests/testing/registry_server.h): the CNCF
  # distribution server, bcrypt htpasswd, a throw-away CA, signed Bearer tokens
  docker-registry apache2-utils openssl python3-jwt python3-cryptography
  # release/ (dpkg-shlibdeps computes the .deb's Depends; strip) and
  # tests/release (a debootstrap minbase Debian 12 to install it in)
  dpkg-dev binutils debootstrap
  # tests/docs: the man page rendered and checked for warnings
  groff-base man-db
)

# cook drives the cargo it finds on PATH (rustup's or Debian's); bring Debian's
# when there is none.
if ! command -v cargo >/dev/null 2>&1 && ! [ -x "$HOME/.cargo/bin/cargo" ]; then
  packages+=(cargo rustc)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
