#!/usr/bin/env bash
# Cluster throughput and latency over real links: the front, each worker and the client in
# network namespaces of their own (veth pairs on a bridge), with one and two workers, without
# and with a 50 ms one-way delay on the front's links to its workers (tests/cluster's fault
# proxy, in the root namespace: this kernel has no netem). `sonnet load` keeps 8 requests in
# flight for SECONDS and reports what was acknowledged and the latencies.
# Usage (root): bench/cluster/bench_links.sh [BUILD_DIR] [SECONDS]   (prints a markdown table)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
secs="${2:-20}"
bin="$build/apps"
proxy_bin="$build/tests/cluster/sonnet_fault_proxy"
model="${SONNET_MODEL:-$root/models/default.npz}"
if [[ $(id -u) != 0 ]]; then
  echo "bench_links: needs root (network namespaces)" >&2
  exit 2
fi
for f in "$bin/sonnetd" "$bin/sonnet" "$proxy_bin"; do
  [[ -x $f ]] || { echo "bench_links: $f is missing (build first)" >&2; exit 2; }
done
work="$(mktemp -d)"
tag="b$$"
net="198.18.250"
pids=()
cleanup() {
  { for p in "${pids[@]}"; do kill -9 "$p" || true; done; wait; } 2>/dev/null
  for n in front w1 w2 client; do ip netns del "$tag-$n" 2>/dev/null || true; done
  for k in 2 3 4 5; do ip link del "${tag}v$k" 2>/dev/null || true; done
  ip link del "${tag}br" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip link add "${tag}br" type bridge
ip addr add "$net.1/24" dev "${tag}br"
ip link set "${tag}br" up
k=2
declare -A addr
for n in front w1 w2 client; do
  ip netns add "$tag-$n"
  ip link add "${tag}v$k" type veth peer name eth0 netns "$tag-$n"
  ip link set "${tag}v$k" master "${tag}br" up
  ip -n "$tag-$n" addr add "$net.$k/24" dev eth0
  ip -n "$tag-$n" link set eth0 up
  ip -n "$tag-$n" link set lo up
  addr[$n]="$net.$k"
  k=$((k + 1))
done

wait_line() { # wait_line FILE PATTERN [COUNT]
  for _ in $(seq 600); do
    [[ $(grep -c -- "$2" "$1" || true) -ge ${3:-1} ]] && return 0
    sleep 0.05
  done
  echo "bench_links: '$2' not seen in $1: $(cat "$1")" >&2
  exit 1
}

# Workers, and a fault proxy in front of each (delay set per row).
declare -A via ctl
for w in w1 w2; do
  ip netns exec "$tag-$w" "$bin/sonnetd" --role=worker --bind="${addr[$w]}" --port=5000 \
    --model="$model" --model-actors=1 > "$work/$w.log" 2>&1 &
  pids+=($!)
  wait_line "$work/$w.log" "listening on"
  "$proxy_bin" --listen "$net.1:0" --to "${addr[$w]}:5000" --control 127.0.0.1:0 \
    > "$work/proxy-$w.log" 2>&1 &
  pids+=($!)
  wait_line "$work/proxy-$w.log" "control on"
  line=$(grep -m1 "listening on" "$work/proxy-$w.log")
  via[$w]=$(sed -E 's/.*listening on ([0-9.:]+).*/\1/' <<< "$line")
  ctl[$w]=$(sed -E 's/.*control on [0-9.]+:([0-9]+).*/\1/' <<< "$line")
done

control() { # control WORKER COMMAND...
  exec 3<>"/dev/tcp/127.0.0.1/${ctl[$1]}"
  echo "${*:2}" >&3
  read -r answer <&3
  exec 3>&-
  [[ $answer == ok* ]] || { echo "bench_links: proxy said '$answer'" >&2; exit 1; }
}

row() { # row WORKERS DELAY_MS
  local n="$1" delay="$2" workers="" i=0
  for w in w1 w2; do
    i=$((i + 1))
    [[ $i -le $n ]] || break
    control "$w" delay "$delay"
    workers+="${workers:+,}${via[$w]}"
  done
  local db="$work/cloud-$n-$delay.db" log="$work/front-$n-$delay.log"
  ip netns exec "$tag-front" "$bin/sonnetd" --role=front --bind="${addr[front]}" --port=4242 \
    --workers="$workers" --db="$db" > "$log" 2>&1 &
  local front=$!
  pids+=($front)
  wait_line "$log" "connected to worker" "$n"
  local summary
  summary=$(ip netns exec "$tag-client" "$bin/sonnet" --connect="${addr[front]}:4242" load \
    --duration "$secs" --concurrency 8 --deadline 60 --seed 1 --jsonl "$work/load.jsonl" \
    2>/dev/null | tail -n 1)
  kill -TERM "$front"
  wait "$front" 2>/dev/null || true
  python3 - "$n" "$delay" "$summary" <<'EOF'
import json, sys
n, delay, s = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
secs = s["duration_s"]
print(f"| {n} | {delay} | {s['acknowledged']} | {secs:.1f} | {s['acknowledged'] / secs:.2f} "
      f"| {s['p50_ms']:.0f} | {s['p99_ms']:.0f} | {s['sent'] - s['acknowledged']} |")
EOF
}

echo "## Cluster over real links ($secs s per row, 8 requests in flight; $(nproc) cores:" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo
echo "| workers | one-way delay ms | sonnets | seconds | sonnets/s | p50 ms | p99 ms | not acknowledged |"
echo "|---|---|---|---|---|---|---|---|"
row 1 0
row 2 0
row 1 50
row 2 50
