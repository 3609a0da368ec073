#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, build-fuzz/) and runs each for SECONDS
# (default 30) on a copy of its seed corpus (fuzz/corpus/<target>/). Crashes, leaks, hangs
# (> 10 s per input) and out-of-memory inputs fail the script; the input that triggered it is
# left in build-fuzz/findings/<target>/ (crash-*, leak-*, timeout-*, oom-*).
#   scripts/fuzz.sh [SECONDS] [TARGET...]
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

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DSONNET_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSONNET_BUILD_TESTS=OFF -DSONNET_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j 2 --target "${targets[@]}"

status=0
for t in "${targets[@]}"; do
  work="$build/corpus/$t"       # grows while fuzzing; the committed seeds stay untouched
  findings="$build/findings/$t"
  mkdir -p "$work" "$findings"
  echo "fuzz: $t for ${seconds}s"
  if ! (cd "$findings" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
          -max_len=65536 -print_final_stats=1 "$work" "$root/fuzz/corpus/$t" \
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
