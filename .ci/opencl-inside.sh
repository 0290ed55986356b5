#!/usr/bin/env bash
# The OpenCL stage's checks, run by .ci/opencl inside tools/opencl-root.sh's Debian 13 root (PoCL 6):
# the published app at /app, MNIST at /data/mnist, the test build at /tests, the .NET runtime at
# /usr/share/dotnet. Every check must pass; the first failure ends the stage with its status.
set -euo pipefail
app=/app/ilgpugan
work=/tmp/ci-opencl
rm -rf "$work"; mkdir -p "$work"

step() {
  local name="$1"; shift
  local t0=$SECONDS
  echo "-- opencl: $name"
  "$@"
  echo "-- opencl: $name: ok ($((SECONDS - t0)) s)"
}

# The ICD loader has only libOpenCL.so.1 here (no -dev package): the app must find it itself.
devices() {
  if [[ -e /usr/lib/x86_64-linux-gnu/libOpenCL.so ]]; then echo "unexpected libOpenCL.so in the root" >&2; return 1; fi
  "$app" devices | tee "$work/devices.txt"
  grep -q '^opencl:0 ' "$work/devices.txt" || { echo "devices lists no OpenCL device" >&2; return 1; }
  grep -q '^--device auto picks cpu' "$work/devices.txt" || { echo "auto picked something other than the managed cpu backend" >&2; return 1; }
}

verify() {
  "$app" verify --device opencl > "$work/verify.txt" || { tail -n 30 "$work/verify.txt"; return 1; }
  echo "verify summary: $(tail -n 1 "$work/verify.txt")"
}

train=(--device opencl --data /data/mnist --sample-every 100 --checkpoint-every 100 --log-every 50)
resume() {
  "$app" train "${train[@]}" --steps 100 --out "$work/resumed"
  "$app" train --resume "$work/resumed" --steps 200
  "$app" train "${train[@]}" --steps 200 --out "$work/straight"
  local f
  for f in G D optimizer; do
    cmp "$work/resumed/checkpoint/$f.safetensors" "$work/straight/checkpoint/$f.safetensors" \
      || { echo "resumed and straight 200-step runs differ in $f.safetensors" >&2; return 1; }
  done
  echo "resume 100 -> 200 is bit-identical to a straight 200-step run (G, D, optimizer)"
}

sample() {
  "$app" sample --checkpoint "$work/straight" --out "$work/sample.png"
  [[ -s $work/sample.png ]]
}

bench() { "$app" bench --device opencl --profile --batches 64; }

xunit() {
  # The test classes that run per backend, on PoCL: every kernel against its float64 reference (the
  # conv family, maxout and the grouped BatchNorm too), the PyTorch golden steps (seed MLP, DCGAN,
  # PacGAN's simultaneous step, G per slot and joint), the WGAN-GP penalty (MLP and conv critics), and a warm step's stream discipline (no
  # allocation, wait or host copy). A skip here (no device) counts as a failure.
  local out
  out=$(DOTNET_ROOT=/usr/share/dotnet /usr/share/dotnet/dotnet /tests/IlgpuGan.Tests.dll -noColor \
    -class IlgpuGan.Tests.Kernels.OpenClKernelTests -class IlgpuGan.Tests.Engine.OpenClGoldenPyTorchTests \
    -class IlgpuGan.Tests.Engine.OpenClGradientPenaltyTests -class IlgpuGan.Tests.Engine.OpenClStepStreamTests \
    -class IlgpuGan.Tests.Kernels.OpenClConvKernelTests -class IlgpuGan.Tests.Engine.OpenClGoldenDcganTests \
    -class IlgpuGan.Tests.Engine.OpenClConvGradientPenaltyTests -class IlgpuGan.Tests.Kernels.OpenClMaxoutTests \
    -class IlgpuGan.Tests.Engine.OpenClGoldenPacGanTests -class IlgpuGan.Tests.Kernels.OpenClGroupedBatchNormTests 2>&1) || { echo "$out"; return 1; }
  grep -E 'Total: [0-9]+' <<<"$out"
  if grep -qE 'Skipped: [1-9]' <<<"$out"; then echo "$out" | grep -A1 SKIP >&2; echo "OpenCL tests skipped" >&2; return 1; fi
}

step devices devices
step verify verify
step "train 100, resume to 200, compare with 200" resume
step sample sample
step "bench --profile --batches 64" bench
if [[ -f /tests/IlgpuGan.Tests.dll ]]; then step "xunit OpenCL classes" xunit; fi
