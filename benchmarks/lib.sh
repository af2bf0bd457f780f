# Shared by the comparison scripts in benchmarks/, which cd to the repository root
# and then `source benchmarks/lib.sh`.

# Seconds since the epoch, with nanoseconds.
now() { date +%s.%N; }
# elapsed START END: END - START in seconds, two decimals.
elapsed() { awk "BEGIN{printf \"%.2f\", $2 - $1}"; }
# median [N...]: the median of the arguments, or of stdin's lines when none.
median() {
  if (($#)); then printf '%s\n' "$@"; else cat; fi |
    sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}
