#!/usr/bin/env bash
# bench/ui/run.sh — Ferry's UI benchmarks (issue 10), printed as a table:
#  1. cold start of `ferry` to its first mapped window under Xvfb, against a
#     hello-world Fyne window built the same way (time and peak RSS; median of RUNS);
#  2. 256-pixel thumbnails of 24 12-megapixel JPEGs: Ferry's engine
#     (internal/thumbs, all CPUs) against `vipsthumbnail -s 256` when installed;
#  3. Go benchmarks: frame time scrolling a 100 000-row list, opening it;
#  4. bench/ui/bigfolder.sh: a 20 000-file folder queued, uploaded, stopped.
# Exits 1 when a target is missed (scripts/bench.sh runs it with the others).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-5}
work=$(mktemp -d)
trap 'kill $xvfb 2>/dev/null || true; rm -rf "$work"' EXIT
export LANG=en_US.UTF-8

scripts/build-ferry.sh "$work/ferry"
scripts/build-ferry.sh "$work/hello" ./bench/ui/hello

exec 3<> <(:)
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 2>/dev/null &
xvfb=$!
read -r -t 20 num <&3
export DISPLAY=":$num"

# start BIN TITLE → prints "ms kib": time until the window is mapped, and
# peak RSS one second later (first frames drawn).
start() {
  local bin=$1 title=$2 home="$work/home.$RANDOM"
  mkdir -p "$home/Documents"
  local t0 t1 pid
  t0=$(date +%s%N)
  HOME=$home XDG_CONFIG_HOME=$home/.config XDG_CACHE_HOME=$home/.cache "$bin" >/dev/null 2>&1 &
  pid=$!
  local deadline=$((SECONDS + 30))
  until xdotool search --onlyvisible --name "^$title\$" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ] || ! kill -0 $pid 2>/dev/null; then
      echo "bench/ui: $bin showed no window titled $title" >&2
      kill $pid 2>/dev/null || true
      exit 1
    fi
    sleep 0.005
  done
  t1=$(date +%s%N)
  sleep 1
  local rss
  rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  kill $pid; wait $pid 2>/dev/null || true
  echo "$(( (t1 - t0) / 1000000 )) $rss"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for app in hello ferry; do
  title=Hello; [ $app = ferry ] && title=Ferry
  : > "$work/$app.txt"
  for _ in $(seq "$RUNS"); do start "$work/$app" $title >> "$work/$app.txt"; done
done
hm=$(cut -d' ' -f1 "$work/hello.txt" | median); hr=$(cut -d' ' -f2 "$work/hello.txt" | median)
fm=$(cut -d' ' -f1 "$work/ferry.txt" | median); fr=$(cut -d' ' -f2 "$work/ferry.txt" | median)
miss=0
awk "BEGIN{exit !($fm/$hm > 1.3 || $fr/$hr > 1.3)}" && miss=1
echo "cold start to window (median of $RUNS): hello ${hm} ms ${hr} KiB · ferry ${fm} ms ${fr} KiB · ratio time $(awk "BEGIN{printf \"%.2f\", $fm/$hm}") RSS $(awk "BEGIN{printf \"%.2f\", $fr/$hr}") (target ≤ 1.3)"

photos=${FERRY_BENCH_PHOTOS:-${TMPDIR:-/tmp}/ferry-bench-photos}
mkdir -p "$photos"
export FERRY_BENCH_PHOTOS=$photos
go test -run XXX -bench 'Thumbnails24x12MP' -benchtime 3x ./internal/thumbs/ | tee "$work/thumbs.txt" | grep Benchmark
ours=$(awk '/BenchmarkThumbnails24x12MP/ {printf "%.0f", $3/1e6}' "$work/thumbs.txt")
if command -v vipsthumbnail >/dev/null; then
  mkdir -p "$work/vips"
  best=
  for _ in 1 2 3; do
    t0=$(date +%s%N)
    vipsthumbnail -s 256 -o "$work/vips/%s.jpg" "$photos"/photo-*.jpg
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 )); [ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
  done
  awk "BEGIN{exit !($ours/$best > 1.0)}" && miss=1
  echo "24 thumbnails of 12-MP JPEGs: ferry ${ours} ms · vipsthumbnail ${best} ms · ratio $(awk "BEGIN{printf \"%.2f\", $ours/$best}") (target ≤ 1.0)"
else
  echo "24 thumbnails of 12-MP JPEGs: ferry ${ours} ms · vipsthumbnail not installed (apt install libvips-tools)"
fi

go test -run XXX -bench 'Scroll100kRows|Open100kFolder' -benchtime 100x ./ui/ | grep Benchmark

# 4. A folder of 20 000 files given to the window (issue 20 item 9).
bench/ui/bigfolder.sh || miss=1
[ $miss = 0 ] || echo "bench/ui: a target was missed" >&2
exit $miss
