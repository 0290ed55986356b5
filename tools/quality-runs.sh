#!/usr/bin/env bash
# Reproduces the runs behind docs/quality.md (about 90 minutes on a quiet 2-core machine).
#
#   dotnet publish Host -c Release -o out && APP=out/ilgpugan tools/quality-runs.sh [OUT_DIR]
#
# Writes the reference lines, a 10,000-step MNIST run evaluated every 500 steps, the 2D
# benchmarks over 5 seeds, plain and packed, each with its eval JSON, and the 28x28 DCGAN runs
# (MNIST: the default, hinge and label-smoothing curves, its PyTorch twin at 2,000 steps when
# /usr/bin/python3 has torch, the conditional DCGAN over 3 seeds, both --g-mode scores; Fashion-MNIST).
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

# The 28x28 DCGAN (docs/quality.md, "The 28×28 DCGAN").
dc="--model dcgan --device cpu --eval-every 1000 --eval-samples 10000"
$APP train $dc --data $D/mnist --steps 7000 --out $Q/dcgan-mnist
$APP train $dc --data $D/mnist --steps 7000 --loss hinge --out $Q/dcgan-mnist-hinge
$APP train $dc --data $D/mnist --steps 2000 --real-label 0.9 --out $Q/dcgan-mnist-ls
$APP train --model dcgan --device cpu --data $D/mnist --steps 2000 --out $Q/dcgan-mnist-2000
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
  /usr/bin/python3 "$(dirname "$0")/dcgan-twin.py" --data $D/mnist --steps 2000 --threads 1 --out $Q/dcgan-torch-twin-2000
  twin=$Q/dcgan-torch-twin-2000/G.safetensors
fi
for r in $Q/dcgan-mnist-2000 ${twin:-}; do for m in eval train; do
  $APP eval --checkpoint $r --data $D/mnist --device cpu --g-mode $m --json $r-$m.json
done; done
for seed in 0 1 2; do
  $APP train $dc --data $D/mnist --steps 6000 --conditional --seed $seed --out $Q/dcgan-mnist-cond-s$seed
  $APP eval --checkpoint $Q/dcgan-mnist-cond-s$seed --device cpu --json $Q/dcgan-mnist-cond-s$seed.json
done
$APP train $dc --dataset fashion-mnist --data $D/fashion-mnist --steps 6000 --out $Q/dcgan-fashion
for m in eval train; do $APP eval --checkpoint $Q/dcgan-fashion --device cpu --g-mode $m --json $Q/dcgan-fashion-$m.json; done
