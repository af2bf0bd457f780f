#!/usr/bin/env bash
# Lists the non-test C++ sources over 500 lines and the functions over 80
# lines (Universal Ctags gives each function's first and last line), and
# exits 1 when it lists any. Tests, benchmarks and third_party are left out:
# the limits keep the product's code readable, not its fixtures.
#
# Usage: tools/size_check.sh [ROOT]   (default: the repository root)
set -euo pipefail

readonly kMaxFileLines=500
readonly kMaxFunctionLines=80
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$root"

if ! command -v ctags >/dev/null || ! ctags --version 2>/dev/null | grep -q 'Universal Ctags'; then
  echo "size_check: error: Universal Ctags is needed (apt-get install universal-ctags)" >&2
  exit 2
fi

mapfile -t files < <(
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files --cached --others --exclude-standard -- '*.cc' '*.h'
  else
    find . -name '*.cc' -o -name '*.h' | sed 's|^\./||'
  fi | grep -Ev '^(tests|benchmarks|third_party)/|^bazel-' | sort)

found=0
for f in "${files[@]}"; do
  [[ -f "$f" ]] || continue
  lines=$(wc -l <"$f")
  if ((lines > kMaxFileLines)); then
    echo "$f: $lines lines (over $kMaxFileLines)"
    found=1
  fi
done

# One ctags run over every file: "name<TAB>file<TAB>...line:N...end:M".
while IFS=$'\t' read -r file start end name; do
  echo "$file:$start: $name: $((end - start + 1)) lines (over $kMaxFunctionLines)"
  found=1
done < <(
  ((${#files[@]} == 0)) ||
    ctags --fields=+ne --kinds-C++=f --language-force=C++ -o - "${files[@]}" |
    awk -F'\t' -v max="$kMaxFunctionLines" '{
      start = ""; end = ""
      for (i = 4; i <= NF; i++) {
        if ($i ~ /^line:/) start = substr($i, 6)
        if ($i ~ /^end:/) end = substr($i, 5)
      }
      if (start != "" && end != "" && end - start + 1 > max)
        printf "%s\t%d\t%d\t%s\n", $2, start, end, $1
    }' | sort -t$'\t' -k1,1 -k2,2n)

exit "$found"
