#!/usr/bin/env bash
# Side by side on loopback: `cook copy` against `skopeo copy` pushing a ~SIZE GB
# image from a local OCI layout to a real registry (Debian's docker-registry,
# plain HTTP) and pulling it back into a fresh OCI layout, alternating the two
# tools, median of each, and the ratio. Then a repeated `cook copy` push into an
# existing repository, counting the blob uploads the registry saw (expected: 0),
# and a digest check of what both tools pushed.
#
# usage: benchmarks/registry_compare.sh [SIZE_GB] [RUNS]      (defaults: 1 3)
set -euo pipefail
cd "$(dirname "$0")/.."

size_gb=${1:-1}
runs=${2:-3}
for tool in skopeo docker-registry curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 2; }
done

bazel build -c opt //builder:cook >/dev/null 2>&1 || bazel build -c opt //builder:cook
cook="$(bazel info -c opt bazel-bin 2>/dev/null)/builder/cook"
work=$(mktemp -d "${TMPDIR:-/tmp}/cook-registry-bench.XXXXXX")
registry_pid=""
stop_registry() {
  if [ -n "$registry_pid" ]; then
    kill "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
    registry_pid=""
  fi
}
trap 'stop_registry; rm -rf "$work"' EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
host="127.0.0.1:$port"

# A registry with empty storage. Each run gets a fresh one: skopeo keeps a
# persistent blob-info cache (/var/lib/containers/cache for root) and would
# otherwise mount the layer from the previous run's repository instead of
# uploading it. Level warn keeps the application log quiet; the access log
# (on stdout) is what the upload counts below read.
start_registry() {
  local storage="$work/registry-$1"
  stop_registry
  rm -rf "$work"/registry-*
  mkdir -p "$storage"
  cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $storage
http:
  addr: $host
EOF
  docker-registry serve "$work/registry.yml" >>"$work/access.log" 2>>"$work/registry.log" &
  registry_pid=$!
  for _ in $(seq 100); do
    curl -sf "http://$host/v2/" >/dev/null && return 0
    kill -0 "$registry_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "docker-registry did not start:" >&2
  cat "$work/registry.log" >&2
  exit 1
}

# Prints the wall seconds of one command, from bash's `time`; its output goes
# to $work/out. The untimed sync first: otherwise the write-back of the
# previous gigabyte lands in this command's time, and whichever tool goes
# first in a run wins.
time_s() {
  local TIMEFORMAT='%3R' t
  sync
  t=$( { time "$@" >"$work/out" 2>&1; } 2>&1 ) || { cat "$work/out" >&2; exit 1; }
  echo "$t"
}

source benchmarks/lib.sh
json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
log_offset() { stat -c %s "$work/access.log"; }
# Access-log lines written since offset $1.
log_since() { tail -c +$(($1 + 1)) "$work/access.log"; }
# The blob uploads the registry completed since offset $1: one digest a line.
uploaded_digests() {
  log_since "$1" | grep -oE '"PUT /v2/[^ ]*/blobs/uploads/[^ ]*digest=sha256%3A[0-9a-f]{64}' |
    sed -E 's/.*digest=sha256%3A/sha256:/' || true
}

# The content: incompressible data in 256 MiB files, one image layer.
bytes=$(awk "BEGIN{printf \"%d\", $size_gb * 1024 * 1024 * 1024}")
mkdir -p "$work/data"
chunk=$((256 * 1024 * 1024))
for ((i = 0, left = bytes; left > 0; i++, left -= chunk)); do
  head -c $((left < chunk ? left : chunk)) /dev/urandom >"$work/data/part$i.bin"
done
"$cook" assemble --quiet --add "$work/data:/data" --dest "oci:$work/layout:v1" >/dev/null
rm -rf "$work/data"
"$cook" inspect --json "oci:$work/layout:v1" >"$work/layout.json"
digest=$(json_field digest <"$work/layout.json")
layer=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["layers"][0]["digest"])' <"$work/layout.json")
image_bytes=$(python3 -c 'import json, sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))' <"$work/layout.json")
: >"$work/access.log"

# Warns when a timed push did not upload the layer (mounted or skipped), which
# would make its time meaningless.
check_uploaded() {
  uploaded_digests "$1" | grep -qx "$layer" ||
    echo "warning: $2 did not upload the layer $layer; its time is not a real push" >&2
}

# Measured runs, alternating which tool goes first.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for t in cook_push skopeo_push cook_pull skopeo_pull; do : >"$work/$t.times"; done
for ((n = 1; n <= runs; n++)); do
  start_registry "$n"
  order=(cook skopeo)
  [ $((n % 2)) -eq 1 ] || order=(skopeo cook)
  for tool in "${order[@]}"; do
    off=$(log_offset)
    if [ "$tool" = cook ]; then
      time_s "$cook" copy --tls-verify=false "oci:$work/layout:v1" "docker://$host/cook-$n:v1"
    else
      time_s skopeo copy --dest-tls-verify=false "oci:$work/layout:v1" "docker://$host/skopeo-$n:v1"
    fi >>"$work/${tool}_push.times"
    check_uploaded "$off" "$tool push #$n"
  done
  rm -rf "$work"/pull-*
  for tool in "${order[@]}"; do
    if [ "$tool" = cook ]; then
      time_s "$cook" copy --tls-verify=false "docker://$host/cook-$n:v1" "oci:$work/pull-cook-$n:v1"
    else
      time_s skopeo copy --src-tls-verify=false "docker://$host/skopeo-$n:v1" "oci:$work/pull-skopeo-$n:v1"
    fi >>"$work/${tool}_pull.times"
  done
done
last=$runs

# A repeated push into an existing repository: no blob should travel.
off=$(log_offset)
"$cook" copy --tls-verify=false "oci:$work/layout:v1" "docker://$host/cook-$last:v1" >/dev/null 2>"$work/repeat.err"
sleep 0.2 # let the access log catch up
upload_posts=$(log_since "$off" | grep -cE '"POST /v2/[^ ]*/blobs/uploads/' || true)
upload_bytes=0
while read -r d; do
  [ -n "$d" ] || continue
  upload_bytes=$((upload_bytes + $(stat -c %s "$work/layout/blobs/sha256/${d#sha256:}")))
done < <(uploaded_digests "$off")
copied_lines=$(grep -c '^cook: copied ' "$work/repeat.err" || true)

# Digests: what the registry holds for both pushes, and what both pulls wrote.
cook_pushed=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$host/cook-$last:v1")
skopeo_pushed=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$host/skopeo-$last:v1")
cook_pulled=$("$cook" inspect --json "oci:$work/pull-cook-$last:v1" | json_field digest)
skopeo_pulled=$("$cook" inspect --json "oci:$work/pull-skopeo-$last:v1" | json_field digest)

printf 'image: %s bytes in %s layer(s) (%s GiB of /dev/urandom data, zstd), %s alternating runs each (wall: median)\n' \
  "$image_bytes" "$(python3 -c 'import json, sys; print(len(json.load(sys.stdin)["layers"]))' <"$work/layout.json")" \
  "$size_gb" "$runs"
printf 'registry: docker-registry %s on http://%s; load average: %s before, %s after\n' \
  "$(docker-registry --version | awk '{print $NF}')" "$host" "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %14s %16s %8s %12s %14s\n' operation "cook median s" "skopeo median s" ratio "cook MB/s" "skopeo MB/s"
for op in push pull; do
  c=$(median <"$work/cook_$op.times")
  s=$(median <"$work/skopeo_$op.times")
  printf '%-10s %14.3f %16.3f %8.2f %12.0f %14.0f\n' "$op" "$c" "$s" \
    "$(awk "BEGIN{print $s / $c}")" "$(awk "BEGIN{print $image_bytes / 1e6 / $c}")" \
    "$(awk "BEGIN{print $image_bytes / 1e6 / $s}")"
done
echo "ratio: skopeo time / cook time (> 1 means cook is faster)"
for op in push pull; do
  printf 'all runs, %s: cook %s; skopeo %s\n' "$op" \
    "$(paste -sd' ' "$work/cook_$op.times")" "$(paste -sd' ' "$work/skopeo_$op.times")"
done
printf 'repeat push: %d blob uploads, %d bytes (cook "copied" lines: %d)\n' \
  "$upload_posts" "$upload_bytes" "$copied_lines"
echo "digests: layout $digest"
echo "         cook push $cook_pushed, skopeo push $skopeo_pushed"
echo "         cook pull $cook_pulled, skopeo pull $skopeo_pulled"
if [ "$cook_pushed" = "$digest" ] && [ "$skopeo_pushed" = "$digest" ] &&
  [ "$cook_pulled" = "$digest" ] && [ "$skopeo_pulled" = "$digest" ]; then
  echo "digests: all equal"
else
  echo "digests: DIFFER (skopeo may convert manifests; see above)"
fi
