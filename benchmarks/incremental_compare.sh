#!/usr/bin/env bash
# Full against incremental `cook build` on a Cargo workspace (default:
# tests/fixtures/larder, about 45 of Debian's crates):
#   full:        `cook build` of the workspace to a fresh oci: layout;
#   incremental: one leaf dependency added (smallvec, to larder-core: manifest
#                and variants/Cargo.lock.added), then
#                `cook build --cache-from` the full image.
#   removed:     then flate2 removed from the bin (with miniz_oxide, adler and
#                crc32fast: variants/Cargo.lock.removed), once, built
#                `--cache-from` the incremental image.
# Prints both wall times (median of RUNS), their ratio, the layer count of
# each image and how much of the incremental image is new: the bytes of its
# layers whose digests the full image lacks, over all its layer bytes; and
# the same share for the image without flate2 against the incremental one.
#
# usage: benchmarks/incremental_compare.sh [RUNS] [WORKSPACE_DIR] [SANDBOX]
#        (defaults: 1, tests/fixtures/larder, auto)
# COOK_BAZEL_OUTPUT_BASE=DIR builds cook with `bazel --output_base=DIR`.
# Do not run it next to another `cook build` of the same workspace: the second
# build of one recipe gets a private work area and its layers differ.
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/lib.sh

runs=${1:-1}
source_ws=$(realpath "${2:-tests/fixtures/larder}")
sandbox=${3:-auto}
need_workspace "$source_ws"
[ -f "$source_ws/variants/Cargo.lock.added" ] ||
  { echo "no variants/Cargo.lock.added in $source_ws" >&2; exit 2; }
export PATH="$HOME/.cargo/bin:$PATH"
need_tools cargo jq

bazel_cmd=(bazel)
[ -n "${COOK_BAZEL_OUTPUT_BASE:-}" ] && bazel_cmd+=(--output_base="$COOK_BAZEL_OUTPUT_BASE")
"${bazel_cmd[@]}" build -c opt //builder:cook >/dev/null 2>&1 ||
  "${bazel_cmd[@]}" build -c opt //builder:cook
cook="$("${bazel_cmd[@]}" info -c opt bazel-bin 2>/dev/null)/builder/cook"
# Not under /tmp: cook's sandbox gives the build a private /tmp.
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/cook-incremental-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"

copy_ws() {
  mkdir -p "$(dirname "$2")"
  cp -r "$1" "$2"
  rm -rf "$2/target"
}
# The full workspace, and a copy with smallvec added to larder-core.
copy_ws "$source_ws" "$work/full/ws"
copy_ws "$source_ws" "$work/added/ws"
core="$work/added/ws/larder-core"
grep -q '^serde_json = "1"$' "$core/Cargo.toml" ||
  { echo "$core/Cargo.toml: no serde_json line to add smallvec after" >&2; exit 2; }
sed -i 's/^serde_json = "1"$/serde_json = "1"\nsmallvec = "1"/' "$core/Cargo.toml"
sed -i 's/^pub fn to_json/pub type Counts = smallvec::SmallVec<[usize; 4]>;\n\npub fn to_json/' \
  "$core/src/lib.rs"
cp "$work/added/ws/variants/Cargo.lock.added" "$work/added/ws/Cargo.lock"
# And a copy of that with flate2 removed from the bin.
cp -r "$work/added" "$work/removed"
sed -i '/^flate2 = "1"$/d' "$work/removed/ws/Cargo.toml"
sed -i -e '/compressed_len(&text)?/d' -e '/flate2-begin/,/flate2-end/d' \
  "$work/removed/ws/src/main.rs"
cp "$work/removed/ws/variants/Cargo.lock.removed" "$work/removed/ws/Cargo.lock"


# cook_build NAME WS [ARGS...]: prints the seconds; the --json result goes to
# $work/NAME.json.
cook_build() {
  local name=$1 ws=$2
  shift 2
  local t0 t1
  t0=$(now)
  "$cook" build --manifest-path "$ws" --sandbox "$sandbox" --json "$@" \
    >"$work/$name.json" 2>"$work/$name.log" || { cat "$work/$name.log" >&2; exit 1; }
  t1=$(now)
  elapsed "$t0" "$t1"
}

full_times=(); incr_times=()
for round in $(seq 1 "$runs"); do
  rm -rf "$work/layout"
  f=$(cook_build full "$work/full/ws" --dest "oci:$work/layout:full")
  i=$(cook_build incr "$work/added/ws" --cache-from "oci:$work/layout:full" \
        --dest "oci:$work/layout:incr")
  full_times+=("$f"); incr_times+=("$i")
  echo "round $round: full ${f}s, incremental ${i}s" >&2
done

cook_build removed "$work/removed/ws" --cache-from "oci:$work/layout:incr" \
  --dest "oci:$work/layout:removed" >/dev/null

for tag in full incr removed; do
  "$cook" inspect --quiet --json "oci:$work/layout:$tag" >"$work/$tag.inspect.json"
done
full_layers=$(jq '.layers | length' "$work/full.inspect.json")
incr_layers=$(jq '.layers | length' "$work/incr.inspect.json")
full_bytes=$(jq '[.layers[].size] | add' "$work/full.inspect.json")
incr_bytes=$(jq '[.layers[].size] | add' "$work/incr.inspect.json")
removed_bytes=$(jq '[.layers[].size] | add' "$work/removed.inspect.json")
# new_layers OLD NEW: the count and bytes of NEW's layers that OLD lacks.
new_layers() {
  jq -r --slurpfile old "$work/$1.inspect.json" '
    ($old[0].layers | map(.digest)) as $old
    | [.layers[] | select(.digest as $d | $old | index($d) | not)]
    | "\(length) \(map(.size) | add // 0)"' "$work/$2.inspect.json"
}
read -r new_layers new_bytes < <(new_layers full incr)
read -r _ removed_new_bytes < <(new_layers incr removed)
reused=$(jq '.reused | length' "$work/incr.json")

fm=$(median "${full_times[@]}")
im=$(median "${incr_times[@]}")
ratio=$(awk "BEGIN{printf \"%.2f\", $im / $fm}")
share=$(awk "BEGIN{printf \"%.1f\", 100 * $new_bytes / $incr_bytes}")
removed_share=$(awk "BEGIN{printf \"%.1f\", 100 * $removed_new_bytes / $removed_bytes}")
workspace_row "$source_ws" "$runs" "$sandbox"
row "full cook build (median)" "$fm" s
row "cook build --cache-from (median)" "$im" s
row "ratio incremental/full" "$ratio"
row "full image layers" "$full_layers" "($full_bytes bytes)"
row "incremental image layers" "$incr_layers" "($incr_bytes bytes)"
row "  new layers" "$new_layers" "($reused reused from the full image)"
row "new bytes, smallvec added" "$share" "% ($new_bytes of $incr_bytes bytes)"
row "new bytes, flate2 removed" "$removed_share" \
  "% ($removed_new_bytes of $removed_bytes bytes)"
