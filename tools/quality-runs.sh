#!/usr/bin/env bash
# Reproduces the runs behind docs/quality.md (about 45 minutes on a 2-core machine).
#
#   dotnet publish Host -c Release -o out && APP=out/ilgpugan tools/quality-runs.sh [OUT_DIR]
#
# Writes the reference lines, a 10,000-step MNIST run evaluated every 500 steps, and the 2D
# benchmarks over 5 seeds, plain and packed, each with its eval JSON.
set -uo pipefail
APP=${APP:-ilgpugan}
D=${DATA:-../shared/data}
Q=${1:-quality-runs}
mkdir -p "$Q"
$APP eval --real --data $D/mnist --device cpu --json $Q/real-mnist.json
$APP eval --real --dataset fashion-mnist --data $D/fashion-mnist --device cpu --json $Q/real-fashion.json
$APP train --data $D/mnist --device cpu --steps 1 --eval-every 1 --eval-samples 10000 --out $Q/mnist-1
$APP train --data $D/mnist --device cpu --steps 10000 --eval-every 500 --eval-samples 10000 --sample-every 500 --out $Q/mnist
for ds in ring8 grid25; do for pack in 1 2; do for seed in 0 1 2 3 4; do
  r=$Q/$ds-p$pack-s$seed
  $APP train --dataset $ds --device cpu --steps 10000 --batch 100 --pack $pack --seed $seed --sample-every 10000 --log-every 100 --out $r
  $APP eval --checkpoint $r --device cpu --json $r.json
done; done; done
