#!/usr/bin/env bash
# The prepared GPU check, run once on a lent GPU machine (no .NET SDK there).
#
# Here (with the SDK):   ../shared/tools/device-pack.sh Host/Host.csproj --mnist
# There (carry .device): bash tools/gpu-check.sh            # results land in $OUT (or ./gpu-out)
#
# It records the devices, runs `verify` on CUDA (and on OpenCL when a device is there), the step
# benchmark, the device's peaks (copy GB/s, best GEMM rate), the GEMM grid, the per-kernel profile
# of the step at batch 64 and 4096 (timed by device events, as % of those peaks), the DCGAN's
# step and profile at batch 64 and 512, and a 2,000-step
# MNIST run on CUDA, keeping its log, metrics and final grid; and PyTorch's step on the same card
# (tools/pytorch-anchor.py) for same-run ratios. Copy the figures into docs/gpu.md and
# docs/perf.md with the card, date and command.
set -uo pipefail
out=${OUT:-gpu-out}
mkdir -p "$out" /tmp/app
tar -xJf .device/app.tar.xz -C /tmp/app
app=/tmp/app/ilgpugan
# bench --peak caches the peaks that --profile reads; kept in $out so they come back too.
peaks="$out/cache"
{ date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; } > "$out/machine.txt" 2>&1
$app devices > "$out/devices.txt" 2>&1
$app verify --device cuda --large > "$out/verify-cuda.txt" 2>&1; echo "verify cuda exit $?" >> "$out/verify-cuda.txt"
if $app devices | grep -q '^opencl'; then
  $app verify --device opencl > "$out/verify-opencl.txt" 2>&1; echo "verify opencl exit $?" >> "$out/verify-opencl.txt"
fi
$app bench --device cuda --batches 64,4096 --seconds 3 --json "$out/bench-cuda.json" > "$out/bench-cuda.txt" 2>&1
ILGPUGAN_CACHE="$peaks" $app bench --device cuda --peak > "$out/bench-peak-cuda.txt" 2>&1
$app bench --device cuda --kernels --large > "$out/bench-kernels-cuda.txt" 2>&1
ILGPUGAN_CACHE="$peaks" $app bench --device cuda --profile --batches 64,4096 --json "$out/profile-cuda.json" > "$out/bench-profile-cuda.txt" 2>&1
# The 28x28 DCGAN (issue 10): steps/s at batch 64 and 512, and its per-kernel profile (conv kernels).
$app bench --device cuda --model dcgan --batches 64,512 --seconds 3 --json "$out/bench-dcgan-cuda.json" > "$out/bench-dcgan-cuda.txt" 2>&1
ILGPUGAN_CACHE="$peaks" $app bench --device cuda --model dcgan --profile --batches 64,512 > "$out/bench-profile-dcgan-cuda.txt" 2>&1
# The same-card anchor (the GPU machine has python3 with torch): eager and CUDA-graph steps/s.
python3 tools/pytorch-anchor.py --batches 64,4096 > "$out/pytorch-anchor.txt" 2>&1
$app train --data .device/data/mnist --device cuda --steps 2000 --out /tmp/run2000 > "$out/train-2000.log" 2>&1
echo "train exit $?" >> "$out/train-2000.log"
cp /tmp/run2000/metrics.csv "$out/" 2>/dev/null
cp /tmp/run2000/samples/step_002000.png "$out/grid-2000.png" 2>/dev/null
tail -n 3 "$out"/*.txt "$out/train-2000.log"
