#!/usr/bin/env bash
# Prints Ferry's version, the one string that --version, the packages and the
# Windows resource all carry:
#   a release tag vX.Y.Z on HEAD  -> X.Y.Z   (it must match FyneApp.toml's Version)
#   anything else                 -> 0.0.0-dev+<commit>[.dirty]
#   scripts/version.sh            # the version
#   scripts/version.sh --numeric  # X.Y.Z only, for fields that take no suffix
set -euo pipefail
cd "$(dirname "$0")/.."
tag=$(git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null || true)
if [ -n "$tag" ]; then
  v=${tag#v}
  toml=$(sed -n 's/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"\(.*\)"/\1/p' FyneApp.toml)
  if [ "$toml" != "$v" ]; then
    echo "version.sh: tag $tag but FyneApp.toml says Version = \"$toml\"; bump it before tagging" >&2
    exit 1
  fi
else
  commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  v="0.0.0-dev+$commit"
  if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then v+=".dirty"; fi
fi
case "${1:-}" in
  --numeric) echo "${v%%[-+]*}" ;;
  *) echo "$v" ;;
esac
