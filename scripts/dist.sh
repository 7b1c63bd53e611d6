#!/usr/bin/env bash
# make dist: the release artifacts in dist/ (the README's Releasing section describes them).
#   scripts/dist.sh [linux] [deb] [windows]     (default: all three)
# Packages the binaries that `make build` left in $BIN (bin/ferry,
# bin/ferry-backend) instead of building them again; only ferry.exe is built
# here. Tools: bin/fyne, bin/nfpm, bin/go-winres from `make tools`.
#   VERSION  defaults to scripts/version.sh (git tag, or 0.0.0-dev+<commit>)
#   DIST     output directory (default dist)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BIN=$(realpath "${BIN:-bin}")
DIST=$(realpath -m "${DIST:-dist}")
export VERSION=${VERSION:-$(scripts/version.sh)}
what=("$@")
[ ${#what[@]} -gt 0 ] || what=(linux deb windows)
want() { [[ " ${what[*]} " == *" $1 "* ]]; }

for f in "$BIN/fyne" "$BIN/nfpm" "$BIN/go-winres"; do
  [ -x "$f" ] || { echo "dist: $f missing; run make tools" >&2; exit 1; }
done
if want linux || want deb; then
  for f in "$BIN/ferry" "$BIN/ferry-backend"; do
    [ -x "$f" ] || { echo "dist: $f missing; run make build" >&2; exit 1; }
  done
  for b in ferry ferry-backend; do
    got=$("$BIN/$b" --version)
    [ "$got" = "$b $VERSION" ] || { echo "dist: $BIN/$b --version says \"$got\", not \"$b $VERSION\"; run make build" >&2; exit 1; }
  done
fi

toml() { sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"\(.*\)\"/\1/p" FyneApp.toml | head -1; }
id=$(toml ID)
name=$(toml Name)
icon=$(toml Icon)
numeric=${VERSION%%[-+]*}
date=$(git log -1 --format=%cs 2>/dev/null || date -u +%F)
release_type=stable
[ "$numeric" = "$VERSION" ] || release_type=development
arch=amd64
base=ferry-$VERSION

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$DIST"
# Shipped binaries carry no symbol table or DWARF (as dh_strip would do);
# Go's own tables keep panics readable. bin/ itself stays as make build left it.
if want linux || want deb; then
  mkdir -p "$stage/bin"
  for b in ferry ferry-backend; do
    strip --strip-unneeded --remove-section=.comment -o "$stage/bin/$b" "$BIN/$b"
  done
fi

if want linux || want deb; then
# Files every Linux package shares: freedesktop icons and AppStream metadata.
share=$stage/share
hicolor=$share/icons/hicolor
mkdir -p "$hicolor/scalable/apps" "$share/metainfo"
cp assets/icon.svg "$hicolor/scalable/apps/$id.svg"
for s in 32 48 64 128 256; do
  mkdir -p "$hicolor/${s}x${s}/apps"
  convert "$icon" -resize "${s}x${s}" "PNG32:$hicolor/${s}x${s}/apps/$id.png"
done
sed -e "s/@VERSION@/$VERSION/" -e "s/@DATE@/$date/" -e "s/@TYPE@/$release_type/" \
  packaging/$id.metainfo.xml.in > "$share/metainfo/$id.metainfo.xml"

# Fyne's packager makes the desktop entry from FyneApp.toml and the tarball
# with its Makefile; it runs in a scratch copy so its temporary directories
# never appear in the checkout.
fyne_src=$stage/fyne
mkdir -p "$fyne_src/$(dirname "$icon")"
cp FyneApp.toml "$fyne_src/"
cp "$icon" "$fyne_src/$icon"
cp "$stage/bin/ferry" "$fyne_src/ferry"
cp main.go "$fyne_src/" # the packager insists on seeing Go code, even with --exe
(cd "$fyne_src" && "$BIN/fyne" package --target linux --exe ferry --src . \
  --app-version "$numeric" >/dev/null)
mkdir -p "$stage/tar"
tar -C "$stage/tar" -xJf "$fyne_src/$name.tar.xz"
desktop=$(find "$stage/tar" -name "$id.desktop")
[ -n "$desktop" ] || { echo "dist: fyne package made no $id.desktop" >&2; exit 1; }
cp "$desktop" "$stage/$id.desktop"
fi

if want linux; then
  top=$(ls "$stage/tar")
  prefix=$(dirname "$(dirname "$(dirname "$desktop")")") # …/usr[/local]
  cp -r "$share/icons" "$share/metainfo" "$prefix/share/"
  # Fyne's Makefile installs the binary, the desktop entry and a pixmap; these
  # rules add the freedesktop icons and the AppStream file to install/uninstall.
  rel=${prefix#"$stage/tar/$top/"}
  cat >> "$stage/tar/$top/Makefile" <<MK

install: install-freedesktop
install-freedesktop:
	cd $rel/share && find icons metainfo -type f -exec install -Dm00644 {} \$(DESTDIR)\$(PREFIX)/share/{} \\;
uninstall: uninstall-freedesktop
uninstall-freedesktop:
	-cd $rel/share && find icons metainfo -type f -exec rm \$(DESTDIR)\$(PREFIX)/share/{} \\;
MK
  mv "$stage/tar/$top" "$stage/tar/$base"
  tar -C "$stage/tar" --owner=0 --group=0 --sort=name -cJf "$DIST/$base-linux-$arch.tar.xz" "$base"
  echo "dist: $DIST/$base-linux-$arch.tar.xz"
fi

if want deb; then
  for pkg in ferry ferry-backend; do
    mkdir -p "$stage/$pkg"
    sed "s/@PACKAGE@/$pkg/" packaging/copyright > "$stage/$pkg/copyright"
    # A Debian-format changelog entry for this build; the project's history is
    # CHANGELOG.md.
    debver=$(sed 's/-/~/' <<<"$VERSION")
    printf '%s (%s) unstable; urgency=medium\n\n  * Built from %s; changes are listed in CHANGELOG.md.\n\n -- Ferry maintainers <maintainers@ferry-app.github.io>  %s\n' \
      "$pkg" "$debver" "$(git rev-parse --short=12 HEAD)" "$(date -R -d "$date")" |
      gzip -9n > "$stage/$pkg/changelog.gz"
  done
  mkdir -p "$stage/ferry/share/applications"
  cp -r "$share/icons" "$share/metainfo" "$stage/ferry/share/"
  cp "$stage/$id.desktop" "$stage/ferry/share/applications/"
  for pkg in ferry ferry-backend; do
    # nfpm expands ${VERSION} itself but no variables in file paths.
    sed -e "s|\${BIN}|$stage/bin|g" -e "s|\${STAGE}|$stage|g" "packaging/nfpm-$pkg.yaml" >"$stage/nfpm-$pkg.yaml"
    "$BIN/nfpm" package --packager deb --config "$stage/nfpm-$pkg.yaml" --target "$DIST/" | sed 's/^/dist: /'
  done
fi

if want windows; then
  BIN=$BIN scripts/build-windows.sh "$stage/win/ferry/ferry.exe"
  rm -f "$DIST/$base-windows-$arch.zip"
  (cd "$stage/win" && zip -qr9 "$DIST/$base-windows-$arch.zip" ferry)
  echo "dist: $DIST/$base-windows-$arch.zip"
fi
