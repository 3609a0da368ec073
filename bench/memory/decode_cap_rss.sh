#!/usr/bin/env bash
# Peak RSS of sonnetd (standalone, the default model) under one burst of REQUESTS requests x
# CANDIDATES candidates, for each --max-sequences in CAPS: with the cap, the rounds beyond it
# wait at the model pool instead of all holding a KV cache at once.
#
#   bench/memory/decode_cap_rss.sh [BUILD_DIR] [REQUESTS] [CANDIDATES] [TOKENS] [CAPS]
#   defaults:                       build       64         16           200      "64 1024"
#
# TOKENS is each request's budget: small keeps the run short (requests may then end with
# not_enough_lines, which does not matter here: every first round is submitted at once either way).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$here/build}
requests=${2:-64}
candidates=${3:-16}
tokens=${4:-200}
caps=${5:-"64 1024"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "| --max-sequences | sonnetd peak RSS | burst wall time | sonnets stored | requests failed |"
echo "|---:|---:|---:|---:|---:|"
for cap in $caps; do
  rm -f "$work"/d.db* "$work/d.out" "$work/time.txt"
  /usr/bin/time -v -o "$work/time.txt" "$build/apps/sonnetd" --port=0 --db="$work/d.db" \
    --max-sequences="$cap" >"$work/d.out" 2>&1 &
  dpid=$!
  port=""
  for _ in $(seq 300); do
    port=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\).*/\1/p' "$work/d.out" | sed -n 1p)
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  [[ -n "$port" ]] || { cat "$work/d.out" >&2; echo "sonnetd did not start" >&2; exit 1; }
  t0=$(date +%s.%N)
  "$build/apps/sonnet" --connect="127.0.0.1:$port" generate --count "$requests" \
    --concurrency "$requests" --candidates "$candidates" --tokens "$tokens" --seed 1 --json \
    >"$work/g.out" 2>"$work/g.err" || true
  t1=$(date +%s.%N)
  ok=$(grep -c '"lines"' "$work/g.out" || true)
  failed=$(grep -c 'failed' "$work/g.err" || true)
  kill -TERM "$(pgrep -P "$dpid" sonnetd || echo "$dpid")" 2>/dev/null || true
  wait "$dpid" 2>/dev/null || true
  kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
  printf '| %s | %.1f MB | %.1f s | %s of %s | %s |\n' "$cap" \
    "$(awk -v k="${kb:-0}" 'BEGIN{print k/1024}')" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" \
    "$ok" "$requests" "$failed"
done
