#!/usr/bin/env bash
# Runs every benchmark harness: bench/<name>/run.sh, each from the repository
# root. `scripts/bench.sh upload` runs just one. Exit status is non-zero if
# any harness failed (missed its targets).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
for run in bench/*/run.sh; do
  name=$(basename "$(dirname "$run")")
  if [ $# -gt 0 ] && [[ ! " $* " =~ " $name " ]]; then
    continue
  fi
  echo "== bench/$name"
  if ! "$run"; then
    echo "== bench/$name FAILED" >&2
    status=1
  fi
done
exit $status
