#!/bin/sh
# Install what is missing, build, and run Pointsman: the desktop app when a display exists,
# otherwise the headless proxy (pointsman-cli serve). Extra arguments go to the program.
set -eu
cd "$(dirname "$0")/.."
build-aux/install-deps.sh
[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized >/dev/null
ninja -C build >/dev/null
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec ./build/src/app/pointsman "$@"
else
  exec ./build/src/cli/pointsman-cli serve "$@"
fi
