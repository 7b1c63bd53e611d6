#!/usr/bin/env bash
# ferry-backend at concurrency 16: creating multipart uploads and signing
# parts (requests per second, p50/p99 latency, peak RSS), s3 driver in front
# of versitygw and local driver, 3 runs each, median and spread reported.
# Run from the repository root (make bench). Environment: GO (go).
set -euo pipefail
GO=${GO:-go}
[ -x bin/versitygw ] || make tools
CGO_ENABLED=0 $GO build -o bin/ferry-backend ./cmd/ferry-backend
exec $GO run ./bench/backend -versitygw bin/versitygw -backend bin/ferry-backend "$@"
