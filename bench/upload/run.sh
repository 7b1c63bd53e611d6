#!/usr/bin/env bash
# 1 GiB `ferry upload` vs a single presigned PUT with curl, same versitygw,
# same run: wall time and peak RSS. Run from the repository root (make bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x bin/versitygw ] || make tools
exec go run ./bench/upload -versitygw bin/versitygw "$@"
