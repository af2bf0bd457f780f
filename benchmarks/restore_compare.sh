#!/usr/bin/env bash
# Side by side on loopback: `cook restore` of a cook cache image (~SIZE GB of
# target-directory-shaped files in LAYERS layers, made without cargo) into an
# empty target directory and cargo home, against what a runner would do
# without cook:
#   registry: `skopeo copy docker://... dir:X`, then `zstd -dc | tar -x` per
#             layer (Debian's docker-registry, plain HTTP);
#   oci:      `tar -I zstd -xf` per layer of the layout's blobs.
# Alternating which tool goes first, median of RUNS each, and the ratios.
# BASELINE_COOK=/path/to/cook adds another cook binary (e.g. main's) to both.
#
# usage: benchmarks/restore_compare.sh [SIZE_GB] [LAYERS] [RUNS]   (defaults: 1.6 16 3)
set -euo pipefail
cd "$(dirname "$0")/.."

size_gb=${1:-1.6}
layers=${2:-16}
runs=${3:-3}
baseline=${BASELINE_COOK:-}
source benchmarks/lib.sh
need_tools skopeo docker-registry curl python3 zstd tar

setup_bench restore

start_registry "$work"

# The cache image: LAYERS trees shaped like target directories, one --add
# each, with the labels of cache/format.h. The diff_ids are deterministic, so
# a first assemble tells the second what to name in dev.cook.layers.target.
bytes=$(awk "BEGIN{printf \"%d\", $size_gb * 1024 * 1024 * 1024}")
adds=()
for ((i = 0; i < layers; i++)); do
  python3 benchmarks/make_target_tree.py "$work/tree/$i" $((bytes / layers)) "$i" >/dev/null
  adds+=(--add "$work/tree/$i:/build/target")
done
labels=(--label dev.cook.recipe.digest=sha256:0000000000000000000000000000000000000000000000000000000000000000
  --label dev.cook.target-dir=/build/target --label dev.cook.cargo-home=/root/.cargo)
"$cook" assemble --quiet "${adds[@]}" "${labels[@]}" --dest "oci:$work/first:v1" >/dev/null
# The layout's config: its diff_ids, comma-separated.
diff_ids() {
  python3 - "$1" <<'EOF'
import json, os, sys
layout = sys.argv[1]
blob = lambda d: os.path.join(layout, "blobs", *d.split(":"))
index = json.load(open(os.path.join(layout, "index.json")))
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
print(",".join(json.load(open(blob(manifest["config"]["digest"])))["rootfs"]["diff_ids"]))
EOF
}
ids=$(diff_ids "$work/first")
"$cook" assemble --quiet "${adds[@]}" "${labels[@]}" --label "dev.cook.layers.target=$ids" \
  --dest "oci:$work/layout:v1" >/dev/null
[ "$(diff_ids "$work/layout")" = "$ids" ] || { echo "assemble is not deterministic" >&2; exit 1; }
rm -rf "$work/first" "$work/tree"
"$cook" copy --quiet --tls-verify=false "oci:$work/layout:v1" "docker://$host/cache:v1" >/dev/null
# The layer blobs of the layout, in order.
mapfile -t blobs < <(python3 - "$work/layout" <<'EOF'
import json, os, sys
layout = sys.argv[1]
blob = lambda d: os.path.join(layout, "blobs", *d.split(":"))
index = json.load(open(os.path.join(layout, "index.json")))
for layer in json.load(open(blob(index["manifests"][0]["digest"])))["layers"]:
    print(blob(layer["digest"]))
EOF
)
image_bytes=$(cat "${blobs[@]}" | wc -c)

# Prints the wall seconds of one command and the CPU seconds (user + system)
# of it and its children, from bash's `time`; its output goes to $work/out.
# The untimed sync first, so that the write-back of the previous restore
# does not land in this one's time. On a shared machine the CPU seconds say
# what the wall time cannot: how much work each way of restoring does.
time_s() {
  local TIMEFORMAT='%3R %3U %3S' t
  sync
  t=$( { time "$@" >"$work/out" 2>&1; } 2>&1 ) || { cat "$work/out" >&2; exit 1; }
  awk '{printf "%s %.3f\n", $1, $2 + $3}' <<<"$t"
}
fresh() { rm -rf "$work/dest" "$work/pulled"; mkdir -p "$work/dest/target" "$work/dest/home"; }
# "build/target/..." lands in the target directory.
untar_layers() { for b; do zstd -dc "$b" | tar -x -C "$work/dest/target" --strip-components=2; done; }
skopeo_then_untar() {
  skopeo copy --src-tls-verify=false "docker://$host/cache:v1" "dir:$work/pulled"
  local b pulled=()
  for b in "${blobs[@]}"; do pulled+=("$work/pulled/$(basename "$b")"); done
  untar_layers "${pulled[@]}"
}
tar_per_layer() {
  local b
  for b in "${blobs[@]}"; do tar -I zstd -xf "$b" -C "$work/dest/target" --strip-components=2; done
}
cook_restore() {
  "$1" restore --quiet --tls-verify=false --from "$2" --target-dir "$work/dest/target" \
    --cargo-home "$work/dest/home"
}
# The restored tree's files and sizes, to check that every tool restored the same.
listing() { (cd "$work/dest/target" && find . -type f -printf '%p %s\n' | sort | sha256sum | cut -c1-16); }

tools=(cook base)
[ -n "$baseline" ] || tools=(cook)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((n = 1; n <= runs; n++)); do
  for kind in registry oci; do
    order=("${tools[@]}" other)
    [ $((n % 2)) -eq 1 ] || order=(other "${tools[@]}")
    for tool in "${order[@]}"; do
      fresh
      case "$kind/$tool" in
        registry/cook) time_s cook_restore "$cook" "docker://$host/cache:v1" ;;
        registry/base) time_s cook_restore "$baseline" "docker://$host/cache:v1" ;;
        registry/other) time_s skopeo_then_untar ;;
        oci/cook) time_s cook_restore "$cook" "oci:$work/layout:v1" ;;
        oci/base) time_s cook_restore "$baseline" "oci:$work/layout:v1" ;;
        oci/other) time_s tar_per_layer ;;
      esac >>"$work/$kind-$tool.times"
      listing >>"$work/$kind-$tool.listing"
    done
  done
done

printf 'image: %d layers, %s bytes compressed (zstd), %s GiB of make_target_tree.py files; %s runs each, alternating (wall: median)\n' \
  "$layers" "$image_bytes" "$size_gb" "$runs"
printf 'machine: %s cores, load average %s before, %s after (shared with other work)\n' \
  "$(nproc)" "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %-34s %8s %6s %7s %8s %7s\n' source tool "wall s" "MB/s" ratio "CPU s" ratio
for kind in registry oci; do
  for tool in other "${tools[@]}"; do
    case "$kind/$tool" in
      registry/other) name="skopeo copy + zstd -dc | tar -x" ;;
      oci/other) name="tar -I zstd -xf per layer" ;;
      */cook) name="cook restore" ;;
      */base) name="cook restore (BASELINE_COOK)" ;;
    esac
    wall=$(cut -d' ' -f1 "$work/$kind-$tool.times" | median)
    cpu=$(cut -d' ' -f2 "$work/$kind-$tool.times" | median)
    [ "$tool" = other ] && { other_wall=$wall; other_cpu=$cpu; }
    printf '%-10s %-34s %8.3f %6.0f %7.2f %8.3f %7.2f\n' "$kind" "$name" "$wall" \
      "$(awk "BEGIN{print $bytes / 1e6 / $wall}")" "$(awk "BEGIN{print $other_wall / $wall}")" \
      "$cpu" "$(awk "BEGIN{print $other_cpu / $cpu}")"
  done
done
echo "ratio: the other tool's median / this one's (> 1: faster, or less CPU); MB/s of uncompressed"
echo "files; CPU s: user + system of the command and its children (not the registry's)"
[ -z "$baseline" ] || echo "BASELINE_COOK: $baseline"
for f in "$work"/*.times; do
  printf 'all runs, %s (wall/CPU): %s\n' "$(basename "$f" .times)" "$(tr ' ' / <"$f" | paste -sd' ')"
done
if [ "$(cat "$work"/*.listing | sort -u | wc -l)" -eq 1 ]; then
  echo "restored trees: all equal ($(head -1 "$work/registry-cook.listing"))"
else
  echo "restored trees: DIFFER"
  for f in "$work"/*.listing; do echo "  $(basename "$f"): $(sort -u "$f" | paste -sd' ')"; done
fi
