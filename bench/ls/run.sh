#!/usr/bin/env bash
# Benchmark of issue 7: `ferry ls --json` of an N-entry WebDAV folder (default
# 20 000) against `curl -X PROPFIND -H 'Depth: 1'` of the same folder from the
# same server (golang.org/x/net/webdav on a real directory, started by
# bench/ls on 127.0.0.1), runs interleaved, medians reported.
# Targets: ferry's wall time at most 1.1x curl's, peak RSS at most 40 MiB.
#
# Needs GNU time (/usr/bin/time; Debian/Ubuntu package "time") for peak RSS.
# Environment: N (entries, 20000), RUNS (per tool, 7), GO (go).
# Rows: "curl-same" sends ferry's PROPFIND body; "ferry" is the normal (Fyne) build, "ferry-ci" the -tags ci build
# without the window, "lister" bench/ls -list (providers/webdav alone).
set -euo pipefail

N=${N:-20000}
RUNS=${RUNS:-7}
GO=${GO:-go}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TIME=/usr/bin/time
if ! "$TIME" -f %M true >/dev/null 2>&1; then
	echo "bench/ls/run.sh: GNU time is needed at $TIME for peak RSS (apt-get install time)" >&2
	exit 1
fi

WORK=$(mktemp -d)
cleanup() {
	exec 3>&- 2>/dev/null || true
	[ -n "${SERVER_PID:-}" ] && wait "$SERVER_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

echo "building..." >&2
(cd "$ROOT" && $GO build -o "$WORK/ls-bench" ./bench/ls)
(cd "$ROOT" && GO=$GO scripts/build-ferry.sh "$WORK/ferry")
(cd "$ROOT" && CGO_ENABLED=0 $GO build -tags ci -o "$WORK/ferry-ci" .)

# The server lives as long as fd 3 (its stdin) stays open.
mkfifo "$WORK/stdin"
"$WORK/ls-bench" -n "$N" -dir "$WORK/served" <"$WORK/stdin" >"$WORK/url" &
SERVER_PID=$!
exec 3>"$WORK/stdin"
for _ in $(seq 600); do
	[ -s "$WORK/url" ] && break
	sleep 0.1
done
URL=$(head -1 "$WORK/url")
[ -n "$URL" ] || { echo "bench/ls/run.sh: the WebDAV server did not start" >&2; exit 1; }

# An isolated configuration naming the server as remote "bench".
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share"
export XDG_CACHE_HOME="$WORK/home/.cache" FERRY_ADMIN_CONFIG="$WORK/no-admin.toml" LANG=${LANG:-C.UTF-8}
mkdir -p "$XDG_CONFIG_HOME/ferry"
printf '[providers.bench]\ntype = "webdav"\nurl = "%s"\n' "$URL" >"$XDG_CONFIG_HOME/ferry/config.toml"

# ferry asks for five DAV: properties; plain curl sends no body (allprop),
# which costs x/net/webdav more. curl-same sends ferry's exact request.
printf '%s' '<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/><d:getcontentlength/><d:getlastmodified/><d:getcontenttype/><d:getetag/></d:prop></d:propfind>' >"$WORK/body.xml"

declare -A CMD=(
	[curl]="curl -sS -o /dev/null -X PROPFIND -H Depth:1 $URL"
	[curl-same]="curl -sS -o /dev/null -X PROPFIND -H Depth:1 -H Content-Type:application/xml --data-binary @$WORK/body.xml $URL"
	[ferry]="$WORK/ferry ls --json bench:"
	[ferry-ci]="$WORK/ferry-ci ls --json bench:"
	[lister]="$WORK/ls-bench -list $URL"
)
TOOLS=(curl curl-same ferry ferry-ci lister)

# Each tool must list every entry (curl: the answer must be a 207).
for t in ferry ferry-ci lister; do
	got=$(${CMD[$t]} 2>/dev/null | wc -l)
	[ "$got" -eq "$N" ] || { echo "bench/ls/run.sh: $t listed $got entries, want $N" >&2; exit 1; }
done
code=$(curl -sS -o /dev/null -w '%{http_code}' -X PROPFIND -H Depth:1 "$URL")
[ "$code" = 207 ] || { echo "bench/ls/run.sh: curl got $code" >&2; exit 1; }
bytes=$(curl -sS -X PROPFIND -H Depth:1 "$URL" | wc -c)

# run TOOL: one timed run; appends "wall_ms rss_kb" to $WORK/res-TOOL.
run() {
	local t=$1 start end
	start=${EPOCHREALTIME/./}
	$TIME -f %M -o "$WORK/rss" ${CMD[$t]} >/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
	end=${EPOCHREALTIME/./}
	echo "$(((end - start) / 1000)) $(tail -1 "$WORK/rss")" >>"$WORK/res-$t"
}
echo "warming up, then $RUNS interleaved runs per tool..." >&2
for t in "${TOOLS[@]}"; do run "$t"; : >"$WORK/res-$t"; done
for _ in $(seq "$RUNS"); do
	for t in "${TOOLS[@]}"; do run "$t"; done
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A WALL RSS
for t in "${TOOLS[@]}"; do
	WALL[$t]=$(cut -d' ' -f1 "$WORK/res-$t" | median)
	RSS[$t]=$(cut -d' ' -f2 "$WORK/res-$t" | sort -n | tail -1)
done

echo "ferry ls --json vs curl PROPFIND Depth:1 — $N entries, $bytes bytes of XML, $RUNS runs, $(nproc) CPUs"
printf '%-9s %12s %10s %14s\n' tool "median wall" "vs curl" "peak RSS"
for t in "${TOOLS[@]}"; do
	printf '%-9s %9d ms %9.2fx %10.1f MiB\n' "$t" "${WALL[$t]}" \
		"$(echo "${WALL[$t]} ${WALL[curl]}" | awk '{print $1/$2}')" \
		"$(echo "${RSS[$t]}" | awk '{print $1/1024}')"
done
ratio=$(echo "${WALL[ferry]} ${WALL[curl]}" | awk '{print $1/$2}')
rss_mib=$(echo "${RSS[ferry]}" | awk '{print $1/1024}')
verdict() { if awk "BEGIN{exit !($1)}"; then echo met; else echo MISSED; fi; }
same=$(echo "${WALL[ferry]} ${WALL[curl-same]}" | awk '{print $1/$2}')
echo "target wall <= 1.1x curl: $(verdict "$ratio <= 1.1") (${ratio}x; ${same}x against curl sending ferry's request)"
echo "target peak RSS <= 40 MiB: $(verdict "$rss_mib <= 40") (${rss_mib} MiB)"
