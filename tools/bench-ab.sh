#!/usr/bin/env bash
# Two builds of the app benchmarked side by side, alternating, so both see the same machine load;
# prints every result line, then the median steps/s and GFLOP/s of each.
#
#   BEFORE=old/ilgpugan.dll AFTER=out/ilgpugan.dll N=5 tools/bench-ab.sh --device cpu --dataset ring8 --preset pacgan
#
# (a .dll runs through `dotnet`; anything else is run as is). The bench flags follow; --seconds
# defaults to 5. One result line per run: the first batch's row.
set -uo pipefail
N=${N:-5}
run() { case "$1" in *.dll) dotnet "$@";; *) "$@";; esac; }
declare -A rows
for i in $(seq "$N"); do
  for v in before after; do
    app=$([ $v = before ] && echo "$BEFORE" || echo "$AFTER")
    row=$(run "$app" bench --seconds "${SECONDS_EACH:-5}" "$@" 2>/dev/null | awk '$1 ~ /^[0-9]+$/ && NF == 5 {print; exit}')
    echo "$v $row (load $(cut -d' ' -f1 /proc/loadavg))"
    rows[$v]+="$row"$'\n'
  done
done
median() { sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
for v in before after; do
  sps=$(printf '%s' "${rows[$v]}" | awk 'NF==5{print $2}' | median)
  gf=$(printf '%s' "${rows[$v]}" | awk 'NF==5{print $4}' | median)
  echo "$v: median $sps steps/s, $gf GFLOP/s over $N runs"
done
