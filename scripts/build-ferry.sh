#!/usr/bin/env bash
# Builds the ferry binary the way it ships, for make build and the
# benchmarks alike:  scripts/build-ferry.sh OUT [PACKAGE]  (default: .)
#
# cgo is on for Fyne's GL driver, but name resolution and user lookup stay
# pure Go (netgo, osusergo): libc's NSS modules would otherwise be loaded
# into every command. On linux/amd64 Go's own linker does the linking: with
# the system linker's layout the same program starts with about 11 MiB more
# of its binary resident (`ferry --version`: 37.9 MiB vs 26.3 MiB peak
# RSS). Together: `ferry ls` of a 20 000-entry WebDAV folder peaks at
# 32 MiB instead of 42 MiB (bench/ls), and the window runs the same.
# nodynamic: the HEIC/AVIF decoders (gen2brain/heic, gen2brain/avif) use their
# embedded WebAssembly build and never dlopen a libheif/libavif found on the
# library path (or, on Windows, a DLL planted beside the working folder).
set -euo pipefail
out=$1
pkg=${2:-.}
GO=${GO:-go}
ldflags="-X main.version=${VERSION:-dev}"
if [ "$($GO env GOOS)/$($GO env GOARCH)" = linux/amd64 ]; then
  ldflags+=" -linkmode=internal"
fi
CGO_ENABLED=1 exec $GO build -tags netgo,osusergo,nodynamic -ldflags "$ldflags" -o "$out" "$pkg"
