#!/usr/bin/env bash
# Soak: SECONDS of training (default 3600) with periodic sampling, checkpoints and evaluation,
# while the app logs its RSS and managed heap every INTERVAL seconds (default 10; the
# ILGPUGAN_HEAP_LOG hook, Host/Diagnostics/HeapLog.cs). Prints the curve's start, middle and end
# and writes the whole of it to WORKDIR/heap.csv.
#
#   tools/soak.sh [SECONDS=3600] [WORKDIR]
#
# Environment: ILGPUGAN (the command that runs the app; default: build Host and use its dll),
# INTERVAL (seconds between samples), DATASET (default ring8: no data files, mode metrics as eval;
# mnist needs DATA=DIR and trains the eval classifier on first use), DEVICE (default cpu).
set -euo pipefail
seconds="${1:-3600}"
work="${2:-$(mktemp -d "${TMPDIR:-/tmp}/ilgpugan-soak.XXXXXX")}"
interval="${INTERVAL:-10}"
dataset="${DATASET:-ring8}"
cd "$(dirname "$0")/.."
if [[ -z "${ILGPUGAN:-}" ]]; then
  dotnet build Host -c Release -v q -nologo >/dev/null
  ILGPUGAN="dotnet $PWD/Host/bin/Release/net10.0/ilgpugan.dll"
fi
read -r -a app <<<"$ILGPUGAN"
mkdir -p "$work"
rm -rf "$work/run" "$work/heap.csv"
extra=()
[[ -n "${DATA:-}" ]] && extra+=(--data "$DATA")
echo "soak: ${seconds}s of $dataset on ${DEVICE:-cpu}, memory every ${interval}s, in $work"
ILGPUGAN_HEAP_LOG="$work/heap.csv" ILGPUGAN_HEAP_LOG_SECONDS="$interval" \
  "${app[@]}" train --dataset "$dataset" --device "${DEVICE:-cpu}" "${extra[@]}" --steps 1000000000 --max-time "$seconds" \
  --sample-every 500 --checkpoint-every 1000 --log-every 100 --eval-every 2000 --eval-samples 1000 \
  --out "$work/run" >"$work/train.log" 2>&1 || { echo "soak: training failed: $(tail -1 "$work/train.log")" >&2; exit 1; }
rows=$(($(wc -l <"$work/heap.csv") - 1))
((rows >= 3)) || { echo "soak: only $rows memory samples in $work/heap.csv" >&2; exit 1; }
steps=$(tail -1 "$work/run/metrics.csv" | cut -d, -f1)
echo "soak: $steps steps; memory at start, middle and end (MiB):"
awk -F, -v n="$rows" 'NR > 1 { i = NR - 1; if (i == 1 || i == int((n + 1) / 2) || i == n)
  printf "  t=%6.0fs  rss %7.1f  managed %6.2f  allocated %8.1f  gc %s/%s/%s\n", $1, $2 / 1048576, $3 / 1048576, $4 / 1048576, $5, $6, $7 }' "$work/heap.csv"
