#!/usr/bin/env bash
# Side by side: `cook prepare` against `cargo metadata --no-deps --offline` on the
# largest corpus workspace (tokio), alternating runs, median of each, and the
# ratio. Before the `prepare` subcommand exists, the one-shot mode of
# //benchmarks/prepare_benchmark stands in for it (said so in the output).
#
# usage: benchmarks/prepare_compare.sh [RUNS] [WORKSPACE_DIR]
#        (defaults: 15, ../shared/corpus/tokio)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-15}
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

if "$bin/builder/cook" --help 2>/dev/null | grep -qE '^ +prepare( |$)'; then
  label="cook prepare"
  prepare=("$bin/builder/cook" prepare --manifest-path "$work/ws" --recipe-path "$work/recipe.json")
else
  label="chef::Prepare (prepare_benchmark --once; cook prepare not wired yet)"
  prepare=("$bin/benchmarks/prepare_benchmark/prepare_benchmark" --once "$work/ws" "$work/recipe.json")
fi
metadata=("$cargo" metadata --no-deps --offline --format-version 1 --manifest-path "$work/ws/Cargo.toml")

# Prints the wall time of one run in microseconds.
time_us() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
  end=$(date +%s%N)
  echo $(((end - start) / 1000))
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# One warm-up each (page cache, rustup), then alternate.
time_us "${prepare[@]}" >/dev/null
time_us "${metadata[@]}" >/dev/null
: >"$work/cook.times"
: >"$work/cargo.times"
for ((i = 0; i < runs; i++)); do
  time_us "${prepare[@]}" >>"$work/cook.times"
  time_us "${metadata[@]}" >>"$work/cargo.times"
done
cook_us=$(median <"$work/cook.times")
cargo_us=$(median <"$work/cargo.times")
members=$(find "$work/ws" -name Cargo.toml | wc -l)

printf 'workspace: %s (%s manifests), %s runs each, median wall time\n' "$source_ws" "$members" "$runs"
printf '%-70s %10.2f ms\n' "$label" "$(awk "BEGIN{print $cook_us / 1000}")"
printf '%-70s %10.2f ms\n' "cargo metadata --no-deps --offline" "$(awk "BEGIN{print $cargo_us / 1000}")"
printf 'ratio: cook is %.1fx faster than cargo metadata (goal: >= 3x)\n' \
  "$(awk "BEGIN{print $cargo_us / $cook_us}")"
