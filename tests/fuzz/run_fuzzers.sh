#!/usr/bin/env bash
# Builds the fuzz targets with --config=fuzz (clang, libFuzzer, ASan, UBSan),
# replays every kept crash input (tests/fuzz/<target>/regressions/), then
# fuzzes each target for SECONDS_PER_TARGET seconds, starting from its seed
# corpus. libFuzzer runs in fork mode and goes on after a crash, timeout or
# out-of-memory input, so one known crash does not hide the next. Prints one
# line per target:
#   fuzz <target>: <executions> executions, <crashes> crashes[, inputs in DIR]
# (crashes: kept inputs that still crash, plus inputs found now) and exits 1
# when any target crashed (each input found is kept in
# $COOK_FUZZ_OUT/<target>/crashes/: move it to tests/fuzz/<target>/regressions/
# once understood), 2 when the build failed.
#
# Usage: tests/fuzz/run_fuzzers.sh SECONDS_PER_TARGET [TARGET...]
# Environment: COOK_FUZZ_OUT (default: a new directory under /tmp) receives
# the working corpora, logs and crash inputs; the committed corpora are not
# changed. COOK_FUZZ_SEED fixes libFuzzer's seed (CI sets it, so that a
# bounded run explores the same inputs each time and a red run can be
# repeated); unset, every run explores anew.
set -uo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:?usage: run_fuzzers.sh SECONDS_PER_TARGET [TARGET...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(toml_fuzz prepare_fuzz recipe_fuzz reference_fuzz auth_fuzz
           authfile_fuzz image_json_fuzz docker_archive_fuzz extractor_fuzz
           signature_fuzz)
fi
out=${COOK_FUZZ_OUT:-$(mktemp -d /tmp/cook-fuzz-run.XXXXXX)}
mkdir -p "$out"

labels=()
for t in "${targets[@]}"; do labels+=("//tests/fuzz:$t"); done
if ! bazel build --config=fuzz "${labels[@]}"; then
  echo "fuzz: build failed"
  exit 2
fi
bin=$(bazel info --config=fuzz bazel-bin 2>/dev/null)/tests/fuzz

# Leaks are findings too; a slow input (over 25 s) or one that needs more
# than 2 GB counts as a crash.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
common=(-timeout=25 -rss_limit_mb=2048 -print_final_stats=1)
if [ -n "${COOK_FUZZ_SEED:-}" ]; then common+=(-seed="$COOK_FUZZ_SEED"); fi

failed=0
for t in "${targets[@]}"; do
  dir="$out/$t"
  mkdir -p "$dir/corpus" "$dir/crashes"
  crashes=0
  executions=0

  mapfile -t kept < <(find "tests/fuzz/$t/regressions" -type f 2>/dev/null | sort)
  if [ ${#kept[@]} -gt 0 ]; then
    if ! "$bin/$t" "${common[@]}" "${kept[@]}" >"$dir/regressions.log" 2>&1; then
      crashes=$((crashes + 1))
      echo "fuzz $t: a kept regression input crashes again (see $dir/regressions.log)"
    fi
    executions=$((executions + ${#kept[@]}))
  fi

  "$bin/$t" "${common[@]}" -max_total_time="$seconds" \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -artifact_prefix="$dir/crashes/" "$dir/corpus" "tests/fuzz/$t/corpus" \
    >"$dir/fuzz.log" 2>&1
  rc=$?
  # Fork mode reports "#RUNS: cov: ..." after each job.
  runs=$(sed -n 's/^#\([0-9][0-9]*\): cov:.*/\1/p' "$dir/fuzz.log" | tail -1)
  executions=$((executions + ${runs:-0}))
  found=$(find "$dir/crashes" -type f | wc -l)
  if [ "$rc" -ne 0 ] && [ "$found" -eq 0 ]; then
    found=1  # died without writing an input (e.g. a crash while loading)
  fi
  crashes=$((crashes + found))
  line="fuzz $t: $executions executions, $crashes crashes"
  if [ "$crashes" -gt 0 ]; then
    failed=1
    line+=", inputs and logs in $dir"
    # What each input does, once (fork mode keeps the children's output).
    for input in "${kept[@]}" "$dir"/crashes/*; do
      [ -f "$input" ] || continue
      "$bin/$t" "$input" 2>&1 |
        grep -m1 -E "^==[0-9]+==ERROR|runtime error|fuzz check failed|Assertion .* failed" |
        sed -E 's/^==[0-9]+==//; s/0x[0-9a-f]+/0x.../g'
    done | sort | uniq -c | sed 's/^/  /'
  fi
  echo "$line"
done
exit "$failed"
