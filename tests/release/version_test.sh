#!/usr/bin/env bash
# `cook --version` of the ordinary (unstamped) build: exactly one line
# "cook VERSION (unstamped)" on stdout, nothing on stderr, exit 0. The
# stamped line of the release binaries is checked by install_test.
set -euo pipefail
runfiles=${TEST_SRCDIR}/${TEST_WORKSPACE}
expected="cook $(head -n 1 "$runfiles/VERSION") (unstamped)"
status=0
"$runfiles/builder/cook" --version >"$TEST_TMPDIR/out" 2>"$TEST_TMPDIR/err" || status=$?
if [ "$status" -ne 0 ] || [ "$(cat "$TEST_TMPDIR/out")" != "$expected" ] ||
   [ "$(wc -l <"$TEST_TMPDIR/out")" -ne 1 ] || [ -s "$TEST_TMPDIR/err" ]; then
  echo "expected '$expected' and exit 0; got exit $status, stdout:" >&2
  cat "$TEST_TMPDIR/out" "$TEST_TMPDIR/err" >&2
  exit 1
fi
