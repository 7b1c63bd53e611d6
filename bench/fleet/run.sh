#!/usr/bin/env bash
# ferry-backend as a fleet behind nginx with Redis and versitygw: a folder of
# 2 000 small files (vs rclone when bin/rclone exists) and part-signing
# throughput and latency with 1 and 3 replicas. Run from the repository root
# (make bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x bin/versitygw ] || make tools
exec go run ./bench/fleet -versitygw bin/versitygw "$@"
