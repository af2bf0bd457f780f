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
# row LABEL VALUE [TEXT...]: one line of a result table, the value right-aligned.
row() { printf '%-36s %10s %s\n' "$1" "$2" "${*:3}"; }
# workspace_row WORKSPACE RUNS SANDBOX: the table's first line.
workspace_row() {
  printf '%-36s %s\n' "workspace" "$(basename "$1") ($2 runs, sandbox $3, $(nproc) cores)"
}
# need_tools TOOL...: exits 2 naming the first one missing from PATH.
need_tools() {
  for tool; do command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 2; }; done
}
# need_workspace DIR: exits 2 unless DIR holds a Cargo.toml.
need_workspace() { [ -f "$1/Cargo.toml" ] || { echo "no Cargo.toml in $1" >&2; exit 2; }; }
# cells LABEL VALUE... [TEXT]: one line of a table with a column per value: the
# label left-aligned, each value but the last right-aligned, the last as it is.
cells() {
  printf '%-16s' "$1"
  shift
  (($# > 1)) && printf ' %12s' "${@:1:$#-1}"
  printf ' %s\n' "${!#}"
}
# start_registry DIR: Debian's docker-registry on a free loopback port (plain
# HTTP), storing under DIR/registry. Sets registry_pid and host; the caller
# kills registry_pid on exit.
start_registry() {
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  host="127.0.0.1:$port"
  printf '%s\n' "version: 0.1" "log:" "  level: warn" "storage:" "  filesystem:" \
    "    rootdirectory: $1/registry" "http:" "  addr: $host" >"$1/registry.yml"
  docker-registry serve "$1/registry.yml" >"$1/registry.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 100); do
    curl -sf "http://$host/v2/" >/dev/null && return 0
    kill -0 "$registry_pid" 2>/dev/null || { cat "$1/registry.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "docker-registry did not answer on $host" >&2
  exit 1
}
# setup_bench NAME: builds cook with -c opt (sets cook) and makes a work
# directory (sets work) that is removed on exit, with the registry that
# start_registry started, if any.
setup_bench() {
  bazel build -c opt //builder:cook >/dev/null 2>&1 || bazel build -c opt //builder:cook
  cook="$(bazel info -c opt bazel-bin 2>/dev/null)/builder/cook"
  work=$(mktemp -d "${TMPDIR:-/tmp}/cook-$1-bench.XXXXXX")
  registry_pid=""
  trap cleanup_bench EXIT
}
cleanup_bench() {
  [ -z "$registry_pid" ] || { kill "$registry_pid" && wait "$registry_pid"; } 2>/dev/null || true
  rm -rf "$work"
}
