#!/usr/bin/env bash
# Builds the ferry binary the way it ships, for make build and the
# benchmarks alike:  scripts/build-ferry.sh OUT [PACKAGE]  (default: .)
#
# cgo is on for Fyne's GL driver. On linux/amd64 Go's own linker does the
# linking: with the system linker's layout the same program starts with
# about 11 MiB more of its binary resident (measured: `ferry --version`
# 37.9 MiB vs 26.3 MiB peak RSS), which every command pays, and the window
# runs the same.
set -euo pipefail
out=$1
pkg=${2:-.}
GO=${GO:-go}
ldflags="-X main.version=${VERSION:-dev}"
if [ "$($GO env GOOS)/$($GO env GOARCH)" = linux/amd64 ]; then
  ldflags+=" -linkmode=internal"
fi
CGO_ENABLED=1 exec $GO build -ldflags "$ldflags" -o "$out" "$pkg"
