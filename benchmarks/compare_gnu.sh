#!/usr/bin/env bash
# Side by side: `cook assemble` against the GNU pipeline doing the same work
# (a sorted PAX tar, its SHA-256, zstd -3 on all cores, the blob's SHA-256) on
# a target-like tree, in one run. Prints both times, the ratio, both output
# sizes and peak memory.
#
# usage: benchmarks/compare_gnu.sh [SIZE_GB ...]      (default: 1 2)
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1 2)

bazel build -c opt //builder:cook >/dev/null 2>&1 || bazel build -c opt //builder:cook
cook="$(bazel info -c opt bazel-bin 2>/dev/null)/builder/cook"
work=$(mktemp -d "${TMPDIR:-/tmp}/cook-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Runs a command under GNU time; prints "seconds peak_kib".
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
  cat "$work/time"
}

# The GNU pipeline, as one shell command so that GNU time sees all of it.
gnu_pipeline='set -o pipefail
  tar --sort=name --format=pax --mtime=@1 --owner=0 --group=0 --numeric-owner \
      --pax-option=delete=atime,delete=ctime -C "$1" -cf - . \
    | tee >(sha256sum > "$2.diffid") | zstd -3 -T0 -q \
    | tee >(sha256sum > "$2.digest") > "$2"; wait'

printf '%-6s %-8s %10s %10s %8s %12s %12s %9s %10s %10s\n' size tool seconds peak_MiB ratio \
  out_bytes gnu_bytes size_ratio
for gb in "${sizes[@]}"; do
  tree="$work/tree-$gb"
  python3 benchmarks/make_target_tree.py "$tree" $((gb * 1024 * 1024 * 1024)) >/dev/null
  # Warm the page cache equally for both.
  tar -C "$tree" -cf - . | cat >/dev/null

  best_gnu=""; best_cook=""
  for round in 1 2; do
    rm -rf "$work/gnu.tar.zst"* "$work/oci"
    read -r gs gm < <(measure bash -c "$gnu_pipeline" _ "$tree" "$work/gnu.tar.zst")
    read -r cs cm < <(measure "$cook" assemble --quiet --compression zstd \
        --compression-level 3 --add "$tree:/build/target" --dest "oci:$work/oci")
    if [ -z "$best_gnu" ] || awk "BEGIN{exit !($gs < $best_gnu)}"; then best_gnu=$gs; gnu_mem=$gm; fi
    if [ -z "$best_cook" ] || awk "BEGIN{exit !($cs < $best_cook)}"; then best_cook=$cs; cook_mem=$cm; fi
  done
  gnu_bytes=$(stat -c %s "$work/gnu.tar.zst")
  cook_bytes=$(find "$work/oci/blobs/sha256" -type f -size +1M -printf '%s\n' | sort -n | tail -1)
  ratio=$(awk "BEGIN{printf \"%.2f\", $best_gnu / $best_cook}")
  size_ratio=$(awk "BEGIN{printf \"%.3f\", $cook_bytes / $gnu_bytes}")
  printf '%-6s %-8s %10s %10d %8s %12s %12s %9s\n' "${gb}GB" gnu "$best_gnu" $((gnu_mem / 1024)) 1.00 \
    "$gnu_bytes" "$gnu_bytes" 1.000
  printf '%-6s %-8s %10s %10d %8s %12s %12s %9s\n' "${gb}GB" cook "$best_cook" $((cook_mem / 1024)) \
    "$ratio" "$cook_bytes" "$gnu_bytes" "$size_ratio"
  echo "${gb}GB: cook assemble is ${ratio}x the speed of the GNU pipeline; output ${size_ratio}x its size; peak RSS cook $((cook_mem / 1024)) MiB"
  rm -rf "$tree"
done
