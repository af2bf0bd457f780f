#!/usr/bin/env bash
# The job a CI runner runs, on a fresh runner (empty target directory and empty
# cargo home, the same paths for every variant), for each Cargo workspace given
# (default: examples/bakery and tests/fixtures/larder, about 45 of Debian's
# crates):
#   cook:    `cook restore --from` the workspace's cache image (an oci: layout
#            that `cook build` made once beforehand), then `cargo build`;
#   cold:    `cargo build`;
#   sccache: Debian's sccache with its cache directory extracted from a
#            `tar -I zstd` tarball that a warm run made beforehand, then
#            `cargo build` with RUSTC_WRAPPER=sccache (the extraction and the
#            server's start are in the time).
# Prints one row per workspace: the median of RUNS wall times of each variant,
# the ratios cold/cook and sccache/cook, and, as a sanity column, how many
# dependency units cargo compiled in each variant (cargo's `fresh` flag in
# --message-format=json; 0 for cook means the restored units were all fresh;
# sccache's hits are counted by cargo as compiled, its own hits/misses follow).
# Runs rotate the variants' order. CARGO_ARGS (default none) go to both
# `cook build` and every `cargo build`.
#
# usage: benchmarks/runner_compare.sh [RUNS] [WORKSPACE_DIR...]
#        (defaults: 3, examples/bakery tests/fixtures/larder)
# SANDBOX=auto|on|off for `cook build` (default auto).
# COOK_BAZEL_OUTPUT_BASE=DIR builds cook with `bazel --output_base=DIR`.
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/lib.sh

runs=${1:-3}
shift || true
workspaces=("$@")
((${#workspaces[@]})) || workspaces=(examples/bakery tests/fixtures/larder)
sandbox=${SANDBOX:-auto}
read -r -a cargo_args <<<"${CARGO_ARGS:-}"
for ws in "${workspaces[@]}"; do need_workspace "$ws"; done
PATH="$HOME/.cargo/bin:$PATH" need_tools cargo jq tar zstd
command -v sccache >/dev/null ||
  { echo "sccache not found; hint: apt-get install sccache" >&2; exit 2; }
bazel_cmd=(bazel)
[ -n "${COOK_BAZEL_OUTPUT_BASE:-}" ] && bazel_cmd+=(--output_base="$COOK_BAZEL_OUTPUT_BASE")
"${bazel_cmd[@]}" build -c opt //builder:cook >/dev/null 2>&1 ||
  "${bazel_cmd[@]}" build -c opt //builder:cook
cook="$("${bazel_cmd[@]}" info -c opt bazel-bin 2>/dev/null)/builder/cook"
# Only now: bazel builds cook again under another PATH.
export PATH="$HOME/.cargo/bin:$PATH"

# Not under /tmp: cook's sandbox gives the build a private /tmp.
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/cook-runner-bench.XXXXXX")
export SCCACHE_SERVER_PORT=$((20000 + $$ % 20000)) SCCACHE_IDLE_TIMEOUT=0
trap 'SCCACHE_DIR="$work/runner/sccache" sccache --stop-server >/dev/null 2>&1 || true
      rm -rf "$work"' EXIT
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
# The runner's directories: the same paths in every variant and every run.
target="$work/runner/target"
home="$work/runner/cargo-home"
scdir="$work/runner/sccache"
unset RUSTC_WRAPPER CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR CARGO_INCREMENTAL SCCACHE_DIR

fresh_runner() {
  SCCACHE_DIR="$scdir" sccache --stop-server >/dev/null 2>&1 || true
  rm -rf "$work/runner"
  mkdir -p "$target" "$home"
}

# cargo_build WS LOG [ENV...]: `cargo build` of WS on the runner; cargo's JSON
# messages go to LOG.json, its stderr to LOG.log.
cargo_build() {
  local ws=$1 log=$2
  shift 2
  (cd "$ws" && env "$@" CARGO_HOME="$home" CARGO_TARGET_DIR="$target" \
     cargo build --offline --message-format=json "${cargo_args[@]}") \
    >"$log.json" 2>"$log.log" || { cat "$log.log" >&2; exit 1; }
}

# dep_units LOG: the dependency units (not workspace members) cargo compiled.
dep_units() {
  jq -s '[.[] | select(.reason == "compiler-artifact" and (.fresh | not)
          and (.package_id | startswith("path+") | not))] | length' "$1.json"
}

# sccache_counts: "HITS/MISSES" of the running server's Rust compilations.
sccache_counts() {
  SCCACHE_DIR="$scdir" sccache --show-stats --stats-format json 2>/dev/null |
    jq -r '.stats | "\(.cache_hits.counts.Rust // 0)/\(.cache_misses.counts.Rust // 0)"'
}

# Each variant prints "SECONDS DEP_UNITS" and a third field: cook the seconds
# of its restore, sccache its "HITS/MISSES". Logs go to $work/NAME.*.
run_cook() {
  local ws=$1 name=$2 t0 tr t1
  fresh_runner
  t0=$(now)
  "$cook" restore --quiet --from "oci:$work/$name/image" \
    --target-dir "$target" --cargo-home "$home" >"$work/$name.restore.log" 2>&1 ||
    { cat "$work/$name.restore.log" >&2; exit 1; }
  tr=$(now)
  cargo_build "$ws" "$work/$name.cook"
  t1=$(now)
  echo "$(elapsed "$t0" "$t1") $(dep_units "$work/$name.cook") $(elapsed "$t0" "$tr")"
}

run_cold() {
  local ws=$1 name=$2 t0 t1
  fresh_runner
  t0=$(now)
  cargo_build "$ws" "$work/$name.cold"
  t1=$(now)
  echo "$(elapsed "$t0" "$t1") $(dep_units "$work/$name.cold")"
}

run_sccache() {
  local ws=$1 name=$2 t0 t1
  fresh_runner
  t0=$(now)
  mkdir -p "$scdir"
  tar -I zstd -xf "$work/$name/sccache.tar.zst" -C "$scdir"
  SCCACHE_DIR="$scdir" sccache --start-server >/dev/null
  cargo_build "$ws" "$work/$name.sccache" RUSTC_WRAPPER=sccache
  t1=$(now)
  echo "$(elapsed "$t0" "$t1") $(dep_units "$work/$name.sccache") $(sccache_counts)"
}

# prepare WS NAME: the cache image and the sccache tarball, made once.
prepare() {
  local ws=$1 name=$2 t0 t1
  mkdir -p "$work/$name"
  t0=$(now)
  "$cook" build --quiet --manifest-path "$ws" --sandbox "$sandbox" "${cargo_args[@]}" \
    --dest "oci:$work/$name/image" >"$work/$name.build.log" 2>&1 ||
    { cat "$work/$name.build.log" >&2; exit 1; }
  t1=$(now)
  echo "$name: cook build of the cache image $(elapsed "$t0" "$t1")s" >&2
  fresh_runner
  mkdir -p "$scdir"
  SCCACHE_DIR="$scdir" sccache --start-server >/dev/null
  cargo_build "$ws" "$work/$name.warm" RUSTC_WRAPPER=sccache
  SCCACHE_DIR="$scdir" sccache --stop-server >/dev/null
  tar -I zstd -cf "$work/$name/sccache.tar.zst" -C "$scdir" .
  echo "$name: sccache tarball $(stat -c %s "$work/$name/sccache.tar.zst") bytes," \
    "image $(du -sb "$work/$name/image" | cut -f1) bytes" >&2
}

variants=(cook cold sccache)
cells "workspace" "cook s" "cold s" "sccache s" "cold/cook" "sccache/cook" \
  "dep units compiled: cook/cold/sccache (sccache hits/misses)"
for ws in "${workspaces[@]}"; do
  # The runner's checkout: a copy without a target directory.
  name=$(basename "$(realpath "$ws")")
  cp -r "$(realpath "$ws")" "$work/$name.checkout"
  rm -rf "$work/$name.checkout/target"
  checkout="$work/$name.checkout"
  prepare "$checkout" "$name"
  cook_times=(); cold_times=(); sccache_times=(); declare -A units=()
  for round in $(seq 1 "$runs"); do
    line="$name round $round:"
    for i in 0 1 2; do
      v=${variants[$(((round - 1 + i) % 3))]}
      result=$("run_$v" "$checkout" "$name")
      read -r s u extra <<<"$result"
      declare -n times="${v}_times"
      times+=("$s"); units[$v]=$u
      case $v in
        cook) note=", restore ${extra}s" ;;
        sccache) note=", sccache hits/misses $extra"; units[$v]="$u ($extra)" ;;
        *) note="" ;;
      esac
      line+=" $v ${s}s ($u dep units$note)"
    done
    echo "$line" >&2
  done
  [ "${units[cook]}" = 0 ] ||
    echo "warning: cargo compiled ${units[cook]} dependency units after cook restore" >&2
  c=$(median "${cook_times[@]}"); d=$(median "${cold_times[@]}"); s=$(median "${sccache_times[@]}")
  cells "$name" "$c" "$d" "$s" \
    "$(awk "BEGIN{printf \"%.2f\", $d / $c}")" "$(awk "BEGIN{printf \"%.2f\", $s / $c}")" \
    "${units[cook]}/${units[cold]}/${units[sccache]}"
  unset -n times
  unset units
done
echo "medians of $runs runs; $(nproc) cores; sandbox $sandbox; cargo build ${CARGO_ARGS:-(dev profile)}"
