#!/usr/bin/env bash
# Side by side on a Cargo workspace (default: examples/bakery):
#   cook:  `cook build` to a fresh oci: layout (prepare, skeleton, fetch, the
#          sandboxed cargo build, dropping the members' units, snapshot, image);
#   plain: `cargo build` of the same skeleton (what `cook skeleton` writes) with
#          a fresh target directory and cargo home, plus `cook assemble` of its
#          target directory to a fresh oci: layout.
# Clean target directories every run, runs alternate, median of each, and the
# ratio cook/plain (the price of cook's extra steps; 1.00 = none). Writing the
# skeleton for the plain side is timed separately (it is not cargo's work).
#
# usage: benchmarks/build_compare.sh [RUNS] [WORKSPACE_DIR] [SANDBOX]
#        (defaults: 3, examples/bakery, auto)
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/lib.sh

runs=${1:-3}
source_ws=$(realpath "${2:-examples/bakery}")
sandbox=${3:-auto}
need_workspace "$source_ws"
export PATH="$HOME/.cargo/bin:$PATH"
need_tools cargo

bazel build //builder:cook >/dev/null 2>&1 || bazel build //builder:cook
cook="$(bazel info bazel-bin 2>/dev/null)/builder/cook"
# Not under /tmp: cook's sandbox gives the build a private /tmp.
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/cook-build-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"

cp -r "$source_ws" "$work/ws"
rm -rf "$work/ws/target"


run_cook() {
  rm -rf "$work/cook-image"
  local t0 t1
  t0=$(now)
  "$cook" build --quiet --manifest-path "$work/ws" --dest "oci:$work/cook-image" \
    --sandbox "$sandbox" >"$work/cook.log" 2>&1 || { cat "$work/cook.log" >&2; exit 1; }
  t1=$(now)
  elapsed "$t0" "$t1"
}

# Prints "skeleton_seconds build_plus_assemble_seconds".
run_plain() {
  rm -rf "$work/recipe.json" "$work/skeleton" "$work/plain-home" "$work/plain-image"
  local t0 t1 t2
  t0=$(now)
  "$cook" prepare --quiet --manifest-path "$work/ws" --recipe-path "$work/recipe.json" >/dev/null
  "$cook" skeleton --quiet --recipe-path "$work/recipe.json" --out "$work/skeleton" >/dev/null
  t1=$(now)
  # The skeleton's workspace root is where its top-level Cargo.toml is.
  local root
  root=$(dirname "$(find "$work/skeleton" -name Cargo.lock -print -quit)")
  (cd "$root" && CARGO_HOME="$work/plain-home" cargo build --offline --quiet \
      --target-dir "$work/skeleton-target") >"$work/plain.log" 2>&1 ||
    { cat "$work/plain.log" >&2; exit 1; }
  "$cook" assemble --quiet --add "$work/skeleton-target:/build/target" \
    --dest "oci:$work/plain-image" >/dev/null
  t2=$(now)
  rm -rf "$work/skeleton-target"
  echo "$(elapsed "$t0" "$t1") $(elapsed "$t1" "$t2")"
}

cook_times=(); plain_times=(); skeleton_times=()
for round in $(seq 1 "$runs"); do
  if [ $((round % 2)) -eq 1 ]; then
    c=$(run_cook); run_plain >"$work/plain.times"
  else
    run_plain >"$work/plain.times"; c=$(run_cook)
  fi
  read -r s p <"$work/plain.times"
  cook_times+=("$c"); plain_times+=("$p"); skeleton_times+=("$s")
  echo "round $round: cook build ${c}s, cargo build + cook assemble ${p}s (skeleton ${s}s)" >&2
done

cm=$(median "${cook_times[@]}")
pm=$(median "${plain_times[@]}")
sm=$(median "${skeleton_times[@]}")
ratio=$(awk "BEGIN{printf \"%.2f\", $cm / $pm}")
workspace_row "$source_ws" "$runs" "$sandbox"
row "cook build (median)" "$cm" s
row "cargo build + cook assemble (median)" "$pm" s
row "  (+ cook prepare + skeleton)" "$sm" s
row "ratio cook/plain" "$ratio"
