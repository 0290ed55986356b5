#!/usr/bin/env bash
# Renders a run folder's report.html with headless Chromium and saves a PNG screenshot.
#
#   tools/screenshot-report.sh RUN_DIR OUT.png [WIDTH,HEIGHT]
#
# The report must exist already (RunReport.Write). Needs Debian's `chromium` (apt-get install -y
# chromium). Network access is not needed: the page is self-contained, and background networking,
# component updates and sync are switched off.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 RUN_DIR OUT.png [WIDTH,HEIGHT]" >&2
  exit 2
fi
run_dir=$1
out=$2
size=${3:-1200,1800}
report="$(cd "$run_dir" && pwd)/report.html"
if [ ! -f "$report" ]; then
  echo "$report does not exist" >&2
  exit 1
fi
browser=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$browser" ]; then
  echo "chromium not found (apt-get install -y chromium)" >&2
  exit 1
fi
# file:// URL: escape the characters that would otherwise end or alter the path.
url="file://$(printf '%s' "$report" | sed -e 's/%/%25/g' -e 's/ /%20/g' -e 's/#/%23/g' -e 's/?/%3F/g')"
mkdir -p "$(dirname "$out")"
out_abs="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
rm -f "$out_abs"
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --window-size="$size" --screenshot="$out_abs" \
  "$url" >"$profile/chromium.log" 2>&1 || {
    cat "$profile/chromium.log" >&2
    exit 1
  }
if [ ! -s "$out_abs" ]; then
  cat "$profile/chromium.log" >&2
  echo "no screenshot written" >&2
  exit 1
fi
echo "$out_abs"
