#!/usr/bin/env bash
# Side-by-side CPU speed of IlgpuGan's managed backend and TorchSharp-cpu 0.107 (libtorch with
# oneDNN) on the same machine, in one run, alternating A/B/A/B so that the load of a shared machine
# falls on both alike:
#
#   sudo tools/cpu-anchor.sh                              # the seed MLP step, batch 64, 5 rounds
#   sudo tools/cpu-anchor.sh --model dcgan --rounds 7     # the 28x28 DCGAN step (needs bench --model dcgan)
#   sudo tools/cpu-anchor.sh --model mlp,dcgan
#   sudo tools/cpu-anchor.sh --layers --rounds 3          # each DCGAN conv layer: tools/conv-bench vs libtorch
#
# Each round runs `ilgpugan bench --device cpu [--model M] --batches B` and then the anchor
# (tools/torchsharp-anchor) for the same model and batch, and prints ours/torch per round; the
# summary gives the medians and the median of the per-round ratios. With --layers, a round times every
# conv layer's forward + input and weight gradients at batch B on both sides (best of --reps runs)
# and prints GFLOP/s per layer.
#
# libtorch 2.10 (inside TorchSharp 0.107) needs GLIBC 2.38 and GLIBCXX 3.4.32; a Debian 12 host has
# neither, so both sides run inside the Debian 13 root of tools/opencl-root.sh (docs/opencl.md), with
# the published apps bind-mounted at /cpu-anchor (the root's own /app is left alone).
#
# Options:
#   --model LIST      mlp, dcgan or mlp,dcgan (default mlp)
#   --batch B         batch size (default 64)
#   --rounds N        A/B rounds (default 5)
#   --seconds S       timed seconds per side per round (default 5)
#   --threads T       threads for libtorch (default: all cores, as our backend uses)
#   --omp-wait P      OMP_WAIT_POLICY for libtorch: passive (default) or active. libgomp's default
#                     (active: spin at barriers) collapses on a loaded 2-core machine (0.4-1.7 MLP
#                     steps/s against 23 passive, measured side by side); passive is the fair anchor
#                     there (use --omp-wait active to compare on a quiet one)
#   --layers          per-layer conv comparison instead of whole steps
#   --reps N          with --layers: timed runs per layer and side (default 30)
#   --out DIR         where the published apps and results go (default artifacts/cpu-anchor)
#   --no-build        reuse the apps already published in DIR
#   --report DIR      only print the summary of an earlier run's results folder (with the same
#                     --layers / --model choice as that run)
#
# Exit status: 0; 2 for a usage error; 1 when a build or run fails; 77 (with "skip: REASON") where
# the root cannot be used (see tools/opencl-root.sh).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
models=mlp batch=64 rounds=5 seconds=5 threads=$(nproc) layers=0 reps=30 build=1 omp=passive report=""
out="$repo/artifacts/cpu-anchor"

usage() { echo "cpu-anchor: $*" >&2; exit 2; }
die() { echo "cpu-anchor: $*" >&2; exit 1; }
posint() { [[ $2 =~ ^[1-9][0-9]*$ ]] || usage "$1 takes a positive integer, got '$2'"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) models="$2"; shift 2 ;;
    --batch) posint "$1" "$2"; batch="$2"; shift 2 ;;
    --rounds) posint "$1" "$2"; rounds="$2"; shift 2 ;;
    --seconds) [[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || usage "--seconds takes a number, got '$2'"; seconds="$2"; shift 2 ;;
    --threads) posint "$1" "$2"; threads="$2"; shift 2 ;;
    --omp-wait) [[ $2 == passive || $2 == active ]] || usage "--omp-wait takes passive or active, got '$2'"; omp="$2"; shift 2 ;;
    --layers) layers=1; shift ;;
    --reps) posint "$1" "$2"; reps="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --report) report="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) usage "unknown argument $1 (see --help)" ;;
  esac
done
IFS=, read -r -a model_list <<< "$models"
for m in "${model_list[@]}"; do [[ $m == mlp || $m == dcgan ]] || usage "--model takes mlp, dcgan or mlp,dcgan, got '$models'"; done

# Prints the per-round ratios and the medians of a results folder.
summarise() {
  local n
  n=$(ls "$1" | sed -n 's/^r\([0-9]*\)-.*/\1/p' | sort -n | tail -1)
  [[ -n $n ]] || die "no results in $1"
python3 - "$1" "$n" "$layers" "${model_list[@]}" <<'EOF'
import json, statistics, sys
res, rounds, layers, models = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4:]
med = statistics.median
if layers:
    per, gemm = {}, []
    for r in range(1, rounds + 1):
        for side in ("ours", "torch"):
            for line in open(f"{res}/r{r}-layers-{side}.jsonl"):
                if line.startswith("{"):
                    row = json.loads(line)
                    if "gemm" in row: gemm.append(row["gflops_best"]); continue
                    per.setdefault(row["layer"], {}).setdefault(side, []).append(row)
    print(f"{'layer (fwd+dX+dW)':32} {'ours ms':>8} {'GF/s':>6} {'torch ms':>9} {'GF/s':>6} {'ours/torch':>10}   (median over rounds of each round's best)")
    for name, sides in per.items():
        o = med(x["best_ms"] for x in sides["ours"]); t = med(x["best_ms"] for x in sides["torch"])
        go = med(x["gflops_best"] for x in sides["ours"]); gt = med(x["gflops_best"] for x in sides["torch"])
        ratios = [b["best_ms"] / a["best_ms"] for a, b in zip(sides["ours"], sides["torch"])]
        print(f"{name:32} {o:8.3f} {go:6.1f} {t:9.3f} {gt:6.1f} {med(ratios):9.2f}x")
    tot = [sum(s["torch"][r]["best_ms"] for s in per.values()) / sum(s["ours"][r]["best_ms"] for s in per.values()) for r in range(rounds)]
    print(f"our CpuGemm at 1024³ in the same runs: {med(gemm):.1f} GFLOP/s (median of the rounds' best)")
    def rate(side, r): return sum(s[side][r]["gflops_best"] * s[side][r]["best_ms"] for s in per.values()) / sum(s[side][r]["best_ms"] for s in per.values())
    ours_rate = [rate("ours", r) for r in range(rounds)]
    share = [ours_rate[r] / gemm[r] for r in range(min(rounds, len(gemm)))]
    print(f"all layers: ours {med(ours_rate):.1f} GFLOP/s, torch {med(rate('torch', r) for r in range(rounds)):.1f} GFLOP/s; "
          f"ours as a share of the same round's 1024³ GEMM: {' '.join(f'{x:.0%}' for x in share)}, median {med(share):.0%}")
    print("all layers, speed ours/torch per round: " + " ".join(f"{x:.2f}" for x in tot) + f"; median {med(tot):.2f}x")
    sys.exit(0)
for m in models:
    ours, torch = [], []
    for r in range(1, rounds + 1):
        ours.append(json.load(open(f"{res}/r{r}-{m}-ours.json"))[0])
        torch.append(next(json.loads(l) for l in open(f"{res}/r{r}-{m}-torch.json") if l.startswith("{")))
    ratios = [a["steps_per_s"] / b["steps_per_s"] for a, b in zip(ours, torch)]
    for r, (a, b, q) in enumerate(zip(ours, torch, ratios), 1):
        print(f"{m} batch {a['batch']} round {r}: ours {a['steps_per_s']:.2f} steps/s ({a['gflops']:.1f} GFLOP/s), torch {b['steps_per_s']:.2f} steps/s, ratio {q:.2f}")
    print(f"{m} median: ours {med(x['steps_per_s'] for x in ours):.2f} steps/s, torch {med(x['steps_per_s'] for x in torch):.2f} steps/s, "
          f"ratio median {med(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f}), ours {med(x['gflops'] for x in ours):.1f} GFLOP/s")
EOF
}

if [[ -n $report ]]; then summarise "$report"; exit 0; fi

"$repo/tools/opencl-root.sh" --check >/dev/null || exit $?
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if [[ $build == 1 ]]; then
  pub() { dotnet publish "$1" -c Release -r linux-x64 --self-contained -o "$2" --nologo -v quiet -p:DebugType=none >&2 || die "dotnet publish $1 failed"; }
  echo "cpu-anchor: publishing ilgpugan, tools/conv-bench and the TorchSharp anchor into $out" >&2
  rm -rf "$out/app" "$out/anchor" "$out/conv-bench"
  pub "$repo/Host" "$out/app"
  pub "$repo/tools/torchsharp-anchor" "$out/anchor"
  [[ $layers == 0 ]] || pub "$repo/tools/conv-bench" "$out/conv-bench"
fi
[[ -x $out/app/ilgpugan && -x $out/anchor/TorchSharpAnchor ]] || die "no published apps in $out (run without --no-build)"
[[ $layers == 0 || -x $out/conv-bench/ConvBench ]] || die "no published conv-bench in $out (run without --no-build)"
if [[ " ${model_list[*]} " == *" dcgan "* && $layers == 0 ]]; then
  "$out/app/ilgpugan" bench --help 2>/dev/null | grep -q -- '--model' \
    || die "this ilgpugan has no 'bench --model dcgan' yet; compare per layer with --layers"
fi

results="$out/results-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$results"
# The rounds run inside the root in one command, so the root's setup is paid once.
cat > "$out/rounds.sh" <<EOF
set -euo pipefail
cd /cpu-anchor
export OMP_WAIT_POLICY=${omp^^}
res=/cpu-anchor/${results##*/}
for ((r = 1; r <= $rounds; r++)); do
  if [[ $layers == 1 ]]; then
    ./conv-bench/ConvBench --layers $reps $batch > \$res/r\$r-layers-ours.jsonl
    ./anchor/TorchSharpAnchor --layers --batches $batch --reps $reps --threads $threads > \$res/r\$r-layers-torch.jsonl
    echo "round \$r done" >&2
    continue
  fi
  for m in ${model_list[*]}; do
    flag=""; [[ \$m == mlp ]] || flag="--model \$m"
    ./app/ilgpugan bench --device cpu \$flag --batches $batch --seconds $seconds --json \$res/r\$r-\$m-ours.json >/dev/null
    ./anchor/TorchSharpAnchor --model \$m --batches $batch --seconds $seconds --threads $threads > \$res/r\$r-\$m-torch.json
    echo "round \$r \$m done" >&2
  done
done
EOF
echo "cpu-anchor: $rounds rounds inside the Debian 13 root; results in $results" >&2
"$repo/tools/opencl-root.sh" --no-publish --bind "$out:/cpu-anchor" -- /bin/bash /cpu-anchor/rounds.sh \
  || die "a run inside the root failed"

summarise "$results"
