#!/usr/bin/env bash
# What --sign-key and --verify-key cost. Side by side, on Debian's
# docker-registry on loopback (plain HTTP) and in an oci: layout:
#   push:   `cook copy oci:LAYOUT:iN DEST` without and with --sign-key (each run
#           a new image, so that every signature is really made and written;
#           the layers are already at the destination, as on a CI re-push);
#   verify: `cook copy DEST oci:OUT` of a signed image, without and with
#           --verify-key (the signature read and checked first);
#   openssl: `openssl dgst -sha256 -sign` of the same payload, the floor of
#           one signature made by a separate process.
# Alternating which goes first, median of RUNS each, and the differences.
#
# usage: benchmarks/sign_compare.sh [RUNS]   (default 15)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-15}
source benchmarks/lib.sh
need_tools docker-registry curl python3 openssl

setup_bench sign
start_registry "$work"

openssl ecparam -genkey -name prime256v1 -noout -out "$work/cook.key" 2>/dev/null
openssl ec -in "$work/cook.key" -pubout -out "$work/cook.pub" 2>/dev/null

# 2 * RUNS images that share one 8 MiB layer and differ by a label.
python3 benchmarks/make_target_tree.py "$work/tree" $((8 * 1024 * 1024)) 0 >/dev/null
for ((i = 0; i < 2 * runs; i++)); do
  "$cook" assemble --quiet --add "$work/tree:/build/target" --label "run=$i" \
    --dest "oci:$work/images:i$i" >/dev/null
done
# The layer goes to each destination once, beforehand.
"$cook" copy --quiet --tls-verify=false "oci:$work/images:i0" "docker://$host/bench:warm" >/dev/null
"$cook" copy --quiet "oci:$work/images:i0" "oci:$work/out:warm" >/dev/null

ms() {  # ms COMMAND...: wall milliseconds of COMMAND (its output dropped)
  local start end
  start=$(now)
  "$@" >/dev/null
  end=$(now)
  awk "BEGIN{printf \"%.1f\", ($end - $start) * 1000}"
}

declare -A times
add() { times[$1]+="$2 "; }
for ((i = 0; i < runs; i++)); do
  plain=$((2 * i))
  signed=$((2 * i + 1))
  for dest in registry oci; do
    case $dest in
      registry) to="docker://$host/bench" ;;
      oci) to="oci:$work/out" ;;
    esac
    pair=(plain signed)
    ((i % 2)) && pair=(signed plain)
    for kind in "${pair[@]}"; do
      case $kind in
        plain) add "$dest/push" "$(ms "$cook" copy --quiet --tls-verify=false "oci:$work/images:i$plain" "$to:i$plain")" ;;
        signed) add "$dest/push-signed" "$(ms "$cook" copy --quiet --tls-verify=false --sign-key "$work/cook.key" \
                  "oci:$work/images:i$signed" "$to:i$signed")" ;;
      esac
    done
    pair=(plain verified)
    ((i % 2)) && pair=(verified plain)
    for kind in "${pair[@]}"; do
      rm -rf "$work/pulled"
      case $kind in
        plain) add "$dest/pull" "$(ms "$cook" copy --quiet --tls-verify=false "$to:i$signed" "oci:$work/pulled:x")" ;;
        verified) add "$dest/pull-verified" "$(ms "$cook" copy --quiet --tls-verify=false --verify-key \
                    "$work/cook.pub" "$to:i$signed" "oci:$work/pulled:x")" ;;
      esac
    done
  done
  printf '%s' '{"critical":{"identity":{"docker-reference":"h/r"},"image":{"docker-manifest-digest":"sha256:00"},"type":"cosign container image signature"},"optional":null}' >"$work/payload"
  add openssl "$(ms openssl dgst -sha256 -sign "$work/cook.key" -out "$work/sig" "$work/payload")"
done

echo "cook copy of an image whose layer is already there (8 MiB), $runs runs, $(nproc) cores"
echo "wall milliseconds, median; difference = what signing or verifying adds"
printf '%-10s %-8s %10s %10s %10s\n' "to/from" "what" "without" "with" "difference"
for dest in registry oci; do
  for what in push pull; do
    with=$what-signed
    [ "$what" = pull ] && with=pull-verified
    a=$(median ${times[$dest/$what]})
    b=$(median ${times[$dest/$with]})
    printf '%-10s %-8s %10s %10s %10s\n' "$dest" "$what" "$a" "$b" \
      "$(awk "BEGIN{printf \"%+.1f\", $b - $a}")"
  done
done
echo "openssl dgst -sha256 -sign, one process: $(median ${times[openssl]}) ms"
