#!/usr/bin/env bash
# Side-by-side measurement against the peers of ../shared/peers (built OUTSIDE this repository):
#   Engine.Bench/compare-peers.sh --torch PATH/TorchBench.dll --peak PATH/peak [--threads "1 2"]
# Runs, in one session and alternating ours/theirs per row so machine noise hits both alike:
#   the FMA peak, SGEMM 1024³, training and inference images/s of the four benchmark models, batch-1 latency.
# Prints markdown tables (the source of docs/PERFORMANCE.md). Ours: Engine.Bench's quick probe (median of 7).
# Theirs: TorchBench's median. Needs a Release build of Engine.Bench.
set -euo pipefail
cd "$(dirname "$0")/.."
torch="" peak="" threads="1 2"
while [ $# -gt 0 ]; do
  case "$1" in
    --torch) torch="$2"; shift 2 ;;
    --peak) peak="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "usage: $0 --torch TorchBench.dll --peak peak [--threads \"1 2\"]" >&2; exit 2 ;;
  esac
done
[ -f "$torch" ] || { echo "error: --torch must name the built TorchBench.dll (see ../shared/peers/README.md)" >&2; exit 2; }
[ -x "$peak" ] || { echo "error: --peak must name the built peak program (gcc -O2 -march=native -fopenmp peak.c)" >&2; exit 2; }
ours="dotnet Engine.Bench/bin/Release/net10.0/Engine.Bench.dll quick"
field() { grep -o "$1=[0-9.]*" | head -n1 | cut -d= -f2; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "### FMA peak (peak fma)"
echo
echo '```'
"$peak" fma | grep -E "threads=[12] " || true
echo '```'
echo
echo "### SGEMM 1024³ (GFLOP/s)"
echo
echo "| threads | SimdCnn | libtorch (mm) | ratio |"
echo "|---|---|---|---|"
for t in $threads; do
  a=$($ours gemm --m 1024 --n 1024 --k 1024 --threads "$t" | field gflops)
  b=$(dotnet "$torch" gemm "$t" 2>/dev/null | grep -E '^square 1024 ' | grep -o 'mm: median=[0-9.]*' | cut -d= -f2)
  echo "| $t | $a | $b | $(ratio "$a" "$b") |"
done
echo
echo "### Training, images/s (forward + backward + Adam step, softmax cross-entropy)"
echo
echo "| model | batch | threads | SimdCnn | TorchSharp | ratio |"
echo "|---|---|---|---|---|---|"
for mb in paper-mnist:30 paper-cifar:50 lenet5:64 cifar-convnet:128; do
  m=${mb%%:*} b=${mb##*:}
  for t in $threads; do
    a=$($ours train --model "$m" --batch "$b" --threads "$t" | field images_per_sec)
    c=$(dotnet "$torch" train "$t" "$m" "$b" 2>/dev/null | grep -o 'images/s median=[0-9.]*' | head -n1 | cut -d= -f2)
    echo "| $m | $b | $t | $a | $c | $(ratio "$a" "$c") |"
  done
done
echo
echo "### Inference, images/s (batch 256)"
echo
echo "| model | threads | SimdCnn | TorchSharp | ratio |"
echo "|---|---|---|---|---|"
for m in paper-mnist paper-cifar lenet5; do
  for t in $threads; do
    a=$($ours infer --model "$m" --batch 256 --threads "$t" | field images_per_sec)
    c=$(dotnet "$torch" infer "$t" "$m" 256 2>/dev/null | grep -o 'images/s median=[0-9.]*' | head -n1 | cut -d= -f2)
    echo "| $m | $t | $a | $c | $(ratio "$a" "$c") |"
  done
done
echo
echo "### Batch-1 latency, paper-mnist forward (µs, 1 thread)"
echo
a=$($ours latency --model paper-mnist | field microseconds)
c=$(dotnet "$torch" latency 1 2>/dev/null | grep -o 'median-of-rep-medians median=[0-9.]*' | cut -d= -f2)
echo "| SimdCnn | TorchSharp | TorchSharp / SimdCnn |"
echo "|---|---|---|"
echo "| $a | $c | $(ratio "$c" "$a") |"
