#!/usr/bin/env bash
# Kill soak: trains, kills the run with SIGKILL at KILLS random moments, resumes it each time, and
# checks that
#   - every kill leaves a checkpoint that loads (each resume loads G, D, optimizer and state.json,
#     and `sample` loads G), unless it came before the first checkpoint was written;
#   - the final weights equal those of a straight, never-killed run, byte for byte;
#   - no temporary folder or file remains at the end.
#
#   tools/kill-soak.sh [KILLS=50] [WORKDIR]
#
# Environment: ILGPUGAN (the command that runs the app; default: build Host and use its dll),
# STEPS (default 3000), CHECKPOINT_EVERY (default 100; STEPS is a multiple of it),
# MAX_DELAY (the longest a run trains before its kill, seconds; default 6), SEED (the kills' timing).
set -euo pipefail
kills="${1:-50}"
work="${2:-$(mktemp -d "${TMPDIR:-/tmp}/ilgpugan-kill-soak.XXXXXX")}"
steps="${STEPS:-3000}"
every="${CHECKPOINT_EVERY:-100}"
max_delay="${MAX_DELAY:-6}"
RANDOM="${SEED:-$$}"
cd "$(dirname "$0")/.."
if [[ -z "${ILGPUGAN:-}" ]]; then
  dotnet build Host -c Release -v q -nologo >/dev/null
  ILGPUGAN="dotnet $PWD/Host/bin/Release/net10.0/ilgpugan.dll"
fi
read -r -a app <<<"$ILGPUGAN"
mkdir -p "$work"
train=(train --dataset ring8 --device cpu --seed 3 --steps "$steps" --checkpoint-every "$every" --log-every "$every" --sample-every 1000000)
fail() { echo "kill-soak: FAIL: $*" >&2; exit 1; }

echo "kill-soak: $kills kills, $steps steps, a checkpoint every $every, in $work"
"${app[@]}" "${train[@]}" --out "$work/straight" >"$work/straight.log" 2>&1 || fail "the straight run failed: $(tail -1 "$work/straight.log")"

run="$work/killed"
progress=()
landed=0 before_first=0 stale_seen=0 resumes=0 finished_early=0
for ((k = 1; k <= kills; k++)); do
  if [[ -f "$run/config.json" ]] && compgen -G "$run/checkpoint*/state.json" >/dev/null; then
    args=(train --resume "$run" --steps "$steps"); resumes=$((resumes + 1))
  else
    rm -rf "$run"; args=("${train[@]}" --out "$run")
  fi
  log="$work/killed-$k.log"
  "${app[@]}" "${args[@]}" >"$log" 2>&1 &
  pid=$!
  # One kill in five lands at a uniform moment of start-up (loading, the checkpoint read); the rest
  # at a uniform moment of up to MAX_DELAY seconds after training started (steps, checkpoint
  # writes, sample grids, the exit).
  r=$RANDOM
  if ((r % 5 != 0)); then
    for ((i = 0; i < 1200; i++)); do
      grep -q "parameters; run folder" "$log" 2>/dev/null && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
  fi
  delay=$(awk -v r="$RANDOM" -v m="$max_delay" 'BEGIN { printf "%.3f", (r / 32767) * m }')
  sleep "$delay"
  if kill -9 "$pid" 2>/dev/null; then landed=$((landed + 1)); else finished_early=$((finished_early + 1)); fi
  status=0; wait "$pid" 2>/dev/null || status=$?
  if ((status != 0 && status != 137)); then fail "run $k exited $status before its kill: $(tail -1 "$log")"; fi
  started=$(grep -o "resumed .* at step [0-9]*" "$log" | grep -o "[0-9]*$" || true)
  # "new": a fresh run; "-": killed before it had loaded the checkpoint.
  if [[ "${args[1]}" != --resume ]]; then progress+=(new); else progress+=("${started:--}"); fi
  if compgen -G "$run/checkpoint.tmp-*" >/dev/null; then stale_seen=$((stale_seen + 1)); fi
  if compgen -G "$run/checkpoint*/state.json" >/dev/null; then
    "${app[@]}" sample --checkpoint "$run" --device cpu --count 4 --out "$work/probe.npy" >/dev/null 2>"$work/probe.err" \
      || fail "after kill $k the checkpoint does not load: $(tail -1 "$work/probe.err")"
  else
    before_first=$((before_first + 1))
  fi
done

# The last resume runs to the end; a run killed before its first checkpoint starts again.
if [[ -f "$run/config.json" ]] && compgen -G "$run/checkpoint*/state.json" >/dev/null; then
  "${app[@]}" train --resume "$run" --steps "$steps" >"$work/final.log" 2>&1 || fail "the final resume failed: $(tail -1 "$work/final.log")"
  resumes=$((resumes + 1))
else
  rm -rf "$run"; "${app[@]}" "${train[@]}" --out "$run" >"$work/final.log" 2>&1 || fail "the final run failed"
fi

for f in G.safetensors D.safetensors optimizer.safetensors state.json; do
  cmp -s "$work/straight/checkpoint/$f" "$run/checkpoint/$f" || fail "$f differs from the straight run's"
done
leftovers=$(find "$run" \( -name 'checkpoint.tmp-*' -o -name 'checkpoint.prev' -o -name '.*.tmp' \) | wc -l)
((leftovers == 0)) || fail "$leftovers temporary files or folders remain: $(find "$run" \( -name 'checkpoint.tmp-*' -o -name 'checkpoint.prev' -o -name '.*.tmp' \) | head -3 | tr '\n' ' ')"
echo "kill-soak: PASS: $kills kills ($landed landed in a live run, $finished_early after it had finished, $before_first before the first checkpoint),"
echo "kill-soak:   each run started at step: ${progress[*]}"
echo "kill-soak:   $resumes resumes, $stale_seen kills left a checkpoint.tmp-* folder (all removed), final weights equal the straight run's"
