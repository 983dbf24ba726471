#!/usr/bin/env bash
# Takes a screenshot of a run's HTML report with headless Chromium:
#
#   scripts/screenshot_report.sh RUN_DIR OUT.png
#
# RUN_DIR must hold report.html (lsnn report RUN_DIR, or lsnn train --report). The page is opened
# as a local file with networking features off, in a throw-away profile; the screenshot is
# 1280 x 2000 pixels (the top of the page: metrics and the figures). Chromium's own messages go to
# OUT.png.log. Installs nothing: on Debian, get the browser with `apt-get install chromium`.
# Not part of the test suite (CI does not need a browser).
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 RUN_DIR OUT.png" >&2
  exit 2
fi
run_dir=$1
out=$2
report="$run_dir/report.html"
if [ ! -s "$report" ]; then
  echo "$0: $report: no report (run: lsnn report $run_dir)" >&2
  exit 1
fi

# Every image the page shows must be there (Chromium renders a missing one silently).
missing=0
for src in $(grep -o '<img src="[^"]*"' "$report" | sed 's/<img src="//; s/"$//'); do
  if [ ! -s "$run_dir/$src" ]; then
    echo "$0: $report shows $src, which is missing from $run_dir" >&2
    missing=1
  fi
done
[ "$missing" -eq 0 ] || exit 1

browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" > /dev/null 2>&1; then
    browser=$b
    break
  fi
done
if [ -z "$browser" ]; then
  echo "$0: chromium not found; install it with: apt-get install chromium" >&2
  exit 1
fi

abs_report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
case "$out" in
  /*) abs_out=$out ;;
  *) abs_out=$(pwd)/$out ;;
esac
profile=$(mktemp -d "${TMPDIR:-/tmp}/lsnn-chromium.XXXXXX")
trap 'rm -rf "$profile"' EXIT
rm -f "$abs_out"

# --no-sandbox: needed when running as root (containers, CI); the page is a local file we wrote.
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --screenshot="$abs_out" --window-size=1280,2000 \
  "file://$abs_report" > "$abs_out.log" 2>&1 || true

if [ ! -s "$abs_out" ]; then
  echo "$0: $browser wrote no screenshot; its messages are in $abs_out.log" >&2
  exit 1
fi
echo "screenshot: $abs_out"
