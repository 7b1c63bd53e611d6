#!/bin/sh
# Makes the HEIC/AVIF samples of the thumbs tests with Debian's encoders
# (libheif-examples, libavif-bin; scripts/install-deps.sh test installs them):
# a 128×96 picture (gen2brain/heic v0.4.5 mixes up the chroma planes of HEICs
# narrower than about 128 pixels), red on the left half and blue on the right, and "bombs"
# whose ispe boxes declare 20000×20000 (HEIC) and 12000×12000 (AVIF; libavif
# refuses more than 16384² itself) pixels: beyond the pixel limit.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go run samples.go halves "$tmp/halves.png"
heif-enc -q 50 -o halves.heic "$tmp/halves.png" >/dev/null
avifenc -s 8 "$tmp/halves.png" halves.avif >/dev/null
go run samples.go bomb halves.heic bomb.heic 20000 20000
go run samples.go bomb halves.avif bomb.avif 12000 12000
