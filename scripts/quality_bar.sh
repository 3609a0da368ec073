#!/usr/bin/env bash
# The best-of-N quality bar, checked by the independent checker (scripts/check_quality.py):
#   "With --candidates 8, 10 seeded sonnets have >= 85% of lines at 9-13 syllables and >= 1.5
#    more rhyme pairs on average than --candidates 1."
# Builds `sonnet` if needed, generates 10 seeded sonnets with --candidates 1 and with
# --candidates 8 (each into a throwaway database), checks both and prints whether the bar is met.
# Exit 0 when it is, 1 when not, 2 on errors.
#
#   scripts/quality_bar.sh [SEED]        (default seed 1)
#   env: BUILD_DIR (default build), COUNT (default 10), CANDIDATES (default 8),
#        SONNET_MODEL (as for sonnet itself)
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-build}"
case "$build" in /*) ;; *) build="$here/$build" ;; esac
seed="${1:-1}"
count="${COUNT:-10}"
cands="${CANDIDATES:-8}"
py=/usr/bin/python3
[ -x "$py" ] || py=python3

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target sonnet -j"$(nproc)" >/dev/null
sonnet="$build/apps/sonnet"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

run() { # candidates db out
  local t0 t1
  t0=$(date +%s.%N)
  "$sonnet" generate --count "$count" --seed "$seed" --candidates "$1" --json --db "$2" >"$3"
  t1=$(date +%s.%N)
  echo "candidates $1: $(grep -c '^{' "$3") sonnets in $(echo "$t1 - $t0" | bc 2>/dev/null || echo "?") s"
}
run 1 "$tmp/one.db" "$tmp/one.jsonl"
run "$cands" "$tmp/many.db" "$tmp/many.jsonl"

"$py" "$here/scripts/check_quality.py" --label "--candidates 1" --json <"$tmp/one.jsonl" | tee "$tmp/one.txt"
echo
"$py" "$here/scripts/check_quality.py" --label "--candidates $cands" --json <"$tmp/many.jsonl" | tee "$tmp/many.txt"
echo

"$py" - "$tmp/one.txt" "$tmp/many.txt" "$count" <<'EOF'
import json, sys
one = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
many = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
count = int(sys.argv[3])
gain = many["mean_pairs"] - one["mean_pairs"]
ok_n = many["sonnets"] == count and one["sonnets"] == count
ok_share = many["verse_share"] >= 0.85
ok_gain = gain >= 1.5
print("bar: %d/%d and %d/%d sonnets came out: %s" % (one["sonnets"], count, many["sonnets"], count,
                                                   "ok" if ok_n else "MISSED"))
print("bar: lines at 9-13 syllables with %s: %.1f%% (>= 85%%): %s"
      % (many["label"], 100 * many["verse_share"], "ok" if ok_share else "MISSED"))
print("bar: rhyme pairs %.2f vs %.2f, gain %.2f (>= 1.5): %s"
      % (many["mean_pairs"], one["mean_pairs"], gain, "ok" if ok_gain else "MISSED"))
met = ok_n and ok_share and ok_gain
print("BAR MET" if met else "BAR NOT MET")
sys.exit(0 if met else 1)
EOF
