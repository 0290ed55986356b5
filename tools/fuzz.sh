#!/usr/bin/env bash
# The long fuzz run: N mutated inputs per format (default 10000) through the app's own loaders:
# IDX images and labels (raw and gz), G/D/optimizer safetensors, state.json, config.json.
# Every input must load or give the app's one-line error; prints the count tried per format.
#   tools/fuzz.sh [N] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
seed="${2:-$RANDOM}"
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
echo "fuzz: $n inputs per format, seed $seed"
dotnet build Tests -c Release -v q -nologo >/dev/null
status=0
ILGPUGAN_FUZZ_N="$n" ILGPUGAN_FUZZ_SEED="$seed" ILGPUGAN_FUZZ_REPORT="$report" \
  dotnet test Tests -c Release --no-build --filter "FullyQualifiedName~Robustness.FuzzTests" --logger "console;verbosity=minimal" || status=$?
echo
sort "$report"
awk -F'tried ' '{split($2, a, ","); total += a[1]} END {print "total tried: " total}' "$report"
exit $status
