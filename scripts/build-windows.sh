#!/usr/bin/env bash
# Cross-compiles ferry.exe for windows/amd64 with Debian's mingw-w64 (cgo on,
# Fyne's GL driver included), with the icon, manifest and version resource
# taken from FyneApp.toml:   scripts/build-windows.sh OUT
#
# The resource is a .syso made by go-winres (pinned in tools/go.mod). It is
# built in a copy of the source tree so that nothing is ever added to the
# checkout that `make test` is testing at the same time. The exe is a console
# program: `ferry.exe upload --json` must print where a script can read it,
# and a GUI-subsystem exe has no stdout in cmd.exe (see the README's Install section).
# Without symbol table and DWARF (-s -w), like the stripped Linux packages.
set -euo pipefail
out=$(realpath -m "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
GO=${GO:-go}
VERSION=${VERSION:-$("$root/scripts/version.sh")}
numeric=${VERSION%%[-+]*}
winres=${WINRES:-${BIN:-$root/bin}/go-winres}

toml() { sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"\(.*\)\"/\1/p" "$root/FyneApp.toml" | head -1; }
name=$(toml Name)
icon=$(toml Icon)
comment=$(toml Comment)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=$work/src
mkdir -p "$src"
# Tracked and new files as they are on disk (a file deleted in the work tree is skipped).
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
  tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -C "$src" -xf -

(cd "$src" && "$winres" simply --arch amd64 --manifest gui \
  --icon "$root/$icon" --product-name "$name" --file-description "$comment" \
  --product-version "$VERSION" --file-version "$numeric.0" \
  --original-filename ferry.exe --copyright "Ferry authors")

mkdir -p "$(dirname "$out")"
cd "$src"
GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=${CC_WINDOWS:-x86_64-w64-mingw32-gcc} \
  $GO build -trimpath -tags netgo,osusergo,nodynamic -ldflags "-s -w -X main.version=$VERSION" -o "$out" .
