#!/usr/bin/env bash
# Side by side: `cook prepare` against `cargo metadata --no-deps --offline` on the
# largest corpus workspace (tokio), alternating runs, median of each, and the
# ratio. Before the `prepare` subcommand exists, the one-shot mode of
# //benchmarks/prepare_benchmark stands in for it (said so in the output).
#
# usage: [PREPARE_STANDIN=1] benchmarks/prepare_compare.sh [RUNS] [WORKSPACE_DIR]
#        (defaults: 31, ../shared/corpus/tokio)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-31}
source_ws=${2:-../shared/corpus/tokio}
[ -f "$source_ws/Cargo.toml" ] || { echo "no Cargo.toml in $source_ws" >&2; exit 2; }
cargo=$(command -v cargo || echo "$HOME/.cargo/bin/cargo")
[ -x "$cargo" ] || { echo "cargo not found" >&2; exit 2; }

bazel build -c opt //builder:cook //benchmarks/prepare_benchmark >/dev/null 2>&1 ||
  bazel build -c opt //builder:cook //benchmarks/prepare_benchmark
bin=$(bazel info -c opt bazel-bin 2>/dev/null)
work=$(mktemp -d "${TMPDIR:-/tmp}/cook-prepare-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A private copy: the corpus is read-only, and both tools see the same tree.
cp -r "$source_ws" "$work/ws"
chmod -R u+w "$work/ws"
export CARGO_HOME="$work/cargo-home" RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-stable}"

# PREPARE_STANDIN=1 measures chef alone (a small binary, no CLI), for
# comparison with the full `cook prepare`.
if [ "${PREPARE_STANDIN:-0}" != 1 ] &&
  "$bin/builder/cook" --help 2>/dev/null | grep -qE '^ +prepare( |$)'; then
  label="cook prepare"
  prepare=("$bin/builder/cook" prepare --manifest-path "$work/ws" --recipe-path "$work/recipe.json")
else
  label="chef::Prepare alone (prepare_benchmark --once)"
  prepare=("$bin/benchmarks/prepare_benchmark/prepare_benchmark" --once "$work/ws" "$work/recipe.json")
fi
metadata=("$cargo" metadata --no-deps --offline --format-version 1 --manifest-path "$work/ws/Cargo.toml")

# Prints "wall_us cpu_us" (user + system) of one run, from bash's `time`.
time_us() {
  local TIMEFORMAT='%3R %3U %3S' t
  t=$( { time "$@" >/dev/null 2>"$work/stderr"; } 2>&1 ) || { cat "$work/stderr" >&2; exit 1; }
  awk '{printf "%d %d\n", $1 * 1e6, ($2 + $3) * 1e6}' <<<"$t"
}

source benchmarks/lib.sh
# CPU time is accounted in scheduler ticks: a mean over many runs is fair
# where a median of tick-rounded values is not.
mean() { awk '{s += $1} END {print s / NR}'; }

# One warm-up each (page cache, rustup), then alternate.
time_us "${prepare[@]}" >/dev/null
time_us "${metadata[@]}" >/dev/null
: >"$work/cook.times"
: >"$work/cargo.times"
for ((i = 0; i < runs; i++)); do
  time_us "${prepare[@]}" >>"$work/cook.times"
  time_us "${metadata[@]}" >>"$work/cargo.times"
done
cook_wall=$(cut -d' ' -f1 "$work/cook.times" | median)
cook_cpu=$(cut -d' ' -f2 "$work/cook.times" | mean)
cargo_wall=$(cut -d' ' -f1 "$work/cargo.times" | median)
cargo_cpu=$(cut -d' ' -f2 "$work/cargo.times" | mean)
members=$(find "$work/ws" -name Cargo.toml | wc -l)

ms() { awk "BEGIN{printf \"%.1f\", $1 / 1000}"; }
printf 'workspace: %s (%s manifests), %s alternating runs each (wall: median, cpu: mean); load average: %s\n' \
  "$source_ws" "$members" "$runs" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %10s %10s\n' "" "wall ms" "cpu ms"
printf '%-44s %10s %10s\n' "$label" "$(ms "$cook_wall")" "$(ms "$cook_cpu")"
printf '%-44s %10s %10s\n' "cargo metadata --no-deps --offline" "$(ms "$cargo_wall")" "$(ms "$cargo_cpu")"
printf 'ratio: cook prepare is %.1fx faster in wall time, %.1fx in CPU time (goal: >= 3x)\n' \
  "$(awk "BEGIN{print $cargo_wall / $cook_wall}")" "$(awk "BEGIN{print $cargo_cpu / $cook_cpu}")"
