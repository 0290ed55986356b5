#!/usr/bin/env bash
# Reproduces docs/variants.md: each variant of the seed models on MNIST for the same training
# time on the CPU backend, then `eval` on 10,000 samples.
#
#   dotnet publish Host -c Release -o out && APP=out/ilgpugan tools/variant-runs.sh [OUT_DIR] [SECONDS]
#
# Equal wall time is made robust to a busy machine in two phases: each variant's rate is first
# measured alone in a short --max-time run, then every variant trains for rate x SECONDS steps,
# so a later slowdown changes how long the runs take, not what they compute.
set -uo pipefail
APP=${APP:-ilgpugan}
D=${DATA:-../shared/data}
Q=${1:-variant-runs}
T=${2:-180}
mkdir -p "$Q"
declare -A FLAGS=(
  [bce]=""
  [bce-smooth]="--real-label 0.9"
  [bce-d2]="--d-steps 2"
  [wgan]="--loss wgan"
  [wgan-gp]="--loss wgan-gp"
  [lsgan]="--loss lsgan"
  [hinge]="--loss hinge"
  [conditional]="--conditional"
)
NAMES="bce bce-smooth bce-d2 wgan wgan-gp lsgan hinge conditional"
for v in $NAMES; do
  rm -rf "$Q/rate-$v"
  $APP train --data $D/mnist --device cpu ${FLAGS[$v]} --steps 1000000 --max-time 15 --log-every 50 --sample-every 1000000 --out "$Q/rate-$v" 2>/dev/null
  steps=$(tail -1 "$Q/rate-$v/metrics.csv" | cut -d, -f1)
  echo "$v $(( steps * T / 15 ))" >> "$Q/steps.txt"
done
while read -r v steps; do
  $APP train --data $D/mnist --device cpu ${FLAGS[$v]} --steps "$steps" --sample-every 1000 --checkpoint-every 100000 --log-every 100 --out "$Q/$v"
  $APP eval --checkpoint "$Q/$v" --device cpu --samples 10000 --json "$Q/$v.json"
done < "$Q/steps.txt"
