#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, build-fuzz/), then for each target:
#   1. replays every committed input once: the seed corpus (fuzz/corpus/<target>/) and the
#      regression inputs (fuzz/regressions/<target>/, inputs that once crashed or hung a target;
#      each must now pass), with libFuzzer's -runs=0;
#   2. fuzzes for SECONDS (default 30) on a copy of the seed corpus.
# Crashes, leaks, hangs (> 10 s per input) and out-of-memory inputs fail the script; the input
# that triggered it is left in build-fuzz/findings/<target>/ (crash-*, leak-*, timeout-*, oom-*);
# copy it into fuzz/regressions/<target>/ once fixed.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      SECONDS=0: replay only
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-30}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(fuzz_npz fuzz_formatter fuzz_text fuzz_messages)
build="${SONNET_FUZZ_BUILD_DIR:-$root/build-fuzz}"

if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang libclang-rt-14-dev
  else
    echo "fuzz: need clang and libclang-rt-14-dev (apt-get install clang libclang-rt-14-dev)" >&2
    exit 1
  fi
fi

# -O1 -g1: libFuzzer's usual optimisation level, line tables for the reports; about half the
# compile time of -O2 -g.
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DSONNET_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DSONNET_BUILD_TESTS=OFF -DSONNET_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j 2 --target "${targets[@]}"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for t in "${targets[@]}"; do
  work="$build/corpus/$t"       # grows while fuzzing; the committed seeds stay untouched
  findings="$build/findings/$t"
  mkdir -p "$work" "$findings"
  committed=("$root/fuzz/corpus/$t")
  [[ -d $root/fuzz/regressions/$t ]] && committed+=("$root/fuzz/regressions/$t")
  n=$(find "${committed[@]}" -type f | wc -l)
  echo "fuzz: $t: replaying $n committed inputs"
  if ! (cd "$findings" && "$build/fuzz/$t" -runs=0 -timeout=10 -rss_limit_mb=2048 \
          -max_len=65536 "${committed[@]}" >"$build/$t.replay.log" 2>&1); then
    echo "fuzz: $t FAILED on a committed input; log: $build/$t.replay.log" >&2
    tail -40 "$build/$t.replay.log" >&2
    status=1
    continue
  fi
  ((seconds > 0)) || continue
  echo "fuzz: $t for ${seconds}s"
  if ! (cd "$findings" && "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
          -max_len=65536 -print_final_stats=1 "$work" "${committed[@]}" \
          >"$build/$t.log" 2>&1); then
    echo "fuzz: $t FAILED; input and log: $findings, $build/$t.log" >&2
    tail -40 "$build/$t.log" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$build/$t.log" | tr '\n' ' '
    echo
  fi
done
exit $status
