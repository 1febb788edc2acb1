#!/bin/sh
# update-screenshots.sh [BUILDDIR]: run the app's screenshot test (tests/test-app-screenshots.c)
# under Xvfb, a private D-Bus session and an unlocked throwaway keyring, then copy the views the
# AppStream metainfo shows from BUILDDIR/screenshots/ to data/screenshots/. Commit the result
# with the release; the metainfo's URLs point there. See docs/DESKTOP.md.
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
[ -f "$build/build.ninja" ] || { echo "update-screenshots: no build in $build" >&2; exit 1; }
ninja -C "$build"

HOME=$(mktemp -d)
XDG_RUNTIME_DIR=$(mktemp -d)
chmod 700 "$XDG_RUNTIME_DIR"
export HOME XDG_RUNTIME_DIR
trap 'rm -rf "$HOME" "$XDG_RUNTIME_DIR"' EXIT
xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- sh -c '
  echo -n screenshots | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  meson test -C "$0" --no-rebuild --print-errorlogs app-screenshots' "$build"

mkdir -p data/screenshots
for name in $(sed -n 's|.*/data/screenshots/\([^/<]*\.png\)</image>.*|\1|p' \
                data/io.github.pointsman.Pointsman.metainfo.xml.in); do
  cp "$build/screenshots/$name" "data/screenshots/$name"
  echo "data/screenshots/$name"
done
echo "Now look at them, then: git add data/screenshots && git commit -m 'data: new screenshots' -- data/screenshots" >&2
