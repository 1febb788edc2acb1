#!/bin/sh
# Installs what Pointsman needs to build, run and test on Debian 12 (run as root).
# Only missing packages are installed; safe to run again.
set -eu

PKGS="gcc meson ninja-build pkg-config gettext
  libgtk-4-dev libgtk-4-bin libadwaita-1-dev libsoup-3.0-dev libjson-glib-dev
  libsecret-1-dev libsecret-tools libsqlite3-dev libglib2.0-bin libglib2.0-dev-bin
  desktop-file-utils appstream appstream-util
  xvfb xauth x11-utils xdotool imagemagick dbus dbus-x11 gnome-keyring at-spi2-core
  python3 python3-gi gir1.2-atspi-2.0 curl ca-certificates glib-networking"

if [ "${1:-}" = "--test" ]; then
  # flatpak-builder (manifest check), groff (man page check), gdk-pixbuf SVG loader (icon check)
  PKGS="$PKGS flatpak flatpak-builder groff-base librsvg2-common gir1.2-gdkpixbuf-2.0"
  # a self-signed certificate for the upstream client's TLS test (tests/test-upstream.c)
  PKGS="$PKGS openssl"
  # clang + its sanitizer/libFuzzer runtime (the fuzz test: tests/test-fuzz.sh, build-aux/fuzz.sh)
  PKGS="$PKGS clang libclang-rt-14-dev"
  command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
fi

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing (run as root, or install them)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
