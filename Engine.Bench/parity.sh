#!/usr/bin/env bash
# Training-quality parity with libtorch on identical set-ups, over seeds, in one session:
#   Engine.Bench/parity.sh --torch PATH/TorchAccuracy.dll [--seeds 5] [--setups "fashion-lenet5 mnist-lenet5 cifar-fig14"]
#                          [--inits "he pytorch"] [--out DIR]
# TorchAccuracy is the libtorch (TorchSharp) accuracy program, built outside this repository. For every set-up it trains
# seeds 1…N in libtorch, then the same model, data, optimizer, batch and epochs here once per initialisation of --inits
# (one `cnn sweep` with the axes init and seed), and prints a markdown table: every seed's test accuracy, the mean and
# sample standard deviation, the difference of the means with Welch's t, and whether ours is level within noise
# (mean ≥ libtorch's mean − 0.5 × the larger standard deviation).
#   fashion-lenet5  LeNet-5, Fashion-MNIST 60,000 / 10,000, Adam 1e-3, batch 64, 5 epochs, no L2: the last epoch's accuracy
#   mnist-lenet5    the same on MNIST, 10 epochs
#   cifar-fig14     the report's CIFAR model and Fig. 14's 4×4 grid (η and λ in 1e-5…1e-2), 500 / 100 images, batch 50,
#                   50 epochs, Adam, Keras's L2 (λ·Σw² on the kernels): each seed's best cell
# Needs ENGINE_DATASETS (mnist/, fashion-mnist/, cifar-10-subset/ or cifar-10-batches-bin/) and a Release build of Apps/Cnn.
# Our runs are deterministic (the same table every time); libtorch's are too on one machine, given its seeds.
set -euo pipefail
cd "$(dirname "$0")/.."
torch="" seeds=5 setups="fashion-lenet5 mnist-lenet5 cifar-fig14" inits="he pytorch" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --torch) torch="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --setups) setups="$2"; shift 2 ;;
    --inits) inits="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: $0 --torch TorchAccuracy.dll [--seeds N] [--setups \"…\"] [--inits \"he pytorch\"] [--out DIR]" >&2; exit 2 ;;
  esac
done
[ -f "$torch" ] || { echo "error: --torch must name the built TorchAccuracy.dll" >&2; exit 2; }
[[ "$seeds" =~ ^[1-9][0-9]*$ ]] || { echo "error: --seeds must be a positive integer" >&2; exit 2; }
: "${ENGINE_DATASETS:?set ENGINE_DATASETS to the folder holding mnist/, fashion-mnist/ and the CIFAR-10 files}"
cnn=Apps/Cnn/bin/Release/net10.0/cnn.dll
[ -f "$cnn" ] || { echo "error: $cnn not found: run dotnet build -c Release first" >&2; exit 2; }
for setup in $setups; do
  case "$setup" in fashion-lenet5|mnist-lenet5|cifar-fig14) ;; *) echo "error: unknown set-up '$setup'" >&2; exit 2 ;; esac
done
if [ -z "$out" ]; then out="$(mktemp -d)"; fi
mkdir -p "$out"
init_list=$(echo "$inits" | tr ' ' ',')

# stats LABEL VALUES…: "LABEL mean std n" (sample standard deviation)
stats() { local label=$1; shift; printf '%s\n' "$@" | awk -v l="$label" '{ s += $1; q += $1 * $1; n++ }
  END { m = s / n; v = n > 1 ? (q - n * m * m) / (n - 1) : 0; if (v < 0) v = 0; printf "%s %.4f %.4f %d\n", l, m, sqrt(v), n }'; }
# compare "mean std n" (ours) "mean std n" (libtorch): difference, Welch's t, verdict
compare() { awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ");
  d = x[1] - y[1]; se = sqrt(x[2] * x[2] / x[3] + y[2] * y[2] / y[3]); big = x[2] > y[2] ? x[2] : y[2];
  t = se > 0 ? sprintf("%+.2f", d / se) : "n/a"; ok = (x[1] >= y[1] - 0.5 * big) ? "level" : "behind";
  printf "%+.4f | %s | %s", d, t, ok }'; }

echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; seeds 1–$seeds; ours at $(git rev-parse --short HEAD)."
for setup in $setups; do
  echo
  echo "### $setup"
  echo
  log="$out/$setup-libtorch.txt"
  case "$setup" in
    fashion-lenet5|mnist-lenet5)
      if [ "$setup" = fashion-lenet5 ]; then dataset=fashion-mnist epochs=5; else dataset=mnist epochs=10; fi
      dotnet "$torch" "$setup" "$ENGINE_DATASETS" "$epochs" "$seeds" > "$log"
      mapfile -t theirs < <(grep -o 'per epoch: .*' "$log" | awk '{ print $NF }')
      dotnet "$cnn" sweep --dataset "$dataset" --model lenet5 --train-size 60000 --val-size 10000 --epochs "$epochs" \
        --batch-size 64 --optimizer adam --eta 0.001 --lambda 0 --grid init="$init_list" --grid seed=1.."$seeds" \
        --out "$out/$setup" > "$out/$setup-ours.txt"
      ;;
    cifar-fig14)
      dotnet "$torch" cifar-fig14 "$ENGINE_DATASETS" "$seeds" > "$log"
      mapfile -t theirs < <(grep -o 'best=[0-9.]*' "$log" | cut -d= -f2)
      dotnet "$cnn" sweep --dataset cifar10 --model paper-cifar --train-size 500 --val-size 100 --epochs 50 --batch-size 50 \
        --optimizer adam --l2-style keras --grid init="$init_list" --grid seed=1.."$seeds" \
        --grid eta=1e-5:1e-2:4 --grid lambda=1e-5:1e-2:4 --out "$out/$setup" > "$out/$setup-ours.txt"
      ;;
  esac
  [ "${#theirs[@]}" -eq "$seeds" ] || { echo "error: libtorch printed ${#theirs[@]} results for $seeds seeds (see $log)" >&2; exit 1; }
  results="$out/$setup/results.csv"
  echo "| engine | init | $(for s in $(seq 1 "$seeds"); do printf 'seed %s | ' "$s"; done)mean | std | ours − libtorch | Welch t | verdict |"
  echo "|---|---|$(printf -- '---|%.0s' $(seq 1 "$seeds"))---|---|---|---|---|"
  t=$(stats libtorch "${theirs[@]}")
  echo "| libtorch | PyTorch's | $(printf '%s | ' "${theirs[@]}")$(echo "$t" | awk '{ print $2 " | " $3 }') | | | |"
  for init in $inits; do
    # results.csv: cell,init,grid_seed,[eta,lambda,]train_acc,val_acc,… — each seed's value (the best cell per seed for fig14)
    mapfile -t ours < <(awk -F, -v init="$init" '
      NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
      $col["init"] == init { s = $col["grid_seed"]; v = $col["val_acc"]; if (!(s in best) || v > best[s]) best[s] = v }
      END { for (s in best) print s, best[s] }' "$results" | sort -n | awk '{ printf "%.4f\n", $2 }')
    [ "${#ours[@]}" -eq "$seeds" ] || { echo "error: $results holds ${#ours[@]} seeds for init $init" >&2; exit 1; }
    o=$(stats "$init" "${ours[@]}")
    echo "| SimdCnn | $init | $(printf '%s | ' "${ours[@]}")$(echo "$o" | awk '{ print $2 " | " $3 }') | $(compare "$(echo "$o" | cut -d' ' -f2-)" "$(echo "$t" | cut -d' ' -f2-)") |"
  done
done
echo
echo "Logs and sweep folders: $out"
