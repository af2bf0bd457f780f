#!/usr/bin/env bash
# Side by side: `cook prepare` (-c opt) against `cargo metadata --no-deps
# --offline --format-version 1` on large public workspaces (the manifests-only
# copies in benchmarks/workspaces/), alternating runs, median wall time and
# mean CPU time of each, and the ratios; one row per workspace.
#
# usage: [COOK=BINARY] benchmarks/prepare_compare.sh [RUNS] [WORKSPACE...]
#        (defaults: the -c opt build of this tree; 21 runs; every archive in
#        benchmarks/workspaces/, or the directories given, each holding a
#        Cargo.toml). COOK measures another build, e.g. main's, for a before
#        and after.
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/lib.sh

runs=${1:-21}
shift || true
need_tools zstd tar jq
cargo=$(command -v cargo || echo "$HOME/.cargo/bin/cargo")
[ -x "$cargo" ] || { echo "cargo not found" >&2; exit 2; }

if [ -n "${COOK:-}" ]; then
  cook=$COOK
else
  bazel build -c opt //builder:cook >/dev/null 2>&1 || bazel build -c opt //builder:cook
  cook=$(bazel info -c opt bazel-bin 2>/dev/null)/builder/cook
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/cook-prepare-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export CARGO_HOME="$work/cargo-home" RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-stable}"

# Private copies: both tools see the same tree, and neither writes to the
# caller's.
workspaces=()
if (($#)); then
  for dir; do
    need_workspace "$dir"
    cp -r "$dir" "$work/$(basename "$dir")" && chmod -R u+w "$work/$(basename "$dir")"
    workspaces+=("$work/$(basename "$dir")")
  done
else
  benchmarks/workspaces/unpack.sh "$work"
  for archive in benchmarks/workspaces/*.tar.zst; do
    workspaces+=("$work/$(basename "$archive" .tar.zst)")
  done
fi

# Prints "wall_us cpu_us" (user + system) of one run, from bash's `time`.
time_us() {
  local TIMEFORMAT='%3R %3U %3S' t
  t=$( { time "$@" >/dev/null 2>"$work/stderr"; } 2>&1 ) || { cat "$work/stderr" >&2; exit 1; }
  awk '{printf "%d %d\n", $1 * 1e6, ($2 + $3) * 1e6}' <<<"$t"
}
# CPU time is accounted in scheduler ticks: a mean over many runs is fair
# where a median of tick-rounded values is not.
mean() { awk '{s += $1} END {print s / NR}'; }
ms() { awk "BEGIN{printf \"%.1f\", $1 / 1000}"; }

printf '%s: %s alternating runs each (wall: median, cpu: mean), %s cores; load average before: %s\n' \
  "$cook" "$runs" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
format='%-10s %8s %8s %10s %10s %10s %10s %10s %7s %7s\n'
# shellcheck disable=SC2059
printf "$format" workspace packages targets manifests "cook wall" "cargo wall" \
  "cook cpu" "cargo cpu" "wall" "cpu"
# shellcheck disable=SC2059
printf "$format" "" "" "" "" ms ms ms ms ratio ratio
for ws in "${workspaces[@]}"; do
  prepare=("$cook" prepare --manifest-path "$ws" --recipe-path "$work/recipe.json")
  metadata=("$cargo" metadata --no-deps --offline --format-version 1 --manifest-path "$ws/Cargo.toml")
  # One warm-up each (page cache, rustup), then alternate.
  "${metadata[@]}" >"$work/metadata.json"
  time_us "${prepare[@]}" >/dev/null
  : >"$work/cook.times"
  : >"$work/cargo.times"
  for ((i = 0; i < runs; i++)); do
    time_us "${prepare[@]}" >>"$work/cook.times"
    time_us "${metadata[@]}" >>"$work/cargo.times"
  done
  cook_wall=$(cut -d' ' -f1 "$work/cook.times" | median)
  cargo_wall=$(cut -d' ' -f1 "$work/cargo.times" | median)
  cook_cpu=$(cut -d' ' -f2 "$work/cook.times" | mean)
  cargo_cpu=$(cut -d' ' -f2 "$work/cargo.times" | mean)
  packages=$(jq '.packages | length' "$work/metadata.json")
  targets=$(jq '[.packages[].targets | length] | add' "$work/metadata.json")
  manifest_kb=$(find "$ws" -name Cargo.toml -print0 | du -cb --files0-from=- | awk 'END{printf "%dKB", $1 / 1000}')
  # shellcheck disable=SC2059
  printf "$format" "$(basename "$ws")" "$packages" "$targets" "$manifest_kb" \
    "$(ms "$cook_wall")" "$(ms "$cargo_wall")" "$(ms "$cook_cpu")" "$(ms "$cargo_cpu")" \
    "$(awk "BEGIN{printf \"%.1fx\", $cargo_wall / $cook_wall}")" \
    "$(awk "BEGIN{printf \"%.1fx\", $cargo_cpu / $cook_cpu}")"
done
echo "goal: cook prepare >= 3x faster than cargo metadata on each workspace of 90 packages or more"
