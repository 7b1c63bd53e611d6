#!/usr/bin/env bash
# bench/ui/bigfolder.sh — issue 20 item 9: a folder of FILES (default
# 20 000) small files given to the real window under Xvfb, with the built-in
# backend. Per run it reports
#   queued   seconds from start until every file is queued (the window's log)
#   first    seconds from start until the first file's bytes were stored
#   done     seconds until all are stored (a run that is not stopped)
#   stall    the longest time the UI goroutine could not run once the
#            window was up (ui/stall.go; 0 when it never waited over 100 ms)
#   rss      peak resident memory (VmHWM), MiB
#   term     seconds from SIGTERM (sent once 2 000 files are stored) to exit
# and checks the counts: every file stored once, or after the SIGTERM run,
# stored + journalled = FILES with none in both. Median and spread of RUNS.
# Targets (the issue's): queued and first ≤ 5 s, rss < 250 MiB, term ≤ 2 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
FILES=${FILES:-20000}
work=$(mktemp -d)
trap 'kill $xvfb 2>/dev/null || true; rm -rf "$work"' EXIT
export LANG=en_US.UTF-8
scripts/build-ferry.sh "$work/ferry" >/dev/null

exec 3<> <(:)
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 2>/dev/null &
xvfb=$!
read -r -t 20 num <&3
export DISPLAY=":$num"

mkdir -p "$work/src/tree"
python3 - "$work/src/tree" "$FILES" <<'PY'
import os, sys
base, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(base, "d%03d" % (i // 200))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d.txt" % i), "wb") as f:
        f.write(os.urandom(1024))
PY

ts() { date -d "$1" +%s.%N; } # a log line's time= as seconds
since() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }

# one RUN MODE: MODE full (until all stored) or term (SIGTERM at 2 000 stored)
one() {
  local mode=$1 home="$work/home.$RANDOM" log t0 pid
  mkdir -p "$home"
  log="$home/log"
  t0=$(date +%s.%N)
  # No session bus (named, so that none is autolaunched): no keychain, no tray.
  env -i PATH="$PATH" DISPLAY="$DISPLAY" LANG=$LANG HOME="$home" XDG_CONFIG_HOME="$home/.config" \
    DBUS_SESSION_BUS_ADDRESS="unix:path=$home/no-bus" \
    XDG_DATA_HOME="$home/.local/share" XDG_CACHE_HOME="$home/.cache" XDG_RUNTIME_DIR="$home" \
    "$work/ferry" --verbose "$work/src/tree" >"$log" 2>&1 &
  pid=$!
  local want=$FILES; [ "$mode" = term ] && want=2000
  local deadline=$((SECONDS + 900))
  while [ "$(grep -c 'state=done' "$log" || true)" -lt "$want" ]; do
    [ $SECONDS -lt $deadline ] && kill -0 $pid 2>/dev/null || { echo "bench/ui: ferry stopped or stalled ($mode)" >&2; tail -5 "$log" >&2; exit 1; }
    sleep 0.2
  done
  local rss queued first done stall term="-"
  rss=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' /proc/$pid/status)
  queued=$(grep 'state=queued' "$log" | sed -n "${FILES}p" | sed 's/^time=\([^ ]*\).*/\1/')
  first=$(grep -m1 'method=PUT path=/storage' "$log" | sed 's/^time=\([^ ]*\).*/\1/')
  # Stalls once the window is up (its first folder listed); the start-up
  # frames before that are the cold-start benchmark's.
  stall=$(sed -n '/msg="folder listed"/,$p' "$log" | grep 'msg="ui stalled"' | sed 's/.*ms=//' | sort -n | tail -1)
  if [ "$mode" = term ]; then
    local k0; k0=$(date +%s.%N)
    kill -TERM $pid
    wait $pid || { echo "bench/ui: ferry exited $? on SIGTERM" >&2; tail -20 "$log" >&2; exit 1; }
    term=$(since "$k0" "$(date +%s.%N)")
    # Consistent: each file stored or journalled, never both, never neither.
    local stored pending both
    stored=$(find "$home/.local/share/ferry/backend/files" -type f -path '*/tree/*' | sed 's|.*/tree/|tree/|' | sort)
    pending=$(cat "$home"/.local/share/ferry/uploads/*.json 2>/dev/null | grep -o '"name": "[^"]*"' | sed 's/"name": "//; s/"$//' | sort)
    both=$(comm -12 <(echo "$stored") <(echo "$pending") | grep -c . || true)
    if [ "$both" != 0 ] || [ $(( $(echo "$stored" | grep -c .) + $(echo "$pending" | grep -c .) )) != "$FILES" ]; then
      echo "bench/ui: after SIGTERM $(echo "$stored" | grep -c .) stored, $(echo "$pending" | grep -c .) journalled, $both both (want $FILES, 0)" >&2
      exit 1
    fi
    done="-"
  else
    done=$(grep 'state=done' "$log" | tail -1 | sed 's/^time=\([^ ]*\).*/\1/')
    done=$(since "$t0" "$(ts "$done")")
    local n; n=$(find "$home/.local/share/ferry/backend/files" -type f -path '*/tree/*' | wc -l)
    [ "$n" = "$FILES" ] || { echo "bench/ui: $n files stored, want $FILES" >&2; exit 1; }
    kill -TERM $pid; wait $pid || true
  fi
  echo "$(since "$t0" "$(ts "$queued")") $(since "$t0" "$(ts "$first")") $done ${stall:-0} $rss $term"
}

median() { sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "%s (%s–%s)", m, a[1], a[NR]}'; }
: > "$work/full.txt"; : > "$work/term.txt"
for _ in $(seq "$RUNS"); do one full >> "$work/full.txt"; one term >> "$work/term.txt"; done
col() { awk -v c="$2" '{print $c}' "$1" | median; }
echo "folder of $FILES files, median (min–max) of $RUNS runs; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  queued all: $(col "$work/full.txt" 1) s · first bytes stored: $(col "$work/full.txt" 2) s · all stored: $(col "$work/full.txt" 3) s"
echo "  longest UI stall: $(col "$work/full.txt" 4) ms · peak RSS: $(col "$work/full.txt" 5) MiB"
echo "  SIGTERM to exit (at 2 000 stored): $(col "$work/term.txt" 6) s; stored + journalled = $FILES in every run"
miss=0
awk -v q="$(col "$work/full.txt" 1 | cut -d' ' -f1)" -v f="$(col "$work/full.txt" 2 | cut -d' ' -f1)" \
    -v r="$(col "$work/full.txt" 5 | cut -d' ' -f1)" -v t="$(col "$work/term.txt" 6 | cut -d' ' -f1)" \
    'BEGIN{exit !(q > 5 || f > 5 || r >= 250 || t > 2)}' && miss=1
[ $miss = 0 ] || echo "bench/ui bigfolder: a target was missed" >&2
exit $miss
