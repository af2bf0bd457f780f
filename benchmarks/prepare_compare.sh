#!/usr/bin/env bash
# Side by side: `cook prepare` (-c opt) against `cargo metadata --no-deps
# --offline --format-version 1` on large public workspaces (the manifests-only
# copies in benchmarks/workspaces/), alternating runs, median wall time and
# mean CPU time of each, and the ratios; one row per workspace.
# Two baselines: "cargo" is the one on PATH, as users run it (with rustup,
# its proxy, which picks the toolchain); "toolchain" is the toolchain's own
# binary (`rustup which cargo`), without the proxy: the stricter one.
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
toolchain_cargo=$(rustup which cargo 2>/dev/null || echo "$cargo")

if [ -n "${COOK:-}" ]; then
  cook=$COOK
else
  bazel build -c opt //builder:cook >/dev/null 2>&1 || bazel build -c opt //builder:cook
  cook=$(bazel info -c opt bazel-bin 2>/dev/null)/builder/cook
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/cook-prepare-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export CARGO_HOME="$work/cargo-home"

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
printf 'cargo: %s (on PATH); toolchain: %s\n' "$cargo" "$toolchain_cargo"
format='%-10s %8s %8s %9s | %6s %6s %9s | %6s %6s %9s | %6s %9s %6s %9s\n'
# shellcheck disable=SC2059
printf "$format" workspace packages targets manifests "cook" "cargo" "toolchain" \
  "cook" "cargo" "toolchain" "cargo" "toolchain" "cargo" "toolchain"
# shellcheck disable=SC2059
printf "$format" "" "" "" "" "wall" "wall" "wall" "cpu" "cpu" "cpu" \
  "wall x" "wall x" "cpu x" "cpu x"
ratio() { awk "BEGIN{printf \"%.1fx\", $1 / $2}"; }
for ws in "${workspaces[@]}"; do
  prepare=("$cook" prepare --manifest-path "$ws" --recipe-path "$work/recipe.json")
  args=(metadata --no-deps --offline --format-version 1 --manifest-path "$ws/Cargo.toml")
  # In the workspace, as users run it: rustup's proxy reads its toolchain
  # file. One warm-up each (page cache, rustup), then alternate. A workspace
  # that pins a toolchain this machine lacks runs the proxy on stable (*).
  cd "$ws"
  mark=""
  metadata=("$cargo" "${args[@]}")
  if ! "${metadata[@]}" >"$work/metadata.json" 2>/dev/null; then
    metadata=(env RUSTUP_TOOLCHAIN=stable "$cargo" "${args[@]}")
    mark="*"
    "${metadata[@]}" >"$work/metadata.json" 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
  fi
  direct=("$toolchain_cargo" "${args[@]}")
  "${direct[@]}" >/dev/null 2>&1
  time_us "${prepare[@]}" >/dev/null
  : >"$work/cook.times"
  : >"$work/cargo.times"
  : >"$work/toolchain.times"
  for ((i = 0; i < runs; i++)); do
    time_us "${prepare[@]}" >>"$work/cook.times"
    time_us "${metadata[@]}" >>"$work/cargo.times"
    time_us "${direct[@]}" >>"$work/toolchain.times"
  done
  for tool in cook cargo toolchain; do
    declare "${tool}_wall=$(cut -d' ' -f1 "$work/$tool.times" | median)"
    declare "${tool}_cpu=$(cut -d' ' -f2 "$work/$tool.times" | mean)"
  done
  packages=$(jq '.packages | length' "$work/metadata.json")
  targets=$(jq '[.packages[].targets | length] | add' "$work/metadata.json")
  manifest_kb=$(find "$ws" -name Cargo.toml -print0 | du -cb --files0-from=- | awk 'END{printf "%dKB", $1 / 1000}')
  # shellcheck disable=SC2059,SC2154
  printf "$format" "$(basename "$ws")" "$packages" "$targets" "$manifest_kb" \
    "$(ms "$cook_wall")" "$(ms "$cargo_wall")$mark" "$(ms "$toolchain_wall")" \
    "$(ms "$cook_cpu")" "$(ms "$cargo_cpu")" "$(ms "$toolchain_cpu")" \
    "$(ratio "$cargo_wall" "$cook_wall")" "$(ratio "$toolchain_wall" "$cook_wall")" \
    "$(ratio "$cargo_cpu" "$cook_cpu")" "$(ratio "$toolchain_cpu" "$cook_cpu")"
  cd - >/dev/null
done
echo "times in ms; * the workspace pins a toolchain not installed here: its cargo ran through the proxy with RUSTUP_TOOLCHAIN=stable"
echo "goal: cook prepare >= 3x faster than cargo metadata on each workspace of 90 packages or more"
