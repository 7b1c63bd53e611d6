#!/usr/bin/env bash
# Installs the real Uppy the browser tests drive (backend/uppy_test.go) and
# bundles it for the test page: `npm ci --ignore-scripts` from the pinned
# backend/testdata/uppy/package-lock.json into bin/uppy/ (ignored by git),
# then esbuild (also pinned there) writes bin/uppy/uppy.js. Runs again only
# when the lock file or the entry changed. Prints the bundle's path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src=$root/backend/testdata/uppy
out=$root/bin/uppy
for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "uppy-test-deps: $tool not found; run \`make deps-test\` (apt-get install nodejs npm)" >&2; exit 1; }
done
mkdir -p "$out"
exec 9>"$out.lock"
flock 9
stamp=$(cat "$src/package-lock.json" "$src/entry.js" | sha256sum | cut -d' ' -f1)
if [ -f "$out/uppy.js" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$out/uppy.js"
  exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$src/entry.js" "$out/"
(cd "$out" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
(cd "$out" && node node_modules/esbuild/bin/esbuild entry.js --bundle --format=iife --target=es2022 --log-level=warning --outfile=uppy.js >&2)
echo "$stamp" >"$out/stamp"
echo "$out/uppy.js"
