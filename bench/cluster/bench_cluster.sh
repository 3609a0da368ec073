#!/usr/bin/env bash
# Cluster throughput: a front node with one worker, then with two, on this machine's loopback.
# Each worker runs one model actor, so "two workers" means two model threads (on 2 cores).
# Usage: bench/cluster/bench_cluster.sh [BUILD_DIR] [SONNETS]   (prints a markdown table)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
n="${2:-32}"
bin="$build/apps"
model="${SONNET_MODEL:-$root/models/default.npz}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

start() { # start NAME ARGS... -> prints HOST:PORT
  local name="$1"; shift
  "$bin/sonnetd" "$@" > "$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do
    if grep -q "listening on" "$work/$name.log"; then
      grep -o "listening on [0-9.:]*" "$work/$name.log" | cut -d' ' -f3
      return
    fi
    sleep 0.05
  done
  echo "sonnetd $name did not start: $(cat "$work/$name.log")" >&2
  exit 1
}

run() { # run WORKERS -> one table row
  local k="$1" workers=""
  for i in $(seq "$k"); do
    workers+="${workers:+,}$(start "w$k$i" --role=worker --port=0 --model="$model" --model-actors=1)"
  done
  local front
  front=$(start "f$k" --role=front --port=0 --workers="$workers" --db="$work/f$k.db")
  for _ in $(seq 100); do
    [[ $(grep -c "connected to worker" "$work/f$k.log") -ge $k ]] && break
    sleep 0.05
  done
  local t0 t1
  t0=$(date +%s.%N)
  "$bin/sonnet" --connect="$front" generate --count "$n" --concurrency 8 --seed 1 --json \
    > "$work/out$k.jsonl"
  t1=$(date +%s.%N)
  local got
  got=$(wc -l < "$work/out$k.jsonl")
  awk -v k="$k" -v n="$got" -v t0="$t0" -v t1="$t1" \
    'BEGIN { s = t1 - t0; printf "| %d | %d | %.2f | %.2f |\n", k, n, s, n / s }'
}

echo "## Cluster throughput ($n sonnets, 8 in flight; $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo
echo "| workers | sonnets | seconds | sonnets/s |"
echo "|---|---|---|---|"
run 1
run 2
