#!/usr/bin/env bash
# Reproduces PacGAN's Table 1 under its own protocol (train --preset pacgan): ring8 with packing
# m = 1 and 2, grid25 with m = 1 and 4, over seeds, one run after another (each is 400,000 steps,
# most of an hour on a 2-core CPU, minutes on a GPU), then prints the table.
#
#   dotnet publish Host -c Release -o out && APP=out/ilgpugan tools/pacgan-table.sh [OUT_DIR]
#
# Environment: RING_SEEDS (default "0 1"), GRID_SEEDS ("0"), RING_PACKS ("1 2"), GRID_PACKS
# ("1 4"), DEVICE (cpu), STEPS (the preset's 400000), EVAL_EVERY (20000), EXTRA (more train
# flags). A run folder that already holds a finished run is kept and only read (so the script
# resumes a half-done table); an unfinished one is resumed. Logs are kept beside the runs as
# OUT_DIR/<run>.log. `TABLE_ONLY=1` just prints the table. Each finished run's last scatter plot is
# copied to OUT_DIR/scatter/<run>.svg.
set -uo pipefail
APP=${APP:-ilgpugan}
Q=${1:-pacgan-runs}
RING_SEEDS=${RING_SEEDS-0 1}
GRID_SEEDS=${GRID_SEEDS-0}
RING_PACKS=${RING_PACKS-1 2}
GRID_PACKS=${GRID_PACKS-1 4}
DEVICE=${DEVICE:-cpu}
STEPS=${STEPS:-400000}
EVAL_EVERY=${EVAL_EVERY:-20000}
mkdir -p "$Q"

settings() {
  for m in $RING_PACKS; do for s in $RING_SEEDS; do echo "ring8 $m $s"; done; done
  for m in $GRID_PACKS; do for s in $GRID_SEEDS; do echo "grid25 $m $s"; done; done
}

# The last evaluation line of a run: "step modes high_quality_pct reverse_kl".
last_eval() {
  awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} $c["modes_captured"]!=""{l=$c["step"]" "$c["modes_captured"]" "$c["high_quality_pct"]" "$c["reverse_kl"]} END{print l}' "$1/metrics.csv" 2>/dev/null
}

if [ -z "${TABLE_ONLY:-}" ]; then
  settings | while read -r ds m seed; do
    r=$Q/$ds-m$m-s$seed
    if [ -f "$r/config.json" ]; then
      done_steps=$(last_eval "$r" | cut -d' ' -f1)
      [ "${done_steps:-0}" = "$STEPS" ] && { echo "kept $r (finished)"; continue; }
      echo "resuming $r"; $APP train --resume "$r" --steps "$STEPS" >>"$r.log" 2>&1
    else
      echo "training $r"
      $APP train --dataset "$ds" --preset pacgan --pack "$m" --seed "$seed" --steps "$STEPS" --eval-every "$EVAL_EVERY" \
        --device "$DEVICE" ${EXTRA:-} --out "$r" >"$r.log" 2>&1
    fi
    echo "  exit $? ($(last_eval "$r"))"
  done
fi

# The table: per-seed values at the last evaluation, then the mean per setting (finished runs only).
echo
printf '%-8s %-4s %-6s %-8s %-7s %-9s %-10s\n' dataset m seed step modes "high-q %" "reverse-KL"
settings | while read -r ds m seed; do
  r=$Q/$ds-m$m-s$seed
  read -r step modes hq kl <<<"$(last_eval "$r")"
  printf '%-8s %-4s %-6s %-8s %-7s %-9s %-10s\n' "$ds" "$m" "$seed" "${step:--}" "${modes:--}" "${hq:--}" "${kl:--}"
  if [ "${step:-}" = "$STEPS" ] && [ -f "$r/samples/step_$(printf %06d "$STEPS").svg" ]; then
    mkdir -p "$Q/scatter" && cp "$r/samples/step_$(printf %06d "$STEPS").svg" "$Q/scatter/$ds-m$m-s$seed.svg"
  fi
done | tee "$Q/table.txt"
echo
echo "means over finished seeds:"
awk -v steps="$STEPS" '$4==steps{k=$1" m="$2; n[k]++; mo[k]+=$5; hq[k]+=$6; kl[k]+=$7} END{for(k in n) printf "%-14s %d run(s): %.2f modes, %.1f %% high quality, reverse KL %.3f\n", k, n[k], mo[k]/n[k], hq[k]/n[k], kl[k]/n[k]}' "$Q/table.txt" | sort
