#!/usr/bin/env bash
# Side-by-side measurement against the peers of ../shared/peers (built OUTSIDE this repository):
#   Engine.Bench/compare-peers.sh --torch PATH/TorchBench.dll --peak PATH/peak [--threads "1 2"] [--dry]
# Runs, in one session and alternating ours/theirs per row so machine noise hits both alike:
#   the FMA peak, SGEMM 1024³, training and inference images/s of the benchmark models (resnet20 included), batch-1
#   latency, and training again with one core kept busy by another process (contention: ours and theirs on 2 and 1 threads).
# Prints markdown tables (the source of docs/PERFORMANCE.md). Ours: Engine.Bench's quick probe (median of 7).
# Theirs: TorchBench's median. Needs a Release build of Engine.Bench. --dry prints each command it would run (on stderr)
# and fills the tables with placeholder figures, without running either benchmark or the spinner: a check of the script.
set -euo pipefail
cd "$(dirname "$0")/.."
torch="" peak="" threads="1 2" dry=""
while [ $# -gt 0 ]; do
  case "$1" in
    --torch) torch="$2"; shift 2 ;;
    --peak) peak="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --dry) dry=1; shift ;;
    *) echo "usage: $0 --torch TorchBench.dll --peak peak [--threads \"1 2\"] [--dry]" >&2; exit 2 ;;
  esac
done
if [ -z "$dry" ]; then
  [ -f "$torch" ] || { echo "error: --torch must name the built TorchBench.dll (see ../shared/peers/README.md)" >&2; exit 2; }
  [ -x "$peak" ] || { echo "error: --peak must name the built peak program (gcc -O2 -march=native -fopenmp peak.c)" >&2; exit 2; }
fi

# ours ARGS: Engine.Bench's quick probe; theirs ARGS: TorchBench; fma: the peak program. Under --dry each prints its
# command on stderr and one line carrying every field the tables read.
placeholder='images_per_sec=0 gflops=0 microseconds=0 images/s median=0 mm: median=0 median-of-rep-medians median=0'
ours() {
  if [ -n "$dry" ]; then echo "dry: quick $*" >&2; echo "$placeholder"; return; fi
  dotnet Engine.Bench/bin/Release/net10.0/Engine.Bench.dll quick "$@"
}
theirs() {
  if [ -n "$dry" ]; then echo "dry: TorchBench $*" >&2; echo "square 1024 $placeholder"; return; fi
  dotnet "$torch" "$@" 2>/dev/null
}
fma() {
  if [ -n "$dry" ]; then echo "dry: peak fma" >&2; echo "threads=1 placeholder"; return; fi
  "$peak" fma
}
field() { grep -o "$1=[0-9.]*" | head -n1 | cut -d= -f2; }
torch_images() { grep -o 'images/s median=[0-9.]*' | head -n1 | cut -d= -f2; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# The models of the training tables with their batch sizes (the peer's), and of the inference table (batch 256).
train_models="paper-mnist:30 paper-cifar:50 lenet5:64 cifar-convnet:128 resnet20:128"
infer_models="paper-mnist paper-cifar lenet5 resnet20"

# training_table THREADS: the training table, every model of $train_models on each thread count, ours then theirs per row.
training_table() {
  echo "| model | batch | threads | SimdCnn | TorchSharp | ratio |"
  echo "|---|---|---|---|---|---|"
  for mb in $train_models; do
    m=${mb%%:*} b=${mb##*:}
    for t in $1; do
      a=$(ours train --model "$m" --batch "$b" --threads "$t" | field images_per_sec)
      c=$(theirs train "$t" "$m" "$b" | torch_images)
      echo "| $m | $b | $t | $a | $c | $(ratio "$a" "$c") |"
    done
  done
}

# The contention section's spinner: one busy core, started by this script and stopped on any exit.
spinner=""
stop_spinner() { if [ -n "$spinner" ]; then kill "$spinner" 2>/dev/null || true; wait "$spinner" 2>/dev/null || true; spinner=""; fi; }
trap stop_spinner EXIT
trap 'exit 130' INT TERM

echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "### FMA peak (peak fma)"
echo
echo '```'
fma | grep -E "threads=[12] " || true
echo '```'
echo
echo "### SGEMM 1024³ (GFLOP/s)"
echo
echo "| threads | SimdCnn | libtorch (mm) | ratio |"
echo "|---|---|---|---|"
for t in $threads; do
  a=$(ours gemm --m 1024 --n 1024 --k 1024 --threads "$t" | field gflops)
  b=$(theirs gemm "$t" | grep -E '^square 1024 ' | grep -o 'mm: median=[0-9.]*' | cut -d= -f2)
  echo "| $t | $a | $b | $(ratio "$a" "$b") |"
done
echo
echo "### Training, images/s (forward + backward + Adam step, softmax cross-entropy)"
echo
training_table "$threads"
echo
echo "### Inference, images/s (batch 256)"
echo
echo "| model | threads | SimdCnn | TorchSharp | ratio |"
echo "|---|---|---|---|---|"
for m in $infer_models; do
  for t in $threads; do
    a=$(ours infer --model "$m" --batch 256 --threads "$t" | field images_per_sec)
    c=$(theirs infer "$t" "$m" 256 | torch_images)
    echo "| $m | $t | $a | $c | $(ratio "$a" "$c") |"
  done
done
echo
echo "### Batch-1 latency, paper-mnist forward (µs, 1 thread)"
echo
a=$(ours latency --model paper-mnist | field microseconds)
c=$(theirs latency 1 | grep -o 'median-of-rep-medians median=[0-9.]*' | cut -d= -f2)
echo "| SimdCnn | TorchSharp | TorchSharp / SimdCnn |"
echo "|---|---|---|"
echo "| $a | $c | $(ratio "$c" "$a") |"
echo
echo "### Training under contention, images/s (one core kept busy by another process)"
echo
# A busy loop in its own process for the whole section (at most an hour, should the trap never run); both engines then
# share the machine with it, on 2 threads (one of them competing for a core) and on 1 thread.
if [ -n "$dry" ]; then echo "dry: spinner timeout 3600 sh -c 'while :; do :; done'" >&2
else
  timeout 3600 sh -c 'while :; do :; done' &
  spinner=$!
fi
training_table "2 1"
stop_spinner
