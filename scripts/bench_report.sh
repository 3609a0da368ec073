#!/usr/bin/env bash
# One command for the benchmark report: builds (Release) if needed, installs what the benchmarks
# need (scripts/setup.sh --bench, gnuplot-nox), runs them and writes bench/report/REPORT.md and
# bench/report/throughput.svg. About 3-6 minutes on 2 cores.
#
#   scripts/bench_report.sh [--build-dir DIR] [--no-install] [--cloud-sizes LIST]
#
# Models: bench_generate and window_loss run the prototype's reference checkpoint from ../shared
# (the build's SONNET_SHARED_DIR) when it is there, else models/default.npz; everything else runs
# models/default.npz (SONNET_MODEL overrides it for the sonnet and sonnetd runs).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/build"
install=1
cloud_sizes="100,10000,30000" # bench_cloud's default ends at 100000: ~3.5 min here, over budget
while (($#)); do
  case "$1" in
    --build-dir) build="$2"; shift 2 ;;
    --no-install) install=0; shift ;;
    --cloud-sizes) cloud_sizes="$2"; shift 2 ;;
    *) echo "usage: $0 [--build-dir DIR] [--no-install] [--cloud-sizes LIST]" >&2; exit 2 ;;
  esac
done
out="$root/bench/report"
mkdir -p "$out"
work="$(mktemp -d /tmp/sonnet-report.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# --- what the benchmarks need -----------------------------------------------------------------
if ((install)); then
  if [[ $(id -u) -eq 0 ]]; then
    "$root/scripts/setup.sh" --bench
    command -v gnuplot >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox ||
      { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox; }; }
  else
    "$root/scripts/setup.sh" --bench || echo "bench_report: not root; continuing with what is installed" >&2
  fi
fi

# --- build (Release) if needed --------------------------------------------------------------------
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
btype=$(grep -E '^CMAKE_BUILD_TYPE:' "$build/CMakeCache.txt" | cut -d= -f2)
[[ "$btype" == "Release" ]] || echo "bench_report: warning: $build is a '$btype' build, not Release" >&2
cmake --build "$build" --target bench_generate profile_decode bench_pipeline bench_cloud sonnet -j"$(nproc)" >/dev/null

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
flags="$(grep -m1 '^flags' /proc/cpuinfo | grep -o 'avx512f\|avx2' | sort -u | tr '\n' ' ')"
native=$(grep -E '^SONNET_NATIVE:' "$build/CMakeCache.txt" | cut -d= -f2 || true)
when="$(date -u '+%Y-%m-%d %H:%M UTC')"
stamp="Machine: $machine (${flags:-no avx}); build $btype, SONNET_NATIVE=${native:-?}; $when; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "bench_report: $stamp" >&2

# --- 1. one stream vs the prototype, and batches ----------------------------------------------------
echo "bench_report: bench_generate ..." >&2
"$build/bench/model/bench_generate" --tokens 800 --proto-tokens 200 --strides 32 --batch 1,2,4,8,16,32 \
  >"$work/generate.md" 2>&1 || true
one=$(grep -m1 '(default)' "$work/generate.md" | awk -F'|' '{gsub(/ /,"",$3); print $3}')
proto=$(grep -m1 '^prototype (' "$work/generate.md" | sed -n 's/.*: \([0-9.]*\) tokens\/s/\1/p')

# --- 2. pipeline latency / throughput --------------------------------------------------------------
echo "bench_report: bench_pipeline (2 model actors, the service default) ..." >&2
"$build/bench/pipeline/bench_pipeline" --sonnets 16 --concurrency 1,2,4,8,16,32 --markdown \
  --data "$work/pipe2.dat" >"$work/pipe2.md" 2>&1 || true
echo "bench_report: bench_pipeline (1 model actor) ..." >&2
"$build/bench/pipeline/bench_pipeline" --sonnets 16 --concurrency 1,2,4,8,16,32 --markdown --model-actors 1 \
  --data "$work/pipe1.dat" >"$work/pipe1.md" 2>&1 || true
rate_of() { awk -v k="$2" '$1==k {print $2}' "$1"; }
p50_of() { awk -v k="$2" '$1==k {print $3}' "$1"; }

# --- 2b. the issue's bar through the CLI, whole commands, by window stride ------------------------
# `sonnet generate --count 16 --concurrency 16` against `--concurrency 1`, same seeds, wall time
# of the whole command (process start included), best of 3 alternating runs, per stride.
strides_bar="${SONNET_BAR_STRIDES:-24,32,40,48}"
now() { date +%s.%N; }
bar_md="$work/bar.md"
echo "| stride | concurrency 1 s | concurrency 16 s | speed-up |" >"$bar_md"
echo "|---|---:|---:|---:|" >>"$bar_md"
default_stride=""
IFS=, read -ra bar_list <<<"$strides_bar"
for st in "" "${bar_list[@]}"; do
  args=()
  [[ -n "$st" ]] && args=(--stride "$st")
  best1=999; best16=999
  for _ in 1 2 3; do
    for c in 1 16; do
      rm -f "$work"/bar.db*
      t0=$(now)
      "$build/apps/sonnet" generate --count 16 --concurrency "$c" --seed 7 "${args[@]}" --db "$work/bar.db" >/dev/null
      t=$(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.3f", b-a}')
      if [[ $c == 1 ]]; then best1=$(awk -v a="$best1" -v b="$t" 'BEGIN{print (b<a)?b:a}')
      else best16=$(awk -v a="$best16" -v b="$t" 'BEGIN{print (b<a)?b:a}'); fi
    done
  done
  r=$(awk -v a="$best1" -v b="$best16" 'BEGIN{printf "%.2f", a/b}')
  if [[ -z "$st" ]]; then
    bar_default="$r"; bar1="$best1"; bar16="$best16"
    echo "| default | $best1 | $best16 | **${r}×** |" >>"$bar_md"
  else
    echo "| S=$st | $best1 | $best16 | ${r}× |" >>"$bar_md"
  fi
done
# What the stride does to the sonnets themselves: 90 seeded sonnets per stride (one candidate,
# the default), checked by the independent checker: share of lines at 9-13 syllables.
echo "bench_report: line structure by stride ..." >&2
py=/usr/bin/python3; [[ -x $py ]] || py=python3
verse_md="$work/verse.md"
echo "| stride | min context after a slide | lines at 9-13 syllables | mean quality | tokens/sonnet |" >"$verse_md"
echo "|---|---:|---:|---:|---:|" >>"$verse_md"
for st in "${bar_list[@]}"; do
  : >"$work/verse.jsonl"
  for seed in 1 1000 2000; do
    rm -f "$work"/verse.db*
    "$build/apps/sonnet" generate --count 30 --seed "$seed" --stride "$st" --json --db "$work/verse.db" \
      >>"$work/verse.jsonl" || true
  done
  share=$("$py" "$root/scripts/check_quality.py" --label "S=$st" --json <"$work/verse.jsonl" | tail -1 |
          "$py" -c 'import json,sys; print("%.1f%%" % (100 * json.load(sys.stdin)["verse_share"]))')
  extra=$("$py" -c 'import json,sys
q=[json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print("%.3f | %.0f" % (sum(x["quality"] for x in q)/len(q), sum(x["tokens"] for x in q)/len(q)))' "$work/verse.jsonl")
  echo "| S=$st | $((64 - st)) | $share | $extra |" >>"$verse_md"
done
echo "bench_report: window_loss (paired, strides $strides_bar) ..." >&2
"$build/bench/model/window_loss" --strides "$strides_bar" --no-exact --no-chunked --threads 2 \
  >"$work/loss.md" 2>&1 || true

# --- 3. peak RSS of the default model through the pipeline -----------------------------------------
mb() { awk -v k="${1:-0}" 'BEGIN{printf "%.1f", k/1024}'; }
echo "bench_report: peak RSS of sonnet generate --count 4 ..." >&2
/usr/bin/time -v "$build/apps/sonnet" generate --count 4 --db "$work/x.db" >"$work/gen.out" 2>"$work/time.txt" || true
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
rss_mb=$(awk -v k="${rss_kb:-0}" 'BEGIN{printf "%.1f", k/1024}')
# The same process without the model and pipeline (CAF, SQLite, an empty cloud) and the model alone.
/usr/bin/time -v "$build/apps/sonnet" stats --db "$work/y.db" >/dev/null 2>"$work/time0.txt" || true
base_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time0.txt")
/usr/bin/time -v "$build/bench/model/profile_decode" 1 800 >/dev/null 2>"$work/time1.txt" || true
model_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time1.txt")
# sonnetd (standalone, the default model) through 32 sonnets at concurrency 16, then SIGTERM.
echo "bench_report: peak RSS of sonnetd under load ..." >&2
/usr/bin/time -v -o "$work/timed.txt" "$build/apps/sonnetd" --port=0 --db="$work/d.db" >"$work/d.out" 2>&1 &
dpid=$!
dport=""
for _ in $(seq 100); do
  dport=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\).*/\1/p' "$work/d.out" | sed -n 1p)
  [[ -n "$dport" ]] && break
  sleep 0.1
done
if [[ -n "$dport" ]]; then
  "$build/apps/sonnet" --connect="127.0.0.1:$dport" generate --count 32 --concurrency 16 >/dev/null || true
fi
kill -TERM "$(pgrep -P "$dpid" sonnetd || echo "$dpid")" 2>/dev/null || true
wait "$dpid" 2>/dev/null || true
daemon_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/timed.txt")
daemon_mb=$(mb "$daemon_kb")

# --- 4. the cloud ---------------------------------------------------------------------------------------
echo "bench_report: bench_cloud --sizes $cloud_sizes ..." >&2
cloud_note=""
if ! timeout 200 "$build/bench/cloud/bench_cloud" --sizes "$cloud_sizes" --bulk-from 20000 >"$work/cloud.md" 2>&1; then
  cloud_note="(bench_cloud --sizes $cloud_sizes did not finish within 200 s on this run; rerun with 100,10000.)"
  timeout 200 "$build/bench/cloud/bench_cloud" --sizes 100,10000 >"$work/cloud.md" 2>&1 || true
fi

# --- figure -------------------------------------------------------------------------------------------------
if command -v gnuplot >/dev/null && [[ -s "$work/pipe2.dat" ]]; then
  gnuplot <<EOF
set terminal svg size 800,480 dynamic font "sans,11"
set output "$out/throughput.svg"
set title "Sonnet Actors: 16 sonnets per point - $machine - $when" noenhanced
set xlabel "concurrent requests"
set ylabel "sonnets/s"
set y2label "p50 latency (ms)"
set logscale x 2
set ytics nomirror
set y2tics
set key top left
set grid
plot "$work/pipe2.dat" using 1:2 with linespoints lw 2 title "sonnets/s, 2 model actors", \
     "$work/pipe1.dat" using 1:2 with linespoints lw 2 title "sonnets/s, 1 model actor", \
     "$work/pipe2.dat" using 1:3 axes x1y2 with linespoints dt 2 title "p50 ms, 2 model actors", \
     "$work/pipe1.dat" using 1:3 axes x1y2 with linespoints dt 2 title "p50 ms, 1 model actor"
EOF
  fig="![throughput](throughput.svg)"
else
  fig="(gnuplot not available: no figure)"
fi

# --- the report -------------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "-" }'; }
r16_2=$(ratio "$(rate_of "$work/pipe2.dat" 16)" "$(rate_of "$work/pipe2.dat" 1)")
r16_1=$(ratio "$(rate_of "$work/pipe1.dat" 16)" "$(rate_of "$work/pipe1.dat" 1)")
x_proto=$(ratio "${one:-0}" "${proto:-0}")
p50_1=$(p50_of "$work/pipe2.dat" 1 | awk '{printf "%.0f", $1}')
b1=$(awk -F'|' '$2 ~ /^ 1 $/ {gsub(/ /,"",$3); print $3}' "$work/generate.md")
b16=$(awk -F'|' '$2 ~ /^ 16 $/ {gsub(/ /,"",$3); print $3}' "$work/generate.md")
{
  echo "# Sonnet Actors - benchmark report"
  echo
  echo "$stamp"
  echo "Generated by \`scripts/bench_report.sh\`. Every figure below comes from this one run on a shared"
  echo "machine; runs move by about ±25% with the load of other processes."
  echo
  echo "## Targets"
  echo
  echo "| target | measured | verdict |"
  echo "|---|---|---|"
  echo "| one stream ≥ 50× the prototype loop | ${one:-?} tokens/s vs ${proto:-?} tokens/s = **${x_proto}×** | $(awk -v r="$x_proto" 'BEGIN{print (r+0 >= 50) ? "met" : "MISSED"}') |"
  echo "| 16 sonnets at concurrency 16 ≥ 3× faster than one after another | **${r16_2}×** (2 model actors), **${r16_1}×** (1 model actor) | $(awk -v a="$r16_2" -v b="$r16_1" 'BEGIN{print (a+0 >= 3 || b+0 >= 3) ? "met" : "MISSED (see arithmetic below)"}') |"
  echo "| sonnet p50 ≤ 0.25 s at concurrency 1 | **${p50_1:-?} ms** | $(awk -v p="${p50_1:-9999}" 'BEGIN{print (p+0 <= 250) ? "met" : "MISSED"}') |"
  echo "| \`sonnet generate --count 16 --concurrency 16\` ≤ 1/3 the time of \`--concurrency 1\` (the bar) | ${bar16:-?} s vs ${bar1:-?} s = **${bar_default:-?}×** (default stride, whole commands; §2b) | $(awk -v r="${bar_default:-0}" 'BEGIN{print (r+0 >= 3) ? "met" : "MISSED"}') |"
  echo "| sonnetd peak RSS ≤ 40 MB | **${daemon_mb} MB** (32 sonnets at concurrency 16 through \`sonnet --connect\`); \`sonnet generate --count 4\`: ${rss_mb} MB | $(awk -v r="$daemon_mb" 'BEGIN{print (r+0 > 0 && r+0 <= 40) ? "met" : "MISSED"}') |"
  echo
  echo "## 1. One stream vs the prototype, and batched decoding"
  echo
  echo "\`bench/model/bench_generate --tokens 800 --proto-tokens 200 --strides 32 --batch 1,2,4,8,16,32\`"
  echo "(the prototype is \`reference.py --bench-generate 200\`, numpy on OpenBLAS, in the same run):"
  echo
  cat "$work/generate.md"
  echo
  echo "## 2. Sonnet latency and throughput by concurrency"
  echo
  echo "\`bench/pipeline/bench_pipeline --sonnets 16 --concurrency 1,2,4,8,16,32 --markdown\`: the whole"
  echo "pipeline in-process (model rounds, formatter, dissonance, SQLite store), 16 sonnets per row,"
  echo "seeds 1000..1015; a new service and database per row."
  echo
  echo "### 2 model actors (service_config::model_actors default)"
  echo
  cat "$work/pipe2.md"
  echo
  echo "### 1 model actor (all requests in one batch)"
  echo
  cat "$work/pipe1.md"
  echo
  echo "$fig"
  echo
  echo "**16 sonnets at concurrency 16 vs the same 16 one after another** (the concurrency-1 row is"
  echo "exactly that sequential run): ${r16_2}× with 2 model actors, ${r16_1}× with 1 model actor."
  echo
  echo "Arithmetic of the ceiling: batching 16 sequences on one thread gives $(ratio "${b16:-0}" "${b1:-0}")× the tokens/s of"
  echo "one stream here (§1: ${b16:-?} vs ${b1:-?} tokens/s; one stream reads all 3.2 MB of weights per"
  echo "token, a batch shares that read; see the FMA-peak column of §1); the sequential run already keeps"
  echo "one core busy with the model and leaves the other to the formatter, dissonance and SQLite store,"
  echo "so 16 concurrent sonnets can gain at most that batching factor times what the second core adds"
  echo "(≤ 2×): about $(awk -v a="${b16:-0}" -v b="${b1:-1}" 'BEGIN{printf "%.1f", 2*a/b}')× at best, less the non-model work and the other processes sharing these 2 cores."
  echo "With one model actor all 16 requests share one batch (one read of the weights per token for all"
  echo "of them) on one core; with two, each actor batches ~8 on its own core."
  echo
  echo "## 2b. The bar through the CLI, and what the window stride trades"
  echo
  echo "\`sonnet generate --count 16 --concurrency 16 --seed 7\` against \`--concurrency 1\` (the same 16"
  echo "seeds), a fresh database each, wall time of the whole command including process start, best of"
  echo "3 alternating runs; then with each stride forced by \`--stride\`. Unlike §2, each command"
  echo "also pays process start (linking, loading the npz, opening the cloud) once, and the concurrent"
  echo "run ends with the one sonnet in 16 that needs a second 400-token round, decoded alone:"
  echo
  cat "$bar_md"
  echo
  echo "What the stride does to the sonnets (90 seeded sonnets per stride, one candidate; lines at"
  echo "9-13 syllables by \`scripts/check_quality.py\`). Past a slide the model sees only the last"
  echo "64-S chars; under ~one line of verse (~35-40 chars) it loses the line's length:"
  echo
  cat "$verse_md"
  echo
  echo "What the stride costs in held-out loss (\`bench/model/window_loss --strides $strides_bar\`,"
  echo "the decoder's own teacher-forced decoding of the last 10% of tinyshakespeare.txt; the paired"
  echo "table compares each stride with the first, prediction by prediction):"
  echo
  sed -n '/^| decoding/,$p' "$work/loss.md"
  echo
  echo "## 3. Peak RSS"
  echo
  echo "\`/usr/bin/time -v build/apps/sonnet generate --count 4 --db /tmp/x.db\` (default model, the"
  echo "whole pipeline in one process): **Maximum resident set size ${rss_kb:-?} kB = ${rss_mb} MB**;"
  echo "\`sonnetd\` (standalone, default model) through 32 sonnets at concurrency 16 from"
  echo "\`sonnet --connect\`, then SIGTERM: **${daemon_kb:-?} kB = ${daemon_mb} MB**."
  echo
  echo "| process | peak RSS |"
  echo "|---|---:|"
  echo "| \`sonnet stats\` (CAF, SQLite, empty cloud; no model, no pipeline) | $(mb "$base_kb") MB |"
  echo "| \`profile_decode 1 800\` (the model alone: loading the npz + decoding 800 tokens) | $(mb "$model_kb") MB |"
  echo "| \`sonnet generate --count 4\` (everything) | ${rss_mb} MB |"
  echo "| \`sonnetd\` under load (32 sonnets, concurrency 16) | ${daemon_mb} MB |"
  echo
  echo "Arithmetic: the model as a process of its own (weights 3.2 MB, one sequence's K/V cache 256 KB,"
  echo "libc, Eigen code) peaks at $(mb "$model_kb") MB, and the runtime without a model (CAF, SQLite) at $(mb "$base_kb") MB;"
  echo "\`sonnet generate\` peaks $(awk -v a="${rss_kb:-0}" -v c="${model_kb:-0}" 'BEGIN{printf "%.1f", (a-c)/1024}') MB above the model alone. That difference is the"
  echo "rest of the pipeline (formatter and its pronouncing dictionary, the dissonance vocabulary, the"
  echo "CAF threads and SQLite), not the model: the 40 MB target is decided outside model/."
  echo "bench_pipeline's own getrusage figure is under each table above (it holds up to 32 requests and"
  echo "6 services one after another)."
  echo
  echo "## 4. The cloud: dissonance time against cloud size, inserts per second"
  echo
  echo "\`bench/cloud/bench_cloud --sizes $cloud_sizes --bulk-from 20000\` $cloud_note (bench_cloud's own default, up to 100,000 sonnets, took ~3.5 min on this machine, over the report's budget, so the report stops at the sizes shown; pass --cloud-sizes 100,10000,100000 for the full run.)"
  echo
  echo '```'
  cat "$work/cloud.md"
  echo '```'
} >"$out/REPORT.md.tmp"
mv "$out/REPORT.md.tmp" "$out/REPORT.md"
echo "bench_report: wrote $out/REPORT.md and $out/throughput.svg" >&2
