#!/usr/bin/env bash
# The packaging test (make test-packages, part of make test): builds every
# artifact of make dist into a scratch directory and checks it the way a
# user or an admin would meet it:
#   tar.xz   desktop-file-validate, appstreamcli validate --no-net, the bundled
#            Makefile installs binary, entry, icons and metadata into a DESTDIR
#   .debs    lintian reports no errors; both unpacked into a throwaway root
#            (dpkg -x); the installed ferry --version; the installed
#            ferry-backend runs its example config and the installed
#            `ferry upload --json` uploads a file through it, byte for byte;
#            systemd-analyze verify on the installed unit
#   ferry.exe under Wine, headless in Xvfb: --version, the version resource,
#            ls local:C:/, upload --json through the Linux ferry-backend, and
#            the window opens (screenshot; kept when FERRY_SCREENSHOT_DIR is set)
# It reuses bin/ferry and bin/ferry-backend (make build); only ferry.exe is
# compiled (FERRY_DIST=DIR checks a dist/ made before instead). Prints "N passed, N failed" last; exits non-zero on any failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export BIN=$(realpath "${BIN:-bin}")
export VERSION=${VERSION:-$(scripts/version.sh)}
export LANG=${LANG:-en_US.UTF-8}
id=$(sed -n 's/^[[:space:]]*ID[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' FyneApp.toml)
debver=$(sed 's/-/~/' <<<"$VERSION") # nfpm's Debian spelling of a semver pre-release
work=$(mktemp -d /tmp/ferry-pkgtest.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  [ -n "${WINEPREFIX:-}" ] && WINEPREFIX=$WINEPREFIX wineserver -k 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

passed=0 failed=0
ok() { echo "--- PASS: $1"; passed=$((passed + 1)); }
fail() { echo "--- FAIL: $1"; shift; printf '    %s\n' "$@"; failed=$((failed + 1)); }
# check NAME CMD...: the command's success is the test's.
check() {
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then ok "$name"; else fail "$name" "\$ $*" "$out"; fi
}
# wait_for DESC SECONDS CMD...: polls a condition until it holds or time is up.
wait_for() {
  local desc=$1 limit=$2; shift 2
  local end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || { echo "timed out after ${limit}s waiting for $desc" >&2; return 1; }
    sleep 0.2
  done
}
# upload_ok NAME JSONFILE SRCFILE STOREDIR: the JSON line names the file with its
# size and sha256, and the backend's storage holds the same bytes under its key.
upload_ok() {
  local name=$1 json=$2 src=$3 store=$4
  local want_sha size key sha stored
  want_sha=$(sha256sum "$src" | cut -d' ' -f1)
  size=$(stat -c %s "$src")
  key=$(sed -n 's/.*"key": *"\([^"]*\)".*/\1/p' "$json" | head -1)
  sha=$(sed -n 's/.*"sha256": *"\([^"]*\)".*/\1/p' "$json" | head -1)
  if [ "$(wc -l <"$json")" -ne 1 ] || ! grep -q "\"size\": *$size[,}]" "$json" || [ "$sha" != "$want_sha" ] || [ -z "$key" ]; then
    fail "$name" "want one JSON line with size $size and sha256 $want_sha, got:" "$(cat "$json")"
    return
  fi
  stored=$(find "$store" -type f -path "*/$key" | head -1)
  if [ -z "$stored" ] || ! cmp -s "$stored" "$src"; then
    fail "$name" "the backend's storage has no copy of the upload at key $key" "$(find "$store" -type f | head)"
    return
  fi
  ok "$name"
}
# start_backend CONFIG LOG: runs the installed ferry-backend, sets backend_url.
start_backend() {
  "$inst/usr/bin/ferry-backend" --config "$1" --log-json 2>"$2" &
  pids+=($!)
  wait_for "ferry-backend to listen" 30 grep -q '"addr"' "$2" || return 1
  backend_url=http://$(sed -n 's/.*"addr":"\([^"]*\)".*/\1/p' "$2" | head -1)
}

dist=$work/dist
if [ -n "${FERRY_DIST:-}" ]; then
  # Checking artifacts made before (FERRY_DIST=dir), e.g. a release's dist/.
  dist=$(realpath "$FERRY_DIST")
  echo "=== checking $dist (version $VERSION)"
else
echo "=== make dist into $dist (version $VERSION)"
start=$SECONDS
if ! DIST=$dist scripts/dist.sh >"$work/dist.log" 2>&1; then
  fail TestDist "scripts/dist.sh failed:" "$(tail -30 "$work/dist.log")"
  echo "$passed passed, $failed failed"
  exit 1
fi
ok TestDist
echo "    make dist took $((SECONDS - start)) s"
fi
tarball=$dist/ferry-$VERSION-linux-amd64.tar.xz
deb_app=$(ls "$dist"/ferry_*_amd64.deb)
deb_backend=$(ls "$dist"/ferry-backend_*_amd64.deb)
zipfile=$dist/ferry-$VERSION-windows-amd64.zip
ls -l "$dist" | sed 's/^/    /'

echo "=== Linux tar.xz"
mkdir "$work/tar"
tar -C "$work/tar" -xJf "$tarball"
top=$work/tar/ferry-$VERSION
desktop=$(find "$top" -name "$id.desktop")
metainfo=$(find "$top" -name "$id.metainfo.xml")
check TestTarDesktopFileValid desktop-file-validate "$desktop"
check TestTarMetainfoValid appstreamcli validate --no-net "$metainfo"
check TestTarMetainfoRelease grep -q "<release version=\"$VERSION\"" "$metainfo"
make -s -C "$top" install DESTDIR="$work/tarinst" PREFIX=/usr >"$work/tarinst.log" 2>&1
missing=()
for f in bin/ferry "share/applications/$id.desktop" "share/metainfo/$id.metainfo.xml" \
  "share/icons/hicolor/scalable/apps/$id.svg" "share/icons/hicolor/256x256/apps/$id.png" \
  "share/icons/hicolor/48x48/apps/$id.png"; do
  [ -f "$work/tarinst/usr/$f" ] || missing+=("$f")
done
if [ ${#missing[@]} -eq 0 ]; then ok TestTarMakeInstall; else fail TestTarMakeInstall "make install left out: ${missing[*]}" "$(cat "$work/tarinst.log")"; fi
got=$("$work/tarinst/usr/bin/ferry" --version 2>&1)
if [ "$got" = "ferry $VERSION" ]; then ok TestTarVersion; else fail TestTarVersion "want \"ferry $VERSION\", got \"$got\""; fi

echo "=== .debs"
for deb in "$deb_app" "$deb_backend"; do
  v=$(dpkg-deb -f "$deb" Version)
  if [ "$v" = "$debver" ]; then ok "TestDebVersion/$(basename "$deb")"; else fail "TestDebVersion/$(basename "$deb")" "want $debver, got $v"; fi
done
# Errors fail; warnings (unstripped Go binaries, no man page) are printed.
if out=$(lintian --fail-on error --tag-display-limit 0 "$deb_app" "$deb_backend" 2>&1); then
  ok TestLintian
else
  fail TestLintian "$out"
fi
[ -z "${out:-}" ] || printf '    lintian: %s\n' "$out" | head -40
conffiles=$(dpkg-deb --ctrl-tarfile "$deb_backend" | tar -xOf - ./conffiles 2>/dev/null)
if grep -qx /etc/ferry-backend/backend.toml <<<"$conffiles"; then ok TestDebConffile; else fail TestDebConffile "conffiles: $conffiles"; fi
inst=$work/root
# The root stands for a Debian system with systemd: its units are there first,
# so that systemd-analyze verify --root finds the targets the unit names.
mkdir -p "$inst/lib/systemd"
cp -a /lib/systemd/system "$inst/lib/systemd/"
dpkg -x "$deb_app" "$inst" && dpkg -x "$deb_backend" "$inst"
got=$("$inst/usr/bin/ferry" --version 2>&1)
if [ "$got" = "ferry $VERSION" ]; then ok TestDebFerryVersion; else fail TestDebFerryVersion "want \"ferry $VERSION\", got \"$got\""; fi
check TestDebDesktopFileValid desktop-file-validate "$inst/usr/share/applications/$id.desktop"
check TestDebMetainfoValid appstreamcli validate --no-net "$inst/usr/share/metainfo/$id.metainfo.xml"
unit=$inst/lib/systemd/system/ferry-backend.service
check TestSystemdVerify systemd-analyze verify --root="$inst" "$unit"
# The installed example config, as installed, except for a free port and
# scratch directories instead of /var/lib/ferry-backend.
store=$work/backend-data
sed -e 's|^listen *=.*|listen = "127.0.0.1:0"|' -e "s|/var/lib/ferry-backend|$store|" \
  "$inst/etc/ferry-backend/backend.toml" >"$work/backend.toml"
backend_url=
if start_backend "$work/backend.toml" "$work/backend.log"; then
  ok TestDebBackendStarts
else
  fail TestDebBackendStarts "$(cat "$work/backend.log")"
fi
# A user with no config of their own: only FERRY_BACKEND points at the backend.
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config XDG_CACHE_HOME=$work/home/.cache
mkdir -p "$HOME"
head -c 3000000 /dev/urandom >"$work/photo.jpg"
if [ -n "$backend_url" ] && FERRY_BACKEND=$backend_url "$inst/usr/bin/ferry" upload --json "$work/photo.jpg" \
  >"$work/upload.json" 2>"$work/upload.err"; then
  upload_ok TestDebUploadThroughInstalledBackend "$work/upload.json" "$work/photo.jpg" "$store"
else
  fail TestDebUploadThroughInstalledBackend "$(cat "$work/upload.err" "$work/upload.json" 2>/dev/null | tail -20)"
fi

echo "=== Windows ferry.exe under Wine"
mkdir "$work/win"
(cd "$work/win" && unzip -q "$zipfile")
exe=$work/win/ferry/ferry.exe
"$BIN/go-winres" extract --dir "$work/win/res" "$exe" >/dev/null 2>&1
if grep -q "\"ProductVersion\": *\"$VERSION\"" "$work/win/res/winres.json" 2>/dev/null &&
  ls "$work/win/res"/*.ico >/dev/null 2>&1; then
  ok TestWindowsResource
else
  fail TestWindowsResource "no icon, or ProductVersion is not $VERSION:" "$(grep -i version "$work/win/res/winres.json" 2>&1 | head)"
fi
export WINEPREFIX=$work/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
# Xvfb picks a free display and writes its number once it accepts clients.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" >/dev/null 2>&1 &
pids+=($!)
wait_for "Xvfb" 30 grep -q . "$work/display"
export DISPLAY=:$(head -1 "$work/display")
wineboot -i >"$work/wineboot.log" 2>&1
wineserver -w
# Debian 12's Wine 8 lacks bcryptprimitives.dll, which Go's runtime loads at
# start (Windows 10/11 and Wine 9 have it): a test-only stand-in, never shipped.
x86_64-w64-mingw32-gcc -O2 -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  packaging/wine/bcryptprimitives.c -ladvapi32
got=$(wine "$exe" --version 2>&1 | tr -d '\r')
if [ "$got" = "ferry $VERSION" ]; then ok TestWineVersion; else fail TestWineVersion "want \"ferry $VERSION\", got \"$got\""; fi
got=$(wine "$exe" ls local:C:/ 2>&1 | tr -d '\r')
if grep -qix 'windows/\?' <<<"$got" || grep -qi '\bwindows\b' <<<"$got"; then
  ok TestWineLsC
else
  fail TestWineLsC "ls local:C:/ does not list C:\\windows:" "$got"
fi
cp "$work/photo.jpg" "$WINEPREFIX/drive_c/photo.jpg"
truncate -s 1000000 "$WINEPREFIX/drive_c/photo.jpg" # another file than the Linux upload
if [ -n "$backend_url" ] && FERRY_BACKEND=$backend_url WINEPATH= wine "$exe" upload --json 'C:\photo.jpg' \
  >"$work/wupload.json" 2>"$work/wupload.err"; then
  tr -d '\r' <"$work/wupload.json" >"$work/wupload.lf"
  upload_ok TestWineUploadToLinuxBackend "$work/wupload.lf" "$WINEPREFIX/drive_c/photo.jpg" "$store"
else
  fail TestWineUploadToLinuxBackend "$(tr -d '\r' <"$work/wupload.err" | tail -20)" "$(cat "$work/wupload.json" 2>/dev/null)"
fi
# The window: wait until Fyne's GL window is mapped and has drawn something.
FERRY_BACKEND=$backend_url wine "$exe" >"$work/wgui.log" 2>&1 &
pids+=($!)
shot=$work/windows-wine.png
drawn() {
  local w
  w=$(xdotool search --onlyvisible --name '^Ferry' | head -1) || return 1
  [ -n "$w" ] || return 1
  import -window "$w" "$shot" 2>/dev/null || return 1
  # A window that has drawn its content is not one flat colour.
  [ "$(convert "$shot" -format '%[fx:standard_deviation>0.05]' info:)" = 1 ]
}
if wait_for "the Ferry window under Wine" 120 drawn; then
  ok TestWineWindowOpens
  if [ -n "${FERRY_SCREENSHOT_DIR:-}" ]; then
    cp "$shot" "$FERRY_SCREENSHOT_DIR/windows-wine.png"
    echo "    screenshot: $FERRY_SCREENSHOT_DIR/windows-wine.png"
  fi
else
  fail TestWineWindowOpens "$(tr -d '\r' <"$work/wgui.log" | tail -20)"
fi

echo "=== packaging test took $((SECONDS)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
