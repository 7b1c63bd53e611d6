#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Ferry needs to build, run and test,
# skipping those already present. Uses sudo when not root.
#   scripts/install-deps.sh run    # build and run the GUI
#   scripts/install-deps.sh dist   # plus what make dist packs with
#   scripts/install-deps.sh test   # plus what the test suite drives
#   scripts/install-deps.sh bench  # plus what the benchmarks compare against
set -euo pipefail
what=${1:-run}

run_pkgs=(gcc pkg-config libgl1-mesa-dev xorg-dev ca-certificates)
# make dist: icons, archives, and the Windows cross-compiler.
dist_pkgs=(imagemagick xz-utils zip mingw-w64)
# scripts/test-packages.sh: validators for what make dist made, and Wine to run ferry.exe.
pkg_test_pkgs=(desktop-file-utils appstream lintian systemd wine64 wine)
# the fleet test: Redis and nginx from Debian.
fleet_pkgs=(redis-server nginx-light)
# libheif-examples, libavif-bin: heif-enc and avifenc remake the HEIC/AVIF samples
# of internal/thumbs (testdata/heif/make.sh).
test_pkgs=(xvfb x11-utils xdotool imagemagick gnome-keyring dbus-x11 libsecret-tools chromium curl time
  libheif-examples libavif-bin
  "${fleet_pkgs[@]}"
  "${dist_pkgs[@]}" "${pkg_test_pkgs[@]}")
pkgs=("${run_pkgs[@]}")
bench_pkgs=(libvips-tools)
case "$what" in
  dist) pkgs+=("${dist_pkgs[@]}") ;;
  test) pkgs+=("${test_pkgs[@]}") ;;
  bench) pkgs+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
esac
command -v go >/dev/null 2>&1 || pkgs+=(golang-go)
# The real-Uppy browser test bundles Uppy from npm (scripts/uppy-test-deps.sh).
if [ "$what" != run ]; then
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
  command -v npm >/dev/null 2>&1 || pkgs+=(npm)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: apt-get not found; install these by hand: ${missing[*]}" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
